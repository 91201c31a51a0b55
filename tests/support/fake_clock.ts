/**
 * The one fake clock of the tests: time in epoch-like milliseconds that moves only when a test
 * says so, a `sleep` that moves it on at once (recording the wait), and timers that fire when the
 * test moves the time past them, for code that takes a `now`, a `sleep` or a timer instead of
 * reading the real clock.
 *
 * @module
 */

/** A clock that tests drive. */
export interface FakeClock {
  /** The current time in ms. */
  readonly now: () => number;
  /** Moves the time on by `ms`, firing the timers due on the way, in order. */
  advance(ms: number): void;
  /** Moves the time on by `ms` and resolves at once; records `ms` in `sleeps`. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Every wait asked of `sleep`, in order. */
  readonly sleeps: number[];
  /** Calls `callback` once the time has moved `ms` on; returns its cancel. */
  readonly timer: (callback: () => void, ms: number) => () => void;
  /** The times of the timers not fired yet. */
  readonly pendingTimers: () => number[];
}

/** A clock starting at `start` ms (default 1,000). */
export function fakeClock(start = 1_000): FakeClock {
  let time = start;
  const sleeps: number[] = [];
  let timers: { at: number; callback: () => void }[] = [];
  return {
    now: () => time,
    advance(ms) {
      const end = time + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        time = Math.max(time, due.at);
        due.callback();
      }
      time = end;
    },
    sleep(ms) {
      sleeps.push(ms);
      time += ms;
      return Promise.resolve();
    },
    sleeps,
    timer(callback, ms) {
      const entry = { at: time + ms, callback };
      timers.push(entry);
      return () => {
        timers = timers.filter((t) => t !== entry);
      };
    },
    pendingTimers: () => timers.map((t) => t.at),
  };
}
