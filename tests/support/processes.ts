/**
 * What the tests ask of other processes: their state in `/proc`, and waiting for one to die.
 *
 * @module
 */
import { delay } from "../../lib/timers.ts";
import { ifExistsSync } from "../../lib/not_found.ts";

/** The state letter of a process (`S`, `R`, `Z`…); "gone" when it no longer exists. */
export function processState(pid: number): string {
  const stat = ifExistsSync(() => Deno.readTextFileSync(`/proc/${pid}/stat`));
  return stat === undefined ? "gone" : stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
}

/** Waits (at most 10 s) until `pid` is dead: gone or a zombie its parent has not collected. */
export async function waitDead(pid: number): Promise<string> {
  let state = processState(pid);
  for (let i = 0; i < 200 && state !== "gone" && state !== "Z"; i++) {
    await delay(50);
    state = processState(pid);
  }
  return state;
}

/** Pids of the processes whose environment holds `entry` (`TARS_PATH=/tmp/pod_…`). */
export async function processesWith(entry: string): Promise<number[]> {
  const found: number[] = [];
  for await (const proc of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(proc.name)) continue;
    // A process that ended meanwhile, or one of another user, has no environment to read.
    const environ = await Deno.readTextFile(`/proc/${proc.name}/environ`).catch(() => "");
    if (environ.split("\0").includes(entry)) found.push(Number(proc.name));
  }
  return found;
}
