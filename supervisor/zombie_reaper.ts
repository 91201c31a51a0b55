/**
 * Reaps orphaned zombies. As PID 1 of a container (or as a child subreaper) the supervisor becomes
 * the parent of every process whose own parent died, and the kernel keeps each such process as a
 * zombie until its parent collects it. A pass reads `/proc` and collects only zombies whose parent
 * is this process and that it did not spawn itself: the children in `ownChildren` belong to Deno,
 * which must collect their status (reaping every child, as `waitpid(-1)` does, would steal it).
 *
 * @module
 */
import { join } from "../lib/posix_path.ts";
import { ifExistsSync } from "../lib/not_found.ts";

/** Reaps orphaned zombies re-parented to this process (when it is PID 1 or a subreaper) without touching the children it spawned itself. */
export interface ZombieReaper {
  /** One pass; returns the reaped pids. */
  reap(): number[];
  /** Stops the periodic timer and the SIGCHLD listener. */
  close(): void;
}

/** Options of {@linkcode startZombieReaper}. */
export interface ZombieReaperOptions {
  /** Children this process spawned and Deno still has to collect (`ProcessRunner.live`). */
  readonly ownChildren: ReadonlySet<number>;
  /** Period of the passes in ms, default 1000; a SIGCHLD also starts a pass. */
  readonly interval?: number;
  /** Where the process table is, default `/proc`. */
  readonly procRoot?: string;
  /** Collects one zombie child without blocking; true when it was collected. Default: libc `waitpid(pid, NULL, WNOHANG)`. */
  readonly waitpid?: (pid: number) => boolean;
  /** Reports reaped zombies and failures. Default: stderr. */
  readonly log?: (line: string) => void;
}

const WNOHANG = 1;

/** A zombie child found in the process table. */
interface Zombie {
  readonly pid: number;
  readonly command: string;
}

/**
 * Parses `/proc/PID/stat` (`pid (comm) S ppid ...`; comm may hold spaces and parentheses) into
 * the state letter, the parent pid and the command name.
 */
function parseStat(text: string): { state: string; ppid: number; command: string } | undefined {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return undefined;
  const fields = text.slice(close + 2).split(" ");
  const ppid = Number(fields[1]);
  if (!fields[0] || !Number.isInteger(ppid)) return undefined;
  return { state: fields[0], ppid, command: text.slice(open + 1, close) };
}

/** Zombies under `procRoot` whose parent is `parent` and that are not in `skip`. */
function findZombies(procRoot: string, parent: number, skip: ReadonlySet<number>): Zombie[] {
  const zombies: Zombie[] = [];
  for (const entry of Deno.readDirSync(procRoot)) {
    if (!/^\d+$/.test(entry.name)) continue;
    const pid = Number(entry.name);
    if (pid === parent || skip.has(pid)) continue;
    const text = ifExistsSync(() => Deno.readTextFileSync(join(procRoot, entry.name, "stat")));
    if (text === undefined) continue; // it ended while we listed /proc
    const stat = parseStat(text);
    if (stat === undefined) {
      throw new SyntaxError(`Unreadable ${join(procRoot, entry.name, "stat")}`);
    }
    if (stat.state === "Z" && stat.ppid === parent) zombies.push({ pid, command: stat.command });
  }
  return zombies;
}

/** `waitpid(pid, NULL, WNOHANG)` through libc, opened on the first call. */
function createLibcWaitpid(): { waitpid: (pid: number) => boolean; close(): void } {
  let lib:
    | Deno.DynamicLibrary<{
      waitpid: { parameters: ["i32", "pointer", "i32"]; result: "i32" };
    }>
    | undefined;
  return {
    waitpid(pid) {
      lib ??= Deno.dlopen("libc.so.6", {
        waitpid: { parameters: ["i32", "pointer", "i32"], result: "i32" },
      });
      return lib.symbols.waitpid(pid, null, WNOHANG) === pid;
    },
    close() {
      lib?.close();
      lib = undefined;
    },
  };
}

/**
 * Starts reaping: a pass every `interval` ms (the timer does not keep the process alive) and on
 * every SIGCHLD. Each reaped zombie is logged; a failure is logged once, not on every pass.
 */
export function startZombieReaper(options: ZombieReaperOptions): ZombieReaper {
  const procRoot = options.procRoot ?? "/proc";
  const log = options.log ?? ((line: string) => console.error(line));
  const libc = options.waitpid ? undefined : createLibcWaitpid();
  const waitpid = options.waitpid ?? libc!.waitpid;
  /** Zombies waitpid failed on, reported already (retried quietly); forgotten once they leave the table. */
  const failed = new Set<number>();
  let lastError = "";

  function reap(): number[] {
    const reaped: number[] = [];
    let zombies: Zombie[];
    try {
      zombies = findZombies(procRoot, Deno.pid, options.ownChildren);
    } catch (error) {
      const message = `Cannot list zombies in ${procRoot}: ${(error as Error).message}`;
      if (message !== lastError) log(message);
      lastError = message;
      return reaped;
    }
    lastError = "";
    for (const pid of failed) {
      if (!zombies.some((z) => z.pid === pid)) failed.delete(pid);
    }
    for (const zombie of zombies) {
      let ok: boolean;
      let why = "waitpid did not collect it";
      try {
        ok = waitpid(zombie.pid);
      } catch (error) {
        ok = false;
        why = (error as Error).message;
      }
      if (ok) {
        reaped.push(zombie.pid);
        log(`Reaped orphaned zombie ${zombie.pid} (${zombie.command})`);
      } else if (!failed.has(zombie.pid)) {
        failed.add(zombie.pid);
        log(`Cannot reap orphaned zombie ${zombie.pid} (${zombie.command}): ${why}`);
      }
    }
    return reaped;
  }

  const onChild = () => {
    reap();
  };
  Deno.addSignalListener("SIGCHLD", onChild);
  const timer = setInterval(reap, options.interval ?? 1000);
  Deno.unrefTimer(timer);
  return {
    reap,
    close() {
      clearInterval(timer);
      Deno.removeSignalListener("SIGCHLD", onChild);
      libc?.close();
    },
  };
}
