/**
 * For the machine's unit tests (machine_test.ts, machine_node_requests_test.ts): the machine
 * driven on a clock the test moves, the effects it returned, and the checks the tests share. Not
 * used by the commands.
 *
 * @module
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

/** The timings of the tests. */
export const CONFIG: MachineConfig = {
  ...MACHINE_DEFAULTS,
  checkInterval: 10_000,
  reportInterval: 30_000,
  activatingTimeout: 300_000,
  prestopWaitTime: 80_000,
  stopGrace: 10_000,
};
/** No marker in `data/`. */
export const NO_MARKERS: Markers = { stop: false, drain: false };
/** Every endpoint accepts connections. */
export const UP: EndpointResult = { ok: true };
/** An endpoint refuses. */
export const DOWN: EndpointResult = { ok: false, failure: "tcp -h 10.0.0.3 -p 13000: refused" };

/** The effect of type `T`. */
export type Effect<T extends SupervisorEffect["type"]> = Extract<SupervisorEffect, { type: T }>;

/** The machine, a clock and every effect so far. */
export class Drive {
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
export function kinds(effects: readonly SupervisorEffect[]): string[] {
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

/** Exit time minus stop time, checked against the budget. */
export function assertWithinBudget(d: Drive, stoppedAt: number, config = CONFIG): number {
  const exit = d.effects.findLast((e) => e.type === "exit");
  assert.ok(exit, "no exit");
  assert.equal(d.state.phase, "exited");
  const took = d.now - stoppedAt;
  const budget = config.prestopWaitTime + config.stopGrace + STOP_SLACK;
  assert.ok(took <= budget, `took ${took} ms, budget ${budget} ms`);
  return took;
}
