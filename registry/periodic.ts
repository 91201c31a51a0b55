/**
 * Work the registry does on an interval (its own heartbeat, the reloads), one run at a time, with
 * a stop that waits for the run in progress.
 *
 * @module
 */

/** A task run on an interval; `stop` waits for a run in progress. */
export interface Periodic {
  stop(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs`, one run at a time (a slow run delays the next instead of
 * overlapping it). Failures go to `onError`; the schedule goes on.
 */
export function every(
  intervalMs: number,
  task: () => Promise<void>,
  onError: (error: unknown) => void,
): Periodic {
  let running: Promise<void> | undefined;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    if (!stopped) timer = setTimeout(tick, intervalMs);
  };
  const tick = () => {
    running = task().catch(onError).finally(() => {
      running = undefined;
      schedule();
    });
  };
  schedule();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
