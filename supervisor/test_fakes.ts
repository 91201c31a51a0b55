/**
 * For the supervisor's unit tests: one in-process TarsServer on 127.0.0.1 serving fake QueryF,
 * Registry, NotifyF and AdminF servants that record what they are sent. Not used by the commands.
 *
 * @module
 */
import {
  ADMIN_OBJ,
  AdminF,
  NOTIFY_OBJ,
  NotifyF,
  QUERY_OBJ,
  QueryF,
  REGISTRY_OBJ,
  RegistryF,
  TarsCallError,
  TarsServer,
} from "../protocol/mod.ts";

/** A method of a fake servant: `Registry.keepAlive`, `AdminF.notify`, `NotifyF.reportNotifyInfo`, `QueryF.findObjectById`. */
export type FakeMethod =
  | "Registry.onStartup"
  | "Registry.keepAlive"
  | "Registry.onPrestop"
  | "AdminF.notify"
  | "AdminF.shutdown"
  | "NotifyF.reportNotifyInfo"
  | "QueryF.findObjectById";

/** One recorded call: the method and its decoded argument. */
export interface FakeCall {
  readonly method: FakeMethod;
  readonly arg: unknown;
}

/** A running fake TARS framework. */
export interface FakeTars {
  readonly port: number;
  /** `tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p PORT`. */
  readonly locator: string;
  /** `tcp -h 127.0.0.1 -p PORT -t 5000`: where AdminObj is served. */
  readonly local: string;
  /** Every call in arrival order. */
  readonly calls: FakeCall[];
  /** Objects QueryF answers with this server's endpoint (Registry and NotifyObj at first). */
  readonly registered: Set<string>;
  /** Ports of other fakes on 127.0.0.1 answered beside this one's: the replicas of the registry. */
  readonly replicas: number[];
  /** Methods that answer with this TARS code instead of working. */
  readonly failing: Map<FakeMethod, number>;
  /** Methods that never answer (until the server stops). */
  readonly hanging: Set<FakeMethod>;
  /** What `AdminF.notify` answers. */
  adminAnswer: (command: string) => string;
  /** Ends the hang: clears `hanging`, and the calls that wait go on as if they had not hung. */
  release(): void;
  /** The calls of one method, their arguments. */
  argsOf(method: FakeMethod): unknown[];
  stop(): Promise<void>;
}

/** Starts the fake framework on a free loopback port. */
export function startFakeTars(): FakeTars {
  const server = new TarsServer({ log: () => {} });
  const hangs = new Set<() => void>();
  const calls: FakeCall[] = [];
  const failing = new Map<FakeMethod, number>();
  const hanging = new Set<FakeMethod>();
  const registered = new Set([REGISTRY_OBJ, NOTIFY_OBJ]);
  const replicas: number[] = [];
  let port = 0;

  async function record(method: FakeMethod, arg: unknown): Promise<void> {
    calls.push({ method, arg });
    if (hanging.has(method)) await new Promise<void>((resolve) => hangs.add(resolve));
    const code = failing.get(method);
    if (code !== undefined) throw new TarsCallError(code, `${method} asked to fail`);
  }

  server.addServant(QUERY_OBJ, QueryF, {
    findObjectById: async ({ id }) => {
      await record("QueryF.findObjectById", id);
      const eps = [port, ...replicas].map((p) => ({
        host: "127.0.0.1",
        port: p,
        timeout: 60000,
        istcp: 1,
        grid: 0,
      }));
      return { ret: registered.has(id) ? eps : [] };
    },
    findObjectById4Any: () => ({ ret: 0, activeEp: [], inactiveEp: [] }),
    findObjectById4All: () => ({ ret: 0, activeEp: [], inactiveEp: [] }),
    findObjectByIdInSameGroup: () => ({ ret: 0, activeEp: [], inactiveEp: [] }),
    findObjectByIdInSameStation: () => ({ ret: 0, activeEp: [], inactiveEp: [] }),
    findObjectByIdInSameSet: () => ({ ret: 0, activeEp: [], inactiveEp: [] }),
  });
  server.addServant(REGISTRY_OBJ, RegistryF, {
    onStartup: ({ req }) => record("Registry.onStartup", req),
    keepAlive: ({ req }) => record("Registry.keepAlive", req),
    onPrestop: ({ req }) => record("Registry.onPrestop", req),
    registerMetrics: () => {},
    getMetricsAdapters: () => ({ rsp: [] }),
  });
  server.addServant(NOTIFY_OBJ, NotifyF, {
    reportNotifyInfo: ({ info }) => record("NotifyF.reportNotifyInfo", info),
  });
  const fake: FakeTars = {
    port: 0,
    locator: "",
    local: "",
    calls,
    registered,
    replicas,
    failing,
    hanging,
    adminAnswer: (command) => `done: ${command}`,
    argsOf: (method) => calls.filter((c) => c.method === method).map((c) => c.arg),
    release() {
      hanging.clear();
      for (const release of hangs) release();
      hangs.clear();
    },
    async stop() {
      for (const release of hangs) release();
      await server.stop({ timeout: 2000 });
    },
  };
  server.addServant(ADMIN_OBJ, AdminF, {
    notify: async ({ command }) => {
      await record("AdminF.notify", command);
      return { ret: fake.adminAnswer(command) };
    },
    shutdown: () => record("AdminF.shutdown", undefined),
    getPid: () => ({ ret: BigInt(Deno.pid) }),
  });
  port = server.listen("tcp -h 127.0.0.1 -p 0").port;
  return Object.assign(fake, {
    port,
    locator: `${QUERY_OBJ}@tcp -h 127.0.0.1 -p ${port}`,
    local: `tcp -h 127.0.0.1 -p ${port} -t 5000`,
  });
}
