/**
 * A running registry: its HTTP endpoint, its store loaded into a service, its TARS servants on
 * the endpoint, its registration of itself and its heartbeat, the periodic node check and
 * reloads, and a stop that undoes them in order.
 *
 * @module
 */
import { bindError, retry, VERSION } from "../lib/mod.ts";
import { formatEndpoint, parseEndpoint } from "../protocol/endpoint.ts";
import { ADMIN_OBJ, AdminF } from "../protocol/interfaces/admin_f.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { REGISTRY_OBJ, RegistryF } from "../protocol/interfaces/registry_f.ts";
import { ADMIN_REG_OBJ, AdminReg } from "../protocol/interfaces/admin_reg.ts";
import { createAdminRegistry } from "./admin_reg/mod.ts";
import { type BoundAddress, TarsServer } from "../protocol/server.ts";
import type { RegistryConfig } from "./config.ts";
import { GuardedStore } from "./guarded_store.ts";
import { createHttpHandler } from "./http_handler.ts";
import { type HttpServer, startHttpServer } from "./http_server.ts";
import { RegistryMetrics } from "./metrics.ts";
import { replicaNodeName } from "./node_name.ts";
import { every } from "./periodic.ts";
import { RegistryService } from "./registry_service.ts";
import { RegistrationGuard } from "./registration_guard.ts";
import { KEY_SUM_INTERVAL } from "./replica_reads.ts";
import { adminServant, instrument, queryServant, registryServant } from "./servants.ts";
import { newStoreFiles, openStore, removeNewStoreFiles } from "./store/open_store.ts";
import type { RegistryInfoRows } from "./store/types.ts";
import { TOKENS_CHECK_INTERVAL, TokensFile } from "./tokens_file.ts";
import type { TrustPolicy } from "./trust.ts";
import type { StartupRequest } from "./validate.ts";

/** A running registry. */
export interface RunningRegistry {
  /** Where the TARS servants listen. */
  readonly address: BoundAddress;
  /** Where the HTTP endpoint listens. */
  readonly metricsAddress: BoundAddress;
  /** Resolves when something asked the registry to stop (AdminF.shutdown). */
  readonly shutdownRequested: Promise<void>;
  /** Reads the registration tokens file again now (SIGHUP); resolves false without one. */
  reloadTokens(): Promise<boolean>;
  /** Deregisters itself, stops serving (calls in flight finish) and closes the store. */
  stop(): Promise<void>;
}

/** What the registry takes from its caller (the command): clock, log and process id. */
export interface RegistryDeps {
  readonly now: () => number;
  readonly log: (line: string) => void;
  readonly pid: number;
  /** Stops the start-up (its retries while the store is unreachable): startRegistry rejects. */
  readonly signal?: AbortSignal;
  /** Told where HTTP listens as soon as it does, before the store is loaded. */
  readonly onHttpListening?: (address: BoundAddress) => void;
}

/**
 * How long (ms) a read of the whole store, or of what changed in it, may take at least: longer
 * than a write may (`--store-timeout`), as a full read of a large database takes seconds.
 */
const STORE_READ_TIMEOUT = 60_000;

/** The application and server name the registry registers itself under. */
export const SELF = { application: "tars", server: "tarsregistry" } as const;

/** The server its AdminRegObj is registered under, as the C++ admin registry's is. */
export const SELF_ADMIN = { application: "tars", server: "tarsAdminRegistry" } as const;

/** Waits between attempts to open and load the store at start: 1 s, doubling, at most 30 s. */
export const STORE_RETRY = { first: 1000, max: 30_000 } as const;

/**
 * What the HTTP endpoint shows of a registry as it comes up: each part once it exists, and why
 * it cannot work while it cannot.
 */
interface RegistryStatus {
  /** Why it serves nothing yet (the store not opened or loaded), until it does. */
  starting?: string;
  service?: RegistryService;
  store?: GuardedStore;
  server?: TarsServer;
  /** Why the last reload failed, until one succeeds. */
  reloadError?: Error;
}

/**
 * Starts the registry: HTTP first (`/healthz` says why it is not ready yet), then opens and loads
 * the store, retrying with a back-off while a MySQL store cannot be used, and only then serves
 * QueryObj, Registry, the admin registry's AdminRegObj and AdminObj on the endpoint, registers
 * itself (as `tars.tarsregistry` and `tars.tarsAdminRegistry`, and its objects in
 * `t_registry_info`, as the C++ registries do) and keeps its own heartbeat, which registers it
 * again when its registration is gone from the store. Every reload interval it runs the node check
 * and, on MySQL, reads the store again. When it cannot start (an address in use, a store that
 * cannot work), it stops what it started and removes a store file it created, and the error names
 * the address or the store and the setting to change.
 */
