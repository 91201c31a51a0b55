/**
 * The supervisor as a pure state machine: {@linkcode step} takes the state, one event and the
 * time, and returns the next state and the effects to carry out. It does no I/O and reads no
 * clock, so every path (registration back-off, restarts, the activating timeout, `data/stop`,
 * each way of stopping) is a sequence of events in its tests. The runner (supervisor.ts) carries
 * the effects out and turns signals, timers, answers and child exits into events, so a signal is
 * handled in the state it arrives in, whatever is running.
 *
 * Phases: `configuring` (genconf) -> `registering` (the first `onStartup`, retried with a
 * back-off) -> `running` (the service, its checks, heartbeats and restarts) -> on a stop request
 * `claiming` (the drain marker, once per pod) -> `draining` (out of traffic for
 * `TARS_PRESTOP_WAITTIME`; skipped when the service was never active or the preStop hook drained
 * already) -> `stopping` (`AdminF.shutdown`, the ports close, SIGTERM to the group, SIGKILL at the
 * end of `TARS_STOP_GRACE`) -> `exited`. From a stop request to `exit` takes at most
 * `TARS_PRESTOP_WAITTIME` + `TARS_STOP_GRACE` + {@linkcode STOP_SLACK}.
 *
 * The node object's requests (`stopServer`, `startServer`, `restartServer`) are a sub-machine of
 * the `running` phase: machine_node_requests.ts. What the parts of a step share: machine_tx.ts.
 *
 * @module
 */
import { type Backoff, backoffDelay } from "../lib/timers.ts";
import {
  advanceOp,
  exitedForOp,
  finishOp,
  HELD_REASON,
  NODE_ANSWER,
  type NodeOp,
  type NodeRequestKind,
  onNodeRequest,
  settleStart,
} from "./machine_node_requests.ts";
import {
  advanceHalt,
  describeExit,
  emit,
  isStopping,
  launch,
  log,
  maybeHeartbeat,
  set,
  setHalt,
  setRegistry,
  setState,
  startHalt,
  terminate,
  type Tx,
} from "./machine_tx.ts";
import type { ServiceState } from "./state_file.ts";

export { NODE_ANSWER, type NodeOp, type NodeRequestKind } from "./machine_node_requests.ts";

/** How the service ended: its exit code, or the signal that killed it. */
export interface ExitStatus {
  readonly code: number;
  readonly signal: string | null;
}

/** The timings of the machine. */
export interface MachineConfig {
  /** `TARS_CHECK_INTERVAL`. */
  readonly checkInterval: number;
  /** `TARS_REPORT_INTERVAL`: a heartbeat at least this often. */
  readonly reportInterval: number;
  /** `TARS_ACTIVATING_TIMEOUT`, from the first start of the service. */
  readonly activatingTimeout: number;
  /** `TARS_PRESTOP_WAITTIME`: the drain wait. */
  readonly prestopWaitTime: number;
  /** `TARS_STOP_GRACE`: from the end of the drain to SIGKILL. */
  readonly stopGrace: number;
  /** Restarts after the first (immediate) one: 1 s doubling to 60 s. */
  readonly restartBackoff: Backoff;
  /** A service that ran this long gets the immediate restart again. */
  readonly stableAfter: number;
  /** Retries of the first `onStartup`: 1 s doubling to 30 s. */
  readonly registerBackoff: Backoff;
  /** How often the ports are tried while the service shuts down. */
  readonly portPollInterval: number;
  /** Bound of each registry or service call made while stopping. */
  readonly stopCallTimeout: number;
  /** How long a node start or restart waits for the service to be active before it answers. */
  readonly nodeStartWait: number;
  /** Check rounds this often while a node start or restart waits for the service. */
  readonly nodeRecheck: number;
}

/** The defaults of what is not a setting. */
export const MACHINE_DEFAULTS = {
  restartBackoff: { first: 1000, max: 60_000 },
  stableAfter: 60_000,
  registerBackoff: { first: 1000, max: 30_000 },
  portPollInterval: 200,
  stopCallTimeout: 1500,
  nodeStartWait: 60_000,
  nodeRecheck: 1000,
} as const;

