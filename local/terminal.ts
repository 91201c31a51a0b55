/**
 * What the demo and the example command share as programs run in a terminal: Ctrl-C as an
 * AbortSignal, the exit code it gives, and bounded waits that end when it aborts.
 *
 * @module
 */
import { delay } from "../lib/timers.ts";

/** The exit code of a program stopped by Ctrl-C, as shells report it (128 + SIGINT). */
export const INTERRUPTED_EXIT_CODE = 130;

/** How {@linkcode runInTerminal} tells what happened. */
export interface TerminalOptions {
  /** Printed at the first Ctrl-C, before the program's signal aborts. */
  readonly interrupted: string;
  /** Starts the line printed for an error other than the interruption: `${failed}: ${message}`. */
  readonly failed: string;
}

/**
 * Runs `program` with a signal that aborts at the first Ctrl-C (SIGINT), and sets the exit code
 * once it ended: 130 when Ctrl-C stopped it (a rejection with the signal's reason is that stop,
 * and prints nothing), 1 with a line on stderr when it failed otherwise, else 0. A terminal's
 * Ctrl-C reaches the program once from the terminal and again from `deno task` and npm, which
 * pass on the signals they get: the first one counts, the others change nothing.
 */
export async function runInTerminal(
  program: (signal: AbortSignal) => Promise<void>,
  options: TerminalOptions,
): Promise<void> {
  const abort = new AbortController();
  const onInterrupt = () => {
    if (abort.signal.aborted) return;
    console.log(options.interrupted);
    abort.abort();
  };
  Deno.addSignalListener("SIGINT", onInterrupt);
  try {
    await program(abort.signal);
    Deno.exitCode = abort.signal.aborted ? INTERRUPTED_EXIT_CODE : 0;
  } catch (error) {
    if (abort.signal.aborted && error === abort.signal.reason) {
      Deno.exitCode = INTERRUPTED_EXIT_CODE;
    } else {
      console.error(`${options.failed}: ${(error as Error).message}`);
      Deno.exitCode = 1;
    }
  } finally {
    Deno.removeSignalListener("SIGINT", onInterrupt);
  }
}

/** How {@linkcode waitFor} waits. */
export interface WaitForOptions {
  /** The bound of the wait, ms. */
  readonly timeout: number;
  /** Ends the wait early: waitFor then throws the signal's reason. */
  readonly signal?: AbortSignal;
}

/**
 * Polls `probe` every 100 ms until it gives a value (or throws), at most `options.timeout` ms;
 * throws naming `what` when the time is out.
 */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  options: WaitForOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeout;
  for (;;) {
    options.signal?.throwIfAborted();
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${options.timeout / 1000} s waiting for ${what}`);
    }
    await delay(100);
  }
}
