/**
 * The runner of the supervisor's state machine (machine.ts): it feeds the machine events (the
 * signals, its timer, the answers of the registry and the service, the service's exits) and
 * carries out the effects the machine returns. Each effect starts at once and reports back with
 * an event when it ends, so the machine is never blocked: a signal is a step in whatever phase
 * it arrives. Everything outside (genconf, the registry, the service, the checks, the clock and
 * the timer) comes in through {@linkcode SupervisorDeps}, so tests drive it with fakes.
 *
 * @module
 */
import { exists, ifExists } from "../lib/not_found.ts";
import { join } from "../lib/posix_path.ts";
import type { LifecycleSettings } from "../lib/settings.ts";
import { settlesWithin } from "../lib/timers.ts";
import type { ServerInfo } from "../genconf/mod.ts";
import type { EndpointCheckResult } from "./checks.ts";
import {
  initialState,
  MACHINE_DEFAULTS,
  type MachineConfig,
  NODE_ANSWER,
  step,
  type SupervisorEffect,
  type SupervisorEvent,
} from "./machine.ts";
import type { NodeAnswer, NodeControl } from "./node_servant.ts";
import type { NotifyReporter } from "./notify_reporter.ts";
import { claimPrestopMarker, prestopMarkerPath } from "./prestop.ts";
import type { RegistryLink } from "./registry_link.ts";
import {
  keepAliveRequest,
  NotRegisteredError,
  prestopRequest,
  startupRequest,
} from "./registry_link.ts";
import type { RunningService } from "./service_process.ts";
import { stateFilePath, writeStateFile } from "./state_file.ts";
import type { LogLine } from "./supervisor_log.ts";

/** The service's admin interface as the supervisor uses it. */
export interface AdminChannel {
  notify(command: string): Promise<string>;
  shutdown(): Promise<void>;
}

/** What the supervisor works with once genconf ran. */
export interface Pod {
  readonly info: ServerInfo;
  readonly link: RegistryLink;
  readonly reporter: NotifyReporter;
  /** Sends an admin command (`AdminF`) to the service's AdminObj. */
  readonly admin: AdminChannel;
  /** Starts the service (service_process.ts `startService` bound to the paths). */
  readonly startService: () => RunningService;
  /** Checks that every endpoint accepts a TCP connection, retrying within the retry timeout. */
  readonly checkEndpoints: (
    endpoints: readonly string[],
    signal: AbortSignal,
  ) => Promise<EndpointCheckResult>;
  /** Whether one endpoint accepts a connection right now (waiting until the ports close). */
  readonly isListening: (endpoint: string) => Promise<boolean>;
  /** Runs the before-check script; undefined when `TARS_BEFORE_CHECK_SCRIPT` is unset. */
  readonly runBeforeCheck?: (signal: AbortSignal) => Promise<{ ok: boolean; detail: string }>;
  /** The tail of `log/start.log`, printed to the container's stdout when the service exits. */
  readonly startLogTail: () => Promise<string[]>;
  /** `log/supervisor.log`. */
  readonly log: LogLine;
  /** Where the pod's node object is served (registered with onStartup); none when it is not. */
  readonly nodeEndpoint?: string;
  /** Closes the connections (the node object's too); calls in flight fail. */
  closeConnections(): Promise<void>;
  /** Writes out and closes `log/supervisor.log`. */
  closeLog(): Promise<void>;
}

/** The outside world of the supervisor. */
export interface SupervisorDeps {
  readonly settings: LifecycleSettings;
  /**
   * Runs genconf and opens what the pod needs (the node object, on `node`); rejects with
   * genconf's message.
   */
  readonly configure: (signal: AbortSignal, node: NodeControl) => Promise<Pod>;
  /** The container's stdout (and the log before `log/supervisor.log` is open). */
  readonly out: LogLine;
  readonly now?: () => number;
  /** The one timer of the machine. */
  readonly timer?: Timer;
  /** Timings that are not settings (tests shorten them). */
  readonly tuning?: Partial<typeof MACHINE_DEFAULTS>;
}

/** Calls `callback` after `ms` (`setTimeout`, or a fake clock's); returns its cancel. */
export type Timer = (callback: () => void, ms: number) => () => void;

