/**
 * The one fake clock of the tests: time in epoch-like milliseconds that moves only when a test
 * says so, and a `sleep` that moves it on at once (recording the wait), for code that takes a
 * `now` and a `sleep` instead of reading the real clock.
 *
 * @module
 */

/** A clock that tests drive. */
export interface FakeClock {
  /** The current time in ms. */
  readonly now: () => number;
  /** Moves the time on by `ms`. */
  advance(ms: number): void;
  /** Moves the time on by `ms` and resolves at once; records `ms` in `sleeps`. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Every wait asked of `sleep`, in order. */
  readonly sleeps: number[];
}

/** A clock starting at `start` ms (default 1,000). */
export function fakeClock(start = 1_000): FakeClock {
  let time = start;
  const sleeps: number[] = [];
  return {
    now: () => time,
    advance(ms) {
      time += ms;
    },
    sleep(ms) {
      sleeps.push(ms);
      time += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}
