import assert from "node:assert/strict";
import { measureThreadCpu } from "./thread_cpu.ts";

function spawnSh(script: string): Deno.ChildProcess {
  return new Deno.Command("sh", { args: ["-c", script], stdin: "null", stdout: "null" }).spawn();
}

Deno.test("measureThreadCpu: a busy process counts its time on a CPU, a sleeping one about none", async () => {
  const busy = spawnSh("while :; do :; done");
  const idle = spawnSh("exec sleep 30");
  try {
    const [busyMs, idleMs] = await measureThreadCpu([busy.pid, idle.pid], {
      windowMs: 600,
      pollMs: 100,
    });
    // Loose bounds: the loop shares two cores with the rest of a parallel test run.
    assert.ok(busyMs > 60, `busy loop: ${busyMs} ms in 600 ms`);
    assert.ok(idleMs < 20, `sleep: ${idleMs} ms in 600 ms`);
  } finally {
    busy.kill("SIGKILL");
    idle.kill("SIGKILL");
    await Promise.all([busy.status, idle.status]);
  }
});

Deno.test("measureThreadCpu: a process that ends within the window is an error naming it", async () => {
  const short = spawnSh("exec sleep 0.2");
  const [outcome] = await Promise.allSettled([
    measureThreadCpu([short.pid], { windowMs: 2000, pollMs: 50 }),
    short.status,
  ]);
  assert.equal(outcome.status, "rejected");
  assert.match(
    String(outcome.reason),
    new RegExp(`Process ${short.pid} ended during the CPU window`),
  );
});

Deno.test("measureThreadCpu: a process that is not running is an error naming it", async () => {
  const gone = spawnSh("exit 0");
  await gone.status;
  await assert.rejects(
    () => measureThreadCpu([gone.pid], { windowMs: 100 }),
    new RegExp(`Process ${gone.pid} is not running`),
  );
});