/**
 * What a stop may take beyond `TARS_PRESTOP_WAITTIME` + `TARS_STOP_GRACE`: the `onPrestop` call
 * (bounded by `stopCallTimeout`) and the process's own exit.
 */
export const STOP_SLACK = 2000;

/** The markers in `data/` the machine reacts to. */
export interface Markers {
  /** `data/stop`: restarts suspended. */
  readonly stop: boolean;
  /** `data/prestop`, the drain marker: the drain began (the preStop hook's, or this supervisor's). */
  readonly drain: boolean;
}

/** The outcome of one check round. */
export interface EndpointResult {
  readonly ok: boolean;
  /** The first endpoint that failed, with the reason. */
  readonly failure?: string;
}

/** How far the stopping of the running service has come (a pod's stop, or a node request's). */
export interface HaltProgress {
  /** The end of the wait for the ports to close: the stop script or SIGTERM then. */
  readonly termAt: number;
  /** SIGKILL to the group. */
  readonly killAt: number;
  readonly shutdown: "none" | "sent" | "ok" | "failed";
  readonly probing: boolean;
  readonly nextProbeAt: number;
}

/** The registry calls: `onStartup`, `keepAlive`, `onPrestop`. */
export type RegistryCall = "register" | "heartbeat" | "leave";

/** Things that happen to the supervisor. */
export type SupervisorEvent =
  | { readonly type: "start" }
  | { readonly type: "configured" }
  | { readonly type: "configFailed"; readonly message: string }
  | {
    readonly type: "registryAnswered";
    readonly call: RegistryCall;
    /** `unknown`: the registry does not know this node or server and wants an `onStartup`. */
    readonly outcome: "ok" | "failed" | "unknown";
    readonly message?: string;
  }
  | { readonly type: "checked"; readonly markers: Markers; readonly endpoints?: EndpointResult }
  | { readonly type: "exited"; readonly run: number; readonly exit: ExitStatus }
  | { readonly type: "drainClaimed"; readonly already: boolean }
  | { readonly type: "shutdownAnswered"; readonly ok: boolean; readonly message?: string }
  | { readonly type: "portsProbed"; readonly open: boolean }
  | { readonly type: "tick" }
  /** SIGTERM or SIGINT. */
  | { readonly type: "stop"; readonly signal: string }
  /** A signal to pass on to the service's group. */
  | { readonly type: "signal"; readonly signal: string }
  /** The node object asks to stop, start or restart the service; answered by `nodeAnswer`. */
  | { readonly type: "nodeRequest"; readonly id: number; readonly kind: NodeRequestKind };

/** Things the runner does for the machine. */
export type SupervisorEffect =
  | { readonly type: "log"; readonly line: string }
  | { readonly type: "genconf" }
  | { readonly type: "cancelGenconf" }
  | { readonly type: "clearDrainMarker" }
  | { readonly type: "claimDrain" }
  | {
    readonly type: "writeState";
    readonly state: ServiceState;
    readonly reason: string;
    readonly writtenAt: number;
  }
  | {
    readonly type: "registry";
    readonly call: RegistryCall;
    readonly state: ServiceState;
    /** Bound of the call in ms; the link's own when undefined. */
    readonly timeout?: number;
  }
  | { readonly type: "adminNotify"; readonly command: string; readonly timeout: number }
  | { readonly type: "adminShutdown"; readonly timeout: number }
  | { readonly type: "launch"; readonly run: number }
  | { readonly type: "check"; readonly service: boolean }
  | { readonly type: "cancelCheck" }
  | { readonly type: "probePorts" }
  /** The stop script or SIGTERM to the group, SIGKILL to the group at `killAt`. */
  | { readonly type: "terminate"; readonly killAt: number }
  | { readonly type: "kill" }
  | { readonly type: "signalService"; readonly signal: string }
  | {
    readonly type: "report";
    readonly level: "normal" | "warn" | "error";
    readonly message: string;
  }
  | { readonly type: "showStartLog" }
  | { readonly type: "wake"; readonly at: number }
  /** The answer to the `nodeRequest`s `ids`: a `tarsErrCode` (0 success) and a sentence. */
  | {
    readonly type: "nodeAnswer";
    readonly ids: readonly number[];
    readonly ret: number;
    readonly result: string;
  }
  | { readonly type: "exit"; readonly code: number };

