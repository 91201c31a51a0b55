import { allocBytes } from "./codec/pool.ts";
import type { Conn } from "./transport.ts";

/** Bytes queued for a connection above which the reader should pause (backpressure). */
export const HIGH_WATER_MARK = 4 * 1024 * 1024;

/** Options of a {@linkcode WriteQueue}. */
export interface WriteQueueOptions {
  /** Queued bytes from which {@linkcode WriteQueue.belowHighWater} waits (default 4 MiB). */
  readonly highWater?: number;
  /** Told of every change of {@linkcode WriteQueue.queued} (+ when queued, - when written). */
  readonly onQueuedChange?: (delta: number) => void;
}

/**
 * Coalesces frames written in the same turn of the event loop into one socket write: under load
 * many replies leave in one syscall, when idle a frame leaves at once. Bytes count as queued until
 * the socket took them, so a peer that does not read holds the queue above the high-water mark.
 */
export class WriteQueue {
  readonly #conn: Conn;
  readonly #onError: (error: unknown) => void;
  readonly #highWater: number;
  readonly #onQueuedChange: ((delta: number) => void) | undefined;
  #frames: Uint8Array[] = [];
  /** Bytes of `#frames`, not yet taken by a write. */
  #waiting = 0;
  /** Bytes pushed and not yet written: `#waiting` and the write under way. */
  #queued = 0;
  #flushing: Promise<void> | undefined;
  #drainWaiters: (() => void)[] = [];

  constructor(conn: Conn, onError: (error: unknown) => void, options: WriteQueueOptions = {}) {
    this.#conn = conn;
    this.#onError = onError;
    this.#highWater = options.highWater ?? HIGH_WATER_MARK;
    this.#onQueuedChange = options.onQueuedChange;
  }

  /** Bytes pushed and not yet written (the write under way included). */
  get queued(): number {
    return this.#queued;
  }

  /** Queues a frame; it is written after the current synchronous work. */
  push(frame: Uint8Array): void {
    this.#frames.push(frame);
    this.#waiting += frame.length;
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
      while (this.#frames.length > 0) {
        const frames = this.#frames;
        const size = this.#waiting;
        this.#frames = [];
        this.#waiting = 0;
        const data = frames.length === 1 ? frames[0] : concat(frames, size);
        let off = 0;
        while (off < data.length) off += await this.#conn.write(data.subarray(off));
        this.#written(size);
      }
    } catch (error) {
      this.#frames = [];
      this.#waiting = 0;
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

function concat(frames: Uint8Array[], total: number): Uint8Array {
  const out = allocBytes(total);
  let off = 0;
  for (const f of frames) {
    out.set(f, off);
    off += f.length;
  }
  return out;
}
