/**
 * The accept loop of a listening socket that does not die: an accept that fails (too many open
 * files, a connection aborted before it was taken, and so on) is reported once per burst, the loop waits
 * a back-off of at most a second and goes on, and the owner is told while accepting fails, so its
 * health check can say so. The TARS server and the registry's HTTP server share it.
 *
 * @module
 */
import { type Backoff, backoffDelay, delay } from "../lib/timers.ts";

/** Waits between failing accepts: 10 ms, doubling, at most 1 s. */
export const ACCEPT_BACKOFF: Backoff = { first: 10, max: 1000 };

/** An accept that has been waiting this long without failing ends a burst of errors. */
const CALM_MS = 1000;

/** What an accept loop is told and whom it tells. */
export interface AcceptLoopOptions<C> {
  /** Names the listener in log lines, e.g. `tcp -h 0.0.0.0 -p 17890`. */
  readonly name: string;
  /** Takes each accepted connection. */
  readonly onConnection: (conn: C) => void;
  /** True once the owner closes the listener: an error then ends the loop quietly. */
  readonly stopping: () => boolean;
  /** Where the start and the end of a burst of accept errors are reported. */
  readonly log: (line: string) => void;
  /** Told why accepting fails when a burst starts, and undefined when it works again. */
  readonly onFailing: (reason: string | undefined) => void;
  /** Waits between failing accepts (default {@linkcode ACCEPT_BACKOFF}). */
  readonly backoff?: Backoff;
}

/** Accepts connections until the listener is closed; never rejects. */
export async function acceptLoop<C>(
  listener: { accept(): Promise<C> },
  options: AcceptLoopOptions<C>,
): Promise<void> {
  const backoff = options.backoff ?? ACCEPT_BACKOFF;
  let failures = 0;
  let burstStarted = 0;
  const recovered = () => {
    if (failures === 0) return;
    const seconds = ((performance.now() - burstStarted) / 1000).toFixed(1);
    options.log(
      `${options.name}: accepting connections again after ${failures} failed accept(s) ` +
        `in ${seconds} s`,
    );
    failures = 0;
    options.onFailing(undefined);
  };
  for (;;) {
    // After errors, an accept that simply waits (nobody connecting) means accepting works again.
    const calm = failures > 0 ? setTimeout(recovered, CALM_MS) : undefined;
    let conn: C;
    try {
      conn = await listener.accept();
    } catch (error) {
      clearTimeout(calm);
      if (options.stopping() || isClosedListener(error)) return;
      const reason = (error as Error).message;
      if (failures === 0) {
        burstStarted = performance.now();
        options.log(
          `${options.name}: accepting a connection failed: ${reason}; retrying with a back-off ` +
            `of at most ${backoff.max} ms (more failures of this burst are not logged)`,
        );
        options.onFailing(`cannot accept connections on ${options.name}: ${reason}`);
      }
      failures++;
      await delay(backoffDelay(failures, backoff));
      continue;
    }
    clearTimeout(calm);
    recovered();
    options.onConnection(conn);
  }
}

function isClosedListener(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted;
}
