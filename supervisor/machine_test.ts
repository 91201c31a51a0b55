/**
 * The supervisor's machine as sequences of events on a clock the test moves: no timers, no
 * sleeps, no I/O.
 */
import assert from "node:assert/strict";
import {
  type EndpointResult,
  initialState,
  MACHINE_DEFAULTS,
  type MachineConfig,
  type Markers,
  step,
  STOP_SLACK,
  type SupervisorEffect,
  type SupervisorEvent,
  type SupervisorState,
} from "./machine.ts";

const CONFIG: MachineConfig = {
  ...MACHINE_DEFAULTS,
  checkInterval: 10_000,
  reportInterval: 30_000,
  activatingTimeout: 300_000,
  prestopWaitTime: 80_000,
  stopGrace: 10_000,
};
const NO_MARKERS: Markers = { stop: false, prestop: false };
const UP: EndpointResult = { ok: true };
const DOWN: EndpointResult = { ok: false, failure: "tcp -h 10.0.0.3 -p 13000: refused" };

type Effect<T extends SupervisorEffect["type"]> = Extract<SupervisorEffect, { type: T }>;

/** The machine, a clock and every effect so far. */
class Drive {
  state: SupervisorState;
  now = 0;
  readonly effects: SupervisorEffect[] = [];
  wakeAt: number | undefined;

  constructor(config: Partial<MachineConfig> = {}) {
    this.state = initialState({ ...CONFIG, ...config });
  }

  /** One event now; its effects. */
  send(event: SupervisorEvent): SupervisorEffect[] {
    const result = step(this.state, event, this.now);
    this.state = result.state;
    this.effects.push(...result.effects);
    for (const effect of result.effects) if (effect.type === "wake") this.wakeAt = effect.at;
    if (result.state.phase === "exited") this.wakeAt = undefined;
    return [...result.effects];
  }

  /** Moves the clock to `time`, ticking at every wake on the way; the effects of the ticks. */
  to(time: number): SupervisorEffect[] {
    const effects: SupervisorEffect[] = [];
    while (this.wakeAt !== undefined && this.wakeAt <= time) {
      this.now = Math.max(this.now, this.wakeAt);
      this.wakeAt = undefined;
      effects.push(...this.send({ type: "tick" }));
    }
    this.now = time;
    return effects;
  }

  after(ms: number): SupervisorEffect[] {
    return this.to(this.now + ms);
  }

  /** The effects of `type` among `effects` (default: all so far). */
  of<T extends SupervisorEffect["type"]>(type: T, effects = this.effects): Effect<T>[] {
    return effects.filter((e): e is Effect<T> => e.type === type);
  }

  /** Start, genconf done, the first onStartup answered: the service is launched. */
  started(): SupervisorEffect[] {
    this.send({ type: "start" });
    this.send({ type: "configured" });
    return this.send({ type: "registryAnswered", call: "register", outcome: "ok" });
  }

  /** Answers the check round in flight. */
  checked(endpoints?: EndpointResult, markers: Markers = NO_MARKERS): SupervisorEffect[] {
    return this.send({ type: "checked", markers, endpoints });
  }

  /** Started and checked once with every endpoint up; the heartbeat answered. */
  active(): void {
    this.started();
    this.checked(UP);
    this.send({ type: "registryAnswered", call: "heartbeat", outcome: "ok" });
    assert.equal(this.state.serviceState, "active");
  }
}

/** The types of `effects` without logs and wakes, for comparing sequences. */
function kinds(effects: readonly SupervisorEffect[]): string[] {
  return effects.filter((e) => e.type !== "log" && e.type !== "wake").map((e) =>
    e.type === "registry"
      ? `registry ${e.call} ${e.state}`
      : e.type === "writeState"
      ? `writeState ${e.state}`
      : e.type === "check"
      ? `check${e.service ? " service" : ""}`
      : e.type
  );
}