export async function startRegistry(
  config: RegistryConfig,
  deps: RegistryDeps,
): Promise<RunningRegistry> {
  // An unreadable tokens file stops the start before anything listens.
  const tokens = config.registrationTokens === undefined ? undefined : await TokensFile.open(
    config.registrationTokens,
    { log: deps.log, checkInterval: TOKENS_CHECK_INTERVAL },
  );
  const metrics = new RegistryMetrics();
  const status: RegistryStatus = { starting: "starting: the store is not loaded yet" };
  let http: HttpServer;
  try {
    http = listenHttp(config, { metrics, status, log: deps.log });
  } catch (error) {
    await tokens?.stop();
    throw error;
  }
  deps.onHttpListening?.(http.address);
  if (config.trustNodeNames) {
    deps.log(
      "--trust-node-names is on: every peer may register, heartbeat and remove any node; use it " +
        "only where the network rewrites source addresses",
    );
  }
  const created = await newStoreFiles(config.store);
  // What a failed start undoes, last first.
  const undo: (() => Promise<void>)[] = [
    async () => await tokens?.stop(),
    () => http.stop(),
    () => removeNewStoreFiles(created),
  ];
  try {
    const { store, service } = await openAndLoad(
      config,
      deps,
      (reason) => (status.starting = reason),
    );
    undo.push(() => store.close());
    Object.assign(status, { starting: undefined, service, store });

    let requestShutdown = () => {};
    const shutdownRequested = new Promise<void>((resolve) => (requestShutdown = resolve));
    const guard = tokens && new RegistrationGuard(service, {
      tokens: () => tokens.tokens,
      requireTokens: config.requireTokens,
      now: deps.now,
      log: deps.log,
    });
    const { server, adminRegistry } = createServer(service, config, {
      ...deps,
      metrics,
      shutdown: requestShutdown,
      guard,
    });
    undo.push(() => server.stop(), () => adminRegistry.stop());
    let address: BoundAddress;
    try {
      address = server.listen(config.endpoint);
    } catch (error) {
      throw bindError(error, { address: config.endpoint, setting: "--endpoint" });
    }
    status.server = server;
    const self = selfRegistration(service, config, {
      port: address.port,
      metricsPort: http.address.port,
    });
    try {
      await self.register();
    } catch (error) {
      deps.log(
        `Registering itself failed: ${(error as Error).message}; its next heartbeat tries again`,
      );
    }
    const heartbeat = every(
      config.heartbeatInterval,
      () => self.heartbeat(deps.log),
      (error) => deps.log(`Own heartbeat failed: ${(error as Error).message}`),
    );
    const reload = every(
      config.reloadInterval,
      async () => {
        try {
          await service.refresh();
          status.reloadError = undefined;
        } catch (error) {
          status.reloadError = error as Error;
          throw error;
        }
      },
      (error) => deps.log(`Reloading from the store failed: ${(error as Error).message}`),
    );
    return {
      address,
      metricsAddress: http.address,
      shutdownRequested,
      async reloadTokens() {
        await tokens?.reload();
        return tokens !== undefined;
      },
      async stop() {
        await heartbeat.stop();
        await reload.stop();
        await adminRegistry.stop();
        try {
          await self.withdraw();
        } catch (error) {
          deps.log(`Removing own registration failed: ${(error as Error).message}`);
        }
        await server.stop();
        await http.stop();
        await tokens?.stop();
        await store.close();
      },
    };
  } catch (error) {
    for (const step of undo.reverse()) await step();
    throw error;
  }
}

/**
 * The HTTP endpoint (`--metrics`), listening: `/readyz` answers the problems of `status` (and of
 * its own listener), `/healthz` those and self-preservation's; an address it cannot bind is an
 * error naming it and `--metrics`.
 */