/** The service process as the machine knows it. */
export type ServiceSlot =
  | { readonly kind: "none" }
  | {
    readonly kind: "running";
    readonly run: number;
    readonly since: number;
    readonly terminating: boolean;
  }
  /** Exited; restarted at `restartAt` unless a marker says not to. */
  | { readonly kind: "down"; readonly run: number; readonly restartAt: number };

/** The pod's registration. */
export interface RegistryProgress {
  readonly inFlight?: "register" | "heartbeat";
  /** The state the call in flight carries. */
  readonly sending?: ServiceState;
  /** Failed tries of the first registration. */
  readonly failures: number;
  readonly retryAt?: number;
  /** Why the first registration failed last. */
  readonly lastError?: string;
  readonly reportedState?: ServiceState;
  readonly reportedAt: number;
  /** The next contact is an `onStartup` (after a failed heartbeat, or the registry asked). */
  readonly reRegister: boolean;
  /** A heartbeat waits for the next check round (the last one failed). */
  readonly backedOff: boolean;
}

/** How far a stop has come. */
export interface StopProgress {
  /** Exit at the latest then. */
  readonly deadline: number;
  readonly drainUntil?: number;
  readonly leave: "none" | "sent" | "settled";
}

/** Everything the machine knows. */
export interface SupervisorState {
  readonly config: MachineConfig;
  readonly phase:
    | "idle"
    | "configuring"
    | "registering"
    | "running"
    | "claiming"
    | "draining"
    | "stopping"
    | "exited";
  /** The service's state as the state file and the heartbeats report it. */
  readonly serviceState: ServiceState;
  /** Why, in one line. */
  readonly reason: string;
  readonly everActive: boolean;
  readonly lastActiveAt?: number;
  readonly firstLaunchAt?: number;
  readonly markers: Markers;
  readonly checking: boolean;
  readonly nextCheckAt: number;
  readonly registry: RegistryProgress;
  readonly service: ServiceSlot;
  readonly runs: number;
  readonly restarts: number;
  /** Quick exits since the last immediate restart: the restart back-off's step. */
  readonly quickExits: number;
  readonly stop?: StopProgress;
  /** Held down by a node `stopServer`: not restarted until a node start or restart. */
  readonly held: boolean;
  /** The node request in progress. */
  readonly op?: NodeOp;
  /** The stopping of the running service in progress: the pod's stop's, or a node request's. */
  readonly halt?: HaltProgress;
  /** The time of the last `wake` effect. */
  readonly wakeAt?: number;
}

/** The result of one step. */
export interface Step {
  readonly state: SupervisorState;
  readonly effects: readonly SupervisorEffect[];
}

/** The state before the `start` event. */
export function initialState(config: MachineConfig): SupervisorState {
  return {
    config,
    phase: "idle",
    serviceState: "activating",
    reason: "starting",
    everActive: false,
    markers: { stop: false, drain: false },
    checking: false,
    nextCheckAt: Infinity,
    registry: {
      failures: 0,
      reportedAt: -Infinity,
      reRegister: false,
      backedOff: false,
    },
    service: { kind: "none" },
    runs: 0,
    restarts: 0,
    quickExits: 0,
    held: false,
  };
}

/** Changes fields of the stop's progress. */
function setStop(tx: Tx, patch: Partial<StopProgress>): void {
  tx.state = { ...tx.state, stop: { ...tx.state.stop!, ...patch } };
}

function startCheck(tx: Tx): void {
  const { state } = tx;
  set(tx, { checking: true });
  // A service a node request is draining or stopping is not judged by its endpoints.
  const judged = !state.op || state.op.stage === "starting";
  emit(tx, {
    type: "check",
    service: state.phase === "running" && state.service.kind === "running" && judged,
  });
}

