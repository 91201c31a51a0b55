/**
 * The pod's node object, `tars.tarsnode.NodeObj` (interface `Node`, protocol/interfaces/node_f.ts):
 * what tarsnode answers the admin registry on a machine, the supervisor answers for its one
 * service in the pod.
 *
 * - `stopServer`, `startServer`, `restartServer`: requests to the supervisor's machine (machine.ts),
 *   answered when they are done: a stop after the drain and the service's exit (then held down), a
 *   start or restart once the service is active again.
 * - `notifyServer`: `AdminF.notify` to the service's AdminObj, its answer returned.
 * - `getStateInfo`, `getServerPid`, `getState`, `getSettingState`: the service's state and pid;
 *   `getName` and `getLoad`: the node's name (the pod's IP) and the machine's load averages.
 * - `getLogFileList`, `getLogData`: the pod's `log/` (log_view.ts).
 * - Every other function answers at once with `EM_TARS_CAN_NOT_EXECUTE` and a sentence saying it is
 *   not supported on Kubernetes.
 *
 * Every call is first checked against its caller's address ({@linkcode NodeServantOptions}
 * `checkCaller`): a refused one is answered `EM_TARS_INVALID_IP_ERR` with the reason. A call naming
 * another server than the pod's is answered -1, as tarsnode answers a server it does not run.
 *
 * @module
 */
import { TarsCallError } from "../protocol/call_error.ts";
import { NodeF, ServerState, TarsErrCode } from "../protocol/interfaces/node_f.ts";
import type { CallContext, ServantImpl } from "../protocol/server.ts";
import { listLogFiles, readLogView } from "./log_view.ts";
import type { NodeRequestKind } from "./machine.ts";
import type { ServiceState } from "./state_file.ts";

/** A node function's code (a `tarsErrCode`, 0 for success) and its sentence. */
export interface NodeAnswer {
  readonly ret: number;
  readonly result: string;
}

/** The service as the supervisor sees it now. */
export interface NodeStatus {
  readonly state: ServiceState;
  readonly reason: string;
  /** The service's pid; 0 while it is not running. */
  readonly pid: number;
  /** Held down by `stopServer`. */
  readonly held: boolean;
}

/** What the node object asks of the supervisor. */
export interface NodeControl {
  /** Hands the machine a stop, start or restart; resolves with its answer when it is done. */
  request(kind: NodeRequestKind): Promise<NodeAnswer>;
  /** The service's state now. */
  status(): NodeStatus;
  /** Sends an admin command to the service's AdminObj; resolves with the answer. */
  notify(command: string): Promise<NodeAnswer>;
}

/** Who the node object serves and how it checks its callers. */
export interface NodeServantOptions {
  readonly application: string;
  readonly server: string;
  /** The node's name: the pod's IP. */
  readonly nodeName: string;
  /** The pod's `log/` directory. */
  readonly logDir: string;
  /** Why a call from `peer` is refused, or undefined when it may call. */
  readonly checkCaller: (peer: string) => Promise<string | undefined>;
  /** Where the calls that change something are logged. */
  readonly log: (line: string) => void;
}

const STATE_OF: Readonly<Record<string, number>> = {
  inactive: ServerState.Inactive,
  activating: ServerState.Activating,
  active: ServerState.Active,
  deactivating: ServerState.Deactivating,
};

/** The `ServerState` of a state-file state. */
export function serverStateOf(state: ServiceState): number {
  return STATE_OF[state] ?? ServerState.Inactive;
}

