/**
 * A connection's outgoing bytes: frames written in one turn leave in one socket write, with
 * backpressure for peers that do not read.
 *
 * @module
 */
import { ChunkPool } from "./chunk_pool.ts";
import type { Conn } from "./transport.ts";

/** Bytes queued for a connection above which the reader should pause (backpressure). */
export const HIGH_WATER_MARK = 4 * 1024 * 1024;

/** Options of a {@linkcode WriteQueue}. */
export interface WriteQueueOptions {
  /** Queued bytes from which {@linkcode WriteQueue.belowHighWater} waits (default 4 MiB). */
  readonly highWater?: number;
  /** Told of every change of {@linkcode WriteQueue.queued} (+ when queued, - when written). */
  readonly onQueuedChange?: (delta: number) => void;
  /** Where the output chunks come from and go back to (default: a pool of its own). */
  readonly pool?: ChunkPool;
}

/**
 * Coalesces frames written in the same turn of the event loop into one socket write: under load
 * many replies leave in one syscall, when idle a frame leaves at once. A frame is copied into
 * output chunks from a {@linkcode ChunkPool} when pushed (the caller may reuse its bytes at once),
 * and the chunks go back to the pool once written: no buffer allocated per frame or per write.
 * Bytes count as queued until the socket took them, so a peer that does not read holds the queue
 * above the high-water mark.
 */
export class WriteQueue {
  readonly #conn: Conn;
  readonly #onError: (error: unknown) => void;
  readonly #highWater: number;
  readonly #onQueuedChange: ((delta: number) => void) | undefined;
  readonly #pool: ChunkPool;
  /** Chunks waiting to be written, in order; all full but the last. */
  #chunks: Uint8Array[] = [];
  /** Bytes used in the last of `#chunks`. */
  #fill = 0;
  /** Bytes pushed and not yet written: `#chunks` and the write under way. */
  #queued = 0;
  #flushing: Promise<void> | undefined;
  #drainWaiters: (() => void)[] = [];

  constructor(conn: Conn, onError: (error: unknown) => void, options: WriteQueueOptions = {}) {
    this.#conn = conn;
    this.#onError = onError;
    this.#highWater = options.highWater ?? HIGH_WATER_MARK;
    this.#onQueuedChange = options.onQueuedChange;
    this.#pool = options.pool ?? new ChunkPool();
  }

  /** Bytes pushed and not yet written (the write under way included). */
  get queued(): number {
    return this.#queued;
  }

  /** Queues a copy of a frame; it is written after the current synchronous work. */
  push(frame: Uint8Array): void {
    let off = 0;
    while (off < frame.length) {
      let chunk = this.#chunks.at(-1);
      if (chunk === undefined || this.#fill === chunk.length) {
        chunk = this.#pool.take();
        this.#chunks.push(chunk);
        this.#fill = 0;
      }
      const n = Math.min(chunk.length - this.#fill, frame.length - off);
      chunk.set(n === frame.length ? frame : frame.subarray(off, off + n), this.#fill);
      this.#fill += n;
      off += n;
    }
    this.#queued += frame.length;
    this.#onQueuedChange?.(frame.length);
    this.#flushing ??= this.#flush();
  }

  /** Resolves once everything queued so far has been written (or writing failed). */
  async drained(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  /** Resolves when the queue falls below the high-water mark. */
  belowHighWater(): Promise<void> {
    if (this.#queued < this.#highWater) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  async #flush(): Promise<void> {
    // Let the rest of this turn's replies join the batch.
    await Promise.resolve();
    try {
      while (this.#chunks.length > 0) {
        const chunk = this.#chunks.shift()!;
        // The last chunk leaves as it is; what is pushed meanwhile goes to a new one.
        const size = this.#chunks.length === 0 ? this.#fill : chunk.length;
        let off = 0;
        try {
          while (off < size) off += await this.#conn.write(chunk.subarray(off, size));
        } finally {
          this.#pool.give(chunk);
        }
        this.#written(size);
      }
    } catch (error) {
      for (const chunk of this.#chunks) this.#pool.give(chunk);
      this.#chunks = [];
      this.#written(this.#queued);
      this.#onError(error);
    } finally {
      this.#flushing = undefined;
      this.#wakeWaiters();
    }
  }

  #written(bytes: number): void {
    this.#queued -= bytes;
    this.#onQueuedChange?.(-bytes);
    this.#wakeWaiters();
  }

  #wakeWaiters(): void {
    if (this.#queued >= this.#highWater || this.#drainWaiters.length === 0) return;
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const wake of waiters) wake();
  }
}
