import assert from "node:assert/strict";
import { type ItemState, itemStateOf, itemStatusNumber, taskStatusNumber } from "./task_status.ts";

const STATES: ItemState[] = ["notStart", "running", "success", "failed", "cancel"];

Deno.test("task states: TarsWeb 2.x's numbers and the current IDL's", () => {
  assert.deepEqual(STATES.map((s) => itemStatusNumber(s, 2)), [0, 1, 2, 3, 4]);
  assert.deepEqual(STATES.map((s) => itemStatusNumber(s, 3)), [0, 2, 3, 4, 5]);
  for (const numbering of [2, 3] as const) {
    for (const state of STATES) {
      assert.equal(itemStateOf(itemStatusNumber(state, numbering), numbering), state);
    }
  }
  // The current IDL's PREPARE and PAUSE_FLOW are under way; an unknown number is a failure.
  assert.deepEqual([1, 6, 42].map((n) => itemStateOf(n, 3)), ["running", "running", "failed"]);
  assert.equal(itemStateOf(9, 2), "failed");
});

Deno.test("task states: a task is under way until every item ended", () => {
  const status = (states: ItemState[], numbering: 2 | 3 = 2) => taskStatusNumber(states, numbering);
  assert.equal(status(["notStart", "notStart"]), 0);
  assert.equal(status(["running", "notStart"]), 1);
  // A serial task whose first item is done: running, not partial (TarsWeb 2.x would fail it).
  assert.equal(status(["success", "notStart"]), 1);
  assert.equal(status(["success", "success"]), 2);
  assert.equal(status(["failed", "failed"]), 3);
  assert.equal(status(["cancel", "cancel"]), 4);
  assert.equal(status(["success", "failed"]), 5);
  assert.equal(status(["failed", "cancel"]), 5);
  assert.equal(status(["success", "success"], 3), 3);
  assert.equal(status(["success", "notStart"], 3), 2);
  assert.equal(status(["success", "cancel"], 3), 6);
});