Deno.test("machine: start-up", async (t) => {
  await t.step("genconf, then register activating, then launch and check at once", () => {
    const d = new Drive();
    assert.deepEqual(kinds(d.send({ type: "start" })), ["genconf"]);
    assert.deepEqual(kinds(d.send({ type: "configured" })), [
      "clearPrestopMarker",
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
    assert.deepEqual(kinds(d.checked(UP, { stop: false, prestop: true })), [
      "writeState deactivating",
      "registry heartbeat deactivating",
    ]);
    d.send({ type: "registryAnswered", call: "heartbeat", outcome: "failed", message: "x" });
    d.to(d.wakeAt!);
    assert.deepEqual(kinds(d.checked(UP, { stop: false, prestop: true })), [
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
    const held = d.checked(undefined, { stop: true, prestop: false });
    assert.deepEqual(kinds(held), ["writeState inactive"]);
    assert.equal(d.state.reason, "restarts suspended by data/stop");
    for (let i = 0; i < 5; i++) {
      d.to(d.wakeAt!);
      assert.equal(d.of("launch", d.checked(undefined, { stop: true, prestop: false })).length, 0);
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
    d.checked(UP, { stop: false, prestop: true });
    d.send({ type: "exited", run: 1, exit: { code: 0, signal: "SIGTERM" } });
    for (let i = 0; i < 3; i++) {
      d.to(d.wakeAt!);
      assert.equal(d.of("launch", d.checked(undefined, { stop: false, prestop: true })).length, 0);
    }
    assert.equal(d.state.serviceState, "deactivating");
  });

  await t.step("an exit of an earlier run is ignored", () => {
    const d = new Drive();
    d.active();
    assert.deepEqual(d.send({ type: "exited", run: 7, exit: { code: 1, signal: null } }), []);
  });
});

/** Exit time minus stop time, checked against the budget. */
function assertWithinBudget(d: Drive, stoppedAt: number, config = CONFIG): number {
  const exit = d.effects.findLast((e) => e.type === "exit");
  assert.ok(exit, "no exit");
  assert.equal(d.state.phase, "exited");
  const took = d.now - stoppedAt;
  const budget = config.prestopWaitTime + config.stopGrace + STOP_SLACK;
  assert.ok(took <= budget, `took ${took} ms, budget ${budget} ms`);
  return took;
}

Deno.test("machine: stopping", async (t) => {
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
    assert.deepEqual(kinds(d.send({ type: "stop", signal: "SIGTERM" })), ["claimPrestop"]);
    d.now = 152;
    assert.deepEqual(kinds(d.send({ type: "prestopClaimed", already: false })), [
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
      "claimPrestop",
    ]);
    assert.deepEqual(kinds(d.send({ type: "prestopClaimed", already: false })), [
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

  await t.step("a service that ignores SIGTERM and keeps its ports: SIGKILL at the grace", () => {
    const d = new Drive();
    d.active();
    const stoppedAt = d.now;
    d.send({ type: "stop", signal: "SIGTERM" });
    d.send({ type: "prestopClaimed", already: false });
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
    d.send({ type: "prestopClaimed", already: false });
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
    const effects = d.send({ type: "prestopClaimed", already: false });
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
      const effects = d.send({ type: "prestopClaimed", already: true });
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

  await t.step("a service waiting for its restart: nothing to stop", () => {
    const d = new Drive();
    d.active();
    d.send({ type: "exited", run: 1, exit: { code: 1, signal: null } });
    d.checked(undefined, { stop: true, prestop: false });
    d.send({ type: "stop", signal: "SIGTERM" });
    d.send({ type: "prestopClaimed", already: false });
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
        d.send({ type: "prestopClaimed", already: false });
        d.to(stoppedAt + config.prestopWaitTime + config.stopGrace + STOP_SLACK);
        assert.equal(d.state.phase, "exited", `${name}: ${d.state.phase}`);
        assertWithinBudget(d, stoppedAt, config);
      }
    }
  });
});

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

Deno.test("machine: node requests", async (t) => {
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
    d.send({ type: "prestopClaimed", already: false });
    d.to(stoppedAt + CONFIG.prestopWaitTime + CONFIG.stopGrace + STOP_SLACK);
    assertWithinBudget(d, stoppedAt);
    assert.equal(d.of("launch").length, 1, "not started again");
  });
});
