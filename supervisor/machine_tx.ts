/**
 * A step of the supervisor's machine (machine.ts) in progress, and what its parts (the pod's
 * phases there, the node requests in machine_node_requests.ts) do with it alike: change the state,
 * add effects, report the service's state, send a heartbeat when one is due, launch the service,
 * and halt it.
 *
 * @module
 */
import type {
  ExitStatus,
  HaltProgress,
  RegistryProgress,
  SupervisorEffect,
  SupervisorState,
} from "./machine.ts";
import type { ServiceState } from "./state_file.ts";

/** A step in progress: the state so far and the effects collected. */
export interface Tx {
  state: SupervisorState;
  readonly now: number;
  readonly effects: SupervisorEffect[];
}

/** Changes fields of the state. */
export function set(tx: Tx, patch: Partial<SupervisorState>): void {
  tx.state = { ...tx.state, ...patch };
}

/** Changes fields of the registration's progress. */
export function setRegistry(tx: Tx, patch: Partial<RegistryProgress>): void {
  tx.state = { ...tx.state, registry: { ...tx.state.registry, ...patch } };
}

/** Changes fields of the halt in progress. */
export function setHalt(tx: Tx, patch: Partial<HaltProgress>): void {
  tx.state = { ...tx.state, halt: { ...tx.state.halt!, ...patch } };
}

/** Adds an effect for the runner. */
export function emit(tx: Tx, effect: SupervisorEffect): void {
  tx.effects.push(effect);
}

/** Adds a line for the supervisor's log. */
export function log(tx: Tx, line: string): void {
  emit(tx, { type: "log", line });
}

/** How the service ended, in words: `exit code 1`, `killed by SIGKILL`. */
export function describeExit(exit: ExitStatus): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

/** Sets the reported state and writes the state file (also when unchanged: a fresh time). */
export function setState(tx: Tx, next: ServiceState, reason: string): void {
  const { state } = tx;
  // Once the pod's drain began the state stays deactivating (a node request's drain ends).
  if (
    state.serviceState === "deactivating" && next !== "deactivating" &&
    (isStopping(state) || state.markers.drain)
  ) {
    return;
  }
  if (next !== state.serviceState) log(tx, `state ${state.serviceState} -> ${next}: ${reason}`);
  set(tx, {
    serviceState: next,
    reason,
    ...(next === "active" ? { everActive: true, lastActiveAt: tx.now } : {}),
  });
  emit(tx, { type: "writeState", state: next, reason, writtenAt: tx.now });
}

/** Whether the pod is stopping (a stop request came) or has stopped. */
export function isStopping(state: SupervisorState): boolean {
  return state.phase === "claiming" || state.phase === "draining" || state.phase === "stopping" ||
    state.phase === "exited";
}

/** Sends `onStartup` or `keepAlive` when the state changed or a heartbeat is due. */
export function maybeHeartbeat(tx: Tx): void {
  const { state, now } = tx;
  const r = state.registry;
  if (state.phase !== "running" || r.inFlight || r.backedOff) return;
  const due = now - r.reportedAt >= state.config.reportInterval;
  if (state.serviceState === r.reportedState && !due) return;
  const register = r.reRegister && state.serviceState !== "deactivating";
  setRegistry(tx, { inFlight: register ? "register" : "heartbeat", sending: state.serviceState });
  emit(tx, {
    type: "registry",
    call: register ? "register" : "heartbeat",
    state: state.serviceState,
  });
}

/** Starts the service (a new run; a restart after the first is counted and reported). */
export function launch(tx: Tx): void {
  const { state, now } = tx;
  const run = state.runs + 1;
  const restart = state.runs > 0;
  set(tx, {
    runs: run,
    restarts: restart ? state.restarts + 1 : state.restarts,
    service: { kind: "running", run, since: now, terminating: false },
    firstLaunchAt: state.firstLaunchAt ?? now,
  });
  if (restart) log(tx, `restarting the service (restart ${tx.state.restarts})`);
  emit(tx, { type: "launch", run });
  if (restart) {
    emit(tx, {
      type: "report",
      level: "normal",
      message: `[notify] restart, restart ${tx.state.restarts}`,
    });
  }
}

/** The longest wait for the answer to `AdminF.shutdown` (half the stop grace when that is less). */
const SHUTDOWN_CALL_MAX = 3000;

/**
 * Starts stopping the service, for a pod's stop or a node request: `AdminF.shutdown` (bounded by
 * half the grace, at most {@linkcode SHUTDOWN_CALL_MAX}), then the wait for its ports to close
 * until half the grace, the stop script or SIGTERM, and SIGKILL at the end of the grace.
 */
export function startHalt(tx: Tx): void {
  const { state, now } = tx;
  const grace = state.config.stopGrace;
  const running = state.service.kind === "running";
  set(tx, {
    halt: {
      termAt: now + grace / 2,
      killAt: now + grace,
      shutdown: running ? "sent" : "none",
      probing: false,
      nextProbeAt: now,
    },
  });
  if (running) {
    emit(tx, {
      type: "adminShutdown",
      timeout: Math.min(SHUTDOWN_CALL_MAX, Math.max(1, grace / 2)),
    });
  }
}

/** The stop script or SIGTERM to the service's group, once, with SIGKILL at the halt's end. */
export function terminate(tx: Tx, why: string): void {
  const { state } = tx;
  if (state.service.kind !== "running" || state.service.terminating) return;
  log(tx, `stopping the service: ${why}`);
  set(tx, { service: { ...state.service, terminating: true } });
  emit(tx, { type: "terminate", killAt: state.halt!.killAt });
}

/** The halt's steps due at `now`: SIGTERM at the end of the port wait, or the next port probe. */
export function advanceHalt(tx: Tx): void {
  const { state, now } = tx;
  const h = state.halt;
  if (!h || state.service.kind !== "running" || state.service.terminating) return;
  if (now >= h.termAt) terminate(tx, "the port-close wait ended");
  else if (h.shutdown === "ok" && !h.probing && now >= h.nextProbeAt) {
    setHalt(tx, { probing: true });
    emit(tx, { type: "probePorts" });
  }
}
