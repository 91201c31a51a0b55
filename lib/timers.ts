/**
 * Waiting with a bound: a delay that an abort signal cuts short, a deadline on a promise, and
 * retries with a doubling back-off. Every timer is cleared once its promise settles, so none keeps
 * the process alive.
 *
 * @module
 */

/** Resolves after `ms`, or at once when `signal` aborts; it never rejects. */
export function delay(ms: number, options: { signal?: AbortSignal } = {}): Promise<void> {
  const { signal } = options;
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * Settles as `promise` does, or rejects with `timedOut()` when `promise` has not settled after
 * `ms`. `promise` itself goes on: close what it opens late (see protocol/connection.ts).
 */
export async function withDeadline<T>(
  promise: Promise<T>,
  ms: number,
  timedOut: () => Error,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(timedOut()), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `promise` resolves within `ms` (false once `ms` passed); rejects when it rejects first. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A doubling back-off: `first`, `2 x first`, `4 x first`, ... up to `max`. */
export interface Backoff {
  /** The first wait, in ms. */
  readonly first: number;
  /** The longest wait, in ms. */
  readonly max: number;
}

/** The wait before try `attempt + 1` after `attempt` failed tries (1 -> `first`). */
export function backoffDelay(attempt: number, backoff: Backoff): number {
  return Math.min(backoff.first * 2 ** Math.max(0, attempt - 1), backoff.max);
}

/** Options of {@linkcode retry}. */
export interface RetryOptions {
  readonly backoff: Backoff;
  /** Stops retrying: `retry` resolves to undefined. */
  readonly signal?: AbortSignal;
  /** Told about each failed try and the wait before the next one, before that wait. */
  readonly onFailure?: (error: unknown, wait: number) => void | Promise<void>;
  /** Waits `ms` or until `signal` aborts; default {@linkcode delay} (tests pass a fake clock's). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Calls `attempt` until it resolves, waiting a doubling back-off between tries; resolves to its
 * value, or to undefined once `signal` aborted (before a try or during a wait).
 */
export async function retry<T>(
  attempt: () => Promise<T>,
  options: RetryOptions,
): Promise<T | undefined> {
  const sleep = options.sleep ?? ((ms, signal) => delay(ms, { signal }));
  for (let failures = 1; !options.signal?.aborted; failures++) {
    try {
      return await attempt();
    } catch (error) {
      const wait = backoffDelay(failures, options.backoff);
      await options.onFailure?.(error, wait);
      await sleep(wait, options.signal);
    }
  }
  return undefined;
}
