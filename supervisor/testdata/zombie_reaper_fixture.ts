/**
 * Run by zombie_reaper_test.ts in its own process: becomes a child subreaper (so orphans of its
 * children are re-parented to it, as they are to PID 1 in a container), makes an orphan zombie
 * and a zombie of its own, and prints what the reaper did as JSON on stdout.
 */
import { createProcessRunner } from "../../lib/process_group.ts";
import { startZombieReaper } from "../zombie_reaper.ts";
import { processState } from "../../tests/support/processes.ts";

const PR_SET_CHILD_SUBREAPER = 36;
const libc = Deno.dlopen("libc.so.6", {
  prctl: { parameters: ["i32", "u64", "u64", "u64", "u64"], result: "i32" },
});
if (libc.symbols.prctl(PR_SET_CHILD_SUBREAPER, 1n, 0n, 0n, 0n) !== 0) {
  throw new Error("prctl(PR_SET_CHILD_SUBREAPER) failed");
}
libc.close();

const runner = createProcessRunner();
const logs: string[] = [];
const reaper = startZombieReaper({
  ownChildren: runner.live,
  interval: 3_600_000, // only SIGCHLD and the explicit pass below run within this script
  log: (line) => logs.push(line),
});

/**
 * Starts `command` in the background of a shell that exits at once, so it becomes our orphan.
 * The orphan reads the shell's stdin: closing the returned `stdin` ends it.
 */
async function makeOrphan(command: string): Promise<{ pid: number; stdin: WritableStream }> {
  const shell = runner.spawn("sh", {
    args: ["-c", `exec 3<&0; ${command} <&3 >/dev/null 2>&1 & echo $!`],
    stdin: "piped",
    stdout: "piped",
  });
  const pid = Number((await new Response(shell.stdout).text()).trim());
  const status = await shell.status;
  if (!status.success || !(pid > 0)) throw new Error(`The orphan maker failed: ${status.code}`);
  return { pid, stdin: shell.stdin };
}

// Part 1: one synchronous pass sees two zombies, ours (not yet collected by Deno, whose event
// loop cannot run during the busy wait) and the orphan; it must reap only the orphan. Both end
// when their stdin closes, just before the busy wait.
const own = runner.spawn("sh", { args: ["-c", "cat >/dev/null; exit 7"], stdin: "piped" });
const orphan = await makeOrphan("cat");
await Promise.all([own.stdin.close(), orphan.stdin.close()]);
const deadline = Date.now() + 20_000;
while (
  Date.now() < deadline && !(processState(orphan.pid) === "Z" && processState(own.pid) === "Z")
) {
  // Busy wait on purpose: Deno must not collect `own`, nor SIGCHLD run a pass, before ours.
}
const before = { orphan: processState(orphan.pid), own: processState(own.pid) };
const reaped = reaper.reap();
const after = { orphan: processState(orphan.pid), own: processState(own.pid) };
const ownStatus = await own.status;

// Part 2: with the timer an hour away, a SIGCHLD alone must trigger the pass that reaps.
const orphan2 = await makeOrphan("cat");
await orphan2.stdin.close();
for (let i = 0; i < 500 && processState(orphan2.pid) !== "gone"; i++) {
  await new Promise((resolve) => setTimeout(resolve, 20));
}
reaper.close();

console.log(JSON.stringify({
  orphan: orphan.pid,
  ownPid: own.pid,
  before,
  reaped,
  after,
  ownStatus: { code: ownStatus.code, signal: ownStatus.signal },
  live: [...runner.live],
  orphan2: orphan2.pid,
  orphan2State: processState(orphan2.pid),
  logs,
}));
