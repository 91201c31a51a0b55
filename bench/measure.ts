/**
 * Timing helpers shared by the benchmarks. External load on a small machine comes and goes, so
 * the benchmarks measure the things they compare in interleaved rounds and report medians.
 *
 * @module
 */
import { delay } from "../lib/timers.ts";

/**
 * Runs `op` repeatedly for about `ms` milliseconds and returns operations per second. The clock
 * is read once per batch of 256 calls.
 */
export function opsPerSecond(ms: number, op: () => unknown): number {
  const start = performance.now();
  const end = start + ms;
  let ops = 0;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 256; i++) op();
    ops += 256;
    now = performance.now();
  }
  return (ops / (now - start)) * 1000;
}

/**
 * Measures a running asynchronous load: waits `warmupMs`, then counts for `measureMs`.
 * `take(true)` starts counting and `take(false)` stops it, each returning and resetting the count
 * so far. Returns the count per second.
 */
export async function countPerSecond(
  warmupMs: number,
  measureMs: number,
  take: (counting: boolean) => number,
): Promise<number> {
  await delay(warmupMs);
  take(true);
  const start = performance.now();
  await delay(measureMs);
  const n = take(false);
  return (n / (performance.now() - start)) * 1000;
}

/** Counts completed operations while a measurement window is open. */
export interface WindowCounter {
  /** Counts `n` (default 1) completed operations, when a window is open. */
  add(n?: number): void;
  /** Opens (true) or closes (false) the window; returns and resets the count so far. */
  take(counting: boolean): number;
}

/** A counter with its window closed. */
export function windowCounter(): WindowCounter {
  let counting = false;
  let count = 0;
  return {
    add(n = 1) {
      if (counting) count += n;
    },
    take(on) {
      counting = on;
      const n = count;
      count = 0;
      return n;
    },
  };
}

/**
 * Runs `loops` concurrent loops of `op` while `measure` takes their rate (it gets the counter's
 * `take`, as {@linkcode countPerSecond} does), then stops them; the first failure of a loop is
 * thrown once they stopped.
 */
export async function rateOfLoops(
  loops: number,
  op: () => Promise<unknown>,
  measure: (take: (counting: boolean) => number) => Promise<number>,
): Promise<number> {
  const counter = windowCounter();
  let stopped = false;
  let failure: unknown;
  const running = Promise.all(Array.from({ length: loops }, async () => {
    while (!stopped) {
      await op();
      counter.add();
    }
  }));
  running.catch((error) => (failure ??= error));
  try {
    const rate = await measure(counter.take);
    stopped = true;
    await running.catch(() => {});
    if (failure) throw failure;
    return rate;
  } finally {
    stopped = true;
  }
}

/** The median of some numbers (the upper one of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
