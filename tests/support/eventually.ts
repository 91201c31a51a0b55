/**
 * Waiting in tests for something that happens on its own time (a process, a registry, a pod):
 * polling with a bound, so a test that fails says what it waited for instead of hanging.
 *
 * @module
 */
import { delay } from "../../lib/timers.ts";

/**
 * Polls `check` every `interval` ms (default 50) until it holds; throws naming `what` once `ms`
 * passed. Resolves to the milliseconds it took.
 */
export async function eventually(
  ms: number,
  what: string,
  check: () => boolean | Promise<boolean>,
  options: { interval?: number } = {},
): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > ms) throw new Error(`${what}: not within ${ms} ms`);
    await delay(options.interval ?? 50);
  }
  return performance.now() - started;
}
