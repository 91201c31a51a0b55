/**
 * The one place the supervisor spawns processes. It remembers the children whose status Deno has
 * not collected yet, so the zombie reaper (which reaps orphans re-parented to PID 1) never takes a
 * child away from Deno: a child reaped behind Deno's back would never report its status.
 *
 * @module
 */

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
