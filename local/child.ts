/**
 * A child process for end-to-end tests and the demo: its output kept line by line, waits on a
 * line with a bound, and a stop that escalates from a signal to SIGKILL, so no test leaves a
 * process behind or waits forever.
 *
 * @module
 */

import { settlesWithin } from "../lib/timers.ts";

/** A started process. */
export interface Child {
  readonly name: string;
  readonly pid: number;
  /** Every line it printed so far, stdout and stderr interleaved as they arrived. */
  readonly lines: readonly string[];
  /** The lines of its standard output alone. */
  readonly stdout: readonly string[];
  /** The lines of its standard error alone. */
  readonly stderr: readonly string[];
  /** Resolves when it exited and both output pipes reached their end. */
  readonly done: Promise<Deno.CommandStatus>;
  /** True once it exited. */
  readonly exited: boolean;
  /** Resolves with the first line (printed before or after the call) matching `pattern`. */
  waitForLine(pattern: RegExp, timeout: number): Promise<RegExpExecArray>;
  /**
   * Sends `signal` (default SIGTERM), waits up to `grace` ms, then SIGKILL. Resolves with the
   * status and whether SIGKILL was needed.
   */
  stop(options: { signal?: Deno.Signal; grace: number }): Promise<StopOutcome>;
}

/** How a {@linkcode Child} ended after {@linkcode Child.stop}. */
export interface StopOutcome {
  readonly status: Deno.CommandStatus;
  readonly killed: boolean;
}

/** Options of {@linkcode spawnChild}. */
export interface SpawnChildOptions {
  readonly args?: string[];
  readonly cwd?: string | URL;
  /** Added to the inherited environment. */
  readonly env?: Record<string, string>;
  /** Called with each line as it arrives (after it is kept). */
  readonly onLine?: (line: string) => void;
  /**
   * Runs it in a process group of its own, out of the reach of a terminal's Ctrl-C (which goes to
   * the whole foreground group).
   */
  readonly detached?: boolean;
}

/** Spawns `command` with piped output and stdin from /dev/null. */
export function spawnChild(name: string, command: string, options: SpawnChildOptions): Child {
  const process = new Deno.Command(command, {
    args: options.args ?? [],
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    detached: options.detached,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const stdout: string[] = [];
  const watchers = new Set<() => void>();
  const onLine = (line: string) => {
    lines.push(line);
    options.onLine?.(line);
    for (const watcher of watchers) watcher();
  };
  const stderr: string[] = [];
  const onStdoutLine = (line: string) => {
    stdout.push(line);
    onLine(line);
  };
  const onStderrLine = (line: string) => {
    stderr.push(line);
    onLine(line);
  };
  let exited = false;
  const done = Promise.all([
    readLines(process.stdout, onStdoutLine),
    readLines(process.stderr, onStderrLine),
  ])
    .then(() => process.status).then((status) => {
      exited = true;
      for (const watcher of watchers) watcher();
      return status;
    });

  function signal(sig: Deno.Signal): void {
    if (exited) return;
    try {
      process.kill(sig);
    } catch (error) {
      // A TypeError means it exited meanwhile.
      if (!(error instanceof TypeError)) throw error;
    }
  }

  return {
    name,
    pid: process.pid,
    lines,
    stdout,
    stderr,
    done,
    get exited() {
      return exited;
    },
    waitForLine(pattern, timeout) {
      return new Promise((resolve, reject) => {
        let checked = 0;
        const check = () => {
          for (; checked < lines.length; checked++) {
            const match = pattern.exec(lines[checked]);
            if (match) return finish(() => resolve(match));
          }
          if (exited) {
            finish(() =>
              reject(new Error(`${name} exited before printing ${pattern}:\n${tail(lines)}`))
            );
          }
        };
        const timer = setTimeout(
          () =>
            finish(() =>
              reject(
                new Error(`${name} did not print ${pattern} within ${timeout} ms:\n${tail(lines)}`),
              )
            ),
          timeout,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          watchers.delete(check);
          settle();
        };
        watchers.add(check);
        check();
      });
    },
    async stop({ signal: sig = "SIGTERM", grace }) {
      signal(sig);
      const killed = !await settlesWithin(done, grace);
      if (killed) signal("SIGKILL");
      return { status: await done, killed };
    },
  };
}

/** What {@linkcode runChild} gives. */
export interface RunResult {
  /** The exit code; 124 when it was killed at the timeout. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `command` to its end, SIGKILLed after `timeout` ms. */
export async function runChild(
  command: string,
  options: SpawnChildOptions & { timeout: number },
): Promise<RunResult> {
  const child = spawnChild(command, command, options);
  const timedOut = !await settlesWithin(child.done, options.timeout);
  const status = timedOut
    ? (await child.stop({ signal: "SIGKILL", grace: 10_000 })).status
    : await child.done;
  return {
    code: timedOut ? 124 : status.code,
    stdout: child.stdout.join("\n"),
    stderr: (timedOut ? [`timed out after ${options.timeout} ms`, ...child.stderr] : child.stderr)
      .join("\n"),
  };
}

/** The last lines of a child's output, for error messages. */
export function tail(lines: readonly string[], count = 30): string {
  return lines.slice(-count).join("\n");
}

/** Reads a byte stream to its end, line by line. */
export async function readLines(
  stream: ReadableStream<Uint8Array>,
  onLine: (line: string) => void,
): Promise<void> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop()!;
    lines.forEach(onLine);
  }
  if (rest) onLine(rest);
}