function listenHttp(
  config: RegistryConfig,
  options: { metrics: RegistryMetrics; status: RegistryStatus; log: (line: string) => void },
): HttpServer {
  const { status } = options;
  const problems = () =>
    [
      status.starting,
      status.server?.acceptFailure,
      http.acceptFailure,
      status.store?.writeFailure,
      status.reloadError && `reloading from the store failed: ${status.reloadError.message}`,
    ].filter((p): p is string => p !== undefined);
  let http: HttpServer;
  try {
    http = startHttpServer(
      config.metrics,
      createHttpHandler({
        service: () => status.service,
        metrics: options.metrics,
        connections: () => status.server,
        problems,
        warnings: () => [status.service?.selfPreservationProblem()].filter((w) => w !== undefined),
      }),
      { log: options.log },
    );
  } catch (error) {
    const { host, port } = config.metrics;
    const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    throw bindError(error, { address, setting: "--metrics" });
  }
  return http;
}

/**
 * The TARS server with the registry's servants (QueryObj, Registry, AdminObj, and the admin
 * registry's AdminRegObj), each call counted and timed by `instrument`, the Registry's checked by
 * `deps.guard` when the registry has registration tokens; not listening yet.
 */
function createServer(
  service: RegistryService,
  config: RegistryConfig,
  deps: RegistryDeps & {
    metrics: RegistryMetrics;
    shutdown: () => void;
    guard: RegistrationGuard | undefined;
  },
): { server: TarsServer; adminRegistry: ReturnType<typeof createAdminRegistry> } {
  const trust: TrustPolicy = {
    adminAllow: config.adminAllow,
    trustNodeNames: config.trustNodeNames,
  };
  const server = new TarsServer({
    log: deps.log,
    maxConnsPerPeer: config.maxConnsPerPeer,
    maxBuffered: config.maxBuffered,
  });
  const adminRegistry = createAdminRegistry(service, {
    trust,
    nodeCallTimeout: config.nodeCallTimeout,
    taskItemTimeout: config.taskItemTimeout,
    version: `tarsregistry ${VERSION}`,
    log: deps.log,
  });
  const counted = { metrics: deps.metrics, log: deps.log };
  server.addServant(QUERY_OBJ, QueryF, instrument(queryServant(service), counted));
  server.addServant(
    REGISTRY_OBJ,
    RegistryF,
    instrument(registryServant(service, { trust, guard: deps.guard }), counted),
  );
  server.addServant(
    ADMIN_OBJ,
    AdminF,
    instrument(
      adminServant(service, { now: deps.now, pid: deps.pid, shutdown: deps.shutdown, trust }),
      counted,
    ),
  );
  server.addServant(ADMIN_REG_OBJ, AdminReg, instrument(adminRegistry.servant, counted));
  return { server, adminRegistry };
}

/** The registry's registration of itself; see {@linkcode selfRegistration}. */
interface SelfRegistration {
  /** Registers both servers, announces its objects and registers its metrics port. */
  register(): Promise<void>;
  /** Its heartbeat: registers it again when its registration is gone from the store. */
  heartbeat(log: (line: string) => void): Promise<void>;
  /** Removes its objects and both servers (it is stopping). */
  withdraw(): Promise<void>;
}

/**
 * How the registry registers itself on the address it advertises, as a pod would: as
 * `tars.tarsregistry` (QueryObj and Registry) and `tars.tarsAdminRegistry` (AdminRegObj) on its
 * endpoint's `port`, on a node of its own named `host:port` (registry/node_name.ts: two replicas
 * on one host are two nodes, each renewed by its own heartbeat and removed by its own stop), its
 * objects in `t_registry_info` under `host:port` as the C++ registry writes `locator_id`, and its
 * metrics port.
 */
function selfRegistration(
  service: RegistryService,
  config: RegistryConfig,
  ports: { port: number; metricsPort: number },
): SelfRegistration {
  const host = config.advertise;
  const nodeName = replicaNodeName(host, ports.port);
  const advertised = formatEndpoint({
    ...parseEndpoint(config.endpoint),
    host,
    port: ports.port,
  });
  const registration = (names: typeof SELF | typeof SELF_ADMIN, servants: string[]) => ({
    nodeName,
    ...names,
    adapters: servants.map((servant) => ({ servant, endpoint: advertised, protocol: "tars" })),
    state: "active",
    version: VERSION,
    tarscliVersion: VERSION,
  } satisfies StartupRequest);
  const servers = [
    registration(SELF, [QUERY_OBJ, REGISTRY_OBJ]),
    registration(SELF_ADMIN, [ADMIN_REG_OBJ]),
  ];
  const objects: RegistryInfoRows = {
    locatorId: `${host}:${ports.port}`,
    servants: [QUERY_OBJ, REGISTRY_OBJ, ADMIN_REG_OBJ].map((servant) => ({
      servant,
      endpoint: advertised,
    })),
    version: VERSION,
  };
  const register = async () => {
    for (const server of servers) await service.onStartup(server);
    await service.announceRegistry(objects);
    await service.registerMetrics({ nodeName, ...SELF, metricsPort: ports.metricsPort });
    await removeHostKeyed(service, { host, port: ports.port });
  };
  return {
    register,
    async heartbeat(log) {
      let registered = true;
      for (const names of [SELF, SELF_ADMIN]) {
        const result = await service.keepAlive({ nodeName, state: "active", ...names });
        registered &&= result.node && result.servers > 0;
      }
      if (!registered) {
        log("Its own registration is gone from the store (rebuilt or cleaned); registering again");
        await register();
      } else await service.announceRegistry(objects);
    },
    async withdraw() {
      await service.withdrawRegistry(objects.locatorId);
      await service.onPrestop({ nodeName, ...SELF_ADMIN });
      await service.onPrestop({ nodeName, ...SELF });
    },
  };
}

