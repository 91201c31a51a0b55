/**
 * A fake node object (`tars.tarsnode.NodeObj`) on loopback for the admin registry's tests: a TARS
 * server of NodeF that records what it is asked and answers at once, as a pod's supervisor
 * would, unless the test holds a function until it releases it.
 *
 * @module
 */
import { TarsCallError, TarsCode } from "../../protocol/call_error.ts";
import { NODE_OBJ, NodeF, ServerState } from "../../protocol/interfaces/node_f.ts";
import { type ServantImpl, TarsServer } from "../../protocol/server.ts";

/** A running fake node object. */
export interface FakeNode {
  /** Its object string, `tars.tarsnode.NodeObj@tcp -h HOST -p PORT -t 60000`. */
  readonly objectName: string;
  /** Its endpoint, `tcp -h HOST -p PORT`. */
  readonly endpoint: string;
  /** What it was asked, in order: `restart App.Server`, `notify App.Server COMMAND`… */
  readonly calls: string[];
  /** Makes the function `name` wait until {@linkcode FakeNode.release}. */
  hold(name: string): void;
  /** Lets every held call go on. */
  release(): void;
  stop(): Promise<void>;
}

/** Starts a fake node object on `host` (default 127.0.0.1), on a free port. */
export function startFakeNode(options: { host?: string } = {}): FakeNode {
  const calls: string[] = [];
  const held = new Set<string>();
  const waiting: (() => void)[] = [];
  const gate = async (name: string) => {
    if (held.has(name)) await new Promise<void>((resolve) => waiting.push(resolve));
  };
  const impl = Object.fromEntries(
    [...NodeF.compiled.keys()].map((name) => [name, () => {
      throw new TarsCallError(TarsCode.NO_FUNC, `the fake node has no ${name}`);
    }]),
  ) as unknown as ServantImpl<typeof NodeF>;
  Object.assign(
    impl,
    {
      startServer: ({ application, serverName }) => {
        calls.push(`start ${application}.${serverName}`);
        return { ret: 0, result: `startServer [${application}.${serverName}] succ` };
      },
      stopServer: ({ application, serverName }) => {
        calls.push(`stop ${application}.${serverName}`);
        return { ret: 0, result: `stopServer [${application}.${serverName}] succ` };
      },
      restartServer: async ({ application, serverName }) => {
        await gate("restartServer");
        calls.push(`restart ${application}.${serverName}`);
        return { ret: 0, result: `restartServer [${application}.${serverName}] succ` };
      },
      notifyServer: ({ application, serverName, command }) => {
        calls.push(`notify ${application}.${serverName} ${command}`);
        return { ret: 0, result: `[notify servant object num:1]\n[1]:set log level [DEBUG] ok` };
      },
      getStateInfo: () => ({
        ret: 0,
        info: { serverState: ServerState.Active, processId: 4242 },
        result: "getStateInfo succ",
      }),
      getLogFileList: () => ({ ret: 0, logFileList: ["App.Server.log", "start.log"] }),
      getLogData: ({ logFile, cmd }) => {
        calls.push(`log ${logFile} ${cmd}`);
        return { ret: 0, fileData: `lines of ${logFile}\n` };
      },
    } satisfies Partial<ServantImpl<typeof NodeF>>,
  );
  const server = new TarsServer({ log: () => {} });
  server.addServant(NODE_OBJ, NodeF, impl);
  const host = options.host ?? "127.0.0.1";
  const { port } = server.listen(`tcp -h ${host} -p 0`);
  return {
    objectName: `${NODE_OBJ}@tcp -h ${host} -p ${port} -t 60000`,
    endpoint: `tcp -h ${host} -p ${port}`,
    calls,
    hold: (name) => held.add(name),
    release() {
      held.clear();
      for (const go of waiting.splice(0)) go();
    },
    stop: () => server.stop(),
  };
}
