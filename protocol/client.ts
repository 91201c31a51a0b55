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
import { Locator } from "./locator.ts";
import { encodeRequestFrame, PACKET_NORMAL, PACKET_ONEWAY, TARS_VERSION } from "./packets.ts";
import { denoNetwork, type Network } from "./transport.ts";
import { type Backoff, backoffDelay } from "../lib/timers.ts";

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
  /** Milliseconds clock for caches and back-off. */
  readonly now?: () => number;
  /** Largest reply frame accepted (10 MiB). */
  readonly maxFrame?: number;
  /** Where problems are reported (standard error by default). */
  readonly log?: (line: string) => void;
}

interface Target {
  readonly name: string;
  readonly setId?: string;
  /** Endpoints fixed in the object string, or undefined to ask the locator. */
  readonly fixed?: readonly { host: string; port: number }[];
  next: number;
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
 * reconnect back-off and per-call timeouts.
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
  #requestId = 0;
  #closed = false;

  constructor(options: ClientOptions = {}) {
    this.#network = options.network ?? denoNetwork;
    this.#timeout = options.timeout ?? 3000;
    this.#now = options.now ?? (() => performance.now());
    this.#maxFrame = options.maxFrame;
    this.#log = options.log ?? ((line) => console.error(line));
    if (options.locator) {
      const ref = parseObjectRef(options.locator);
      if (ref.endpoints.length === 0) {
        throw new SyntaxError(
          `Locator "${options.locator}" has no endpoint: write it as Name@tcp -h HOST -p PORT`,
        );
      }
      this.#locator = new Locator(this.proxy(QueryF, options.locator), {
        refreshInterval: options.refreshInterval,
        now: options.now ?? (() => Date.now()),
        log: this.#log,
      });
    }
  }

  /**
   * A typed proxy for `object`: `App.Server.Obj@tcp -h H -p P:...` calls those endpoints;
   * a bare `App.Server.Obj` is looked up through the locator (in `setId` when given).
   */
  proxy<I extends InterfaceDef>(
    iface: I,
    object: string,
    options?: { timeout?: number; setId?: string },
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
      next: 0,
    };
    const timeout = options?.timeout ?? this.#timeout;
    const proxy: Record<string, unknown> = {};
    const oneway: Record<string, unknown> = {};
    for (const [name, method] of iface.compiled) {
      proxy[name] = (args: Record<string, unknown>, o?: CallOptions) =>
        this.#invoke(target, method, args, { timeout, ...o }, false);
      oneway[name] = (args: Record<string, unknown>, o?: CallOptions) =>
        this.#invoke(target, method, args, { timeout, ...o }, true);
    }
    proxy.$oneway = oneway;
    return proxy as Proxy<I>;
  }

  /** Closes every connection; calls in flight fail. */
  async close(): Promise<void> {
    this.#closed = true;
    const conns = [...this.#connections.values()];
    this.#connections.clear();
    for (const c of await Promise.allSettled(conns)) {
      if (c.status === "fulfilled") c.value.close();
    }
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
    const requestId = this.#nextRequestId();
    const frame = encodeRequestFrame({
      version: TARS_VERSION,
      packetType: oneway ? PACKET_ONEWAY : PACKET_NORMAL,
      messageType: 0,
      requestId,
      servantName: target.name,
      funcName: method.name,
      buffer: encodeFields(method.args, args as never),
      timeout: options.timeout,
      context: options.context ?? new Map(),
      status: new Map(),
    });
    const deadline = this.#now() + options.timeout;
    const endpoints = await this.#endpointsOf(target, what);
    // A request that was never written can go to another endpoint; one that was cannot.
    let lastError: Error | undefined;
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
      if (oneway) return (await conn.send(frame)) as never;
      const response = await conn.call(frame, requestId, { timeout: left, what });
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
    if (!target.fixed) this.#locator?.invalidate(target.name, { setId: target.setId });
    throw lastError ??
      new TarsCallError(TarsCode.INVOKE_TIMEOUT, `${what} timed out before it could be sent`);
  }

  #nextRequestId(): number {
    this.#requestId = this.#requestId >= 0x7fffffff ? 1 : this.#requestId + 1;
    return this.#requestId;
  }

  async #endpointsOf(
    target: Target,
    what: string,
  ): Promise<readonly { host: string; port: number }[]> {
    if (target.fixed) return target.fixed;
    let found: EndpointFValue[];
    try {
      found = await this.#locator!.resolve(target.name, { setId: target.setId });
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

  /** Round-robin over endpoints not in back-off; if all are, the one whose back-off ends first. */
  #pick(target: Target, endpoints: readonly { host: string; port: number }[]) {
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

  #connectionTo(ep: { host: string; port: number }, timeout: number): Promise<TarsConnection> {
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

function hostPort(ep: Endpoint): { host: string; port: number } {
  return { host: ep.host, port: ep.port };
}
