/**
 * The pod's three calls to the registry (`tars.tarsregistry.Registry`), found through the locator
 * by an {@linkcode ObjectResolver}. The registry's endpoints are replicas: a call goes to one at a
 * time in the pod's own order (so pods spread over the replicas), on to the next when one fails
 * or does not answer, all within the call's bound, and a replica that failed is tried last for a
 * while (the client's failover, protocol/failover.ts). A call that no replica answered forgets the
 * cached address, so the next one looks the registry up again (a rebuilt registry gets a new IP).
 *
 * The requests are built from the pod's ServerInfo as K8STARS's tarscli sends them (node name =
 * the pod IP, one AdapterConf per adapter with the full `App.Server.Obj` servant; the registry
 * names the adapter `<servant>Adapter`), plus the application and server on the heartbeat and on
 * prestop so they touch this server only, and the fields of this project's newer tags: the
 * server type, the service's pid (0 while it is not running), this tarscli's version, the
 * endpoint of the pod's node object and the registration token.
 *
 * {@linkcode callRegistry} carries out the supervisor machine's `registry` effects on a link:
 * every call the supervisor makes to the registry goes through it, `tarscli prestop`'s through the
 * link alone.
 *
 * @module
 */
import { TarsCallError } from "../protocol/call_error.ts";
import { VERSION } from "../lib/version_info.ts";
import type { TarsClient } from "../protocol/client.ts";
import {
  type KeepAliveReqValue,
  type OnPrestopReqValue,
  type OnStartupReqValue,
  REGISTRY_OBJ,
  RegistryF,
  RegistryRet,
} from "../protocol/interfaces/registry_f.ts";
import type { ServerInfo } from "../genconf/mod.ts";
import type { SupervisorEffect, SupervisorEvent } from "./machine.ts";
import type { ObjectResolver } from "./object_resolver.ts";
import type { Bounded } from "./runner_work.ts";
import type { ServiceState } from "./state_file.ts";

/**
 * The registry answered that it does not know the pod (its store was rebuilt or cleaned): the pod
 * must call onStartup again.
 */
export class NotRegisteredError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NotRegisteredError";
  }
}

/** Options of one call of a {@linkcode RegistryLink}. */
export interface LinkCallOptions {
  /** What the call may take in all, its lookup and its tries of each replica; the link's own. */
  readonly timeout?: number;
}

/** Register, heartbeat and remove, each throwing an Error that names the call when it fails. */
export interface RegistryLink {
  onStartup(req: OnStartupReqValue, options?: LinkCallOptions): Promise<void>;
  keepAlive(req: KeepAliveReqValue, options?: LinkCallOptions): Promise<void>;
  onPrestop(req: OnPrestopReqValue, options?: LinkCallOptions): Promise<void>;
}

/** The registry's answers that are not a failure of the replica: it does not know us, it refuses. */
function isRegistryAnswer(error: unknown): boolean {
  return error instanceof TarsCallError &&
    (error.code === RegistryRet.NOT_REGISTERED || error.code === RegistryRet.REFUSED);
}

/**
 * Calls the Registry servant found by `resolver`, each call bounded by its `timeout` or the
 * link's (default 3 s), the lookup included; the replicas are tried in turn within it. A call
 * that fails on every replica forgets the cached address and throws an Error naming the call and
 * the reasons, except two answers of a registry that works, whose address stays: that it does not
 * know the pod, a {@linkcode NotRegisteredError}, and a refusal (a trust rule, a registration
 * token), an Error with the registry's reason.
 */
