/**
 * The TARS RPC client: typed proxies of interfaces, on shared connections to the endpoints of an
 * object string or of a name the locator resolves.
 *
 * @module
 */
import { decodeFields, encodeFields } from "./codec/codec.ts";
import { describeCode, TarsCallError, TarsCode } from "./call_error.ts";
import { TarsConnection } from "./connection.ts";
import { type Endpoint, parseObjectRef } from "./endpoint.ts";
import type { CallResult, CompiledMethod, InArgs, InterfaceDef } from "./interface.ts";
import { type EndpointFValue, isTcpEndpointF } from "./interfaces/endpoint_f.ts";
import { QueryF } from "./interfaces/query_f.ts";
import { Failover } from "./failover.ts";
import { Locator } from "./locator.ts";
import { encodeRequestFrame, PACKET_NORMAL, PACKET_ONEWAY, TARS_VERSION } from "./packets.ts";
import { denoNetwork, type Network } from "./transport.ts";
import { type Backoff, backoffDelay, withDeadline } from "../lib/timers.ts";

/**
 * How a proxy of replicas (`failover` of {@linkcode TarsClient.proxy}) treats errors: those for
 * which `final` is true are the replica's answer, which ends the call.
 */
export interface FailoverProxyOptions {
  /** Errors that are an answer: neither tried on another endpoint nor held against this one. */
  readonly final?: (error: unknown) => boolean;
}

/** Options of one call. */
export interface CallOptions {
  /** Milliseconds before the call fails with -7 (the proxy's timeout by default). */
  readonly timeout?: number;
  /** Entries sent in the request's context map. */
  readonly context?: ReadonlyMap<string, string>;
}

/** A typed proxy: one method per interface method, plus `$oneway` for calls without a reply. */
export type Proxy<I extends InterfaceDef> =
  & {
    [K in keyof I["methods"]]: (
      args: InArgs<I["methods"][K]>,
      options?: CallOptions,
    ) => Promise<CallResult<I["methods"][K]>>;
  }
  & {
    /** One-way calls: resolve once the request is written; no reply is awaited. */
    readonly $oneway: {
      [K in keyof I["methods"]]: (
        args: InArgs<I["methods"][K]>,
        options?: CallOptions,
      ) => Promise<void>;
    };
  };

/** Settings and dependencies of a client. */
export interface ClientOptions {
  /** Locator object string (`tars.tarsregistry.QueryObj@tcp -h ... -p ...`) for names without `@`. */
  readonly locator?: string;
  /** Default per-call timeout in ms (3000). */
  readonly timeout?: number;
  /** How long a registry answer is kept, in ms (60000). */
  readonly refreshInterval?: number;
  /** Network seam; the real one by default. */
  readonly network?: Network;
  /** Milliseconds clock for caches, back-off and the failover of replicas. */
  readonly now?: () => number;
  /** Numbers in [0, 1) for the jitter of failover quarantines; default `Math.random`. */
  readonly random?: () => number;
  /**
   * A name whose hash orders the endpoints of failover proxies and of the locator for this client
   * (the pod's node name), so clients spread over replicas; default a random one per client.
   */
  readonly spreadBy?: string;
  /** Largest reply frame accepted (10 MiB). */
  readonly maxFrame?: number;
  /** Where problems are reported (standard error by default). */
  readonly log?: (line: string) => void;
}

interface Target {
  readonly name: string;
  readonly setId?: string;
  /** Endpoints fixed in the object string, or undefined to ask the locator. */
  readonly fixed?: readonly HostPort[];
  /** Set when the endpoints are replicas: each call goes through the client's Failover. */
  readonly failover?: FailoverProxyOptions;
  next: number;
}

interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** One call as the proxy method was given it. */
interface Call {
  readonly target: Target;
  readonly method: CompiledMethod;
  readonly args: Record<string, unknown>;
  readonly context?: ReadonlyMap<string, string>;
  readonly oneway: boolean;
  /** `Obj.method`, for messages. */
  readonly what: string;
}

/** Connection failures to one endpoint, and when it may be tried again. */
interface EndpointBackoff {
  failures: number;
  retryAt: number;
}

/** Waits before connecting again to an endpoint that refused: 100 ms, doubling up to 5 s. */
const RECONNECT_BACKOFF: Backoff = { first: 100, max: 5_000 };

