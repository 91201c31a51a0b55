import { bindError, VERSION } from "../lib/mod.ts";
import { formatEndpoint, parseEndpoint } from "../protocol/endpoint.ts";
import { ADMIN_OBJ, AdminF } from "../protocol/interfaces/admin_f.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { REGISTRY_OBJ, RegistryF } from "../protocol/interfaces/registry_f.ts";
import { type BoundAddress, TarsServer } from "../protocol/server.ts";
import type { RegistryConfig } from "./config.ts";
import { createHttpHandler } from "./http_handler.ts";
import { RegistryMetrics } from "./metrics.ts";
import { every } from "./periodic.ts";
import { KEY_SUM_INTERVAL, RegistryService } from "./registry_service.ts";
import { adminServant, instrument, queryServant, registryServant } from "./servants.ts";
import { newStoreFiles, openStore, removeNewStoreFiles } from "./store/open_store.ts";
import type { RegistryInfoRows } from "./store/types.ts";
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
}

/** The application and server name the registry registers itself under. */
export const SELF = { application: "tars", server: "tarsregistry" } as const;

/**
 * Starts the registry: opens the store, loads it, serves QueryObj, Registry and AdminObj on the
 * endpoint and HTTP metrics, registers itself (and its objects in `t_registry_info`, as the C++
 * registry does) and keeps its own heartbeat; every reload interval it runs the node check and,
 * on MySQL, reads the store again. When it cannot start
 * (an address in use, a store it cannot open), it stops what it started and removes a store file
 * it created, and the error names the address or the store and the setting to change.
 */
export async function startRegistry(
  config: RegistryConfig,
  deps: RegistryDeps,
): Promise<RunningRegistry> {
  const created = await newStoreFiles(config.store);
  // What a failed start undoes, last first.
  const undo: (() => Promise<void>)[] = [() => removeNewStoreFiles(created)];
  try {
    const store = await openStore(config.store, {
      now: deps.now,
      log: deps.log,
      initDb: config.initDb,
      setting: config.storeSetting,
    });
    undo.push(() => store.close());
    const service = await RegistryService.open(store, {
      now: deps.now,
      nodeTimeout: config.nodeTimeout,
      fullReloadInterval: config.fullReloadInterval,
      // Every third reload, at most 30 s apart: a deletion shows within a minute.
      keySumInterval: Math.min(KEY_SUM_INTERVAL, 3 * config.reloadInterval),
      log: deps.log,
    });
    const metrics = new RegistryMetrics();
    let requestShutdown = () => {};
    const shutdownRequested = new Promise<void>((resolve) => (requestShutdown = resolve));
    const server = new TarsServer({ log: deps.log });
    undo.push(() => server.stop());
    const wrap = { metrics, log: deps.log };
    server.addServant(QUERY_OBJ, QueryF, instrument(queryServant(service), wrap));
    server.addServant(REGISTRY_OBJ, RegistryF, instrument(registryServant(service), wrap));
    server.addServant(
      ADMIN_OBJ,
      AdminF,
      instrument(
        adminServant(service, { now: deps.now, pid: deps.pid, shutdown: requestShutdown }),
        wrap,
      ),
    );
    const ep = parseEndpoint(config.endpoint);
    let address: BoundAddress;
    try {
      address = server.listen(ep);
    } catch (error) {
      throw bindError(error, { address: config.endpoint, setting: "--endpoint" });
    }
    let lastReloadError: Error | undefined;
    const health = { lastReloadError: () => lastReloadError };
    let http: Deno.HttpServer<Deno.NetAddr>;
    try {
      http = Deno.serve(
        { hostname: config.metrics.host, port: config.metrics.port, onListen: () => {} },
        createHttpHandler(service, { metrics, health }),
      );
    } catch (error) {
      const { host, port } = config.metrics;
      const address = `${host.includes(":") ? `[${host}]` : host}:${port}`;
      throw bindError(error, { address, setting: "--metrics" });
    }
    undo.push(() => http.shutdown());
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
      tarscliVersion: VERSION,
    };
    const objects: RegistryInfoRows = {
      locatorId: `${config.advertise}:${address.port}`,
      servants: [QUERY_OBJ, REGISTRY_OBJ].map((servant) => ({ servant, endpoint: advertised })),
      version: VERSION,
    };
    await service.onStartup(self);
    await service.announceRegistry(objects);
    await service.registerMetrics({
      nodeName: config.advertise,
      ...SELF,
      metricsPort: http.addr.port,
    });
    const heartbeat = every(
      config.heartbeatInterval,
      async () => {
        await service.keepAlive({ nodeName: config.advertise, state: "active", ...SELF });
        await service.announceRegistry(objects);
      },
      (error) => deps.log(`Own heartbeat failed: ${(error as Error).message}`),
    );
    const reload = every(
      config.reloadInterval,
      async () => {
        try {
          await service.refresh();
          lastReloadError = undefined;
        } catch (error) {
          lastReloadError = error as Error;
          throw error;
        }
      },
      (error) => deps.log(`Reloading from the store failed: ${(error as Error).message}`),
    );
    return {
      address,
      metricsAddress: { host: http.addr.hostname, port: http.addr.port },
      shutdownRequested,
      async stop() {
        await heartbeat.stop();
        await reload.stop();
        try {
          await service.withdrawRegistry(objects.locatorId);
          await service.onPrestop({ nodeName: config.advertise, ...SELF });
        } catch (error) {
          deps.log(`Removing own registration failed: ${(error as Error).message}`);
        }
        await server.stop();
        await http.shutdown();
        await store.close();
      },
    };
  } catch (error) {
    for (const step of undo.reverse()) await step();
    throw error;
  }
}