const REAL_TIMER: Timer = (callback, ms) => {
  const id = setTimeout(callback, ms);
  return () => clearTimeout(id);
};

/** How long the exit waits for operations still running after the connections closed. */
const EXIT_SETTLE_MS = 1000;
/** Bound of the node object's `notifyServer` call to the service. */
const NODE_NOTIFY_TIMEOUT = 3000;
/** Node requests that may wait for their answers at once. */
const MAX_NODE_REQUESTS = 64;

/** A running supervisor. */
export interface Supervisor {
  /** Hands the machine an event (signals: `stop`, `signal`). */
  dispatch(event: SupervisorEvent): void;
  /** Resolves to the exit code once the machine exited and everything is closed. */
  readonly done: Promise<number>;
}

/** The machine's timings from the settings. */
export function machineConfig(
  settings: LifecycleSettings,
  tuning: Partial<typeof MACHINE_DEFAULTS> = {},
): MachineConfig {
  return {
    ...MACHINE_DEFAULTS,
    ...tuning,
    checkInterval: settings.checkInterval,
    reportInterval: settings.reportInterval,
    activatingTimeout: settings.activatingTimeout,
    prestopWaitTime: settings.prestopWaitTime,
    stopGrace: settings.stopGrace,
  };
}

/** Starts the supervisor's machine; it runs until a stop request or a failed genconf. */
export function startSupervisor(deps: SupervisorDeps): Supervisor {
  const { settings } = deps;
  const now = deps.now ?? Date.now;
  const timer = deps.timer ?? REAL_TIMER;
  const statePath = stateFilePath(settings.tarsPath);
  const prestopMarker = prestopMarkerPath(settings.tarsPath);
  let machine = initialState(machineConfig(settings, deps.tuning));
  let pod: Pod | undefined;
  let service: RunningService | undefined;
  let cancelTimer: (() => void) | undefined;
  let genconf: AbortController | undefined;
  let check: AbortController | undefined;
  /** File operations in order: the state file and the markers. */
  let files: Promise<void> = Promise.resolve();
  const pending = new Set<Promise<void>>();
  /** The node requests waiting for their answers, by id. */
  const nodeAnswers = new Map<number, (answer: NodeAnswer) => void>();
  let lastNodeRequest = 0;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => finish = resolve);

  const log = (line: string) => (pod?.log ?? deps.out)(line);

  /** Settles as `promise`, or rejects once `ms` passed on the supervisor's timer. */
  function bounded<T>(promise: Promise<T>, ms: number): Promise<T> {
    let cancel: (() => void) | undefined;
    const expired = new Promise<never>((_, reject) => {
      cancel = timer(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    });
    return Promise.race([promise, expired]).finally(() => cancel?.());
  }

  function dispatch(event: SupervisorEvent): void {
    const result = step(machine, event, now());
    machine = result.state;
    for (const effect of result.effects) carryOut(effect);
  }

  function answerNode(ids: readonly number[], answer: NodeAnswer): void {
    for (const id of ids) {
      nodeAnswers.get(id)?.(answer);
      nodeAnswers.delete(id);
    }
  }

  /** What the node object asks of the supervisor: requests to the machine, its state, notify. */
  const node: NodeControl = {
    request(kind) {
      if (nodeAnswers.size >= MAX_NODE_REQUESTS) {
        return Promise.resolve({
          ret: NODE_ANSWER.BUSY,
          result: `${MAX_NODE_REQUESTS} requests wait already; try again when they are answered`,
        });
      }
      const id = ++lastNodeRequest;
      const answered = new Promise<NodeAnswer>((resolve) => nodeAnswers.set(id, resolve));
      dispatch({ type: "nodeRequest", id, kind });
      if (machine.phase === "exited") {
        answerNode([id], { ret: NODE_ANSWER.STATE, result: "the supervisor is exiting" });
      }
      return answered;
    },
    status() {
      const running = machine.service.kind === "running";
      return {
        state: machine.serviceState,
        reason: machine.reason,
        pid: running ? service?.pid ?? 0 : 0,
        held: machine.held,
      };
    },
    async notify(command) {
      const current = pod;
      if (!current || machine.service.kind !== "running") {
        return {
          ret: NODE_ANSWER.FAILED,
          result: `the service is not running (${machine.serviceState}: ${machine.reason})`,
        };
      }
      log(`node: notifyServer "${command}"`);
      try {
        return {
          ret: 0,
          result: await bounded(current.admin.notify(command), NODE_NOTIFY_TIMEOUT),
        };
      } catch (error) {
        return {
          ret: NODE_ANSWER.FAILED,
          result: `AdminF.notify("${command}") to the service failed: ${(error as Error).message}`,
        };
      }
    },
  };

  /** Runs `work` to its end; the event it gives goes to the machine, a failure to the log. */
  function track(work: Promise<SupervisorEvent | undefined | void>): void {
    const settled: Promise<void> = work.then((event) => {
      if (event) dispatch(event);
    }, (error) => {
      log(`supervisor: ${(error as Error).stack ?? error}`);
    }).finally(() => pending.delete(settled));
    pending.add(settled);
  }

  /** Queues a file operation behind the others; a failure is logged. */
  function fileOperation(what: string, operation: () => Promise<void>): void {
    files = files.then(operation).catch((error) => {
      log(`cannot ${what}: ${(error as Error).message}`);
    });
    track(files);
  }

  async function registryCall(
    effect: SupervisorEffect & { type: "registry" },
  ): Promise<SupervisorEvent> {
    const { info, link } = pod!;
    const { call, state, timeout } = effect;
    // The service's pid, 0 while it is not running.
    const pid = service?.pid ?? 0;
    const request = call === "register"
      ? link.onStartup(startupRequest(info, {
        state,
        disableFlow: settings.disableFlow,
        version: settings.serverVersion,
        pid,
        nodeEndpoint: pod!.nodeEndpoint,
      }))
      : call === "heartbeat"
      ? link.keepAlive(keepAliveRequest(info, state, { pid }))
      : link.onPrestop(prestopRequest(info));
    try {
      await (timeout === undefined ? request : bounded(request, timeout));
    } catch (error) {
      return {
        type: "registryAnswered",
        call,
        // The registry lost the pod (a rebuilt store, a clean): the machine registers it again.
        outcome: error instanceof NotRegisteredError ? "unknown" : "failed",
        message: (error as Error).message,
      };
    }
    if (call === "register") {
      log(
        `registry: onStartup ${info.application}.${info.server} on ${info.localIp} ` +
          `${state}${settings.disableFlow ? " (traffic off)" : ""}`,
      );
    } else if (call === "leave") {
      log(
        `registry: onPrestop sent: ${info.application}.${info.server} on ${info.localIp} removed`,
      );
    } else if (timeout !== undefined) log(`registry: keepAlive ${state} sent`);
    return { type: "registryAnswered", call, outcome: "ok" };
  }

  async function runCheck(withService: boolean, signal: AbortSignal): Promise<SupervisorEvent> {
    const current = pod!;
    if (withService && current.runBeforeCheck) {
      const result = await current.runBeforeCheck(signal);
      if (!result.ok && !signal.aborted) log(`before-check script: ${result.detail}`);
    }
    const data = current.info.paths.data;
    const [stop, prestop, endpoints] = await Promise.all([
      exists(join(data, "stop")),
      exists(prestopMarker),
      withService ? current.checkEndpoints(endpointsOf(current.info), signal) : undefined,
    ]);
    return { type: "checked", markers: { stop, prestop }, endpoints };
  }

  async function anyListening(): Promise<SupervisorEvent> {
    const open = await Promise.all(endpointsOf(pod!.info).map(pod!.isListening));
    return { type: "portsProbed", open: open.some((o) => o) };
  }

  async function exit(code: number): Promise<void> {
    answerNode([...nodeAnswers.keys()], {
      ret: NODE_ANSWER.STATE,
      result: "the supervisor exited",
    });
    cancelTimer?.();
    cancelTimer = undefined;
    check?.abort();
    genconf?.abort();
    await pod?.closeConnections();
    if (!await settlesWithin(Promise.all([...pending]), EXIT_SETTLE_MS)) {
      log(`supervisor: ${pending.size} operations still running at exit`);
    }
    await pod?.closeLog();
    finish(code);
  }

  function carryOut(effect: SupervisorEffect): void {
    switch (effect.type) {
      case "log":
        log(effect.line);
        break;
      case "genconf": {
        genconf = new AbortController();
        const signal = genconf.signal;
        track(
          deps.configure(signal, node).then(
            async (configured): Promise<SupervisorEvent | undefined> => {
              if (signal.aborted) {
                await configured.closeConnections();
                await configured.closeLog();
                return undefined;
              }
              pod = configured;
              return { type: "configured" };
            },
            (error) => ({ type: "configFailed", message: (error as Error).message }),
          ),
        );
        break;
      }
      case "cancelGenconf":
        genconf?.abort();
        break;
      case "clearPrestopMarker":
        fileOperation(`remove ${prestopMarker}`, async () => {
          await ifExists(Deno.remove(prestopMarker));
        });
        break;
      case "claimPrestop":
        track((async (): Promise<SupervisorEvent> => {
          await files;
          const claimed = await claimPrestopMarker(prestopMarker, now());
          if (claimed instanceof Error) {
            log(
              `prestop: cannot create ${prestopMarker} (${claimed.message}); going on without it`,
            );
          }
          return { type: "prestopClaimed", already: claimed === "exists" };
        })());
        break;
      case "writeState": {
        const record = { state: effect.state, reason: effect.reason, writtenAt: effect.writtenAt };
        fileOperation(`write the state file ${statePath}`, () => writeStateFile(statePath, record));
        break;
      }
      case "registry":
        track(registryCall(effect));
        break;
      case "adminNotify":
        track(
          bounded(pod!.admin.notify(effect.command), effect.timeout).then(
            (answer) =>
              log(`AdminF.notify("${effect.command}") answered ${JSON.stringify(answer)}`),
            (error) =>
              log(`AdminF.notify("${effect.command}") failed: ${(error as Error).message}`),
          ),
        );
        break;
      case "adminShutdown":
        track(
          bounded(pod!.admin.shutdown(), effect.timeout).then(
            (): SupervisorEvent => ({ type: "shutdownAnswered", ok: true }),
            (error): SupervisorEvent => ({
              type: "shutdownAnswered",
              ok: false,
              message: (error as Error).message,
            }),
          ),
        );
        break;
      case "launch": {
        const run = effect.run;
        let started: RunningService;
        try {
          started = pod!.startService();
        } catch (error) {
          log(`cannot start ${settings.startPath}: ${(error as Error).message}`);
          track(Promise.resolve({ type: "exited", run, exit: { code: 127, signal: null } }));
          break;
        }
        service = started;
        log(`service started: ${settings.startPath} (pid ${started.pid})`);
        track(started.exited.then((exit): SupervisorEvent => {
          if (service === started) service = undefined;
          return { type: "exited", run, exit };
        }));
        break;
      }
      case "check":
        check = new AbortController();
        track(runCheck(effect.service, check.signal));
        break;
      case "cancelCheck":
        check?.abort();
        break;
      case "probePorts":
        track(anyListening());
        break;
      case "terminate": {
        const running = service;
        if (!running) break;
        track(
          running.stop({ stopPath: settings.stopPath, grace: Math.max(0, effect.killAt - now()) })
            .then(() => undefined),
        );
        break;
      }
      case "kill":
        service?.signal("SIGKILL");
        break;
      case "signalService":
        service?.signal(effect.signal as Deno.Signal);
        break;
      case "report":
        track(pod!.reporter.report(effect.level, effect.message));
        break;
      case "showStartLog":
        track(pod!.startLogTail().then((lines) => lines.forEach(deps.out)));
        break;
      case "nodeAnswer":
        answerNode(effect.ids, { ret: effect.ret, result: effect.result });
        break;
      case "wake":
        cancelTimer?.();
        cancelTimer = timer(() => {
          cancelTimer = undefined;
          dispatch({ type: "tick" });
        }, Math.max(0, effect.at - now()));
        break;
      case "exit":
        exit(effect.code).catch((error) => {
          deps.out(`supervisor: ${(error as Error).message}`);
          finish(1);
        });
        break;
    }
  }

  return { dispatch, done };
}

/** The endpoints the supervisor checks: every adapter's and `local`. */
function endpointsOf(info: ServerInfo): string[] {
  return [...info.adapters.map((a) => a.endpoint), info.local];
}
