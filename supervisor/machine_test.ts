/**
 * The supervisor's machine as sequences of events on a clock the test moves: no timers, no
 * sleeps, no I/O.
 */
import assert from "node:assert/strict";
import {
  assertWithinBudget,
  CONFIG,
  DOWN,
  Drive,
  type Effect,
  kinds,
  NO_MARKERS,
  UP,
} from "./machine_drive.ts";
import { STOP_SLACK } from "./machine.ts";

Deno.test("machine: start-up", async (t) => {
  await t.step("genconf, then register activating, then launch and check at once", () => {
    const d = new Drive();
    assert.deepEqual(kinds(d.send({ type: "start" })), ["genconf"]);
    assert.deepEqual(kinds(d.send({ type: "configured" })), [
      "clearDrainMarker",
      "writeState activating",
      "registry register activating",
    ]);
    assert.deepEqual(
      kinds(d.send({ type: "registryAnswered", call: "register", outcome: "ok" })),
      ["launch", "check service"],
    );
    assert.deepEqual(d.of("launch"), [{ type: "launch", run: 1 }]);
  });

  await t.step("a failed genconf exits 1", () => {
    const d = new Drive();
    d.send({ type: "start" });
    const effects = d.send({ type: "configFailed", message: "no meta" });
    assert.deepEqual(d.of("exit", effects), [{ type: "exit", code: 1 }]);
  });

  await t.step("registration back-off: 1 s doubling to 30 s; the service waits", () => {
    const d = new Drive();
    d.send({ type: "start" });
    d.send({ type: "configured" });
    const retries: number[] = [];
    for (let i = 0; i < 8; i++) {
      const at = d.now;
      d.send({ type: "registryAnswered", call: "register", outcome: "failed", message: "refused" });
      // Check rounds (markers only) go on meanwhile; answer them.
      for (;;) {
        const effects = d.to(d.wakeAt!);
        if (d.of("check", effects).length > 0) d.checked();
        if (d.of("registry", effects).length > 0) break;
      }
      retries.push(d.now - at);
    }
    assert.deepEqual(retries, [1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
    assert.equal(d.of("launch").length, 0);
    assert.ok(d.of("check").every((c) => !c.service));
    d.send({ type: "registryAnswered", call: "register", outcome: "ok" });
    assert.equal(d.of("launch").length, 1);
  });

  await t.step("while waiting for the registry the state file stays fresh and says why", () => {
    const d = new Drive();
    d.send({ type: "start" });
    d.send({ type: "configured" });
    d.send({ type: "registryAnswered", call: "register", outcome: "failed", message: "refused" });
    const writes: Effect<"writeState">[] = [];
    for (let i = 0; i < 30; i++) {
      const effects = d.to(d.wakeAt!);
      if (d.of("check", effects).length > 0) writes.push(...d.of("writeState", d.checked()));
      const call = d.of("registry", effects)[0];
      if (call) {
        d.send({
          type: "registryAnswered",
          call: "register",
          outcome: "failed",
          message: "refused",
        });
      }
    }
    assert.ok(writes.length >= 10, `${writes.length} writes`);
    for (const [i, w] of writes.entries()) {
      assert.equal(w.state, "activating");
      assert.equal(w.reason, "waiting for the registry: refused");
      if (i > 0) assert.equal(w.writtenAt - writes[i - 1].writtenAt, CONFIG.checkInterval);
    }
  });
});

Deno.test("machine: checks and states", async (t) => {
  await t.step("active when every endpoint is up; a heartbeat on every change", () => {
    const d = new Drive();
    d.started();
    const effects = d.checked(UP);
    assert.deepEqual(kinds(effects), ["writeState active", "registry heartbeat active"]);
    d.send({ type: "registryAnswered", call: "heartbeat", outcome: "ok" });
    // The next rounds only refresh the file; a heartbeat once TARS_REPORT_INTERVAL passed.
    const heartbeats: number[] = [];
    for (let i = 0; i < 6; i++) {
      d.to(d.wakeAt!);
      for (const e of d.of("registry", d.checked(UP))) {
        heartbeats.push(d.now);
        assert.equal(e.state, "active");
        d.send({ type: "registryAnswered", call: "heartbeat", outcome: "ok" });
      }
    }
    assert.deepEqual(heartbeats, [30_000, 60_000]);
  });

  await t.step(
    "activating until TARS_ACTIVATING_TIMEOUT after the first start, then inactive",
    () => {
      const d = new Drive({ activatingTimeout: 25_000 });
      d.started();
      const states: string[] = [];
      for (let i = 0; i < 4; i++) {
        states.push(...d.of("writeState", d.checked(DOWN)).map((w) => `${d.now} ${w.state}`));
        d.to(d.wakeAt!);
      }
      assert.deepEqual(states, [
        "0 activating",
        "10000 activating",
        "20000 activating",
        "30000 inactive",
      ]);
      assert.equal(d.state.reason, DOWN.failure);
      d.checked(UP);
      assert.equal(d.state.serviceState, "active");
    },
  );

  await t.step("a failed heartbeat: the next contact, after the next round, is onStartup", () => {
    const d = new Drive();
    d.active();
    d.to(30_000);
    d.checked(UP);
    const failed = d.send({
      type: "registryAnswered",
      call: "heartbeat",
      outcome: "failed",
      message: "timeout",
    });
    assert.deepEqual(kinds(failed), []);
    d.to(d.wakeAt!);
    assert.deepEqual(kinds(d.checked(UP)), ["writeState active", "registry register active"]);
    d.send({ type: "registryAnswered", call: "register", outcome: "ok" });
    d.to(d.wakeAt!);
    assert.deepEqual(kinds(d.checked(UP)), ["writeState active"]);
  });

  await t.step(
    "the registry does not know the pod: onStartup at once with the present state",
    () => {
      const d = new Drive();
      d.active();
      d.to(30_000);
      d.checked(UP);
      const effects = d.send({
        type: "registryAnswered",
        call: "heartbeat",
        outcome: "unknown",
        message: "unknown node",
      });
      assert.deepEqual(kinds(effects), ["registry register active"]);
    },
  );

  await t.step("a prestop marker from the preStop hook: deactivating, kept, no re-register", () => {
    const d = new Drive();
    d.active();
    d.to(d.wakeAt!);
    assert.deepEqual(kinds(d.checked(UP, { stop: false, drain: true })), [
      "writeState deactivating",
      "registry heartbeat deactivating",
    ]);
    d.send({ type: "registryAnswered", call: "heartbeat", outcome: "failed", message: "x" });
    d.to(d.wakeAt!);
    assert.deepEqual(kinds(d.checked(UP, { stop: false, drain: true })), [
      "writeState deactivating",
      "registry heartbeat deactivating",
    ]);
  });

  await t.step("signals are passed on to a running service only", () => {
    const d = new Drive();
    d.send({ type: "start" });
    assert.deepEqual(kinds(d.send({ type: "signal", signal: "SIGHUP" })), []);
    d.send({ type: "configured" });
    d.send({ type: "registryAnswered", call: "register", outcome: "ok" });
    assert.deepEqual(d.send({ type: "signal", signal: "SIGHUP" }).filter((e) => e.type !== "log"), [
      { type: "signalService", signal: "SIGHUP" },
    ]);
  });
});

Deno.test("machine: restarts", async (t) => {
  /** Lets the service exit `count` times after running `ran` ms each; the waits before each restart. */
  function exits(d: Drive, count: number, ran: number): number[] {
    const waits: number[] = [];
    for (let i = 0; i < count; i++) {
      d.after(ran);
      const run = d.state.runs;
      d.send({ type: "exited", run, exit: { code: 1, signal: null } });
      const exitedAt = d.now;
      for (;;) {
        if (!d.state.checking) d.to(d.wakeAt!);
        const effects = d.checked(d.state.service.kind === "running" ? UP : undefined);
        if (d.of("launch", effects).length > 0) break;
      }
      waits.push(d.now - exitedAt);
    }
    return waits;
  }

  await t.step("at once, then 1 s doubling to 60 s", () => {
    const d = new Drive({ checkInterval: 100_000 });
    d.active();
    assert.deepEqual(exits(d, 9, 5000), [
      0,
      1000,
      2000,
      4000,
      8000,
      16_000,
      32_000,
      60_000,
      60_000,
    ]);
    assert.deepEqual(
      d.of("report").filter((r) => r.level === "normal").map((r) => r.message).at(-1),
      "[notify] restart, restart 9",
    );
  });

  await t.step("a service that ran 60 s gets the immediate restart again", () => {
    const d = new Drive({ checkInterval: 100_000 });
    d.active();
    assert.deepEqual(exits(d, 3, 5000), [0, 1000, 2000]);
    assert.deepEqual(exits(d, 1, 60_000), [0]);
    assert.deepEqual(exits(d, 2, 5000), [1000, 2000]);
  });

  await t.step("each exit: inactive, a heartbeat, a [warn] report and the start.log tail", () => {
    const d = new Drive();
    d.active();
    const effects = d.send({ type: "exited", run: 1, exit: { code: 3, signal: null } });
    assert.deepEqual(kinds(effects), [
      "showStartLog",
      "writeState inactive",
      "registry heartbeat inactive",
      "report",
      "check",
    ]);
    assert.deepEqual(d.of("report", effects)[0], {
      type: "report",
      level: "warn",
      message: "[warn] server down: exit code 3",
    });
  });

  await t.step("an exit after TARS_ACTIVATING_TIMEOUT without being active is an [alarm]", () => {
    const d = new Drive({ activatingTimeout: 20_000 });
    d.started();
    d.checked(DOWN);
    d.to(30_000);
    const effects = d.send({ type: "exited", run: 1, exit: { code: 0, signal: "SIGKILL" } });
    assert.deepEqual(d.of("report", effects)[0], {
      type: "report",
      level: "error",
      message: "[alarm] down, server is inactive",
    });
  });

  await t.step("data/stop suspends restarts until it is removed", () => {
    const d = new Drive();
    d.active();
    d.send({ type: "exited", run: 1, exit: { code: 1, signal: null } });
    const held = d.checked(undefined, { stop: true, drain: false });
    assert.deepEqual(kinds(held), ["writeState inactive"]);
    assert.equal(d.state.reason, "restarts suspended by data/stop");
    for (let i = 0; i < 5; i++) {
      d.to(d.wakeAt!);
      assert.equal(d.of("launch", d.checked(undefined, { stop: true, drain: false })).length, 0);
    }
    d.to(d.wakeAt!);
    assert.deepEqual(d.of("launch", d.checked(undefined, NO_MARKERS)), [{
      type: "launch",
      run: 2,
    }]);
  });

  await t.step("no restart once prestop ran", () => {
    const d = new Drive();
    d.active();
    d.to(d.wakeAt!);
    d.checked(UP, { stop: false, drain: true });
    d.send({ type: "exited", run: 1, exit: { code: 0, signal: "SIGTERM" } });
    for (let i = 0; i < 3; i++) {
      d.to(d.wakeAt!);
      assert.equal(d.of("launch", d.checked(undefined, { stop: false, drain: true })).length, 0);
    }
    assert.equal(d.state.serviceState, "deactivating");
  });

  await t.step("an exit of an earlier run is ignored", () => {
    const d = new Drive();
    d.active();
    assert.deepEqual(d.send({ type: "exited", run: 7, exit: { code: 1, signal: null } }), []);
  });
});

Deno.test("machine: a stop in each phase", async (t) => {
  await t.step("during genconf: genconf cancelled, exit 0 at once", () => {
    const d = new Drive();
    d.send({ type: "start" });
    assert.deepEqual(kinds(d.send({ type: "stop", signal: "SIGTERM" })), ["cancelGenconf", "exit"]);
    assert.equal(assertWithinBudget(d, 0), 0);
    assert.deepEqual(d.send({ type: "configured" }), []);
  });

  await t.step("during registration: no drain, onPrestop, exit when it answered", () => {
    const d = new Drive();
    d.send({ type: "start" });
    d.send({ type: "configured" });
    d.now = 150;
    assert.deepEqual(kinds(d.send({ type: "stop", signal: "SIGTERM" })), ["claimDrain"]);
    d.now = 152;
    assert.deepEqual(kinds(d.send({ type: "drainClaimed", already: false })), [
      "writeState deactivating",
      "registry leave deactivating",
    ]);
    assert.equal(d.of("registry").at(-1)!.timeout, CONFIG.stopCallTimeout);
    // The onStartup in flight answers late: ignored.
    assert.deepEqual(
      kinds(d.send({ type: "registryAnswered", call: "register", outcome: "ok" })),
      [],
    );
    d.now = 160;
    assert.deepEqual(kinds(d.send({ type: "registryAnswered", call: "leave", outcome: "ok" })), [
      "exit",
    ]);
    assert.equal(assertWithinBudget(d, 150), 10);
    assert.equal(d.of("launch").length, 0);
  });

  await t.step("during a check round: the round is cancelled, then the drain", () => {
    const d = new Drive();
    d.active();
    d.to(d.wakeAt!);
    assert.equal(d.state.checking, true);
    const stoppedAt = d.now;
    assert.deepEqual(kinds(d.send({ type: "stop", signal: "SIGTERM" })), [
      "cancelCheck",
      "claimDrain",
    ]);
    assert.deepEqual(kinds(d.send({ type: "drainClaimed", already: false })), [
      "writeState deactivating",
      "registry heartbeat deactivating",
      "adminNotify",
    ]);
    // The cancelled round's answer changes nothing.
    assert.deepEqual(kinds(d.checked(DOWN)), []);
    assert.equal(d.state.serviceState, "deactivating");
    // The drain: TARS_PRESTOP_WAITTIME, the state file kept fresh.
    const drain = d.after(CONFIG.prestopWaitTime - 1);
    assert.deepEqual(new Set(kinds(drain)), new Set(["writeState deactivating"]));
    const end = d.after(1);
    assert.deepEqual(kinds(end).filter((k) => k !== "writeState deactivating"), [
      "registry leave deactivating",
      "adminShutdown",
    ]);
    d.after(30);
    assert.deepEqual(kinds(d.send({ type: "shutdownAnswered", ok: true })), ["probePorts"]);
    assert.deepEqual(kinds(d.send({ type: "portsProbed", open: true })), []);
    assert.deepEqual(kinds(d.after(CONFIG.portPollInterval)), ["probePorts"]);
    const closed = d.send({ type: "portsProbed", open: false });
    assert.deepEqual(d.of("terminate", closed), [
      { type: "terminate", killAt: stoppedAt + CONFIG.prestopWaitTime + CONFIG.stopGrace },
    ]);
    d.send({ type: "registryAnswered", call: "leave", outcome: "ok" });
    d.after(50);
    const exit = d.send({ type: "exited", run: 1, exit: { code: 0, signal: null } });
    assert.deepEqual(kinds(exit), ["showStartLog", "exit"]);
    assert.equal(assertWithinBudget(d, stoppedAt), CONFIG.prestopWaitTime + 30 + 200 + 50);
  });
});

Deno.test("machine: stopping the service", async (t) => {
  await t.step("a service that ignores SIGTERM and keeps its ports: SIGKILL at the grace", () => {
    const d = new Drive();
    d.active();
    const stoppedAt = d.now;
    d.send({ type: "stop", signal: "SIGTERM" });
    d.send({ type: "drainClaimed", already: false });
    d.after(CONFIG.prestopWaitTime);
    d.send({ type: "registryAnswered", call: "leave", outcome: "ok" });
    d.send({ type: "shutdownAnswered", ok: true });
    // The ports stay open: SIGTERM half-way through the grace, SIGKILL at its end.
    for (;;) {
      const effects = d.to(d.wakeAt!);
      if (d.of("probePorts", effects).length > 0) d.send({ type: "portsProbed", open: true });
      if (d.of("terminate", effects).length > 0) break;
    }
    const termAt = d.now;
    assert.equal(termAt - stoppedAt, CONFIG.prestopWaitTime + CONFIG.stopGrace / 2);
    // The runner's SIGKILL at killAt ends it.
    d.to(stoppedAt + CONFIG.prestopWaitTime + CONFIG.stopGrace + 400);
    d.send({ type: "exited", run: 1, exit: { code: 137, signal: "SIGKILL" } });
    assert.equal(
      assertWithinBudget(d, stoppedAt),
      CONFIG.prestopWaitTime + CONFIG.stopGrace + 400,
    );
  });

  await t.step("a service with no AdminObj: SIGTERM as soon as AdminF.shutdown fails", () => {
    const d = new Drive();
    d.active();
    d.send({ type: "stop", signal: "SIGTERM" });
    d.send({ type: "drainClaimed", already: false });
    d.after(CONFIG.prestopWaitTime);
    const effects = d.send({ type: "shutdownAnswered", ok: false, message: "refused" });
    assert.deepEqual(kinds(effects), ["terminate"]);
  });

  await t.step("a service that was never active: no drain wait, onPrestop, then stop", () => {
    const d = new Drive();
    d.started();
    d.checked(DOWN);
    d.after(3000);
    const stoppedAt = d.now;
    d.send({ type: "stop", signal: "SIGTERM" });
    const effects = d.send({ type: "drainClaimed", already: false });
    assert.deepEqual(kinds(effects), [
      "writeState deactivating",
      "registry leave deactivating",
      "adminShutdown",
    ]);
    d.send({ type: "shutdownAnswered", ok: false, message: "refused" });
    d.after(100);
    d.send({ type: "registryAnswered", call: "leave", outcome: "failed", message: "timeout" });
    d.send({ type: "exited", run: 1, exit: { code: 0, signal: "SIGTERM" } });
    assert.equal(assertWithinBudget(d, stoppedAt), 100);
  });

  await t.step(
    "after the preStop hook: no second drain, no onPrestop, straight to the stop",
    () => {
      const d = new Drive();
      d.active();
      const stoppedAt = d.now;
      d.send({ type: "stop", signal: "SIGTERM" });
      const effects = d.send({ type: "drainClaimed", already: true });
      assert.deepEqual(kinds(effects), ["adminShutdown"]);
      d.send({ type: "shutdownAnswered", ok: true });
      d.send({ type: "portsProbed", open: false });
      d.after(20);
      assert.deepEqual(kinds(d.send({ type: "exited", run: 1, exit: { code: 0, signal: null } })), [
        "showStartLog",
        "exit",
      ]);
      assert.equal(assertWithinBudget(d, stoppedAt), 20);
    },
  );
});

Deno.test("machine: stops with nothing to stop, or nothing answering", async (t) => {
  await t.step("a service waiting for its restart: nothing to stop", () => {
    const d = new Drive();
    d.active();
    d.send({ type: "exited", run: 1, exit: { code: 1, signal: null } });
    d.checked(undefined, { stop: true, drain: false });
    d.send({ type: "stop", signal: "SIGTERM" });
    d.send({ type: "drainClaimed", already: false });
    const end = d.after(CONFIG.prestopWaitTime);
    assert.deepEqual(kinds(end).filter((k) => k !== "writeState deactivating"), [
      "registry leave deactivating",
    ]);
    assert.deepEqual(kinds(d.send({ type: "registryAnswered", call: "leave", outcome: "ok" })), [
      "exit",
    ]);
    assert.equal(d.of("launch").length, 1);
  });

  await t.step("a second SIGTERM or a SIGINT changes nothing", () => {
    const d = new Drive();
    d.active();
    d.send({ type: "stop", signal: "SIGTERM" });
    const again = d.send({ type: "stop", signal: "SIGINT" });
    assert.deepEqual(kinds(again), []);
    assert.match(d.of("log", again)[0].line, /SIGINT again; already stopping/);
  });

  await t.step("nothing answers, in any phase: the machine still exits within the budget", () => {
    const stops: [string, (d: Drive) => void][] = [
      ["configuring", (d) => d.send({ type: "start" })],
      ["registering", (d) => {
        d.send({ type: "start" });
        d.send({ type: "configured" });
      }],
      ["activating", (d) => d.started()],
      ["active", (d) => d.active()],
      ["checking", (d) => {
        d.active();
        d.to(d.wakeAt!);
      }],
    ];
    for (const config of [CONFIG, { ...CONFIG, prestopWaitTime: 0, stopGrace: 0 }]) {
      for (const [name, reach] of stops) {
        const d = new Drive(config);
        reach(d);
        const stoppedAt = d.now;
        d.send({ type: "stop", signal: "SIGTERM" });
        d.send({ type: "drainClaimed", already: false });
        d.to(stoppedAt + config.prestopWaitTime + config.stopGrace + STOP_SLACK);
        assert.equal(d.state.phase, "exited", `${name}: ${d.state.phase}`);
        assertWithinBudget(d, stoppedAt, config);
      }
    }
  });
});
