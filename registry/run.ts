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
import { every } from "./periodic.ts";
import { KEY_SUM_INTERVAL, RegistryService } from "./registry_service.ts";
import { RegistrationGuard } from "./registration_guard.ts";
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
  /** What the HTTP endpoint reads; filled in as the registry comes up. */
  const parts: {
    starting?: string;
    service?: RegistryService;
    store?: GuardedStore;
    server?: TarsServer;
    reloadError?: Error;
  } = { starting: "starting: the store is not loaded yet" };
  const problems = () =>
    [
      parts.starting,
      parts.server?.acceptFailure,
      http.acceptFailure,
      parts.store?.writeFailure,
      parts.reloadError && `reloading from the store failed: ${parts.reloadError.message}`,
    ].filter((p): p is string => p !== undefined);
  let http: HttpServer;
  try {
    http = startHttpServer(
      config.metrics,
      createHttpHandler({
        service: () => parts.service,
        metrics,
        connections: () => parts.server,
        problems,
      }),
      { log: deps.log },
    );
  } catch (error) {
    const { host, port } = config.metrics;
    const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    await tokens?.stop();
    throw bindError(error, { address, setting: "--metrics" });
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
      (reason) => (parts.starting = reason),
    );
    undo.push(() => store.close());
    Object.assign(parts, { starting: undefined, service, store });

    let requestShutdown = () => {};
    const shutdownRequested = new Promise<void>((resolve) => (requestShutdown = resolve));
    const trust: TrustPolicy = {
      adminAllow: config.adminAllow,
      trustNodeNames: config.trustNodeNames,
    };
    const server = new TarsServer({
      log: deps.log,
      maxConnsPerPeer: config.maxConnsPerPeer,
      maxBuffered: config.maxBuffered,
    });
    undo.push(() => server.stop());
    const adminRegistry = createAdminRegistry(service, {
      trust,
      nodeCallTimeout: config.nodeCallTimeout,
      taskItemTimeout: config.taskItemTimeout,
      version: `tarsregistry ${VERSION}`,
      log: deps.log,
    });
    undo.push(() => adminRegistry.stop());
    const wrap = { metrics, log: deps.log };
    const guard = tokens && new RegistrationGuard(service, {
      tokens: () => tokens.tokens,
      requireTokens: config.requireTokens,
      now: deps.now,
      log: deps.log,
    });
    server.addServant(QUERY_OBJ, QueryF, instrument(queryServant(service), wrap));
    server.addServant(
      REGISTRY_OBJ,
      RegistryF,
      instrument(registryServant(service, { trust, guard }), wrap),
    );
    server.addServant(
      ADMIN_OBJ,
      AdminF,
      instrument(
        adminServant(service, { now: deps.now, pid: deps.pid, shutdown: requestShutdown, trust }),
        wrap,
      ),
    );
    server.addServant(ADMIN_REG_OBJ, AdminReg, instrument(adminRegistry.servant, wrap));
    const ep = parseEndpoint(config.endpoint);
    let address: BoundAddress;
    try {
      address = server.listen(config.endpoint);
    } catch (error) {
      throw bindError(error, { address: config.endpoint, setting: "--endpoint" });
    }
    parts.server = server;
    const advertised = formatEndpoint({ ...ep, host: config.advertise, port: address.port });
    const registration = (names: typeof SELF | typeof SELF_ADMIN, servants: string[]) => ({
      nodeName: config.advertise,
      ...names,
      adapters: servants.map((servant) => ({ servant, endpoint: advertised, protocol: "tars" })),
      state: "active",
      version: VERSION,
      tarscliVersion: VERSION,
    } satisfies StartupRequest);
    const self = [
      registration(SELF, [QUERY_OBJ, REGISTRY_OBJ]),
      registration(SELF_ADMIN, [ADMIN_REG_OBJ]),
    ];
    const objects: RegistryInfoRows = {
      locatorId: `${config.advertise}:${address.port}`,
      servants: [QUERY_OBJ, REGISTRY_OBJ, ADMIN_REG_OBJ].map((servant) => ({
        servant,
        endpoint: advertised,
      })),
      version: VERSION,
    };
    const registerSelf = async () => {
      for (const registration of self) await service.onStartup(registration);
      await service.announceRegistry(objects);
      await service.registerMetrics({
        nodeName: config.advertise,
        ...SELF,
        metricsPort: http.address.port,
      });
    };
    try {
      await registerSelf();
    } catch (error) {
      deps.log(
        `Registering itself failed: ${(error as Error).message}; its next heartbeat tries again`,
      );
    }
    const heartbeat = every(
      config.heartbeatInterval,
      async () => {
        let registered = true;
        for (const names of [SELF, SELF_ADMIN]) {
          const result = await service.keepAlive({
            nodeName: config.advertise,
            state: "active",
            ...names,
          });
          registered &&= result.node && result.servers > 0;
        }
        if (!registered) {
          deps.log(
            "Its own registration is gone from the store (rebuilt or cleaned); registering again",
          );
          await registerSelf();
        } else await service.announceRegistry(objects);
      },
      (error) => deps.log(`Own heartbeat failed: ${(error as Error).message}`),
    );
    const reload = every(
      config.reloadInterval,
      async () => {
        try {
          await service.refresh();
          parts.reloadError = undefined;
        } catch (error) {
          parts.reloadError = error as Error;
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
          await service.withdrawRegistry(objects.locatorId);
          await service.onPrestop({ nodeName: config.advertise, ...SELF_ADMIN });
          await service.onPrestop({ nodeName: config.advertise, ...SELF });
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
        maxPending: config.maxPendingWrites,
        readTimeout: Math.max(config.storeTimeout, STORE_READ_TIMEOUT),
      },
    );
    try {
      const service = await RegistryService.open(store, {
        now: deps.now,
        nodeTimeout: config.nodeTimeout,
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