/** The NodeF servant of the pod, on `control` (the supervisor). */
export function nodeServant(
  control: NodeControl,
  options: NodeServantOptions,
): ServantImpl<typeof NodeF> {
  const own = `${options.application}.${options.server}`;
  const notSupported = (name: string) =>
    `${name} is not supported on Kubernetes: the pod runs ${own} alone and its image is ` +
    "its release; use the Deployment for the rest";

  /** The refusal of this call, or of a call for another server; undefined when it may go on. */
  async function refusal(
    ctx: CallContext,
    names?: { application: string; serverName: string },
  ): Promise<NodeAnswer | undefined> {
    const why = await options.checkCaller(ctx.remote.host);
    if (why !== undefined) {
      options.log(`node: ${ctx.func} from ${ctx.remote.host} refused: ${why}`);
      return { ret: TarsErrCode.EM_TARS_INVALID_IP_ERR, result: `${ctx.func} refused: ${why}` };
    }
    if (names && `${names.application}.${names.serverName}` !== own) {
      return {
        ret: TarsErrCode.EM_TARS_UNKNOWN_ERR,
        result: `${names.application}.${names.serverName} is not on node ${options.nodeName}: ` +
          `this pod runs ${own}`,
      };
    }
    return undefined;
  }

  /** A function that answers `ret` and `result` (the out-parameter named `result`). */
  function withResult(
    work: (ctx: CallContext) => Promise<NodeAnswer> | NodeAnswer,
  ): (args: { application: string; serverName: string }, ctx: CallContext) => Promise<{
    ret: number;
    result: string;
  }> {
    return async (args, ctx) => {
      const answer = await refusal(ctx, args) ?? await work(ctx);
      return { ret: answer.ret, result: answer.result };
    };
  }

  /** A function that is not supported, answered at once (after the caller check). */
  async function unsupported(ctx: CallContext): Promise<NodeAnswer> {
    return await refusal(ctx) ??
      { ret: TarsErrCode.EM_TARS_CAN_NOT_EXECUTE, result: notSupported(ctx.func) };
  }

  const request = (kind: NodeRequestKind) =>
    withResult(async (ctx) => {
      options.log(`node: ${ctx.func} from ${ctx.remote.host}`);
      return await control.request(kind);
    });

  /** For functions that answer a value, not a code: a refusal is a call error. */
  async function mustBeAllowed(ctx: CallContext): Promise<void> {
    const answer = await refusal(ctx);
    if (answer) throw new TarsCallError(answer.ret, answer.result);
  }

  return {
    stopServer: request("stop"),
    startServer: request("start"),
    restartServer: request("restart"),
    notifyServer: async ({ application, serverName, command }, ctx) => {
      const answer = await refusal(ctx, { application, serverName }) ??
        await control.notify(command);
      return { ret: answer.ret, result: answer.result };
    },
    getStateInfo: async (args, ctx) => {
      const answer = await refusal(ctx, args);
      if (answer) {
        const info = { serverState: ServerState.Inactive, processId: -1 };
        return { ret: answer.ret, info, result: answer.result };
      }
      const status = control.status();
      return {
        ret: 0,
        info: {
          serverState: serverStateOf(status.state),
          processId: status.pid,
          nodeName: options.nodeName,
          application: options.application,
          serverName: options.server,
          settingState: status.held ? ServerState.Inactive : ServerState.Active,
          exState: new Map([["reason", status.reason]]),
        },
        result: `${own} is ${status.state}: ${status.reason}`,
      };
    },
    getServerPid: async (args, ctx) => {
      const answer = await refusal(ctx, args);
      if (answer) return { ret: -1, result: answer.result };
      const { pid } = control.status();
      return { ret: pid, result: pid > 0 ? `pid ${pid}` : `${own} is not running` };
    },
    getState: async (args, ctx) => {
      const answer = await refusal(ctx, args);
      if (answer) return { ret: ServerState.Inactive, result: answer.result };
      const status = control.status();
      return { ret: serverStateOf(status.state), result: status.reason };
    },
    getSettingState: async (args, ctx) => {
      const answer = await refusal(ctx, args);
      if (answer) return { ret: ServerState.Inactive, result: answer.result };
      const held = control.status().held;
      return {
        ret: held ? ServerState.Inactive : ServerState.Active,
        result: held ? "held down by stopServer" : "kept running",
      };
    },
    getLogFileList: async (args, ctx) => {
      const answer = await refusal(ctx, args);
      if (answer) return { ret: answer.ret, logFileList: [] };
      try {
        return { ret: 0, logFileList: await listLogFiles(options.logDir) };
      } catch (error) {
        options.log(`node: getLogFileList: ${(error as Error).message}`);
        return { ret: TarsErrCode.EM_TARS_UNKNOWN_ERR, logFileList: [] };
      }
    },
    getLogData: async ({ application, serverName, logFile, cmd }, ctx) => {
      const answer = await refusal(ctx, { application, serverName });
      if (answer) return { ret: answer.ret, fileData: answer.result };
      try {
        return { ret: 0, fileData: await readLogView(options.logDir, logFile, cmd) };
      } catch (error) {
        return { ret: TarsErrCode.EM_TARS_UNKNOWN_ERR, fileData: (error as Error).message };
      }
    },
    getName: async (_args, ctx) => {
      await mustBeAllowed(ctx);
      return { ret: options.nodeName };
    },
    getLoad: async (_args, ctx) => {
      await mustBeAllowed(ctx);
      const [avg1, avg5, avg15] = Deno.loadavg();
      return { ret: { avg1, avg5, avg15 } };
    },
    destroyServer: async (_args, ctx) => await unsupported(ctx),
    loadServer: async (_args, ctx) => await unsupported(ctx),
    synState: async (_args, ctx) => await unsupported(ctx),
    addFile: async (_args, ctx) => await unsupported(ctx),
    patchPro: async (_args, ctx) => await unsupported(ctx),
    shutdown: async (_args, ctx) => await unsupported(ctx),
    stopAllServers: async (_args, ctx) => await unsupported(ctx),
    delCache: async (_args, ctx) => await unsupported(ctx),
    getPatchPercent: async (_args, ctx) => {
      const answer = await unsupported(ctx);
      return {
        ret: answer.ret,
        tPatchInfo: {
          bPatching: false,
          iPercent: 0,
          iModifyTime: 0,
          sVersion: "",
          sResult: answer.result,
        },
      };
    },
    getUnusedShmKeys: async (_args, ctx) => ({
      ret: (await unsupported(ctx)).ret,
      shm_keys: [],
    }),
    getNodeLoad: async (_args, ctx) => {
      const answer = await unsupported(ctx);
      return { ret: answer.ret, fileData: answer.result };
    },
    forceDockerLogin: async (_args, ctx) => {
      const answer = await unsupported(ctx);
      return { ret: answer.ret, result: [answer.result] };
    },
  };
}
