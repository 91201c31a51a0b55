import { retry, VERSION } from "../lib/mod.ts";
import { formatEndpoint, parseEndpoint } from "../protocol/endpoint.ts";
import { ADMIN_OBJ, AdminF } from "../protocol/interfaces/admin_f.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { REGISTRY_OBJ, RegistryF } from "../protocol/interfaces/registry_f.ts";
import { type BoundAddress, TarsServer } from "../protocol/server.ts";
import type { RegistryConfig } from "./config.ts";
import { GuardedStore } from "./guarded_store.ts";
import { createHttpHandler } from "./http_handler.ts";
import { type HttpServer, startHttpServer } from "./http_server.ts";
import { RegistryMetrics } from "./metrics.ts";
import { every, type Periodic } from "./periodic.ts";
import { RegistryService } from "./registry_service.ts";
import { adminServant, instrument, queryServant, registryServant } from "./servants.ts";
import { openStore } from "./store/mod.ts";
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

/** The application and server name the registry registers itself under. */
export const SELF = { application: "tars", server: "tarsregistry" } as const;

/** Waits between attempts to open and load the store at start: 1 s, doubling, at most 30 s. */
export const STORE_RETRY = { first: 1000, max: 30_000 } as const;

/**
 * Starts the registry: HTTP first (`/healthz` says why it is not ready yet), then opens and loads
 * the store, retrying with a back-off while it is unreachable, and only then serves QueryObj,
 * Registry and AdminObj on the endpoint, registers itself and keeps its own heartbeat (which
 * registers it again when its registration is gone from the store).
 */
export async function startRegistry(
  config: RegistryConfig,
  deps: RegistryDeps,
): Promise<RunningRegistry> {
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
  const http: HttpServer = startHttpServer(
    config.metrics,
    createHttpHandler({
      service: () => parts.service,
      metrics,
      connections: () => parts.server,
      problems,
    }),
    { log: deps.log },
  );
  deps.onHttpListening?.(http.address);
  if (config.trustNodeNames) {
    deps.log(
      "--trust-node-names is on: every peer may register, heartbeat and remove any node; use it " +
        "only where the network rewrites source addresses",
    );
  }
  let loaded: RegistryService;
  let guarded: GuardedStore;
  try {
    ({ store: guarded, service: loaded } = await openAndLoad(
      config,
      deps,
      (reason) => (parts.starting = reason),
    ));
  } catch (error) {
    await http.stop();
    throw error;
  }
  Object.assign(parts, { starting: undefined, service: loaded, store: guarded });

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
  parts.server = server;
  const wrap = { metrics, log: deps.log };
  server.addServant(QUERY_OBJ, QueryF, instrument(queryServant(loaded), wrap));
  server.addServant(REGISTRY_OBJ, RegistryF, instrument(registryServant(loaded, { trust }), wrap));
  server.addServant(
    ADMIN_OBJ,
    AdminF,
    instrument(
      adminServant(loaded, { now: deps.now, pid: deps.pid, shutdown: requestShutdown, trust }),
      wrap,
    ),
  );
  const ep = parseEndpoint(config.endpoint);
  let address: BoundAddress;
  try {
    address = server.listen(config.endpoint);
  } catch (error) {
    await server.stop();
    await http.stop();
    await guarded.close();
    throw error;
  }
  const advertised = formatEndpoint({ ...ep, host: config.advertise, port: address.port });
  const self: StartupRequest = {
    nodeName: config.advertise,
    ...SELF,
    adapters: [QUERY_OBJ, REGISTRY_OBJ].map((servant) => ({
      servant,
      endpoint: advertised,
      protocol: "tars",
    })),
    state: "active",
    version: VERSION,
  };
  const registerSelf = async () => {
    await loaded.onStartup(self);
    await loaded.registerMetrics({
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
      const result = await loaded.keepAlive({
        nodeName: config.advertise,
        state: "active",
        ...SELF,
      });
      if (!result.node || result.servers === 0) {
        deps.log(
          "Its own registration is gone from the store (rebuilt or cleaned); registering again",
        );
        await registerSelf();
      }
    },
    (error) => deps.log(`Own heartbeat failed: ${(error as Error).message}`),
  );
  // Only a shared database changes behind this process's back.
  const reload: Periodic | undefined = guarded.kind === "mysql"
    ? every(
      config.reloadInterval,
      async () => {
        try {
          await loaded.reload();
          parts.reloadError = undefined;
        } catch (error) {
          parts.reloadError = error as Error;
          throw error;
        }
      },
      (error) => deps.log(`Reloading from the store failed: ${(error as Error).message}`),
    )
    : undefined;
  return {
    address,
    metricsAddress: http.address,
    shutdownRequested,
    async stop() {
      await heartbeat.stop();
      await reload?.stop();
      try {
        await loaded.onPrestop({ nodeName: config.advertise, ...SELF });
      } catch (error) {
        deps.log(`Removing own registration failed: ${(error as Error).message}`);
      }
      await server.stop();
      await http.stop();
      await guarded.close();
    },
  };
}

/**
 * Opens the store and loads it into a service, retrying with {@linkcode STORE_RETRY} while that
 * fails (each failure logged with the opener's error, and `report`ed for `/healthz`). A store
 * spec that cannot work (a RangeError or SyntaxError) fails at once.
 */
async function openAndLoad(
  config: RegistryConfig,
  deps: RegistryDeps,
  report: (reason: string) => void,
): Promise<{ store: GuardedStore; service: RegistryService }> {
  const attempt = async () => {
    const store = new GuardedStore(
      await openStore(config.store, { now: deps.now, initDb: config.initDb }),
      { timeout: config.storeTimeout, maxPending: config.maxPendingWrites },
    );
    try {
      const service = await RegistryService.open(store, {
        now: deps.now,
        nodeTimeout: config.nodeTimeout,
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
      if (error instanceof RangeError || error instanceof SyntaxError) throw error;
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
