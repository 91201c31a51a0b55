import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startZombieReaper } from "./zombie_reaper.ts";

/** Writes `<root>/<pid>/stat` files: [pid, command, state, ppid]. */
async function fakeProc(rows: [number, string, string, number][]): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "zombie_reaper_test_" });
  for (const [pid, command, state, ppid] of rows) {
    await Deno.mkdir(join(root, String(pid)));
    await Deno.writeTextFile(
      join(root, String(pid), "stat"),
      `${pid} (${command}) ${state} ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0\n`,
    );
  }
  return root;
}

Deno.test("zombie reaper selection", async (t) => {
  const me = Deno.pid;

  await t.step("reaps only zombies of ours that we did not spawn", async () => {
    const root = await fakeProc([
      [me, "deno", "S", 1],
      [101, "sleep", "Z", me], // orphan zombie: reaped
      [102, "sh", "Z", me], // our own child, not yet collected by Deno
      [103, "other", "Z", 1], // someone else's zombie
      [104, "worker", "S", me], // running orphan
      [105, "a) Z (b", "Z", me], // a command name that looks like fields
    ]);
    await Deno.mkdir(join(root, "self"));
    await Deno.mkdir(join(root, "106")); // ended while /proc was listed: no stat file
    const calls: number[] = [];
    const logs: string[] = [];
    const reaper = startZombieReaper({
      ownChildren: new Set([102]),
      procRoot: root,
      interval: 3_600_000,
      waitpid: (pid) => (calls.push(pid), true),
      log: (line) => logs.push(line),
    });
    try {
      assert.deepEqual(reaper.reap().sort(), [101, 105]);
      assert.deepEqual(calls.sort(), [101, 105]);
      assert.deepEqual(logs.sort(), [
        "Reaped orphaned zombie 101 (sleep)",
        "Reaped orphaned zombie 105 (a) Z (b)",
      ]);
    } finally {
      reaper.close();
    }
  });

  await t.step("a failing waitpid is retried and reported once", async () => {
    const root = await fakeProc([[201, "stuck", "Z", me], [202, "thrower", "Z", me]]);
    const logs: string[] = [];
    let calls = 0;
    const reaper = startZombieReaper({
      ownChildren: new Set(),
      procRoot: root,
      interval: 3_600_000,
      waitpid: (pid) => {
        calls++;
        if (pid === 202) throw new Error("Cannot open libc");
        return false;
      },
      log: (line) => logs.push(line),
    });
    try {
      assert.deepEqual(reaper.reap(), []);
      assert.deepEqual(reaper.reap(), []);
      assert.equal(calls, 4);
      assert.deepEqual(logs.sort(), [
        "Cannot reap orphaned zombie 201 (stuck): waitpid did not collect it",
        "Cannot reap orphaned zombie 202 (thrower): Cannot open libc",
      ]);
    } finally {
      reaper.close();
    }
  });

  await t.step("an unreadable process table is reported once per error", async () => {
    const root = await fakeProc([]);
    const logs: string[] = [];
    const reaper = startZombieReaper({
      ownChildren: new Set(),
      procRoot: join(root, "missing"),
      interval: 3_600_000,
      waitpid: () => assert.fail("nothing to reap"),
      log: (line) => logs.push(line),
    });
    try {
      assert.deepEqual(reaper.reap(), []);
      assert.deepEqual(reaper.reap(), []);
      assert.equal(logs.length, 1);
      assert.match(logs[0], /^Cannot list zombies in .*missing: /);
    } finally {
      reaper.close();
    }
  });

  await t.step("a garbled stat file is reported", async () => {
    const root = await fakeProc([]);
    await Deno.mkdir(join(root, "301"));
    await Deno.writeTextFile(join(root, "301", "stat"), "garbage");
    const logs: string[] = [];
    const reaper = startZombieReaper({
      ownChildren: new Set(),
      procRoot: root,
      interval: 3_600_000,
      waitpid: () => assert.fail("nothing to reap"),
      log: (line) => logs.push(line),
    });
    try {
      assert.deepEqual(reaper.reap(), []);
      assert.deepEqual(logs, [
        `Cannot list zombies in ${root}: Unreadable ${join(root, "301", "stat")}`,
      ]);
    } finally {
      reaper.close();
    }
  });
});

Deno.test("zombie reaper as a subreaper, with real processes", async () => {
  const fixture = fileURLToPath(new URL("./testdata/zombie_reaper_fixture.ts", import.meta.url));
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", fixture],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, stderr);
  const result = JSON.parse(new TextDecoder().decode(output.stdout));
  // One pass with both zombies present: only the orphan is reaped, ours is left to Deno.
  assert.deepEqual(result.before, { orphan: "Z", own: "Z" });
  assert.deepEqual(result.reaped, [result.orphan]);
  assert.deepEqual(result.after, { orphan: "gone", own: "Z" });
  assert.deepEqual(result.ownStatus, { code: 7, signal: null });
  assert.deepEqual(result.live, []);
  // A SIGCHLD alone (the timer is an hour away) reaps the second orphan.
  assert.equal(result.orphan2State, "gone");
  assert.deepEqual(result.logs, [
    `Reaped orphaned zombie ${result.orphan} (cat)`,
    `Reaped orphaned zombie ${result.orphan2} (cat)`,
  ]);
});
