/**
 * One client connection: requests out, replies matched back to their calls, deadlines.
 *
 * @module
 */
import { describeCode, TarsCallError, TarsCode } from "./call_error.ts";
import { DEFAULT_MAX_FRAME, FrameDecoder } from "./frame_decoder.ts";
import { decodeResponse, type Response } from "./packets.ts";
import type { Conn, Network } from "./transport.ts";
import { WriteQueue } from "./write_queue.ts";
import { withDeadline } from "../lib/timers.ts";

interface Pending {
  readonly resolve: (response: Response) => void;
  readonly reject: (error: Error) => void;
  readonly deadline: number;
  readonly what: string;
}

/** How often calls in flight are checked against their deadlines. */
const SWEEP_INTERVAL_MS = 25;

/**
 * One client connection to one endpoint: many calls in flight at once, matched to replies by
 * request id, each with its own deadline.
 */
export class TarsConnection {
  readonly #conn: Conn;
  readonly #queue: WriteQueue;
  readonly #pending = new Map<number, Pending>();
  readonly #maxFrame: number;
  readonly #now: () => number;
  readonly #onClose: (conn: TarsConnection) => void;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #closed: Error | undefined;
  #received = 0;
  /** `host:port` of the peer. */
  readonly peer: string;

  constructor(
    conn: Conn,
    options: {
      peer: string;
      maxFrame?: number;
      now?: () => number;
      onClose?: (conn: TarsConnection) => void;
    },
  ) {
    this.#conn = conn;
    this.peer = options.peer;
    this.#maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    this.#now = options.now ?? (() => performance.now());
    this.#onClose = options.onClose ?? (() => {});
    this.#queue = new WriteQueue(conn, (error) => this.close(sendError(this.peer, error)));
    conn.setNoDelay?.(true);
    this.#readLoop();
  }

  /** Connects to `host:port`, giving up after `timeout` ms with a -8 TarsCallError. */
  static async open(
    network: Network,
    target: { host: string; port: number },
    options: {
      timeout: number;
      maxFrame?: number;
      now?: () => number;
      onClose?: (c: TarsConnection) => void;
    },
  ): Promise<TarsConnection> {
    const peer = `${target.host}:${target.port}`;
    const connecting = network.connect({ hostname: target.host, port: target.port });
    try {
      const conn = await withDeadline(
        connecting,
        options.timeout,
        () => new TarsCallError(TarsCode.PROXY_CONNECT_ERR, `Connecting to ${peer} timed out`),
      );
      return new TarsConnection(conn, { ...options, peer });
    } catch (error) {
      // A connection that completes after the timeout is closed, not leaked.
      connecting.then((c) => c.close(), () => {});
      if (error instanceof TarsCallError) throw error;
      throw new TarsCallError(
        TarsCode.PROXY_CONNECT_ERR,
        `Cannot connect to ${peer}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  /** Whether the connection is closed; closed connections refuse new calls. */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Reply frames received so far (a caller tells a hung peer from a slow call by it). */
  get received(): number {
    return this.#received;
  }

  /** Calls waiting for their replies. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Sends an encoded request and resolves with the matching reply. */
  call(
    frame: Uint8Array,
    requestId: number,
    options: { timeout: number; what: string },
  ): Promise<Response> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise<Response>((resolve, reject) => {
      this.#pending.set(requestId, {
        resolve,
        reject,
        deadline: this.#now() + options.timeout,
        what: options.what,
      });
      this.#sweeper ??= setInterval(() => this.#sweep(), SWEEP_INTERVAL_MS);
      this.#queue.push(frame);
    });
  }

  /** Sends a one-way request; resolves once it has been written. */
  async send(frame: Uint8Array): Promise<void> {
    if (this.#closed) throw this.#closed;
    this.#queue.push(frame);
    await this.#queue.drained();
    if (this.#closed) throw this.#closed;
  }

  /** Closes the connection; calls in flight fail with `reason` (a -13 error by default). */
  close(reason?: Error): void {
    if (this.#closed) return;
    this.#closed = reason ??
      new TarsCallError(TarsCode.SEND_REQUEST_ERR, `Connection to ${this.peer} was closed`);
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the peer.
    }
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.reject(this.#closed);
    this.#onClose(this);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [id, p] of this.#pending) {
      if (p.deadline > now) continue;
      this.#pending.delete(id);
      p.reject(
        new TarsCallError(
          TarsCode.INVOKE_TIMEOUT,
          `${p.what} timed out: no reply from ${this.peer} (${
            describeCode(TarsCode.INVOKE_TIMEOUT)
          })`,
        ),
      );
    }
    if (this.#pending.size === 0) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }

  async #readLoop(): Promise<void> {
    const decoder = new FrameDecoder({ maxFrame: this.#maxFrame });
    const buf = new Uint8Array(64 * 1024);
    try {
      for (;;) {
        const n = await this.#conn.read(buf);
        if (n === null) break;
        for (const body of decoder.push(buf.subarray(0, n))) {
          this.#received++;
          this.#deliver(decodeResponse(body));
        }
      }
      this.close();
    } catch (error) {
      if (this.#closed) return;
      this.close(
        new TarsCallError(
          TarsCode.CLIENT_DECODE_ERR,
          `Connection to ${this.peer} failed: ${(error as Error).message}`,
          { cause: error },
        ),
      );
    }
  }

  #deliver(response: Response): void {
    const p = this.#pending.get(response.requestId);
    // A reply after its call timed out has nobody waiting; it is dropped.
    if (!p) return;
    this.#pending.delete(response.requestId);
    p.resolve(response);
  }
}

function sendError(peer: string, error: unknown): TarsCallError {
  return new TarsCallError(
    TarsCode.SEND_REQUEST_ERR,
    `Sending to ${peer} failed: ${(error as Error).message}`,
    { cause: error },
  );
}
