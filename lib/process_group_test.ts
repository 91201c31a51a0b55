import assert from "node:assert/strict";
import { createProcessRunner } from "./process_group.ts";

Deno.test("process runner", async (t) => {
  await t.step("a child is live until its status is collected", async () => {
    const runner = createProcessRunner();
    const child = runner.spawn("sh", { args: ["-c", "read line; exit 3"], stdin: "piped" });
    assert.deepEqual([...runner.live], [child.pid]);
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode("go\n"));
    await writer.close();
    const status = await child.status;
    assert.equal(status.code, 3);
    assert.equal(runner.live.size, 0);
  });

  await t.step("several children are tracked apart", async () => {
    const runner = createProcessRunner();
    const quick = runner.spawn("true");
    const slow = runner.spawn("sh", { args: ["-c", "cat >/dev/null"], stdin: "piped" });
    assert.equal(runner.live.size, 2);
    await quick.status;
    assert.deepEqual([...runner.live], [slow.pid]);
    await slow.stdin.close();
    assert.equal((await slow.status).success, true);
    assert.equal(runner.live.size, 0);
  });

  await t.step("a command that cannot start throws and is not tracked", () => {
    const runner = createProcessRunner();
    assert.throws(() => runner.spawn("/nonexistent/tarscli-test-binary"), Deno.errors.NotFound);
    assert.equal(runner.live.size, 0);
  });
});
