/**
 * The node requests of the supervisor's machine (machine_node_requests.ts) as sequences of
 * events on a clock the test moves.
 */
import assert from "node:assert/strict";
import { assertWithinBudget, CONFIG, DOWN, Drive, kinds, UP } from "./machine_drive.ts";
import { STOP_SLACK, type SupervisorEffect } from "./machine.ts";

/** The `nodeAnswer` effects so far, as `ids ret result`. */
function answers(d: Drive): string[] {
  return d.of("nodeAnswer").map((a) => `${a.ids.join(",")} ${a.ret} ${a.result}`);
}

/** Drives a halt that goes well: shutdown taken, the ports closed, the service exits. */
function haltCleanly(d: Drive, run: number): SupervisorEffect[] {
  d.send({ type: "shutdownAnswered", ok: true });
  d.send({ type: "portsProbed", open: false });
  assert.equal(d.of("terminate").length > 0, true);
  d.after(50);
  return d.send({ type: "exited", run, exit: { code: 0, signal: null } });
}

Deno.test("machine: node requests: restart, stop, and a stop without a drain", async (t) => {
  await t.step("restartServer: drain, stop, start, answered once active again", () => {
    const d = new Drive();
    d.active();
    const asked = d.now;
    const drain = d.send({ type: "nodeRequest", id: 1, kind: "restart" });
    assert.deepEqual(kinds(drain), [
      "writeState deactivating",
      "registry heartbeat deactivating",
      "adminNotify",
    ]);
    assert.equal(d.of("adminNotify", drain)[0].command, "prestop");
    d.send({ type: "registryAnswered", call: "heartbeat", outcome: "ok" });
    // Check rounds during the drain keep the state, and judge no endpoints.
    d.to(d.wakeAt!);
    assert.deepEqual(d.of("check").at(-1), { type: "check", service: false });
    assert.deepEqual(kinds(d.checked(undefined)), ["writeState deactivating"]);
    // The end of TARS_PRESTOP_WAITTIME: AdminF.shutdown, as a pod's stop.
    let halting: SupervisorEffect[] = [];
    while (d.of("adminShutdown", halting).length === 0) {
      halting = d.to(d.wakeAt!);
      if (d.state.checking) d.checked(undefined);
    }
    assert.equal(d.now - asked, CONFIG.prestopWaitTime);
    const exit = haltCleanly(d, 1);
    assert.deepEqual(kinds(exit).slice(0, 4), [
      "showStartLog",
      "launch",
      "report",
      "writeState activating",
    ]);
    assert.ok(!d.of("report", exit).some((r) => r.level !== "normal"), "no crash report");
    assert.deepEqual(answers(d), []);
    // A check round at once; the endpoints up: active, answered, back in traffic.
    assert.deepEqual(d.of("check", exit), [{ type: "check", service: true }]);
    const up = d.checked(UP);
    assert.deepEqual(answers(d), ["1 0 restarted: the service is active again"]);
    assert.deepEqual(kinds(up).slice(0, 2), ["writeState active", "nodeAnswer"]);
    d.send({ type: "registryAnswered", call: "heartbeat", outcome: "ok" });
    assert.ok(kinds(d.effects).includes("registry heartbeat active"));
    assert.equal(d.state.serviceState, "active");
    assert.equal(d.state.op, undefined);
  });

  await t.step("stopServer: drain, stop, held down and inactive until startServer", () => {
    const d = new Drive({ prestopWaitTime: 5000 });
    d.active();
    d.send({ type: "nodeRequest", id: 7, kind: "stop" });
    d.send({ type: "registryAnswered", call: "heartbeat", outcome: "ok" });
    d.after(5000);
    if (d.state.checking) d.checked(undefined);
    assert.equal(d.state.op?.stage, "halting");
    const exit = haltCleanly(d, 1);
    assert.deepEqual(kinds(exit), [
      "showStartLog",
      "writeState inactive",
      "registry heartbeat inactive",
      "nodeAnswer",
    ]);
    assert.deepEqual(answers(d), ["7 0 stopped (exit code 0); the service stays down"]);
    d.send({ type: "registryAnswered", call: "heartbeat", outcome: "ok" });
    // Not restarted, round after round; the state file says why.
    for (let i = 0; i < 5; i++) {
      d.to(d.wakeAt!);
      assert.equal(d.of("launch", d.checked(undefined)).length, 0);
    }
    assert.equal(d.of("launch").length, 1);
    assert.equal(d.state.serviceState, "inactive");
    assert.match(d.state.reason, /^held down by stopServer/);
    // A second stop: already stopped.
    d.send({ type: "nodeRequest", id: 8, kind: "stop" });
    assert.equal(answers(d).at(-1), "8 0 already stopped: the service is held down");
    // startServer: launched at once, answered once active.
    const start = d.send({ type: "nodeRequest", id: 9, kind: "start" });
    assert.deepEqual(d.of("launch", start), [{ type: "launch", run: 2 }]);
    assert.equal(d.state.held, false);
    if (!d.state.checking) d.to(d.wakeAt!);
    d.checked(DOWN);
    assert.equal(d.state.serviceState, "activating");
    assert.equal(answers(d).length, 2);
    // Checked again after nodeRecheck, not after the whole check interval.
    const before = d.now;
    d.to(d.wakeAt!);
    assert.equal(d.now - before, CONFIG.nodeRecheck);
    d.checked(UP);
    assert.deepEqual(answers(d).at(-1), "9 0 started: the service is active");
    assert.equal(d.state.serviceState, "active");
  });

  await t.step("a service not in traffic is stopped without a drain", () => {
    const d = new Drive();
    d.started();
    d.checked(DOWN);
    assert.equal(d.state.serviceState, "activating");
    const effects = d.send({ type: "nodeRequest", id: 1, kind: "stop" });
    assert.deepEqual(kinds(effects), ["adminShutdown"]);
  });
});

