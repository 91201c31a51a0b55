/**
 * The node object's requests in the supervisor's machine (machine.ts): `stopServer`,
 * `startServer` and `restartServer` from the admin registry (node_servant.ts) are `nodeRequest`
 * events of the `running` phase, carried out one at a time as a {@linkcode NodeOp}: out of traffic
 * for `TARS_PRESTOP_WAITTIME` while the service was active (state and heartbeat `deactivating`,
 * `AdminF.notify("prestop")`), then the service stopped as in a pod's stop (`AdminF.shutdown`, the
 * ports close, SIGTERM, SIGKILL at the end of `TARS_STOP_GRACE`); a stop then holds it down (no
 * restart, state `inactive`) until a start, and a restart or a start launches it and answers once
 * a check round finds it active. Each request is answered with a `nodeAnswer` effect; a SIGTERM
 * answers the one in progress and stops the pod within its budget as before.
 *
 * @module
 */
import type { SupervisorEvent } from "./machine.ts";
import {
  advanceHalt,
  describeExit,
  emit,
  isStopping,
  launch,
  log,
  maybeHeartbeat,
  set,
  setState,
  startHalt,
  type Tx,
} from "./machine_tx.ts";

/** What the node object asks of the service. */
export type NodeRequestKind = "stop" | "start" | "restart";

/**
 * The codes of the answers to node requests besides 0, as the admin registry knows them
 * (`tarsErrCode` of AdminReg.tars, protocol/interfaces/node_f.ts; not imported here, which keeps
 * the machine free of the protocol's modules).
 */
export const NODE_ANSWER = {
  /** The service could not be stopped or started. */
  FAILED: -1,
  /** Not now: the supervisor is registering, stopping, or busy with another request. */
  STATE: 1004,
  /** Too many requests wait already. */
  BUSY: 1005,
} as const;

/** A node request in progress, and the requests of its kind that wait for its answer. */
export interface NodeOp {
  readonly kind: NodeRequestKind;
  readonly waiters: readonly number[];
  /**
   * How far the request has come: `draining`, out of traffic until `until`; `halting`, the
   * service being stopped; `starting`, launched, answered once a check round finds it active or at
   * `until`.
   */
  readonly stage: "draining" | "halting" | "starting";
  readonly until?: number;
}

const REQUEST_NAMES: Readonly<Record<NodeRequestKind, string>> = {
  stop: "stopServer",
  start: "startServer",
  restart: "restartServer",
};

export const HELD_REASON = "held down by stopServer; startServer or restartServer starts it";

function answer(tx: Tx, ids: readonly number[], ret: number, result: string): void {
  emit(tx, { type: "nodeAnswer", ids, ret, result });
}

/** Ends the request in progress and answers every request waiting for it. */
export function finishOp(tx: Tx, ret: number, result: string): void {
  const op = tx.state.op!;
  set(tx, { op: undefined, halt: undefined });
  log(tx, `${REQUEST_NAMES[op.kind]}: ${result}`);
  answer(tx, op.waiters, ret, result);
}

export function onNodeRequest(
  tx: Tx,
  event: Extract<SupervisorEvent, { type: "nodeRequest" }>,
): void {
  const { state } = tx;
  const name = REQUEST_NAMES[event.kind];
  const refuse = (result: string) => {
    log(tx, `${name}: ${result}`);
    answer(tx, [event.id], NODE_ANSWER.STATE, result);
  };
  if (isStopping(state) || state.markers.drain) return refuse("the pod is stopping");
  if (state.phase !== "running") {
    return refuse(
      `the service has not started yet (${
        state.phase === "registering" ? "registering the pod with the registry" : "starting up"
      }); try again once it runs`,
    );
  }
  if (state.op) {
    if (state.op.kind === event.kind) {
      set(tx, { op: { ...state.op, waiters: [...state.op.waiters, event.id] } });
      return;
    }
    return refuse(
      `${REQUEST_NAMES[state.op.kind]} is in progress (${state.op.stage}); try again when it ends`,
    );
  }
  const running = state.service.kind === "running";
  log(tx, `${name} requested (${state.serviceState})`);
  if (event.kind === "stop") {
    if (!running) {
      const already = state.held;
      set(tx, { held: true });
      setState(tx, "inactive", HELD_REASON);
      maybeHeartbeat(tx);
      const result = already
        ? "already stopped: the service is held down"
        : "stopped: the service was not running; it stays down";
      log(tx, `${name}: ${result}`);
      return answer(tx, [event.id], 0, result);
    }
    set(tx, { op: { kind: "stop", waiters: [event.id], stage: "draining" } });
    return drainOrHalt(tx);
  }
  if (event.kind === "start" && running) {
    const result = `already running (${state.serviceState})`;
    log(tx, `${name}: ${result}`);
    return answer(tx, [event.id], 0, result);
  }
  set(tx, { held: false, op: { kind: event.kind, waiters: [event.id], stage: "draining" } });
  if (running) drainOrHalt(tx);
  else relaunch(tx);
}

