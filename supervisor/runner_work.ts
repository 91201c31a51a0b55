/**
 * The supervisor runner's work in flight (supervisor.ts): each operation runs to its end, the
 * event it gives goes to the machine and a failure to the log; the file operations (the state
 * file, the drain marker) run one after another; a call is bounded on the runner's timer; the exit
 * waits a while for what still runs.
 *
 * @module
 */
import { settlesWithin } from "../lib/timers.ts";
import type { SupervisorEvent } from "./machine.ts";

/** Calls `callback` after `ms` (`setTimeout`, or a fake clock's); returns its cancel. */
export type Timer = (callback: () => void, ms: number) => () => void;

/** The {@linkcode Timer} of `setTimeout`. */
export const REAL_TIMER: Timer = (callback, ms) => {
  const id = setTimeout(callback, ms);
  return () => clearTimeout(id);
};

/** Settles as `promise`, or rejects once `ms` passed. */
export type Bounded = <T>(promise: Promise<T>, ms: number) => Promise<T>;

/** The operations of a runner. */
export class RunnerWork {
  readonly #dispatch: (event: SupervisorEvent) => void;
  readonly #log: (line: string) => void;
  readonly #timer: Timer;
  readonly #pending = new Set<Promise<void>>();
  #files: Promise<void> = Promise.resolve();

  /** Events go to `dispatch`, failures to `log`; bounds are kept on `timer`. */
  constructor(options: {
    dispatch: (event: SupervisorEvent) => void;
    log: (line: string) => void;
    timer: Timer;
  }) {
    this.#dispatch = options.dispatch;
    this.#log = options.log;
    this.#timer = options.timer;
  }

  /** Runs `work` to its end; the event it gives goes to the machine, a failure to the log. */
  track(work: Promise<SupervisorEvent | undefined | void>): void {
    const settled: Promise<void> = work.then((event) => {
      if (event) this.#dispatch(event);
    }, (error) => {
      this.#log(`supervisor: ${(error as Error).stack ?? error}`);
    }).finally(() => this.#pending.delete(settled));
    this.#pending.add(settled);
  }

  /** Queues a file operation behind the others; a failure is logged as "cannot `what`". */
  queueFile(what: string, operation: () => Promise<void>): void {
    this.#files = this.#files.then(operation).catch((error) => {
      this.#log(`cannot ${what}: ${(error as Error).message}`);
    });
    this.track(this.#files);
  }

  /** Resolves once the file operations queued so far have ended. */
  filesDone(): Promise<void> {
    return this.#files;
  }

  /** Settles as `promise`, or rejects once `ms` passed on the runner's timer. */
  bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
    let cancel: (() => void) | undefined;
    const expired = new Promise<never>((_, reject) => {
      cancel = this.#timer(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    return Promise.race([promise, expired]).finally(() => cancel?.());
  }

  /** Waits at most `ms` (real time) for what still runs; how many operations are left. */
  async settle(ms: number): Promise<number> {
    return await settlesWithin(Promise.all([...this.#pending]), ms) ? 0 : this.#pending.size;
  }
}