Deno.test("machine: node requests: a stubborn service, sharing, refusals, SIGTERM", async (t) => {
  await t.step("a service that ignores AdminF.shutdown: SIGTERM after half the grace", () => {
    const d = new Drive({ prestopWaitTime: 1000 });
    d.active();
    d.send({ type: "nodeRequest", id: 1, kind: "stop" });
    d.after(1000);
    if (d.state.checking) d.checked(undefined);
    const haltAt = d.now;
    d.send({ type: "shutdownAnswered", ok: true });
    for (;;) {
      const effects = d.to(d.wakeAt!);
      if (d.state.checking) d.checked(undefined);
      if (d.of("probePorts", effects).length > 0) d.send({ type: "portsProbed", open: true });
      if (d.of("terminate", effects).length > 0) break;
    }
    assert.equal(d.now - haltAt, CONFIG.stopGrace / 2);
    assert.equal(d.of("terminate").at(-1)!.killAt, haltAt + CONFIG.stopGrace);
  });

  await t.step("requests of the same kind share the answer; another kind waits its turn", () => {
    const d = new Drive();
    d.active();
    d.send({ type: "nodeRequest", id: 1, kind: "restart" });
    assert.deepEqual(kinds(d.send({ type: "nodeRequest", id: 2, kind: "restart" })), []);
    d.send({ type: "nodeRequest", id: 3, kind: "stop" });
    assert.deepEqual(answers(d), [
      "3 1004 restartServer is in progress (draining); try again when it ends",
    ]);
    d.after(CONFIG.prestopWaitTime);
    if (d.state.checking) d.checked(undefined);
    haltCleanly(d, 1);
    if (!d.state.checking) d.to(d.wakeAt!);
    d.checked(UP);
    assert.equal(answers(d).at(-1), "1,2 0 restarted: the service is active again");
  });

  await t.step("startServer of a running service, and of one waiting for its restart", () => {
    const d = new Drive();
    d.active();
    d.send({ type: "nodeRequest", id: 1, kind: "start" });
    assert.deepEqual(answers(d), ["1 0 already running (active)"]);
    d.send({ type: "exited", run: 1, exit: { code: 1, signal: null } });
    d.to(d.wakeAt!);
    d.checked(undefined); // restarted at once by the back-off
    d.send({ type: "exited", run: 2, exit: { code: 1, signal: null } });
    assert.equal(d.state.service.kind, "down");
    const start = d.send({ type: "nodeRequest", id: 2, kind: "start" });
    assert.deepEqual(d.of("launch", start), [{ type: "launch", run: 3 }]);
  });

  await t.step("a restarted service that ends before it is active: answered -1", () => {
    const d = new Drive();
    d.active();
    d.send({ type: "nodeRequest", id: 1, kind: "restart" });
    d.after(CONFIG.prestopWaitTime);
    if (d.state.checking) d.checked(undefined);
    haltCleanly(d, 1);
    d.send({ type: "exited", run: 2, exit: { code: 2, signal: null } });
    assert.deepEqual(answers(d), [
      "1 -1 the service ended (exit code 2) before it was active; see log/start.log",
    ]);
    // From here on it is an ordinary crash: reported, and restarted.
    assert.equal(d.of("report").at(-1)!.level, "warn");
    assert.equal(d.state.service.kind, "down");
  });

  await t.step("a started service never active: answered -1 at nodeStartWait, kept running", () => {
    const d = new Drive({ nodeStartWait: 5000 });
    d.active();
    d.send({ type: "nodeRequest", id: 1, kind: "stop" });
    d.after(CONFIG.prestopWaitTime);
    if (d.state.checking) d.checked(undefined);
    haltCleanly(d, 1);
    d.send({ type: "nodeRequest", id: 2, kind: "start" });
    const started = d.now;
    while (answers(d).length < 2) {
      d.to(d.wakeAt!);
      if (d.state.checking) d.checked(DOWN);
    }
    assert.equal(d.now - started, 5000);
    assert.match(answers(d)[1], /^2 -1 the service is not active 5000 ms after its start/);
    assert.equal(d.state.service.kind, "running");
  });

  await t.step("not before the service runs, nor while the pod stops", () => {
    const d = new Drive();
    d.send({ type: "start" });
    d.send({ type: "nodeRequest", id: 1, kind: "restart" });
    d.send({ type: "configured" });
    d.send({ type: "nodeRequest", id: 2, kind: "stop" });
    assert.deepEqual(answers(d), [
      "1 1004 the service has not started yet (starting up); try again once it runs",
      "2 1004 the service has not started yet (registering the pod with the registry); try " +
      "again once it runs",
    ]);
    d.send({ type: "registryAnswered", call: "register", outcome: "ok" });
    d.send({ type: "stop", signal: "SIGTERM" });
    d.send({ type: "nodeRequest", id: 3, kind: "start" });
    assert.equal(answers(d).at(-1), "3 1004 the pod is stopping");
  });

  await t.step("SIGTERM during a restart: answered, and the pod's stop keeps its budget", () => {
    const d = new Drive();
    d.active();
    d.send({ type: "nodeRequest", id: 1, kind: "restart" });
    d.after(CONFIG.prestopWaitTime);
    if (d.state.checking) d.checked(undefined);
    d.send({ type: "shutdownAnswered", ok: true });
    d.after(10);
    const stoppedAt = d.now;
    d.send({ type: "stop", signal: "SIGTERM" });
    assert.deepEqual(answers(d), ["1 1004 the pod is stopping (SIGTERM)"]);
    d.send({ type: "drainClaimed", already: false });
    d.to(stoppedAt + CONFIG.prestopWaitTime + CONFIG.stopGrace + STOP_SLACK);
    assertWithinBudget(d, stoppedAt);
    assert.equal(d.of("launch").length, 1, "not started again");
  });
});
