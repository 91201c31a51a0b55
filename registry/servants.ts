/**
 * The registry's TARS servants: QueryObj (lookups), Registry (the pods' calls, each checked
 * against its caller by trust.ts) and AdminObj, on {@linkcode RegistryService}, and `instrument`,
 * which counts and times every call and answers its failures by kind. The admin registry's
 * AdminRegObj is admin_reg/servant.ts.
 *
 * @module
 */
import { TarsCallError, TarsCode } from "../protocol/call_error.ts";
import type { InterfaceDef } from "../protocol/interface.ts";
import { AdminF } from "../protocol/interfaces/admin_f.ts";
import { QueryF } from "../protocol/interfaces/query_f.ts";
import { RegistryF, RegistryRet } from "../protocol/interfaces/registry_f.ts";
import type { CallContext, ServantImpl } from "../protocol/server.ts";
import { runAdminCommand } from "./admin_commands.ts";
import type { RegistryMetrics } from "./metrics.ts";
import type { RegistrationGuard } from "./registration_guard.ts";
import type { RegistryService } from "./registry_service.ts";
import { assertAdminPeer, assertSpeaksFor, type TrustPolicy } from "./trust.ts";
import { ValidationError } from "./validate.ts";

/**
 * Wraps every method of a servant so each call is counted and timed, and so its failures are
 * answered by kind: a {@linkcode ValidationError} (the caller's mistake) with its message, a
 * TarsCallError with its own code, and anything else (a bug, a store failure) as an internal
 * error, logged with its stack.
 */
export function instrument<I extends InterfaceDef>(
  impl: ServantImpl<I>,
  options: { metrics: RegistryMetrics; log: (line: string) => void; clock?: () => number },
): ServantImpl<I> {
  const clock = options.clock ?? (() => performance.now());
  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(impl as Record<string, (...a: unknown[]) => unknown>)) {
    const failed = (started: number, error: unknown): never => {
      options.metrics.observe(name, (clock() - started) / 1000, false);
      throw answerOf(name, error, options.log);
    };
    // Lookups answer synchronously: they stay synchronous (no promise per call).
    wrapped[name] = (args: unknown, ctx: unknown) => {
      const started = clock();
      let result: unknown;
      try {
        result = fn(args, ctx);
      } catch (error) {
        return failed(started, error);
      }
      if (!(result instanceof Promise)) {
        options.metrics.observe(name, (clock() - started) / 1000, true);
        return result;
      }
      return result.then((value) => {
        options.metrics.observe(name, (clock() - started) / 1000, true);
        return value;
      }, (error) => failed(started, error));
    };
  }
  return wrapped as ServantImpl<I>;
}

/** What the caller of `method` is answered for `error`; an unexpected error is logged first. */
function answerOf(method: string, error: unknown, log: (line: string) => void): TarsCallError {
  if (error instanceof ValidationError) {
    return new TarsCallError(TarsCode.UNKNOWN, `${method}: ${error.message}`);
  }
  if (error instanceof TarsCallError) return error;
  log(`${method} failed: ${error instanceof Error ? error.stack : String(error)}`);
  return new TarsCallError(
    TarsCode.UNKNOWN,
    `${method}: internal error of the registry (${
      error instanceof Error ? error.message : String(error)
    }); it is in the registry's log`,
  );
}

/**
 * `tars.tarsregistry.QueryObj`: name lookups answered from memory, as the C++ registry answers
 * them: `findObjectById` and `findObjectById4Any` with every endpoint, the group and set lookups
 * by the IDC group of the caller (its TCP peer address), the station lookup by the station's
 * groups.
 */
export function queryServant(service: RegistryService): ServantImpl<typeof QueryF> {
  return {
    findObjectById: ({ id }) => ({ ret: service.find(id).activeEp }),
    findObjectById4Any: ({ id }) => service.find(id),
    findObjectById4All: ({ id }, ctx) => service.findForCaller(id, ctx.remote.host),
    findObjectByIdInSameGroup: ({ id }, ctx) => service.findForCaller(id, ctx.remote.host),
    findObjectByIdInSameStation: ({ id, sStation }) => service.findInStation(id, sStation),
    findObjectByIdInSameSet: ({ id, setId }, ctx) => service.findInSet(id, setId, ctx.remote.host),
  };
}

