/**
 * Timing helpers shared by the benchmarks.
 *
 * @module
 */

/**
 * Runs `op` repeatedly for `windows` periods of about `ms` milliseconds after a warm-up of one
 * period, and returns the median operations per second. The clock is read once per batch of 256
 * calls.
 */
export function measure(ms: number, windows: number, op: () => unknown): number {
  run(ms, op);
  return median(Array.from({ length: windows }, () => run(ms, op)));
}

/**
 * Measures an asynchronous load: `windows` periods of `ms` milliseconds; `take(true)` starts
 * counting and `take(false)` stops it, each returning and resetting the count so far. Returns the
 * median count per second.
 */
export async function medianRate(
  windows: number,
  ms: number,
  take: (counting: boolean) => number,
): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < windows; i++) {
    take(true);
    const start = performance.now();
    await sleep(ms);
    const n = take(false);
    rates.push((n / (performance.now() - start)) * 1000);
  }
  return median(rates);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function run(ms: number, op: () => unknown): number {
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

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
