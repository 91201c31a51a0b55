/**
 * The TARS RPC server: servants of interfaces on endpoints, with what bounds what peers can
 * make it hold (connections in all and per peer, buffered and unsent bytes, idle time, frame
 * size).
 *
 * @module
 */
import { decode, decodeFields, encode, withEncoded } from "./codec/codec.ts";
import { bytes, map, string } from "./codec/types.ts";
import { describeCode, TarsCallError, TarsCode } from "./call_error.ts";
import { type Endpoint, parseEndpoint } from "./endpoint.ts";
import { DEFAULT_MAX_FRAME, FrameDecoder } from "./frame_decoder.ts";
import {
  type CompiledMethod,
  type DecodedArgs,
  decodeTupMap,
  encodeTupMap,
  type InterfaceDef,
  type MethodDef,
  type ServantResult,
} from "./interface.ts";
import {
  decodeRequest,
  encodeRequestFrame,
  PACKET_ONEWAY,
  type Request,
  TARS_VERSION,
  TUP_VERSION,
  withResponseFrame,
} from "./packets.ts";
import { ChunkPool } from "./chunk_pool.ts";
import { type Conn, denoNetwork, describeAddr, type Listener, type Network } from "./transport.ts";
import { WriteQueue } from "./write_queue.ts";
import { acceptLoop } from "./accept_loop.ts";
import { PeerLog } from "./peer_log.ts";
import { canonicalAddress } from "../lib/ip_address.ts";
import { settlesWithin } from "../lib/timers.ts";

/** What a servant method learns about the call besides its arguments. */
export interface CallContext {
  readonly servant: string;
  readonly func: string;
  readonly requestId: number;
  /** Packet version: 1 (TARS) or 3 (TUP). */
  readonly version: number;
  readonly oneway: boolean;
  readonly context: ReadonlyMap<string, string>;
  /**
   * The connection's peer: its source address (an IPv4-mapped IPv6 address shown as IPv4) and
   * port. The registry decides by it who may speak for which node.
   */
  readonly remote: { readonly host: string; readonly port: number };
}

/** A servant's implementation of an interface: one function per method. */
export type ServantImpl<I extends InterfaceDef> = {
  [K in keyof I["methods"]]: (
    args: DecodedArgs<I["methods"][K]>,
    ctx: CallContext,
  ) => MaybePromise<ServantReturn<I["methods"][K]>>;
};

type MaybePromise<T> = T | Promise<T>;
type ServantReturn<M extends MethodDef> = keyof ServantResult<M> extends never ? void
  : ServantResult<M>;

/** Limits and dependencies of a server. */
export interface ServerOptions {
  /** Network seam; the real one by default. */
  readonly network?: Network;
  /** Largest accepted frame in bytes (default 10 MiB); a larger one closes its connection. */
  readonly maxFrame?: number;
  /** Connections served at once (default 10,000); extra ones are closed at once. */
  readonly maxConnections?: number;
  /** Connections one source address may hold (default 1,000); extra ones are closed at once. */
  readonly maxConnsPerPeer?: number;
  /**
   * Bytes all connections together may hold in unfinished frames and unsent replies (default 256
   * MiB); past it the connections holding most are closed until the total is within it again.
   */
  readonly maxBuffered?: number;
  /** Unsent reply bytes from which a connection is not read until they drain (default 1 MiB). */
  readonly maxUnsent?: number;
  /**
   * Where problems are reported (default: standard error); lines about what a peer sent or
   * caused, at most 10 a minute per source address.
   */
  readonly log?: (line: string) => void;
  /** Milliseconds clock for idle connections and the log limit (default `performance.now`). */
  readonly now?: () => number;
}

/** How one endpoint is served. */
export interface ListenOptions {
  /**
   * Milliseconds a connection may go without sending a complete frame (and without a call in
   * flight or a reply unsent) before it is closed. Default: the endpoint string's `-t`, else
   * {@linkcode DEFAULT_IDLE_TIMEOUT}.
   */
  readonly idleTimeout?: number;
}

/** A connection's idle timeout when its endpoint has no `-t` (the TARS convention). */
export const DEFAULT_IDLE_TIMEOUT = 60_000;

/** The address a server listens on. */
export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

interface Servant {
  readonly iface: InterfaceDef;
  readonly impl: Record<string, (args: never, ctx: CallContext) => unknown>;
}