/**
 * Removes this replica's registration as a registry before node names had the port: its servers
 * on the node named by the host alone, when every adapter of theirs is on this replica's port.
 * Another replica's (another port) stays, and so does a pod on that address.
 */
async function removeHostKeyed(
  service: RegistryService,
  replica: { host: string; port: number },
): Promise<void> {
  const names = [SELF, SELF_ADMIN].map((s) => `${s.application}.${s.server}`);
  const own = service.serversOn(replica.host).filter((s) =>
    names.includes(`${s.application}.${s.server}`) && s.adapters.length > 0 &&
    s.adapters.every((a) => {
      try {
        const endpoint = parseEndpoint(a.endpoint);
        return endpoint.host === replica.host && endpoint.port === replica.port;
      } catch {
        return false; // Not an endpoint this replica wrote.
      }
    })
  );
  for (const s of own) {
    await service.onPrestop({ nodeName: s.nodeName, application: s.application, server: s.server });
  }
}

/**
 * Whether opening or loading the store may work on a later try: a MySQL database may be starting,
 * have its user or schema made by a job that is still running, or be out of reach for a while, so
 * any failure of it is tried again. A bad spec and a SQLite file that cannot be opened fail at
 * once.
 */
function worthRetrying(error: unknown, config: RegistryConfig): boolean {
  if (error instanceof RangeError || error instanceof SyntaxError) return false;
  return config.store.startsWith("mysql://");
}

/**
 * Opens the store and loads it into a service, retrying with {@linkcode STORE_RETRY} while that
 * fails in a way worth retrying (each failure logged with the opener's error, and `report`ed for
 * `/healthz`); any other failure rejects at once. Rejects with an AbortError when `deps.signal`
 * stops it.
 */
async function openAndLoad(
  config: RegistryConfig,
  deps: RegistryDeps,
  report: (reason: string) => void,
): Promise<{ store: GuardedStore; service: RegistryService }> {
  const attempt = async () => {
    const store = new GuardedStore(
      await openStore(config.store, {
        now: deps.now,
        log: deps.log,
        initDb: config.initDb,
        setting: config.storeSetting,
      }),
      {
        timeout: config.storeTimeout,
        maxPendingWrites: config.maxPendingWrites,
        readTimeout: Math.max(config.storeTimeout, STORE_READ_TIMEOUT),
      },
    );
    try {
      const service = await RegistryService.open(store, {
        now: deps.now,
        nodeTimeout: config.nodeTimeout,
        expiryProtectRate: config.expiryProtectRate,
        fullReloadInterval: config.fullReloadInterval,
        // Every third reload, at most 30 s apart: a deletion shows within a minute.
        keySumInterval: Math.min(KEY_SUM_INTERVAL, 3 * config.reloadInterval),
        log: deps.log,
      });
      return { store, service };
    } catch (error) {
      await store.close();
      throw error;
    }
  };
  const loaded = await retry(attempt, {
    backoff: STORE_RETRY,
    signal: deps.signal,
    onFailure: (error, wait) => {
      if (!worthRetrying(error, config)) throw error;
      const message = (error as Error).message;
      deps.log(`Opening the store failed: ${message}; trying again in ${wait / 1000} s`);
      report(`starting: the store cannot be opened or loaded: ${message}`);
    },
  });
  if (!loaded) {
    throw new DOMException("The registry was stopped while it waited for its store", "AbortError");
  }
  return loaded;
}