/**
 * A TARS RPC client: calls objects by object string or through a locator, over shared
 * connections with many calls in flight, round-robin across active endpoints, with
 * reconnect back-off and per-call timeouts. The endpoints of a proxy made with `failover` are
 * replicas: a call that fails on one goes to the next within its timeout (protocol/failover.ts),
 * as the locator's lookups do.
 */
export class TarsClient {
  readonly #network: Network;
  readonly #timeout: number;
  readonly #now: () => number;
  readonly #maxFrame: number | undefined;
  readonly #log: (line: string) => void;
  readonly #connections = new Map<string, Promise<TarsConnection>>();
  readonly #backoff = new Map<string, EndpointBackoff>();
  readonly #locator: Locator | undefined;
  readonly #failover: Failover;
  #requestId = 0;
  #closed = false;

  constructor(options: ClientOptions = {}) {
    this.#network = options.network ?? denoNetwork;
    this.#timeout = options.timeout ?? 3000;
    this.#now = options.now ?? (() => performance.now());
    this.#maxFrame = options.maxFrame;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#failover = new Failover({
      spreadBy: options.spreadBy,
      now: this.#now,
      random: options.random,
    });
    if (options.locator) {
      const ref = parseObjectRef(options.locator);
      if (ref.endpoints.length === 0) {
        throw new SyntaxError(
          `Locator "${options.locator}" has no endpoint: write it as Name@tcp -h HOST -p PORT`,
        );
      }
      this.#locator = new Locator(this.proxy(QueryF, options.locator, { failover: {} }), {
        refreshInterval: options.refreshInterval,
        now: options.now ?? (() => Date.now()),
        log: this.#log,
      });
    }
  }

  /**
   * A typed proxy for `object`: `App.Server.Obj@tcp -h H -p P:...` calls those endpoints;
   * a bare `App.Server.Obj` is looked up through the locator (in `setId` when given). With
   * `failover`, the endpoints are replicas that answer alike: a call is tried on one at a time,
   * in this client's order, the next one after a failure, all within the call's timeout.
   */
  proxy<I extends InterfaceDef>(
    iface: I,
    object: string,
    options?: { timeout?: number; setId?: string; failover?: FailoverProxyOptions },
  ): Proxy<I> {
    const ref = parseObjectRef(object);
    if (ref.endpoints.length === 0 && !this.#locator) {
      throw new SyntaxError(
        `Object "${object}" has no endpoints and the client has no locator: add @tcp -h HOST -p PORT`,
      );
    }
    const target: Target = {
      name: ref.name,
      setId: options?.setId,
      fixed: ref.endpoints.length > 0 ? ref.endpoints.map(hostPort) : undefined,
      failover: options?.failover,
      next: 0,
    };
    const timeout = options?.timeout ?? this.#timeout;
    const proxy: Record<string, unknown> = {};
    const oneway: Record<string, unknown> = {};
    for (const [name, method] of iface.compiled) {
      // A call's timeout left undefined is the proxy's.
      proxy[name] = (args: Record<string, unknown>, o?: CallOptions) =>
        this.#invoke(target, method, args, { ...o, timeout: o?.timeout ?? timeout }, false);
      oneway[name] = (args: Record<string, unknown>, o?: CallOptions) =>
        this.#invoke(target, method, args, { ...o, timeout: o?.timeout ?? timeout }, true);
    }
    proxy.$oneway = oneway;
    return proxy as Proxy<I>;
  }

  /** Closes every connection (calls in flight fail) and waits for the locator's lookups. */
  async close(): Promise<void> {
    this.#closed = true;
    const conns = [...this.#connections.values()];
    this.#connections.clear();
    for (const c of await Promise.allSettled(conns)) {
      if (c.status === "fulfilled") c.value.close();
    }
    await this.#locator?.settled();
  }

  async #invoke(
    target: Target,
    method: CompiledMethod,
    args: Record<string, unknown>,
    options: CallOptions & { timeout: number },
    oneway: boolean,
  ): Promise<never> {
    const what = `${target.name}.${method.name}`;
    if (this.#closed) throw new Error(`${what}: the client is closed`);
    const call = { target, method, args, context: options.context, oneway, what };
    const deadline = this.#now() + options.timeout;
    let endpoints = await this.#endpointsOf(target, what, options.timeout);
    if (target.failover) return await this.#callReplicas(call, endpoints, deadline);
    let lastError: Error | undefined;
    for (let round = 0;; round++) {
      // A request that was never written can go to another endpoint; one that was cannot.
      for (let attempt = 0; attempt < endpoints.length; attempt++) {
        const ep = this.#pick(target, endpoints);
        const left = deadline - this.#now();
        if (left <= 0) break;
        let conn: TarsConnection;
        try {
          conn = await this.#connectionTo(ep, left);
        } catch (error) {
          lastError = error as Error;
          continue;
        }
        if (conn.closed) {
          // Closed by the peer while this call waited for it: nothing was sent on it.
          lastError = new TarsCallError(
            TarsCode.SEND_REQUEST_ERR,
            `Connection to ${conn.peer} was closed`,
          );
          continue;
        }
        return await this.#exchange(conn, call, Math.max(1, deadline - this.#now()));
      }
      // No endpoint of the locator's answer (an old one, perhaps) took the call: it waits for a
      // new answer, once, within its deadline.
      const left = deadline - this.#now();
      if (target.fixed || round > 0 || left <= 0) break;
      const renewed = await this.#renewedEndpoints(target, left);
      if (!renewed || sameEndpoints(renewed, endpoints)) break;
      endpoints = renewed;
    }
    if (!target.fixed) this.#locator?.invalidate(target.name, { setId: target.setId });
    throw lastError ??
      new TarsCallError(TarsCode.INVOKE_TIMEOUT, `${what} timed out before it could be sent`);
  }

  /**
   * A failover call: tried on the replicas in the Failover's order until one answers, by
   * `deadline`. When none did, a TarsCallError with the last one's code and every one's reason.
   */
  async #callReplicas(call: Call, endpoints: readonly HostPort[], deadline: number) {
    const { what } = call;
    const byKey = new Map(endpoints.map((ep) => [`${ep.host}:${ep.port}`, ep]));
    try {
      return await this.#failover.call(
        [...byKey.keys()],
        (key, timeout) => this.#tryReplica(call, byKey.get(key)!, timeout),
        {
          budget: deadline - this.#now(),
          final: call.target.failover!.final,
          onRetry: (key, error, quarantine) =>
            this.#log(
              `${what} to ${key} failed, so it goes last for ${quarantine} ms: ${error.message}`,
            ),
        },
      ) as never;
    } catch (error) {
      if (!(error instanceof AggregateError)) throw error;
      const last = error.errors.at(-1);
      const code = last instanceof TarsCallError ? last.code : TarsCode.UNKNOWN;
      throw new TarsCallError(code, `${what}: ${error.message}`, { cause: error });
    }
  }

  /**
   * One try of a failover call on `ep` within `timeout`. A connection on which this try got no
   * reply, and nothing else arrived either, is closed: the replica behind it hangs, and the next
   * try of it connects again (behind a Service, perhaps to another replica).
   */
  async #tryReplica(call: Call, ep: HostPort, timeout: number): Promise<never> {
    if (this.#closed) throw new Error(`${call.what}: the client is closed`);
    const deadline = this.#now() + timeout;
    const conn = await this.#connectionTo(ep, timeout);
    const received = conn.received;
    try {
      return await this.#exchange(conn, call, Math.max(1, deadline - this.#now()));
    } catch (error) {
      if (
        error instanceof TarsCallError && error.code === TarsCode.INVOKE_TIMEOUT &&
        conn.received === received
      ) {
        conn.close(
          new TarsCallError(
            TarsCode.SEND_REQUEST_ERR,
            `Connection to ${conn.peer} closed: nothing came back within ${Math.round(timeout)} ms`,
          ),
        );
      }
      throw error;
    }
  }

  /** Sends `call` on `conn` and decodes its reply (a one-way call: once it is written). */
  async #exchange(conn: TarsConnection, call: Call, timeout: number): Promise<never> {
    const { method, what } = call;
    const requestId = this.#nextRequestId();
    const frame = encodeRequestFrame({
      version: TARS_VERSION,
      packetType: call.oneway ? PACKET_ONEWAY : PACKET_NORMAL,
      messageType: 0,
      requestId,
      servantName: call.target.name,
      funcName: method.name,
      buffer: encodeFields(method.args, call.args as never),
      timeout: Math.round(timeout),
      context: call.context ?? new Map(),
      status: new Map(),
    });
    if (call.oneway) return (await conn.send(frame)) as never;
    const response = await conn.call(frame, requestId, { timeout, what });
    if (response.ret !== 0) {
      const desc = response.resultDesc ? `: ${response.resultDesc}` : "";
      throw new TarsCallError(
        response.ret,
        `${what} failed with ${response.ret} (${describeCode(response.ret)})${desc}`,
      );
    }
    try {
      return decodeFields(method.result, response.buffer) as never;
    } catch (error) {
      throw new TarsCallError(
        TarsCode.CLIENT_DECODE_ERR,
        `${what}: the reply does not decode: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  #nextRequestId(): number {
    this.#requestId = this.#requestId >= 0x7fffffff ? 1 : this.#requestId + 1;
    return this.#requestId;
  }

  /** The endpoints of `target`: fixed, or the locator's answer (a first lookup within `timeout`). */
  async #endpointsOf(target: Target, what: string, timeout: number): Promise<readonly HostPort[]> {
    if (target.fixed) return target.fixed;
    let found: EndpointFValue[];
    try {
      found = await this.#locator!.resolve(target.name, { setId: target.setId, timeout });
    } catch (error) {
      throw new TarsCallError(
        TarsCode.PROXY_CONNECT_ERR,
        `${what}: looking up ${target.name} in the registry failed: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const tcp = found.filter(isTcpEndpointF);
    if (tcp.length === 0) {
      throw new TarsCallError(
        TarsCode.PROXY_CONNECT_ERR,
        `${what}: the registry has no active tcp endpoint for ${target.name}`,
      );
    }
    return tcp.map((e) => ({ host: e.host, port: e.port }));
  }

  /**
   * The locator's new answer for `target` (the lookup in flight, or a new one) within `timeout`;
   * undefined when none came: the call then fails with what its endpoints said.
   */
  async #renewedEndpoints(target: Target, timeout: number): Promise<HostPort[] | undefined> {
    const renewing = this.#locator!.renew(target.name, { setId: target.setId, timeout });
    const found = await withDeadline(renewing, timeout, () => new Error("no new answer in time"))
      .catch(() => undefined);
    return found?.filter(isTcpEndpointF).map((e) => ({ host: e.host, port: e.port }));
  }

  /** Round-robin over endpoints not in back-off; if all are, the one whose back-off ends first. */
  #pick(target: Target, endpoints: readonly HostPort[]) {
    const now = this.#now();
    let soonest = endpoints[target.next % endpoints.length];
    let soonestAt = Infinity;
    for (let i = 0; i < endpoints.length; i++) {
      const ep = endpoints[target.next++ % endpoints.length];
      if (target.next > 0x3fffffff) target.next = 0;
      const b = this.#backoff.get(`${ep.host}:${ep.port}`);
      if (!b || b.retryAt <= now) return ep;
      if (b.retryAt < soonestAt) {
        soonest = ep;
        soonestAt = b.retryAt;
      }
    }
    return soonest;
  }

  #connectionTo(ep: HostPort, timeout: number): Promise<TarsConnection> {
    const key = `${ep.host}:${ep.port}`;
    const existing = this.#connections.get(key);
    if (existing) return existing;
    const opening = TarsConnection.open(this.#network, ep, {
      timeout,
      maxFrame: this.#maxFrame,
      onClose: () => {
        if (this.#connections.get(key) === opening) this.#connections.delete(key);
      },
    }).then(
      (conn) => {
        this.#backoff.delete(key);
        return conn;
      },
      (error) => {
        this.#connections.delete(key);
        const b = this.#backoff.get(key) ?? { failures: 0, retryAt: 0 };
        b.failures++;
        b.retryAt = this.#now() + backoffDelay(b.failures, RECONNECT_BACKOFF);
        this.#backoff.set(key, b);
        throw error;
      },
    );
    this.#connections.set(key, opening);
    return opening;
  }
}

/** Whether two lists hold the same endpoints, in any order. */
function sameEndpoints(a: readonly HostPort[], b: readonly HostPort[]): boolean {
  const keys = (list: readonly HostPort[]) => list.map((e) => `${e.host}:${e.port}`).sort().join();
  return keys(a) === keys(b);
}

function hostPort(ep: Endpoint): HostPort {
  return { host: ep.host, port: ep.port };
}