/** One connection being served, and what it holds. */
interface Served {
  readonly conn: Conn;
  readonly remote: CallContext["remote"];
  /** `host:port` of the peer, for log lines. */
  readonly peer: string;
  readonly queue: WriteQueue;
  readonly decoder: FrameDecoder;
  readonly idleTimeout: number;
  /** When it last sent a complete frame (or its last call in flight finished). */
  lastActive: number;
  /** Asynchronous calls in flight (a synchronous one is answered before the next sweep). */
  inFlight: number;
  /** Bytes of its decoder's buffer, as last counted. */
  decoderHeld: number;
  /** Bytes counted against the server's buffer budget: decoder buffer and unsent replies. */
  held: number;
  closed: boolean;
}

const EMPTY_MAP: ReadonlyMap<string, string> = new Map();
const EMPTY = new Uint8Array(0);
const TUP_MAP = map(string, bytes);
/** Read buffer of a new connection; it grows to {@linkcode LARGE_READ} once a read fills it. */
const SMALL_READ = 4 * 1024;
const LARGE_READ = 64 * 1024;
/** Free output chunks a server keeps for its connections' next replies (2 MiB). */
const KEEP_CHUNKS = 32;

/** The idle timeout of `endpoint`: its `-t` when the string has one, else the default. */
function idleTimeoutOf(endpoint: string | Endpoint, ep: Endpoint): number {
  const explicit = typeof endpoint === "string" ? /(?:^|\s)-t\s+\d/.test(endpoint) : false;
  return explicit ? ep.timeout : DEFAULT_IDLE_TIMEOUT;
}

/**
 * A TARS RPC server: dispatches calls by servant and function name over any number of endpoints,
 * answers `tars_ping`, and stops gracefully (no new connections, calls in flight finish).
 *
 * What a peer can make it hold is bounded: connections in all and per source address, idle
 * connections (closed after their endpoint's `-t`), one buffer budget over every connection's
 * unfinished frame and unsent replies (the heaviest connections are closed first), and a
 * connection with too many unsent replies is not read until they drain. An accept that fails is
 * retried with a back-off ({@linkcode acceptFailure} says why meanwhile); lines about peers are
 * limited per source address.
 */
export class TarsServer {
  readonly #servants = new Map<string, Servant>();
  readonly #listeners = new Set<Listener>();
  readonly #served = new Set<Served>();
  readonly #perHost = new Map<string, number>();
  readonly #acceptFailures = new Map<Listener, string>();
  /** The accept loops, which end when their listener closes. */
  readonly #acceptLoops = new Set<Promise<void>>();
  readonly #network: Network;
  readonly #maxFrame: number;
  readonly #maxConnections: number;
  readonly #maxConnsPerPeer: number;
  readonly #maxBuffered: number;
  readonly #maxUnsent: number;
  readonly #log: (line: string) => void;
  readonly #peerLog: PeerLog;
  readonly #now: () => number;
  readonly #chunks = new ChunkPool({ keep: KEEP_CHUNKS });
  #buffered = 0;
  #sweepMs = Infinity;
  /** The clock at the last sweep: what activity is stamped with. */
  #lastSweep: number;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #stopping = false;

  constructor(options: ServerOptions = {}) {
    this.#network = options.network ?? denoNetwork;
    this.#maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    this.#maxConnections = options.maxConnections ?? 10_000;
    this.#maxConnsPerPeer = options.maxConnsPerPeer ?? 1000;
    this.#maxBuffered = options.maxBuffered ?? 256 * 1024 * 1024;
    this.#maxUnsent = options.maxUnsent ?? 1024 * 1024;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#now = options.now ?? (() => performance.now());
    this.#lastSweep = this.#now();
    this.#peerLog = new PeerLog(this.#log, { now: this.#now });
  }

  /** Number of open client connections. */
  get connections(): number {
    return this.#served.size;
  }

  /** Bytes the connections hold in unfinished frames and unsent replies together. */
  get buffered(): number {
    return this.#buffered;
  }

  /** Why a listener cannot accept connections right now, or undefined when all can. */
  get acceptFailure(): string | undefined {
    return this.#acceptFailures.values().next().value;
  }

