import assert from "node:assert/strict";
import {
  initialState,
  MACHINE_DEFAULTS,
  NODE_ANSWER,
  type SupervisorEvent,
  type SupervisorState,
} from "./machine.ts";
import { MAX_NODE_REQUESTS, NODE_NOTIFY_TIMEOUT, NodeRequests } from "./node_requests.ts";
import type { AdminChannel } from "./pod.ts";
import { RunnerWork } from "./runner_work.ts";
import { fakeClock } from "../tests/support/fake_clock.ts";

const RUNNING: SupervisorState = {
  ...initialState({
    ...MACHINE_DEFAULTS,
    checkInterval: 1000,
    reportInterval: 1000,
    activatingTimeout: 1000,
    prestopWaitTime: 1000,
    stopGrace: 1000,
  }),
  phase: "running",
  serviceState: "active",
  reason: "every endpoint accepts connections",
  service: { kind: "running", run: 1, since: 0, terminating: false },
};

/** Node requests on a runner whose machine state, admin and dispatches the test holds. */
function nodeRequests() {
  const clock = fakeClock();
  const work = new RunnerWork({ dispatch: () => {}, log: () => {}, timer: clock.timer });
  const h = {
    clock,
    machine: RUNNING,
    dispatched: [] as SupervisorEvent[],
    notified: [] as string[],
    lines: [] as string[],
    adminAnswer: (command: string): Promise<string> => Promise.resolve(`done: ${command}`),
    admin: undefined as AdminChannel | undefined,
  };
  h.admin = {
    notify: (command) => {
      h.notified.push(command);
      return h.adminAnswer(command);
    },
    shutdown: () => Promise.resolve(),
  };
  const requests = new NodeRequests({
    machine: () => h.machine,
    dispatch: (event) => h.dispatched.push(event),
    servicePid: () => 4242,
    admin: () => h.admin,
    bounded: (promise, ms) => work.bounded(promise, ms),
    log: (line) => h.lines.push(line),
  });
  return { h, requests };
}

Deno.test("node requests", async (t) => {
  await t.step(
    "a request is a nodeRequest event, answered by the machine's nodeAnswer",
    async () => {
      const { h, requests } = nodeRequests();
      const stop = requests.request("stop");
      const restart = requests.request("restart");
      assert.deepEqual(h.dispatched, [
        { type: "nodeRequest", id: 1, kind: "stop" },
        { type: "nodeRequest", id: 2, kind: "restart" },
      ]);
      requests.answer([2], { ret: 0, result: "restarted" });
      assert.deepEqual(await restart, { ret: 0, result: "restarted" });
      requests.answerAll({ ret: NODE_ANSWER.STATE, result: "the supervisor exited" });
      assert.deepEqual(await stop, { ret: NODE_ANSWER.STATE, result: "the supervisor exited" });
    },
  );

  await t.step(`at most ${MAX_NODE_REQUESTS} wait; the next is answered busy at once`, async () => {
    const { h, requests } = nodeRequests();
    for (let i = 0; i < MAX_NODE_REQUESTS; i++) requests.request("start");
    assert.deepEqual(await requests.request("start"), {
      ret: NODE_ANSWER.BUSY,
      result: `${MAX_NODE_REQUESTS} requests wait already; try again when they are answered`,
    });
    assert.equal(h.dispatched.length, MAX_NODE_REQUESTS);
    requests.answerAll({ ret: 0, result: "" });
  });

  await t.step("a request once the machine exited is answered at once", async () => {
    const { h, requests } = nodeRequests();
    h.machine = { ...RUNNING, phase: "exited" };
    assert.deepEqual(await requests.request("restart"), {
      ret: NODE_ANSWER.STATE,
      result: "the supervisor is exiting",
    });
  });

  await t.step("status: the machine's state; the pid only while the service runs", () => {
    const { h, requests } = nodeRequests();
    assert.deepEqual(requests.status(), {
      state: "active",
      reason: "every endpoint accepts connections",
      pid: 4242,
      held: false,
    });
    h.machine = { ...RUNNING, service: { kind: "none" }, serviceState: "inactive", held: true };
    assert.deepEqual([requests.status().pid, requests.status().held], [0, true]);
  });

  await t.step("notify: the service's answer, logged; a failure answers -1", async () => {
    const { h, requests } = nodeRequests();
    assert.deepEqual(await requests.notify("tars.viewstatus"), {
      ret: 0,
      result: "done: tars.viewstatus",
    });
    assert.deepEqual(h.lines, ['node: notifyServer "tars.viewstatus"']);
    h.adminAnswer = () => Promise.reject(new Error("connection refused"));
    assert.deepEqual(await requests.notify("tars.viewstatus"), {
      ret: NODE_ANSWER.FAILED,
      result: 'AdminF.notify("tars.viewstatus") to the service failed: connection refused',
    });
  });

  await t.step(`notify: no answer within ${NODE_NOTIFY_TIMEOUT} ms answers -1`, async () => {
    const { h, requests } = nodeRequests();
    h.adminAnswer = () => new Promise(() => {});
    const answer = requests.notify("tars.viewstatus");
    h.clock.advance(NODE_NOTIFY_TIMEOUT);
    assert.deepEqual(await answer, {
      ret: NODE_ANSWER.FAILED,
      result: `AdminF.notify("tars.viewstatus") to the service failed: no answer within ` +
        `${NODE_NOTIFY_TIMEOUT} ms`,
    });
  });

  await t.step("notify: not sent while the service does not run, or before genconf", async () => {
    const { h, requests } = nodeRequests();
    h.machine = { ...RUNNING, service: { kind: "none" }, serviceState: "inactive", reason: "x" };
    assert.deepEqual(await requests.notify("tars.viewstatus"), {
      ret: NODE_ANSWER.FAILED,
      result: "the service is not running (inactive: x)",
    });
    h.machine = RUNNING;
    h.admin = undefined;
    assert.equal((await requests.notify("tars.viewstatus")).ret, NODE_ANSWER.FAILED);
    assert.deepEqual(h.notified, []);
  });
});