export function createRegistryLink(
  resolver: ObjectResolver,
  options: { client: TarsClient; timeout?: number; now?: () => number },
): RegistryLink {
  const timeout = options.timeout ?? 3000;
  const now = options.now ?? (() => performance.now());

  async function call<K extends keyof RegistryLink>(
    name: K,
    req: Parameters<RegistryLink[K]>[0],
    budget = timeout,
  ): Promise<void> {
    const deadline = now() + budget;
    let target: string;
    try {
      target = await resolver.resolve(REGISTRY_OBJ, { timeout: budget });
    } catch (error) {
      throw new Error(`Registry ${name} failed: ${(error as Error).message}`, { cause: error });
    }
    const proxy = options.client.proxy(RegistryF, target, {
      failover: { final: isRegistryAnswer },
    });
    try {
      // Each method takes its own request type; the union is what `req` is typed as here.
      await (proxy[name] as (args: { req: typeof req }, o: LinkCallOptions) => Promise<unknown>)(
        { req },
        { timeout: Math.max(1, deadline - now()) },
      );
    } catch (error) {
      if (error instanceof TarsCallError && error.code === RegistryRet.NOT_REGISTERED) {
        throw new NotRegisteredError(
          `Registry ${name} to ${target}: the registry does not know this pod: ${error.message}`,
          { cause: error },
        );
      }
      if (error instanceof TarsCallError && error.code === RegistryRet.REFUSED) {
        // The registry works and says why: its description alone (the client's message is
        // "<call> failed with 403 (error 403): <description>"), for the readiness probe's line.
        const reason = error.message.replace(/^.*? failed with \d+ \([^)]*\): /, "")
          .replace(`${name} refused: `, "");
        throw new Error(`The registry refused ${name}: ${reason}`, { cause: error });
      }
      await resolver.forget(REGISTRY_OBJ);
      throw new Error(`Registry ${name} to ${target} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  return {
    onStartup: (req, o) => call("onStartup", req, o?.timeout),
    keepAlive: (req, o) => call("keepAlive", req, o?.timeout),
    onPrestop: (req, o) => call("onPrestop", req, o?.timeout),
  };
}

/**
 * `onStartup`: register the node (and where it serves its node object), the server (state,
 * traffic, version, type, pid) and its adapters.
 */
export function startupRequest(
  info: ServerInfo,
  options: {
    state: ServiceState;
    disableFlow: boolean;
    /** The IDC group the pod is in (`TARS_GROUP`); none named when empty or left out. */
    group?: string;
    version: string;
    pid: number;
    /** The node object's endpoint; none when the supervisor serves no node object. */
    nodeEndpoint?: string;
    /** The registration token (`TARS_REGISTRY_TOKEN`); none when unset. */
    token?: string;
  },
): OnStartupReqValue {
  return {
    nodeName: info.localIp,
    application: info.application,
    server: info.server,
    setID: info.setId,
    adapters: info.adapters.map((adapter) => ({
      servant: adapter.servant,
      endpoint: adapter.endpoint,
      protocol: adapter.protocol,
      maxConns: adapter.maxconns,
      threadNum: adapter.threads,
      queueCap: adapter.queuecap,
      queueTimeout: adapter.queuetimeout,
    })),
    disableFlow: options.disableFlow,
    State: options.state,
    Version: options.version,
    serverType: info.serverType,
    processId: options.pid,
    tarscliVersion: VERSION,
    nodeEndpoint: options.nodeEndpoint ?? "",
    group: options.group ?? "",
    token: options.token ?? "",
  };
}

/**
 * `keepAlive`: the heartbeat with the server's present state, and the service's pid when the
 * caller knows it (without it, -1: the registry keeps the pid it has).
 */
export function keepAliveRequest(
  info: ServerInfo,
  state: ServiceState,
  options: { pid?: number } = {},
): KeepAliveReqValue {
  return {
    nodeName: info.localIp,
    state,
    application: info.application,
    server: info.server,
    processId: options.pid ?? -1,
  };
}

/** `onPrestop`: remove this server's adapters and rows from the registry. */
export function prestopRequest(info: ServerInfo): OnPrestopReqValue {
  return { nodeName: info.localIp, application: info.application, server: info.server };
}

/** What {@linkcode callRegistry} sends a call with, besides the machine's effect. */
export interface RegistryCallOptions {
  readonly link: RegistryLink;
  readonly info: ServerInfo;
  /** The node object's endpoint, for `onStartup`; none when the supervisor serves none. */
  readonly nodeEndpoint?: string;
  /** `TARS_DISABLE_FLOW`, for `onStartup`. */
  readonly disableFlow: boolean;
  /** `TARS_SERVER_VERSION`, for `onStartup`. */
  readonly version: string;
  /** `TARS_REGISTRY_TOKEN`, for `onStartup`; none when unset. */
  readonly token?: string;
  /** `TARS_GROUP`, for `onStartup`; none named when empty or unset. */
  readonly group?: string;
  /** The service's pid; 0 while it is not running. */
  readonly pid: number;
  /** Bounds the call when the effect gives a timeout (the runner's timer). */
  readonly bounded: Bounded;
  readonly log: (line: string) => void;
}

/**
 * Carries out the machine's `registry` effect: the call it names (`register`: onStartup,
 * `heartbeat`: keepAlive, `leave`: onPrestop) with the pod's request, bounded by the effect's
 * timeout (given to the link too, so its tries of the replicas fit in it) or else the link's own;
 * answered as the machine's `registryAnswered` event, `unknown` when the registry does not know
 * the pod (the machine registers it again).
 */
export async function callRegistry(
  effect: Extract<SupervisorEffect, { type: "registry" }>,
  options: RegistryCallOptions,
): Promise<Extract<SupervisorEvent, { type: "registryAnswered" }>> {
  const { link, info, log } = options;
  const { call, state, timeout } = effect;
  const bound = { timeout };
  const request = call === "register"
    ? link.onStartup(
      startupRequest(info, {
        state,
        disableFlow: options.disableFlow,
        version: options.version,
        pid: options.pid,
        nodeEndpoint: options.nodeEndpoint,
        group: options.group,
        token: options.token,
      }),
      bound,
    )
    : call === "heartbeat"
    ? link.keepAlive(keepAliveRequest(info, state, { pid: options.pid }), bound)
    : link.onPrestop(prestopRequest(info), bound);
  try {
    await (timeout === undefined ? request : options.bounded(request, timeout));
  } catch (error) {
    return {
      type: "registryAnswered",
      call,
      // The registry lost the pod (a rebuilt store, a clean): the machine registers it again.
      outcome: error instanceof NotRegisteredError ? "unknown" : "failed",
      message: (error as Error).message,
    };
  }
  if (call === "register") {
    log(
      `registry: onStartup ${info.application}.${info.server} on ${info.localIp} ` +
        `${state}${options.disableFlow ? " (traffic off)" : ""}`,
    );
  } else if (call === "leave") {
    log(`registry: onPrestop sent: ${info.application}.${info.server} on ${info.localIp} removed`);
  } else if (timeout !== undefined) log(`registry: keepAlive ${state} sent`);
  return { type: "registryAnswered", call, outcome: "ok" };
}