/** The state a finished check round shows. */
function judge(tx: Tx, endpoints: EndpointResult | undefined): void {
  const { state, now } = tx;
  if (state.markers.drain) return setState(tx, "deactivating", "prestop ran");
  // Draining or stopping for a node request: the state it set stays.
  if (state.op && state.op.stage !== "starting") {
    return setState(tx, state.serviceState, state.reason);
  }
  if (state.service.kind === "running") {
    if (!endpoints) return setState(tx, state.serviceState, state.reason);
    if (endpoints.ok) return setState(tx, "active", "every endpoint accepts connections");
    const failure = endpoints.failure ?? "endpoints not ready";
    if (state.op) return setState(tx, "activating", failure);
    const since = state.firstLaunchAt ?? now;
    if (state.serviceState === "activating" && now - since < state.config.activatingTimeout) {
      return setState(tx, "activating", failure);
    }
    return setState(tx, "inactive", failure);
  }
  if (state.held) return setState(tx, "inactive", HELD_REASON);
  if (state.service.kind === "down" && state.markers.stop) {
    return setState(tx, "inactive", "restarts suspended by data/stop");
  }
  setState(tx, "inactive", "service not running");
}

/** Whether a service that exited is restarted at `now` (no marker, hold or request forbids it). */
function restartDue(
  state: SupervisorState,
  now: number,
  markers: Markers = state.markers,
): boolean {
  return state.service.kind === "down" && now >= state.service.restartAt && !markers.stop &&
    !markers.drain && !state.held && !state.op;
}

function onStart(tx: Tx): void {
  set(tx, { phase: "configuring" });
  emit(tx, { type: "genconf" });
}

function onConfigured(tx: Tx): void {
  if (tx.state.phase !== "configuring") return;
  set(tx, { phase: "registering", nextCheckAt: tx.now + tx.state.config.checkInterval });
  emit(tx, { type: "clearDrainMarker" });
  setState(tx, "activating", "registering with the registry");
  register(tx);
}

function register(tx: Tx): void {
  setRegistry(tx, { inFlight: "register", sending: tx.state.serviceState, retryAt: undefined });
  emit(tx, { type: "registry", call: "register", state: tx.state.serviceState });
}

function onRegistryAnswered(
  tx: Tx,
  event: Extract<SupervisorEvent, { type: "registryAnswered" }>,
): void {
  const { state, now } = tx;
  const failure = event.message ?? "no reason given";
  const name = { register: "onStartup", heartbeat: "keepAlive", leave: "onPrestop" }[event.call];
  if (event.call === "leave") {
    if (event.outcome !== "ok") log(tx, `registry: onPrestop failed: ${failure}; going on`);
    if (state.stop?.leave === "sent") setStop(tx, { leave: "settled" });
    return;
  }
  const sent = state.registry.sending;
  setRegistry(tx, { inFlight: undefined, sending: undefined });
  if (isStopping(state)) {
    // The stop sequence makes its own calls; the answer of one sent before it only gets logged.
    if (event.outcome !== "ok") log(tx, `registry: ${name} failed: ${failure}; going on`);
    return;
  }
  if (state.phase === "registering") {
    if (event.outcome === "ok") {
      setRegistry(tx, {
        failures: 0,
        lastError: undefined,
        reportedState: sent,
        reportedAt: now,
        reRegister: false,
      });
      set(tx, { phase: "running", nextCheckAt: now });
      launch(tx);
      return;
    }
    const failures = state.registry.failures + 1;
    const wait = backoffDelay(failures, state.config.registerBackoff);
    setRegistry(tx, { failures, retryAt: now + wait, lastError: failure });
    log(tx, `registry: onStartup failed: ${failure}; retrying in ${wait} ms`);
    setState(tx, "activating", `waiting for the registry: ${failure}`);
    return;
  }
  // running
  if (event.outcome === "ok") {
    if (event.call === "heartbeat" && sent !== state.registry.reportedState) {
      log(tx, `registry: keepAlive ${sent}`);
    }
    setRegistry(tx, { reportedState: sent, reportedAt: now, reRegister: false });
    maybeHeartbeat(tx);
    return;
  }
  if (event.outcome === "unknown") {
    log(tx, `registry: ${failure}; registering again with onStartup`);
    setRegistry(tx, { reRegister: true, reportedState: undefined });
    maybeHeartbeat(tx);
    return;
  }
  log(tx, `registry: ${name} ${sent} failed: ${failure}`);
  // After a failed heartbeat the next contact registers the pod again: a registry that lost it
  // learns it back. Tried again after the next check round.
  setRegistry(tx, { reRegister: true, backedOff: true });
}