/** Takes the service out of traffic for the drain wait when it is in traffic, else stops it. */
function drainOrHalt(tx: Tx): void {
  const { state, now } = tx;
  const name = REQUEST_NAMES[state.op!.kind];
  if (state.serviceState !== "active") {
    log(tx, `${name}: the service is ${state.serviceState}, not in traffic: no drain wait`);
    return halt(tx);
  }
  const wait = state.config.prestopWaitTime;
  set(tx, { op: { ...state.op!, stage: "draining", until: now + wait } });
  setState(tx, "deactivating", `${name}: out of traffic, waiting ${wait} ms for calls in flight`);
  maybeHeartbeat(tx);
  emit(tx, { type: "adminNotify", command: "prestop", timeout: state.config.stopCallTimeout });
}

/** Stops the running service as a pod's stop does: AdminF.shutdown, the ports, SIGTERM, SIGKILL. */
function halt(tx: Tx): void {
  const { state } = tx;
  log(tx, `${REQUEST_NAMES[state.op!.kind]}: stopping the service`);
  set(tx, { op: { ...state.op!, stage: "halting", until: undefined } });
  startHalt(tx);
}

/** Launches the service for a start or restart, answered once a check round finds it active. */
function relaunch(tx: Tx): void {
  const { state, now } = tx;
  const name = REQUEST_NAMES[state.op!.kind];
  set(tx, {
    op: { ...state.op!, stage: "starting", until: now + state.config.nodeStartWait },
    halt: undefined,
    quickExits: 0,
  });
  launch(tx);
  setState(tx, "activating", `${name}: started, waiting for its endpoints`);
  maybeHeartbeat(tx);
  if (!tx.state.checking) set(tx, { nextCheckAt: now });
}

/** After a check round: a start or restart that waits is answered once the service is active. */
export function settleStart(tx: Tx): void {
  const { state, now } = tx;
  if (state.op?.stage !== "starting") return;
  if (state.serviceState === "active") {
    return finishOp(
      tx,
      0,
      state.op.kind === "restart"
        ? "restarted: the service is active again"
        : "started: the service is active",
    );
  }
  set(tx, { nextCheckAt: now + Math.min(state.config.checkInterval, state.config.nodeRecheck) });
}

/** What is due for the node request in progress at `now`. */
export function advanceOp(tx: Tx): void {
  const { now } = tx;
  const op = tx.state.op;
  if (!op) return;
  if (op.stage === "draining" && now >= op.until!) halt(tx);
  if (tx.state.op?.stage === "halting") advanceHalt(tx);
  const waiting = tx.state.op;
  if (waiting?.stage === "starting" && now >= waiting.until!) {
    finishOp(
      tx,
      NODE_ANSWER.FAILED,
      `the service is not active ${tx.state.config.nodeStartWait} ms after its start ` +
        `(${tx.state.serviceState}: ${tx.state.reason}); it keeps running and being checked`,
    );
  }
}

/**
 * The service exited while a node request is in progress. A stop or restart that stopped it (or a
 * drain it died in) goes on: held down, or launched again; true, the exit is taken. A start or
 * restart that waits for it to be active is answered -1; false, the exit is an ordinary crash.
 */
export function exitedForOp(
  tx: Tx,
  event: Extract<SupervisorEvent, { type: "exited" }>,
): boolean {
  const { state, now } = tx;
  const { run, exit } = event;
  const op = state.op!;
  if (op.stage === "starting") {
    finishOp(
      tx,
      NODE_ANSWER.FAILED,
      `the service ended (${describeExit(exit)}) before it was active; see log/start.log`,
    );
    return false;
  }
  set(tx, { service: { kind: "down", run, restartAt: now } });
  if (op.kind === "stop") {
    set(tx, { held: true });
    setState(tx, "inactive", HELD_REASON);
    maybeHeartbeat(tx);
    finishOp(tx, 0, `stopped (${describeExit(exit)}); the service stays down`);
  } else if (state.markers.drain) {
    finishOp(tx, NODE_ANSWER.STATE, "the pod is stopping");
  } else {
    relaunch(tx);
  }
  return true;
}
