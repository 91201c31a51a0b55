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

/** The median of some numbers (the upper one of the middle two for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