function onChecked(tx: Tx, event: Extract<SupervisorEvent, { type: "checked" }>): void {
  const { state, now } = tx;
  if (!state.checking) return;
  set(tx, {
    checking: false,
    markers: event.markers,
    nextCheckAt: now + state.config.checkInterval,
  });
  if (isStopping(state)) return;
  setRegistry(tx, { backedOff: false });
  if (state.phase === "registering") {
    if (event.markers.drain) return setState(tx, "deactivating", "prestop ran");
    const why = state.registry.lastError
      ? `waiting for the registry: ${state.registry.lastError}`
      : "registering with the registry";
    return setState(tx, "activating", why);
  }
  if (tx.state.op && event.markers.drain) finishOp(tx, NODE_ANSWER.STATE, "the pod is stopping");
  const service = tx.state.service;
  if (restartDue(tx.state, now, event.markers)) {
    launch(tx);
    // Checked at the next round: the service has just started.
    setState(tx, tx.state.serviceState, tx.state.reason);
    maybeHeartbeat(tx);
    return;
  }
  judge(tx, service.kind === "running" ? event.endpoints : undefined);
  settleStart(tx);
  maybeHeartbeat(tx);
}

function onExited(tx: Tx, event: Extract<SupervisorEvent, { type: "exited" }>): void {
  const { state, now } = tx;
  const service = state.service;
  if (service.kind !== "running" || service.run !== event.run) return;
  const ran = now - service.since;
  log(tx, `service exited: ${describeExit(event.exit)} after ${Math.round(ran / 1000)} s`);
  emit(tx, { type: "showStartLog" });
  if (isStopping(state)) {
    set(tx, { service: { kind: "none" } });
    return;
  }
  if (state.op && exitedForOp(tx, event)) return;
  const stable = ran >= state.config.stableAfter;
  // The first restart, and one after a stable run, is immediate; then the back-off doubles.
  const quickExits = state.restarts === 0 || stable ? 0 : state.quickExits + 1;
  const wait = quickExits === 0 ? 0 : backoffDelay(quickExits, state.config.restartBackoff);
  set(tx, { service: { kind: "down", run: service.run, restartAt: now + wait }, quickExits });
  if (state.markers.drain) return;
  setState(tx, "inactive", `service ${describeExit(event.exit)}`);
  maybeHeartbeat(tx);
  const alarm =
    now - (state.lastActiveAt ?? state.firstLaunchAt ?? now) >= state.config.activatingTimeout;
  emit(tx, {
    type: "report",
    level: alarm ? "error" : "warn",
    message: alarm
      ? "[alarm] down, server is inactive"
      : `[warn] server down: ${describeExit(event.exit)}`,
  });
}

function onStop(tx: Tx, event: Extract<SupervisorEvent, { type: "stop" }>): void {
  const { state, now } = tx;
  if (isStopping(state)) {
    log(tx, `${event.signal} again; already stopping`);
    return;
  }
  const { prestopWaitTime, stopGrace } = state.config;
  if (state.phase === "idle" || state.phase === "configuring") {
    log(tx, `${event.signal}: stopping before the service started`);
    if (state.phase === "configuring") emit(tx, { type: "cancelGenconf" });
    set(tx, { phase: "exited" });
    emit(tx, { type: "exit", code: 0 });
    return;
  }
  if (state.op) finishOp(tx, NODE_ANSWER.STATE, `the pod is stopping (${event.signal})`);
  log(tx, `${event.signal}: stop requested (${state.serviceState}); taking the pod out of traffic`);
  if (state.checking) {
    emit(tx, { type: "cancelCheck" });
    set(tx, { checking: false });
  }
  set(tx, {
    phase: "claiming",
    nextCheckAt: now + state.config.checkInterval,
    stop: { deadline: now + prestopWaitTime + stopGrace + STOP_SLACK, leave: "none" },
  });
  emit(tx, { type: "claimDrain" });
}