/** The answer to a call naming a node or server the registry does not know. */
function notRegistered(message: string): TarsCallError {
  return new TarsCallError(RegistryRet.NOT_REGISTERED, message);
}

/**
 * `tars.tarsregistry.Registry`: the K8STARS registration calls, each from a peer that may speak
 * for the node it names (trust.ts) and, with a `guard`, for the server it names
 * (registration_guard.ts: the registration tokens). A `keepAlive` or `registerMetrics` naming a server the
 * registry does not know is answered {@linkcode RegistryRet.NOT_REGISTERED} ("call onStartup"); a
 * heartbeat with the node name alone (the original Go tarscli's) is answered 0 as before.
 */
export function registryServant(
  service: RegistryService,
  options: { trust: TrustPolicy; guard?: RegistrationGuard },
): ServantImpl<typeof RegistryF> {
  const guard = options.guard;
  const speaksFor = (
    ctx: CallContext,
    call: string,
    req: { nodeName: string },
    endpoints?: readonly string[],
  ) =>
    assertSpeaksFor(ctx.remote.host, {
      policy: options.trust,
      call,
      nodeName: req.nodeName,
      endpoints,
    });
  return {
    onStartup: async ({ req }, ctx) => {
      // The node endpoint, as the adapters' endpoints, on the pod's own address.
      const endpoints = (req.adapters ?? []).map((adapter) => adapter.endpoint);
      if (req.nodeEndpoint) endpoints.push(req.nodeEndpoint);
      speaksFor(ctx, "onStartup", req, endpoints);
      await guard?.admitStartup(req);
      await service.onStartup({
        nodeName: req.nodeName,
        application: req.application,
        server: req.server,
        setId: req.setID,
        adapters: req.adapters,
        disableFlow: req.disableFlow,
        state: req.State,
        version: req.Version,
        serverType: req.serverType,
        processId: req.processId,
        tarscliVersion: req.tarscliVersion,
        nodeEndpoint: req.nodeEndpoint,
        group: req.group,
      });
    },
    keepAlive: async ({ req }, ctx) => {
      speaksFor(ctx, "keepAlive", req);
      await guard?.admitKeepAlive(req);
      const result = await service.keepAlive(req);
      const named = Boolean(req.application) && Boolean(req.server);
      if (named && (!result.node || result.servers === 0)) {
        throw notRegistered(
          `keepAlive: ${req.application}.${req.server} on ${req.nodeName} is not registered ` +
            `here (the registry's store was rebuilt or cleaned): call onStartup with the present ` +
            `state`,
        );
      }
    },
    onPrestop: async ({ req }, ctx) => {
      speaksFor(ctx, "onPrestop", req);
      guard?.admitPrestop(req);
      await service.onPrestop(req);
    },
    registerMetrics: async ({ req }, ctx) => {
      speaksFor(ctx, "registerMetrics", req);
      const found = await service.registerMetrics(req);
      if (!found) {
        throw notRegistered(
          `registerMetrics: no server ${req.application}.${req.server} is registered on ` +
            `${req.nodeName}; call onStartup first`,
        );
      }
    },
    getMetricsAdapters: ({ req }) => ({ rsp: service.metricsTargets(req.filter) }),
  };
}

/**
 * `AdminObj` of the registry: `notify` (`clean [dryRun] [datetime]`, `status`, `servers`),
 * `getPid` and `shutdown`. `clean` and `shutdown` only from peers in `--admin-allow`.
 */
export function adminServant(
  service: RegistryService,
  options: { now: () => number; pid: number; shutdown: () => void; trust: TrustPolicy },
): ServantImpl<typeof AdminF> {
  const mayChange = (ctx: CallContext) => (action: string) =>
    assertAdminPeer(ctx.remote.host, { policy: options.trust, action });
  return {
    notify: async ({ command }, ctx) => ({
      ret: await runAdminCommand(service, command, { now: options.now, mayChange: mayChange(ctx) }),
    }),
    getPid: () => ({ ret: BigInt(options.pid) }),
    shutdown: (_args, ctx) => {
      mayChange(ctx)("shutdown");
      options.shutdown();
    },
  };
}
