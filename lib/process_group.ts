/**
 * Running shell scripts in process groups of their own: the one place processes are spawned (a
 * {@linkcode ProcessRunner}), `sh` in a new group with its output piped, signals to the whole
 * group, output read to its end, and a script run with a time bound that kills everything it left.
 *
 * The runner remembers the children whose status Deno has not collected yet, so a zombie reaper
 * (which reaps orphans re-parented to PID 1) never takes a child away from Deno: a child reaped
 * behind Deno's back would never report its status.
 *
 * @module
 */
import { settlesWithin } from "./timers.ts";
import { ifExistsSync } from "./not_found.ts";

/** Spawns child processes and remembers the ones still running, so the zombie reaper leaves them to Deno. */
export interface ProcessRunner {
  /** Spawns `command` as `new Deno.Command(command, options).spawn()` does; the caller awaits `status`. */
  spawn(command: string, options?: Deno.CommandOptions): Deno.ChildProcess;
  /** PIDs spawned through this runner whose status has not been collected yet. */
  readonly live: ReadonlySet<number>;
}

/** A runner with an empty `live` set. */
export function createProcessRunner(): ProcessRunner {
  const live = new Set<number>();
  return {
    live,
    spawn(command, options) {
      const child = new Deno.Command(command, options).spawn();
      const pid = child.pid;
      live.add(pid);
      // Both branches only forget the pid; the caller awaits `status` itself and sees its error.
      const forget = () => live.delete(pid);
      child.status.then(forget, forget);
      return child;
    },
  };
}

/** Where and how a shell runs. */
export interface ShellOptions {
  readonly runner: ProcessRunner;
  readonly cwd: string;
  /** Added to the inherited environment. */
  readonly env?: Record<string, string>;
}

/**
 * Spawns `sh ARGS...` (`["-c", script]` or `[path]`) in a process group of its own (setsid; its pid
 * is the group id), stdin from /dev/null, stdout and stderr piped. Throws when sh cannot start.
 */
export function spawnShell(args: readonly string[], options: ShellOptions): Deno.ChildProcess {
  return options.runner.spawn("sh", {
    args: [...args],
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

/**
 * Sends `signal` to process group `pgid`. A group that is gone already is fine; any other failure
 * goes to `log`.
 */
export function signalGroup(
  pgid: number,
  signal: Deno.Signal,
  options: { log: (line: string) => void },
): void {
  try {
    ifExistsSync(() => Deno.kill(-pgid, signal));
  } catch (error) {
    options.log(`Cannot send ${signal} to process group ${pgid}: ${(error as Error).message}`);
  }
}

/** A stream being read: `done` resolves at its end (never rejects); `cancel` stops reading. */
export interface Drain {
  readonly done: Promise<void>;
  cancel(): Promise<void>;
}

/**
 * Reads `stream` into `sink` (awaited chunk by chunk) until its end or `cancel()`. A read or sink
 * failure ends the reading and goes to `onError`, so `done` never rejects.
 */
export function drain(
  stream: ReadableStream<Uint8Array>,
  sink: (chunk: Uint8Array) => void | Promise<void>,
  onError: (error: Error) => void,
): Drain {
  const reader = stream.getReader();
  const done = (async () => {
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) await sink(r.value);
    } catch (error) {
      onError(error as Error);
    }
  })();
  return { done, cancel: () => reader.cancel() };
}

/** Options of {@linkcode runInGroup}. */
export interface RunInGroupOptions extends ShellOptions {
  /** Takes each output pipe (stdout, then stderr) and reads it. */
  readonly output: (stream: ReadableStream<Uint8Array>) => Drain;
  /** SIGKILL to the group after this many ms. */
  readonly timeout?: number;
  /** SIGKILL to the group when this aborts. */
  readonly signal?: AbortSignal;
  /** How long the pipes may stay open after sh exited (a process that left the group), default 1 s. */
  readonly pipeGrace?: number;
  /** Reports signals that could not be sent; default stderr. */
  readonly log?: (line: string) => void;
}

/** How a {@linkcode runInGroup} run ended. */
export interface GroupExit {
  readonly status: Deno.CommandStatus;
  /** True when the timeout or the signal killed the group. */
  readonly killed: boolean;
}

/**
 * Runs `sh ARGS...` in a process group of its own until it exits, killing the group (SIGKILL) at the
 * timeout or when `signal` aborts. When sh exits, what it left in its group is killed too, and its
 * output is read to the end (at most `pipeGrace` longer: a process that left the group may hold
 * the pipes, and is not ours to wait for). Throws when sh cannot start.
 */
export async function runInGroup(
  args: readonly string[],
  options: RunInGroupOptions,
): Promise<GroupExit> {
  const log = options.log ?? ((line: string) => console.error(line));
  const child = spawnShell(args, options);
  const pipes = [options.output(child.stdout), options.output(child.stderr)];
  let killed = false;
  const kill = () => {
    killed = true;
    signalGroup(child.pid, "SIGKILL", { log });
  };
  const timer = options.timeout === undefined ? undefined : setTimeout(kill, options.timeout);
  if (options.signal?.aborted) kill();
  options.signal?.addEventListener("abort", kill, { once: true });
  const status = await child.status;
  clearTimeout(timer);
  options.signal?.removeEventListener("abort", kill);
  signalGroup(child.pid, "SIGKILL", { log });
  const reading = Promise.all(pipes.map((pipe) => pipe.done));
  if (!await settlesWithin(reading, options.pipeGrace ?? 1000)) {
    await Promise.all(pipes.map((pipe) => pipe.cancel()));
  }
  await reading;
  return { status, killed };
}
