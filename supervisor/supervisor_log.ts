/**
 * `$TARS_PATH/log/supervisor.log`: one timestamped line for every state change, registry call
 * and restart. Lines are appended in order through one open file; a failing write is reported
 * once on stderr and the supervisor keeps running (its log must not take the service down).
 *
 * @module
 */
import { dirname } from "../lib/posix_path.ts";

/** Writes one line to the supervisor's log. */
export type LogLine = (line: string) => void;

/** An open supervisor log. */
export interface SupervisorLog {
  readonly log: LogLine;
  /** Waits for every line written so far and closes the file. */
  close(): Promise<void>;
}

/**
 * Opens `path` for appending. Each line gets an ISO timestamp from `now` and is also passed to
 * `echo` (the supervisor echoes to stdout so `kubectl logs` shows it).
 */
export async function openSupervisorLog(
  path: string,
  options: { now?: () => number; echo?: LogLine; warn?: LogLine } = {},
): Promise<SupervisorLog> {
  const now = options.now ?? Date.now;
  const warn = options.warn ?? ((line) => console.error(line));
  await Deno.mkdir(dirname(path), { recursive: true });
  const file = await Deno.open(path, { append: true, create: true });
  const encoder = new TextEncoder();
  let pending: Promise<void> = Promise.resolve();
  let failed = false;
  return {
    log(line) {
      const stamped = `${new Date(now()).toISOString()} ${line}`;
      options.echo?.(stamped);
      const bytes = encoder.encode(stamped + "\n");
      pending = pending.then(async () => {
        let at = 0;
        while (at < bytes.length) at += await file.write(bytes.subarray(at));
      }).catch((error) => {
        if (!failed) {
          warn(`Cannot write ${path}: ${(error as Error).message}; logging to stdout only`);
        }
        failed = true;
      });
    },
    async close() {
      await pending;
      file.close();
    },
  };
}