  /** Serves an interface under a servant name such as `App.Server.Obj`. */
  addServant<I extends InterfaceDef>(name: string, iface: I, impl: ServantImpl<I>): void {
    if (this.#servants.has(name)) throw new RangeError(`Servant ${name} is already added`);
    this.#servants.set(name, { iface, impl: impl as Servant["impl"] });
  }

  /**
   * Starts listening on a TCP endpoint (`tcp -h H -p P [-t IDLE_MS]`; port 0 picks a free one).
   */
  listen(endpoint: string | Endpoint, options: ListenOptions = {}): BoundAddress {
    const ep = typeof endpoint === "string" ? parseEndpoint(endpoint) : endpoint;
    if (ep.transport !== "tcp") {
      throw new RangeError(`Only tcp endpoints can be served, not ${ep.transport}`);
    }
    if (this.#stopping) throw new Error("The server is stopping; create a new one to listen");
    const idleTimeout = options.idleTimeout ?? idleTimeoutOf(endpoint, ep);
    const listener = this.#network.listen({ hostname: ep.host, port: ep.port });
    const address = describeAddr(listener.addr);
    this.#listeners.add(listener);
    this.#sweepEvery(Math.min(1000, Math.max(10, idleTimeout / 4)));
    const loop = acceptLoop(listener, {
      name: `tcp -h ${address.host} -p ${address.port}`,
      onConnection: (conn) => this.#accept(conn, idleTimeout),
      stopping: () => this.#stopping || !this.#listeners.has(listener),
      log: this.#log,
      onFailing: (reason) => {
        if (reason === undefined) this.#acceptFailures.delete(listener);
        else this.#acceptFailures.set(listener, reason);
      },
    });
    this.#acceptLoops.add(loop);
    loop.finally(() => this.#acceptLoops.delete(loop));
    return address;
  }

  /**
   * Stops accepting, lets calls in flight finish and their replies leave (at most `timeout` ms,
   * default 10 s), then closes every connection.
   */
  async stop(options?: { timeout?: number }): Promise<void> {
    this.#stopping = true;
    for (const l of this.#listeners) l.close();
    this.#listeners.clear();
    await Promise.all(this.#acceptLoops);
    this.#acceptFailures.clear();
    if (this.#inFlight > 0) {
      const idle = new Promise<void>((resolve) => (this.#idle = resolve));
      await settlesWithin(idle, options?.timeout ?? 10_000);
    }
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    for (const served of this.#served) this.#close(served);
    this.#peerLog.flush({ all: true });
  }

  #sweepEvery(ms: number): void {
    if (ms >= this.#sweepMs) return;
    this.#sweepMs = ms;
    clearInterval(this.#sweeper);
    this.#sweeper = setInterval(() => this.#sweep(), ms);
  }

  /**
   * Closes idle connections and ends the log windows that are over. Activity is stamped with the
   * time of the last sweep (no clock read per read), so a connection counts as idle only once a
   * whole sweep interval more has passed.
   */
  #sweep(): void {
    const now = this.#now();
    this.#lastSweep = now;
    for (const s of this.#served) {
      if (s.inFlight > 0 || s.queue.queued > 0) continue;
      if (now - s.lastActive >= s.idleTimeout + this.#sweepMs) this.#close(s);
    }
    this.#peerLog.flush();
  }

  #accept(conn: Conn, idleTimeout: number): void {
    const remote = describeAddr(conn.remoteAddr);
    const host = canonicalAddress(remote.host);
    const refuse = (why: string) => {
      this.#peerLog.line(host, `Closing a new connection from ${host}:${remote.port}: ${why}`);
      try {
        conn.close();
      } catch {
        // The peer closed it first.
      }
    };
    if (this.#served.size >= this.#maxConnections) {
      return refuse(`the server holds its limit of ${this.#maxConnections} connections`);
    }
    const fromHost = this.#perHost.get(host) ?? 0;
    if (fromHost >= this.#maxConnsPerPeer) {
      return refuse(`${host} holds its limit of ${this.#maxConnsPerPeer} connections`);
    }
    this.#perHost.set(host, fromHost + 1);
    this.#serve(conn, { host, port: remote.port }, idleTimeout);
  }

  async #serve(conn: Conn, remote: CallContext["remote"], idleTimeout: number): Promise<void> {
    conn.setNoDelay?.(true);
    const peer = `${remote.host}:${remote.port}`;
    const served: Served = {
      conn,
      remote,
      peer,
      queue: undefined as unknown as WriteQueue,
      decoder: new FrameDecoder({ maxFrame: this.#maxFrame }),
      idleTimeout,
      lastActive: this.#lastSweep,
      inFlight: 0,
      decoderHeld: 0,
      held: 0,
      closed: false,
    };
    (served as { queue: WriteQueue }).queue = new WriteQueue(conn, (error) => {
      if (!served.closed) {
        this.#peerLog.line(remote.host, `Writing to ${peer} failed: ${(error as Error).message}`);
      }
      this.#close(served);
    }, {
      highWater: this.#maxUnsent,
      onQueuedChange: (delta) => this.#account(served, delta),
      pool: this.#chunks,
    });
    this.#served.add(served);
    const decoder = served.decoder;
    let buf = new Uint8Array(SMALL_READ);
    try {
      for (;;) {
        await served.queue.belowHighWater();
        if (served.closed) break;
        const n = await conn.read(buf);
        if (n === null) break;
        const frames = decoder.push(buf.subarray(0, n));
        if (frames.length > 0) served.lastActive = this.#lastSweep;
        for (const body of frames) {
          // One read may hold a thousand requests: past the mark, the rest wait for the drain
          // (the buffer under them is not read into meanwhile).
          if (served.queue.queued >= this.#maxUnsent) await served.queue.belowHighWater();
          if (served.closed) break;
          this.#dispatch(body, served);
        }
        const held = decoder.held;
        if (held !== served.decoderHeld) {
          const delta = held - served.decoderHeld;
          served.decoderHeld = held;
          this.#account(served, delta);
        }
        // A read that filled the buffer: more is coming; read larger pieces from now on.
        if (n === buf.length && buf.length < LARGE_READ) buf = new Uint8Array(LARGE_READ);
      }
    } catch (error) {
      if (!served.closed) {
        this.#peerLog.line(
          remote.host,
          `Closing the connection from ${peer}: ${(error as Error).message}`,
        );
      }
    } finally {
      await served.queue.drained();
      this.#close(served);
    }
  }

  /** Counts `delta` bytes more (or fewer) held by `served`; past the budget, sheds the heaviest. */
  #account(served: Served, delta: number): void {
    if (served.closed) return;
    served.held += delta;
    this.#buffered += delta;
    if (delta > 0 && this.#buffered > this.#maxBuffered) this.#shed();
  }

  #shed(): void {
    const heaviest = [...this.#served].filter((s) => s.held > 0).sort((a, b) => b.held - a.held);
    for (const s of heaviest) {
      if (this.#buffered <= this.#maxBuffered) return;
      this.#peerLog.line(
        s.remote.host,
        `Closing the connection from ${s.peer}: it held ${s.held} bytes when all connections ` +
          `together passed the buffer limit of ${this.#maxBuffered} bytes`,
      );
      this.#close(s);
    }
  }

  #close(served: Served): void {
    if (served.closed) return;
    served.closed = true;
    this.#served.delete(served);
    this.#buffered -= served.held;
    served.held = 0;
    served.decoder.release();
    const host = served.remote.host;
    const left = (this.#perHost.get(host) ?? 1) - 1;
    if (left > 0) this.#perHost.set(host, left);
    else this.#perHost.delete(host);
    try {
      served.conn.close();
    } catch {
      // The peer closed it first.
    }
  }

  /** Decodes one frame and starts its call. A frame whose envelope does not decode throws. */
  #dispatch(body: Uint8Array, served: Served): void {
    let request: Request;
    try {
      // The arguments are decoded below, before the read buffer under `body` is reused.
      request = decodeRequest(body, { viewBuffer: true });
    } catch (error) {
      throw new Error(`Bad request packet: ${(error as Error).message}`, { cause: error });
    }
    const oneway = request.packetType === PACKET_ONEWAY;
    const reply = (
      ret: number,
      result: Record<string, unknown>,
      desc: string,
      m?: CompiledMethod,
    ) => {
      if (!oneway) this.#reply(request, { ret, result, desc, method: m }, served);
    };
    const servant = this.#servants.get(request.servantName);
    if (request.funcName === "tars_ping" && servant) return reply(0, {}, "");
    if (!servant) {
      return reply(TarsCode.NO_SERVANT, {}, `No servant ${request.servantName} here`);
    }
    const method = servant.iface.compiled.get(request.funcName);
    const impl = servant.impl[request.funcName];
    if (!method || !impl) {
      return reply(
        TarsCode.NO_FUNC,
        {},
        `Servant ${request.servantName} has no function ${request.funcName}`,
      );
    }
    let args: Record<string, unknown>;
    try {
      args = this.#decodeArgs(request, method);
    } catch (error) {
      return reply(
        TarsCode.SERVER_DECODE_ERR,
        {},
        `Arguments of ${request.funcName} do not decode: ${(error as Error).message}`,
      );
    }
    const ctx: CallContext = {
      servant: request.servantName,
      func: request.funcName,
      requestId: request.requestId,
      version: request.version,
      oneway,
      context: request.context ?? EMPTY_MAP,
      remote: served.remote,
    };
    this.#inFlight++;
    const done = (ret: number, result: unknown, desc: string) => {
      reply(ret, (result ?? {}) as Record<string, unknown>, desc, method);
      if (--this.#inFlight === 0 && this.#idle) this.#idle();
    };
    const fail = (error: unknown) => {
      if (error instanceof TarsCallError) return done(error.code, {}, error.message);
      this.#peerLog.line(
        served.remote.host,
        `${request.servantName}.${request.funcName} failed: ${(error as Error).message}`,
      );
      done(TarsCode.UNKNOWN, {}, (error as Error).message ?? String(error));
    };
    try {
      const result = impl(args as never, ctx);
      if (!(result instanceof Promise)) return done(0, result, "");
      // A connection waiting for a slow call is not idle; its clock starts again at the answer.
      served.inFlight++;
      const settled = () => {
        if (--served.inFlight === 0) served.lastActive = this.#lastSweep;
      };
      result.then((r) => {
        settled();
        done(0, r, "");
      }, (error) => {
        settled();
        fail(error);
      });
    } catch (error) {
      fail(error);
    }
  }

  #decodeArgs(request: Request, method: CompiledMethod): Record<string, unknown> {
    if (request.version === TUP_VERSION) {
      return decodeTupMap(method.args, decode(TUP_MAP, request.buffer));
    }
    if (request.version !== TARS_VERSION) {
      throw new RangeError(`packet version ${request.version} is not supported`);
    }
    return decodeFields(method.args, request.buffer);
  }

  /** Encodes the reply to `request` straight into its connection's output queue. */
  #reply(
    request: Request,
    outcome: {
      ret: number;
      result: Record<string, unknown>;
      desc: string;
      method: CompiledMethod | undefined;
    },
    served: Served,
  ): void {
    const { result, method } = outcome;
    let { ret, desc } = outcome;
    const encodeFailed = (error: unknown) => {
      desc = `Reply of ${request.funcName} does not encode: ${(error as Error).message}`;
      this.#peerLog.line(served.remote.host, desc);
      ret = TarsCode.SERVER_ENCODE_ERR;
    };
    if (request.version === TUP_VERSION) {
      let buffer: Uint8Array | undefined;
      if (ret === 0 && method) {
        try {
          buffer = encode(TUP_MAP, encodeTupMap(method.result, result, { retAlias: true }));
        } catch (error) {
          encodeFailed(error);
        }
      }
      // TUP replies travel in the request layout, the result code in the status map.
      const status = new Map<string, string>();
      if (ret !== 0) {
        status.set("STATUS_RESULT_CODE", String(ret));
        status.set("STATUS_RESULT_DESC", desc || describeCode(ret));
      }
      served.queue.push(encodeRequestFrame({
        ...request,
        buffer: ret === 0 ? buffer ?? EMPTY : encode(TUP_MAP, new Map()),
        status,
      }));
      return;
    }
    const send = (buffer: Uint8Array) =>
      withResponseFrame({
        version: TARS_VERSION,
        packetType: 0,
        requestId: request.requestId,
        messageType: 0,
        ret,
        buffer,
        status: EMPTY_MAP,
        resultDesc: ret === 0 ? undefined : desc || describeCode(ret),
      }, (frame) => served.queue.push(frame));
    if (ret === 0 && method) {
      let encoded = false;
      try {
        withEncoded((w) => w.writeFields(method.result, result), (buffer) => {
          encoded = true;
          send(buffer);
        });
        return;
      } catch (error) {
        // Only a result that does not encode is answered with an error; a failure past it is not
        // the servant's.
        if (encoded) throw error;
        encodeFailed(error);
      }
    }
    send(EMPTY);
  }
}