function onDrainClaimed(tx: Tx, event: Extract<SupervisorEvent, { type: "drainClaimed" }>) {
  const { state, now } = tx;
  if (state.phase !== "claiming") return;
  if (event.already) {
    log(tx, "prestop had already run (preStop hook)");
    set(tx, { markers: { ...state.markers, drain: true } });
    return enterStopping(tx);
  }
  setState(tx, "deactivating", "stop requested");
  const timeout = state.config.stopCallTimeout;
  if (!state.everActive) {
    // No client ever had its endpoints: nothing to drain. It still leaves the registry.
    log(tx, "the service was never active: no drain wait");
    leave(tx);
    return enterStopping(tx);
  }
  emit(tx, { type: "registry", call: "heartbeat", state: "deactivating", timeout });
  emit(tx, { type: "adminNotify", command: "prestop", timeout });
  log(
    tx,
    `prestop: waiting ${state.config.prestopWaitTime} ms (TARS_PRESTOP_WAITTIME) for calls in flight`,
  );
  set(tx, { phase: "draining" });
  setStop(tx, { drainUntil: now + state.config.prestopWaitTime });
}

function leave(tx: Tx): void {
  setStop(tx, { leave: "sent" });
  emit(tx, {
    type: "registry",
    call: "leave",
    state: "deactivating",
    timeout: tx.state.config.stopCallTimeout,
  });
}

function enterStopping(tx: Tx): void {
  set(tx, { phase: "stopping" });
  startHalt(tx);
  if (tx.state.service.kind !== "running") log(tx, "service not running");
}

function onShutdownAnswered(
  tx: Tx,
  event: Extract<SupervisorEvent, { type: "shutdownAnswered" }>,
): void {
  const { now } = tx;
  if (tx.state.halt?.shutdown !== "sent") return;
  if (event.ok) {
    log(tx, "AdminF.shutdown sent");
    setHalt(tx, { shutdown: "ok", nextProbeAt: now });
  } else {
    log(tx, `AdminF.shutdown: ${event.message ?? "failed"}`);
    setHalt(tx, { shutdown: "failed" });
    terminate(tx, "it did not take AdminF.shutdown");
  }
}

function onPortsProbed(tx: Tx, event: Extract<SupervisorEvent, { type: "portsProbed" }>): void {
  const { state, now } = tx;
  if (!state.halt?.probing) return;
  setHalt(tx, { probing: false, nextProbeAt: now + state.config.portPollInterval });
  if (!event.open) terminate(tx, "its ports closed");
}

/** While stopping there are no check rounds: the state file is still rewritten as often. */
function refreshState(tx: Tx): void {
  if (tx.now < tx.state.nextCheckAt) return;
  set(tx, { nextCheckAt: tx.now + tx.state.config.checkInterval });
  setState(tx, tx.state.serviceState, tx.state.reason);
}

/** Starts what is due at `now`: check rounds, retries, restarts, the stop's steps. */
function advance(tx: Tx): void {
  const { now } = tx;
  const state = tx.state;
  switch (state.phase) {
    case "registering":
      if (
        !state.registry.inFlight && state.registry.retryAt !== undefined &&
        now >= state.registry.retryAt
      ) {
        register(tx);
      }
      if (!tx.state.checking && now >= tx.state.nextCheckAt) startCheck(tx);
      break;
    case "running": {
      advanceOp(tx);
      if (tx.state.checking) break;
      if (now >= tx.state.nextCheckAt || restartDue(tx.state, now)) startCheck(tx);
      break;
    }
    case "draining":
      refreshState(tx);
      if (now >= state.stop!.drainUntil!) {
        leave(tx);
        enterStopping(tx);
        advance(tx);
      }
      break;
    case "stopping": {
      refreshState(tx);
      const stop = tx.state.stop!;
      advanceHalt(tx);
      const service = tx.state.service;
      if (service.kind !== "running" && tx.state.stop!.leave !== "sent") {
        log(tx, "supervisor exits");
        set(tx, { phase: "exited" });
        emit(tx, { type: "exit", code: 0 });
      } else if (now >= stop.deadline) {
        log(tx, "the stop budget is spent; killing the service and exiting");
        if (service.kind === "running") emit(tx, { type: "kill" });
        set(tx, { phase: "exited" });
        emit(tx, { type: "exit", code: 0 });
      }
      break;
    }
  }
}

