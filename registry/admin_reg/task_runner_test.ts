import assert from "node:assert/strict";
import { eventually } from "../../tests/support/eventually.ts";
import { fakeClock } from "../../tests/support/fake_clock.ts";
import { formatDatetime } from "../store/datetime.ts";
import { SqliteStore } from "../store/sqlite_store.ts";
import type { TaskItemRow, TaskRows } from "../store/mod.ts";
import type { Outcome } from "./operations.ts";
import { ABANDONED_AT_STOP, CANCELLED_AT_STOP, type TaskPlan, TaskRunner } from "./task_runner.ts";

const START = Date.UTC(2026, 2, 1, 9, 30, 0);

/** An item run the test finishes by hand: `finish(ret, result)`. */
interface Pending {
  readonly item: TaskItemRow;
  finish(ret: number, result: string): void;
}

async function setup(options: { parallel?: number } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "task_runner_test_" });
  const clock = fakeClock(START);
  const store = SqliteStore.open(`${dir}/registry.db`, { now: clock.now });
  const pending: Pending[] = [];
  const logged: string[] = [];
  let waiter: (() => void) | undefined;
  const runner = new TaskRunner({
    store,
    runItem: (item) =>
      new Promise<Outcome>((resolve) => {
        pending.push({ item, finish: (ret, result) => resolve({ ret, result }) });
        waiter?.();
      }),
    log: (line) => logged.push(line),
    parallel: options.parallel,
    timer: clock.timer,
  });
  /** Waits until `n` item runs are pending (each run starts after its start is written). */
  const started = async (n: number) => {
    while (pending.length < n) await new Promise<void>((resolve) => (waiter = resolve));
  };
  /** The items' states as `itemNo:status`. */
  const states = async (taskNo = "t1") =>
    (await store.task(taskNo))!.items.map((i) => `${i.itemNo}:${i.status}`);
  return {
    store,
    clock,
    runner,
    pending,
    logged,
    started,
    states,
    async close() {
      // Items a failed test left running end, so the stop does not wait for them.
      const stopped = runner.stop({ timeout: 1000 });
      for (const p of pending) p.finish(-1, "the test ended");
      clock.advance(1000);
      await stopped;
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

function task(count: number, overrides: Partial<TaskRows> = {}): TaskRows {
  return {
    taskNo: "t1",
    serial: true,
    userName: "admin",
    numbering: 2,
    items: Array.from({ length: count }, (_, i) => ({
      itemNo: `i${i + 1}`,
      application: "App",
      server: "Server",
      nodeName: `10.0.0.${i + 1}`,
      setName: "",
      command: "restart",
      parameters: "",
      status: 0,
    })),
    ...overrides,
  };
}

const SERIAL: TaskPlan = { kind: "serial" };
const PARALLEL: TaskPlan = { kind: "parallel" };

Deno.test("task runner: a serial task, item after item, each start and end written", async () => {
  const r = await setup();
  try {
    await r.runner.add(task(2), SERIAL);
    // Written before add resolved (another replica reads it at once); the first item started.
    assert.deepEqual(await r.states(), ["i1:1", "i2:0"]);
    await r.started(1);
    assert.deepEqual(await r.states(), ["i1:1", "i2:0"]);
    const [first] = (await r.store.task("t1"))!.items;
    assert.equal(first.startTime, formatDatetime(START));
    r.clock.advance(5_000);
    r.pending[0].finish(0, "restartServer succ");
    await r.started(2);
    assert.equal(r.pending[1].item.itemNo, "i2");
    assert.deepEqual(await r.states(), ["i1:2", "i2:1"]);
    r.clock.advance(7_000);
    r.pending[1].finish(0, "done");
    await r.runner.idle();
    const items = (await r.store.task("t1"))!.items;
    assert.deepEqual(items.map((i) => [i.status, i.log, i.endTime]), [
      [2, "restartServer succ", formatDatetime(START + 5_000)],
      [2, "done", formatDatetime(START + 12_000)],
    ]);
    assert.equal(r.runner.running, 0);
  } finally {
    await r.close();
  }
});

Deno.test("task runner: a serial task stops at the first failure, the rest cancelled", async () => {
  const r = await setup();
  try {
    await r.runner.add(task(3, { numbering: 3 }), SERIAL);
    await r.started(1);
    r.pending[0].finish(1002, "no answer within 25000 ms");
    await r.runner.idle();
    const items = (await r.store.task("t1"))!.items;
    // The current IDL's numbers: failed 4, cancel 5.
    assert.deepEqual(items.map((i) => [i.status, i.log]), [
      [4, "no answer within 25000 ms"],
      [5, "cancelled: an earlier item failed"],
      [5, "cancelled: an earlier item failed"],
    ]);
    assert.equal(r.pending.length, 1);
  } finally {
    await r.close();
  }
});

Deno.test("task runner: a parallel task runs its items at once, at most the limit", async () => {
  const r = await setup({ parallel: 2 });
  try {
    await r.runner.add(task(3, { serial: false }), PARALLEL);
    await r.started(2);
    assert.deepEqual(r.pending.map((p) => p.item.itemNo), ["i1", "i2"]);
    assert.deepEqual(await r.states(), ["i1:1", "i2:1", "i3:0"]);
    r.pending[1].finish(3, "stopServer failed");
    await r.started(3);
    r.pending[0].finish(0, "ok");
    r.pending[2].finish(0, "ok");
    await r.runner.idle();
    // A failure does not cancel the others.
    assert.deepEqual(await r.states(), ["i1:2", "i2:3", "i3:2"]);
  } finally {
    await r.close();
  }
});

Deno.test("task runner: in batches, each batch at once, one after another", async () => {
  const r = await setup();
  try {
    await r.runner.add(task(3, { serial: false }), { kind: "batches", size: 2 });
    await r.started(2);
    r.pending[0].finish(0, "ok");
    await eventually(1000, "the first item done", async () => (await r.states())[0] === "i1:2");
    // The next batch waits for the whole batch before it.
    assert.deepEqual(await r.states(), ["i1:2", "i2:1", "i3:0"]);
    r.pending[1].finish(0, "ok");
    await r.started(3);
    r.pending[2].finish(0, "ok");
    await r.runner.idle();
    assert.deepEqual(await r.states(), ["i1:2", "i2:2", "i3:2"]);
  } finally {
    await r.close();
  }
});

Deno.test("task runner: stop waits for the items running and cancels the rest", async () => {
  const r = await setup();
  try {
    await r.runner.add(task(2), SERIAL);
    await r.started(1);
    const stopped = r.runner.stop({ timeout: 30_000 });
    let done = false;
    stopped.then(() => (done = true));
    r.clock.advance(29_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(done, false, "stop waits for the item running");
    r.pending[0].finish(0, "ok");
    await stopped;
    const items = (await r.store.task("t1"))!.items;
    assert.deepEqual(items.map((i) => [i.status, i.log]), [[2, "ok"], [4, CANCELLED_AT_STOP]]);
    await assert.rejects(() => r.runner.add(task(1, { taskNo: "t2" }), SERIAL), /stopping/);
    assert.equal(await r.store.task("t2"), undefined);
  } finally {
    await r.close();
  }
});

Deno.test("task runner: an item still running when the stop gives up is written failed", async () => {
  const r = await setup();
  try {
    await r.runner.add(task(2, { serial: false }), PARALLEL);
    await r.started(2);
    r.pending[1].finish(0, "ok");
    await eventually(1000, "the second item done", async () => (await r.states())[1] === "i2:2");
    const stopped = r.runner.stop({ timeout: 30_000 });
    r.clock.advance(30_000);
    await stopped;
    const items = (await r.store.task("t1"))!.items;
    assert.deepEqual(items.map((i) => [i.status, i.log]), [[3, ABANDONED_AT_STOP], [2, "ok"]]);
    // Its late outcome is not written over it.
    r.pending[0].finish(0, "late");
    await r.runner.idle();
    assert.deepEqual((await r.store.task("t1"))!.items[0].log, ABANDONED_AT_STOP);
  } finally {
    await r.close();
  }
});

Deno.test("task runner: an item whose progress cannot be written still runs", async () => {
  const r = await setup();
  try {
    const failing = new TaskRunner({
      store: {
        addTask: (t) => r.store.addTask(t),
        changeTaskItem: () => Promise.reject(new Error("the store went away")),
      },
      runItem: () => Promise.resolve({ ret: 0, result: "ok" }),
      log: (line) => r.logged.push(line),
    });
    await failing.add(task(1), SERIAL);
    await failing.idle();
    assert.deepEqual(r.logged, [
      "Task t1 item i1: recording that it is running failed: the store went away",
      "Task t1 item i1: recording that it is success failed: the store went away",
    ]);
  } finally {
    await r.close();
  }
});
