import assert from "node:assert/strict";
import type { SupervisorEvent } from "./machine.ts";
import { RunnerWork } from "./runner_work.ts";
import { fakeClock } from "../tests/support/fake_clock.ts";

/** A RunnerWork on a fake clock, with what it dispatched and logged. */
function runnerWork() {
  const clock = fakeClock();
  const events: SupervisorEvent[] = [];
  const lines: string[] = [];
  const work = new RunnerWork({
    dispatch: (event) => events.push(event),
    log: (line) => lines.push(line),
    timer: clock.timer,
  });
  return { clock, events, lines, work };
}

/** Lets the promises that are ready settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("runner work", async (t) => {
  await t.step("an operation's event goes to the machine, its failure to the log", async () => {
    const { events, lines, work } = runnerWork();
    work.track(Promise.resolve({ type: "tick" }));
    work.track(Promise.resolve(undefined));
    work.track(Promise.reject(new Error("boom")));
    assert.equal(await work.settle(1000), 0);
    assert.deepEqual(events, [{ type: "tick" }]);
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^supervisor: Error: boom/);
  });

  await t.step("file operations run one after another; a failed one is logged", async () => {
    const { lines, work } = runnerWork();
    const order: string[] = [];
    let release!: () => void;
    const first = new Promise<void>((resolve) => release = resolve);
    work.queueFile("write a", async () => {
      await first;
      order.push("a");
    });
    work.queueFile("write b", () => Promise.reject(new Error("disk full")));
    work.queueFile("write c", () => {
      order.push("c");
      return Promise.resolve();
    });
    await settle();
    assert.deepEqual(order, [], "b and c wait for a");
    release();
    await work.filesDone();
    assert.deepEqual(order, ["a", "c"]);
    assert.deepEqual(lines, ["cannot write b: disk full"]);
  });

  await t.step("bounded: the answer, or a rejection when the timer passes the bound", async () => {
    const { clock, work } = runnerWork();
    assert.equal(await work.bounded(Promise.resolve(7), 100), 7);
    assert.deepEqual(clock.pendingTimers(), [], "its timer is cancelled");
    const late = work.bounded(new Promise(() => {}), 100);
    clock.advance(100);
    await assert.rejects(late, { message: "no answer within 100 ms" });
  });

  await t.step("settle: how many operations still run after the wait", async () => {
    const { work } = runnerWork();
    work.track(new Promise(() => {}));
    work.track(Promise.resolve());
    assert.equal(await work.settle(10), 1);
  });
});