/** The times of the halt in progress: the end of the port wait, the next port probe. */
function pushHaltTimes(state: SupervisorState, times: number[]): void {
  const h = state.halt;
  if (!h || state.service.kind !== "running" || state.service.terminating) return;
  times.push(h.termAt);
  if (h.shutdown === "ok" && !h.probing) times.push(h.nextProbeAt);
}

/** The earliest time something is due, if any. */
function nextWake(state: SupervisorState): number | undefined {
  const times: number[] = [];
  switch (state.phase) {
    case "registering":
      if (!state.checking) times.push(state.nextCheckAt);
      if (!state.registry.inFlight && state.registry.retryAt !== undefined) {
        times.push(state.registry.retryAt);
      }
      break;
    case "running":
      if (state.op?.until !== undefined) times.push(state.op.until);
      pushHaltTimes(state, times);
      if (!state.checking) {
        times.push(state.nextCheckAt);
        if (restartDue(state, Infinity)) {
          times.push((state.service as { restartAt: number }).restartAt);
        }
      }
      break;
    case "draining":
      times.push(state.stop!.drainUntil!, state.stop!.deadline, state.nextCheckAt);
      break;
    case "stopping":
      times.push(state.stop!.deadline, state.nextCheckAt);
      pushHaltTimes(state, times);
      break;
    case "claiming":
      times.push(state.stop!.deadline);
      break;
  }
  const finite = times.filter((t) => Number.isFinite(t));
  return finite.length === 0 ? undefined : Math.min(...finite);
}

/**
 * One step: the next state and the effects of `event` at `now` (ms). Pure: the same arguments
 * give the same result.
 */
export function step(state: SupervisorState, event: SupervisorEvent, now: number): Step {
  const tx: Tx = { state, now, effects: [] };
  if (state.phase === "exited") return { state, effects: [] };
  // The runner's timer fired: it waits for a new wake.
  if (event.type === "tick") set(tx, { wakeAt: undefined });
  switch (event.type) {
    case "start":
      if (state.phase === "idle") onStart(tx);
      break;
    case "configured":
      onConfigured(tx);
      break;
    case "configFailed":
      if (state.phase === "configuring") {
        log(tx, `genconf failed: ${event.message}`);
        set(tx, { phase: "exited" });
        emit(tx, { type: "exit", code: 1 });
      }
      break;
    case "registryAnswered":
      onRegistryAnswered(tx, event);
      break;
    case "checked":
      onChecked(tx, event);
      break;
    case "exited":
      onExited(tx, event);
      break;
    case "drainClaimed":
      onDrainClaimed(tx, event);
      break;
    case "shutdownAnswered":
      onShutdownAnswered(tx, event);
      break;
    case "portsProbed":
      onPortsProbed(tx, event);
      break;
    case "stop":
      onStop(tx, event);
      break;
    case "signal":
      if (state.service.kind === "running") {
        emit(tx, { type: "signalService", signal: event.signal });
      }
      break;
    case "nodeRequest":
      onNodeRequest(tx, event);
      break;
    case "tick":
      break;
  }
  if (tx.state.phase !== "exited") advance(tx);
  const wakeAt = tx.state.phase === "exited" ? undefined : nextWake(tx.state);
  if (wakeAt !== undefined && wakeAt !== tx.state.wakeAt) {
    set(tx, { wakeAt });
    emit(tx, { type: "wake", at: wakeAt });
  } else if (wakeAt === undefined && tx.state.wakeAt !== undefined) set(tx, { wakeAt: undefined });
  return { state: tx.state, effects: tx.effects };
}
