import { decode, decodeFields, encode, encodeFields } from "./codec/codec.ts";
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
  encodeResponseFrame,
  PACKET_ONEWAY,
  type Request,
  TARS_VERSION,
  TUP_VERSION,
} from "./packets.ts";
import { type Conn, denoNetwork, describeAddr, type Listener, type Network } from "./transport.ts";
import { WriteQueue } from "./write_queue.ts";
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
  /** Where problems with peers are reported (default: standard error). */
  readonly log?: (line: string) => void;
}

/** The address a server listens on. */
export interface BoundAddress {
  readonly host: string;
  readonly port: number;
}

interface Servant {
  readonly iface: InterfaceDef;
  readonly impl: Record<string, (args: never, ctx: CallContext) => unknown>;
}

const EMPTY_MAP: ReadonlyMap<string, string> = new Map();
const EMPTY = new Uint8Array(0);
const TUP_MAP = map(string, bytes);

/**
 * A TARS RPC server: dispatches calls by servant and function name over any number of endpoints,
 * answers `tars_ping`, and stops gracefully (no new connections, calls in flight finish).
 */
export class TarsServer {
  readonly #servants = new Map<string, Servant>();
  readonly #listeners = new Set<Listener>();
  readonly #conns = new Set<Conn>();
  readonly #network: Network;
  readonly #maxFrame: number;
  readonly #maxConnections: number;
  readonly #log: (line: string) => void;
  #inFlight = 0;
  #idle: (() => void) | undefined;
  #stopping = false;

  constructor(options: ServerOptions = {}) {
    this.#network = options.network ?? denoNetwork;
    this.#maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    this.#maxConnections = options.maxConnections ?? 10_000;
    this.#log = options.log ?? ((line) => console.error(line));
  }

  /** Number of open client connections. */
  get connections(): number {
    return this.#conns.size;
  }

  /** Serves an interface under a servant name such as `App.Server.Obj`. */
  addServant<I extends InterfaceDef>(name: string, iface: I, impl: ServantImpl<I>): void {
    if (this.#servants.has(name)) throw new RangeError(`Servant ${name} is already added`);
    this.#servants.set(name, { iface, impl: impl as Servant["impl"] });
  }

  /** Starts listening on a TCP endpoint (`tcp -h H -p P`; port 0 picks a free one). */
  listen(endpoint: string | Endpoint): BoundAddress {
    const ep = typeof endpoint === "string" ? parseEndpoint(endpoint) : endpoint;
    if (ep.transport !== "tcp") {
      throw new RangeError(`Only tcp endpoints can be served, not ${ep.transport}`);
    }
    if (this.#stopping) throw new Error("The server is stopping; create a new one to listen");
    const listener = this.#network.listen({ hostname: ep.host, port: ep.port });
    this.#listeners.add(listener);
    this.#acceptLoop(listener);
    return describeAddr(listener.addr);
  }

  /**
   * Stops accepting, lets calls in flight finish and their replies leave (at most `timeout` ms,
   * default 10 s), then closes every connection.
   */
  async stop(options?: { timeout?: number }): Promise<void> {
    this.#stopping = true;
    for (const l of this.#listeners) l.close();
    this.#listeners.clear();
    if (this.#inFlight > 0) {
      const idle = new Promise<void>((resolve) => (this.#idle = resolve));
      await settlesWithin(idle, options?.timeout ?? 10_000);
    }
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Already closed by the peer: nothing left to release.
      }
    }
    this.#conns.clear();
  }

  async #acceptLoop(listener: Listener): Promise<void> {
    try {
      for await (const conn of listener) {
        if (this.#conns.size >= this.#maxConnections) {
          this.#log(`Connection limit of ${this.#maxConnections} reached; closing a new one`);
          conn.close();
          continue;
        }
        this.#serve(conn);
      }
    } catch (error) {
      if (!this.#stopping) this.#log(`Listener failed: ${(error as Error).message}`);
    }
  }

  async #serve(conn: Conn): Promise<void> {
    this.#conns.add(conn);
    conn.setNoDelay?.(true);
    const remote = describeAddr(conn.remoteAddr);
    const peer = `${remote.host}:${remote.port}`;
    const queue = new WriteQueue(conn, (error) => {
      this.#log(`Writing to ${peer} failed: ${(error as Error).message}`);
      this.#close(conn);
    });
    const decoder = new FrameDecoder({ maxFrame: this.#maxFrame });
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        await queue.belowHighWater();
        const n = await conn.read(buf);
        if (n === null) break;
        for (const body of decoder.push(buf.subarray(0, n))) {
          this.#dispatch(body, queue, remote);
        }
      }
    } catch (error) {
      if (this.#conns.has(conn)) {
        this.#log(`Closing the connection from ${peer}: ${(error as Error).message}`);
      }
    } finally {
      await queue.drained();
      this.#close(conn);
    }
  }

  #close(conn: Conn): void {
    if (!this.#conns.delete(conn)) return;
    try {
      conn.close();
    } catch {
      // The peer closed it first.
    }
  }

  /** Decodes one frame and starts its call. A frame whose envelope does not decode throws. */
  #dispatch(body: Uint8Array, queue: WriteQueue, remote: CallContext["remote"]): void {
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
      if (!oneway) queue.push(this.#encodeReply(request, ret, result, desc, m));
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
      remote,
    };
    this.#inFlight++;
    const done = (ret: number, result: unknown, desc: string) => {
      reply(ret, (result ?? {}) as Record<string, unknown>, desc, method);
      if (--this.#inFlight === 0 && this.#idle) this.#idle();
    };
    const fail = (error: unknown) => {
      if (error instanceof TarsCallError) return done(error.code, {}, error.message);
      this.#log(`${request.servantName}.${request.funcName} failed: ${(error as Error).message}`);
      done(TarsCode.UNKNOWN, {}, (error as Error).message ?? String(error));
    };
    try {
      const result = impl(args as never, ctx);
      if (result instanceof Promise) result.then((r) => done(0, r, ""), fail);
      else done(0, result, "");
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

  #encodeReply(
    request: Request,
    ret: number,
    result: Record<string, unknown>,
    desc: string,
    method: CompiledMethod | undefined,
  ): Uint8Array {
    let buffer: Uint8Array = EMPTY;
    if (ret === 0 && method) {
      try {
        buffer = request.version === TUP_VERSION
          ? encode(TUP_MAP, encodeTupMap(method.result, result, { retAlias: true }))
          : encodeFields(method.result, result as never);
      } catch (error) {
        this.#log(`Reply of ${request.funcName} does not encode: ${(error as Error).message}`);
        ret = TarsCode.SERVER_ENCODE_ERR;
        desc = `Reply of ${request.funcName} does not encode: ${(error as Error).message}`;
      }
    }
    if (request.version === TUP_VERSION) {
      // TUP replies travel in the request layout, the result code in the status map.
      const status = new Map<string, string>();
      if (ret !== 0) {
        status.set("STATUS_RESULT_CODE", String(ret));
        status.set("STATUS_RESULT_DESC", desc || describeCode(ret));
      }
      return encodeRequestFrame({
        ...request,
        buffer: ret === 0 ? buffer : encode(TUP_MAP, new Map()),
        status,
      });
    }
    return encodeResponseFrame({
      version: TARS_VERSION,
      packetType: 0,
      requestId: request.requestId,
      messageType: 0,
      ret,
      buffer,
      status: EMPTY_MAP,
      resultDesc: ret === 0 ? undefined : desc || describeCode(ret),
    });
  }
}
