import { allocBytes } from "./codec/pool.ts";
import type { Conn } from "./transport.ts";

/** Bytes queued for a connection above which the reader should pause (backpressure). */
export const HIGH_WATER_MARK = 4 * 1024 * 1024;

/**
 * Coalesces frames written in the same turn of the event loop into one socket write: under load
 * many replies leave in one syscall, when idle a frame leaves at once.
 */
export class WriteQueue {
  readonly #conn: Conn;
  readonly #onError: (error: unknown) => void;
  #frames: Uint8Array[] = [];
  #queued = 0;
  #flushing: Promise<void> | undefined;
  #drainWaiters: (() => void)[] = [];

  constructor(conn: Conn, onError: (error: unknown) => void) {
    this.#conn = conn;
    this.#onError = onError;
  }

  /** Bytes waiting to be written. */
  get queued(): number {
    return this.#queued;
  }

  /** Queues a frame; it is written after the current synchronous work. */
  push(frame: Uint8Array): void {
    this.#frames.push(frame);
    this.#queued += frame.length;
    this.#flushing ??= this.#flush();
  }

  /** Resolves once everything queued so far has been written (or writing failed). */
  async drained(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  /** Resolves when the queue falls below the high-water mark. */
  belowHighWater(): Promise<void> {
    if (this.#queued < HIGH_WATER_MARK) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  async #flush(): Promise<void> {
    // Let the rest of this turn's replies join the batch.
    await Promise.resolve();
    try {
      while (this.#frames.length > 0) {
        const frames = this.#frames;
        this.#frames = [];
        const data = frames.length === 1 ? frames[0] : concat(frames, this.#queued);
        this.#queued = 0;
        this.#wakeWaiters();
        let off = 0;
        while (off < data.length) off += await this.#conn.write(data.subarray(off));
      }
    } catch (error) {
      this.#frames = [];
      this.#queued = 0;
      this.#onError(error);
    } finally {
      this.#flushing = undefined;
      this.#wakeWaiters();
    }
  }

  #wakeWaiters(): void {
    if (this.#queued >= HIGH_WATER_MARK) return;
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
