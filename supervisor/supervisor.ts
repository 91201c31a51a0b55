/**
 * The runner of the supervisor's state machine (machine.ts): it feeds the machine events (the
 * signals, its timer, the answers of the registry and the service, the service's exits) and
 * carries out the effects the machine returns, each effect type by a handler of its own. Each
 * effect starts at once and reports back with an event when it ends, so the machine is never
 * blocked: a signal is a step in whatever phase it arrives. Everything outside (genconf, the
 * registry, the service, the checks, the clock and the timer) comes in through
 * {@linkcode SupervisorDeps}, so tests drive it with fakes.
 *
 * Its units: the work in flight (runner_work.ts), the registry calls (`callRegistry` in
 * registry_link.ts), the check rounds (check_round.ts) and the node object's requests
 * (node_requests.ts).
 *
 * @module
 */
import type { LifecycleSettings } from "../lib/settings.ts";
import { ifExists } from "../lib/not_found.ts";
import { CheckRound } from "./check_round.ts";
import {
  initialState,
  MACHINE_DEFAULTS,
  type MachineConfig,
  NODE_ANSWER,
  step,
  type SupervisorEffect,
  type SupervisorEvent,
  type SupervisorState,
} from "./machine.ts";
import type { NodeControl } from "./node_servant.ts";
import { NodeRequests } from "./node_requests.ts";
import type { Pod } from "./pod.ts";
import { claimDrainMarker, drainMarkerPath } from "./drain.ts";
import { callRegistry } from "./registry_link.ts";
import { REAL_TIMER, RunnerWork, type Timer } from "./runner_work.ts";
import type { RunningService } from "./service_process.ts";
import { stateFilePath, writeStateFile } from "./state_file.ts";
import type { LogLine } from "./supervisor_log.ts";

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

/** How long the exit waits for operations still running after the connections closed. */
const EXIT_SETTLE_MS = 1000;

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
  return new Runner(deps);
}

/** A handler for each type of effect. */
type EffectHandlers = {
  readonly [T in SupervisorEffect["type"]]: (
    effect: Extract<SupervisorEffect, { type: T }>,
  ) => void;
};

/** The runner: the machine's state, the pod once configured, and what carries the effects out. */
class Runner implements Supervisor {
  readonly done: Promise<number>;
  readonly #deps: SupervisorDeps;
  readonly #now: () => number;
  readonly #timer: Timer;
  readonly #statePath: string;
  readonly #drainMarker: string;
  readonly #work: RunnerWork;
  readonly #node: NodeRequests;
  #machine: SupervisorState;
  #finish!: (code: number) => void;
  #pod?: Pod;
  #checks?: CheckRound;
  #service?: RunningService;
  #genconf?: AbortController;
  #cancelWake?: () => void;

  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#timer = deps.timer ?? REAL_TIMER;
    this.#statePath = stateFilePath(deps.settings.tarsPath);
    this.#drainMarker = drainMarkerPath(deps.settings.tarsPath);
    this.#machine = initialState(machineConfig(deps.settings, deps.tuning));
    this.done = new Promise<number>((resolve) => this.#finish = resolve);
    const log = (line: string) => this.#log(line);
    this.#work = new RunnerWork({ dispatch: this.dispatch, log, timer: this.#timer });
    this.#node = new NodeRequests({
      machine: () => this.#machine,
      dispatch: this.dispatch,
      servicePid: () => this.#service?.pid ?? 0,
      admin: () => this.#pod?.admin,
      bounded: (promise, ms) => this.#work.bounded(promise, ms),
      log,
    });
  }

  /** One step of the machine, its effects carried out (an arrow: the signal queue calls it). */
  readonly dispatch = (event: SupervisorEvent): void => {
    const result = step(this.#machine, event, this.#now());
    this.#machine = result.state;
    for (const effect of result.effects) {
      (this.#handlers[effect.type] as (effect: SupervisorEffect) => void)(effect);
    }
  };

  readonly #handlers: EffectHandlers = {
    log: (effect) => this.#log(effect.line),
    genconf: () => this.#configure(),
    cancelGenconf: () => this.#genconf?.abort(),
    clearDrainMarker: () => this.#clearDrainMarker(),
    claimDrain: () => this.#work.track(this.#claimDrain()),
    writeState: (effect) => this.#writeState(effect),
    registry: (effect) => this.#work.track(this.#callRegistry(effect)),
    adminNotify: (effect) => this.#work.track(this.#adminNotify(effect)),
    adminShutdown: (effect) => this.#work.track(this.#adminShutdown(effect)),
    launch: (effect) => this.#launch(effect.run),
    check: (effect) => this.#work.track(this.#checks!.run(effect.service)),
    cancelCheck: () => this.#checks?.cancel(),
    probePorts: () => this.#work.track(this.#checks!.probePorts()),
    terminate: (effect) => this.#terminate(effect.killAt),
    kill: () => this.#service?.signal("SIGKILL"),
    signalService: (effect) => this.#service?.signal(effect.signal as Deno.Signal),
    report: (effect) => this.#work.track(this.#pod!.reporter.report(effect.level, effect.message)),
    showStartLog: () =>
      this.#work.track(this.#pod!.startLogTail().then((lines) => lines.forEach(this.#deps.out))),
    nodeAnswer: (effect) =>
      this.#node.answer(effect.ids, { ret: effect.ret, result: effect.result }),
    wake: (effect) => this.#wake(effect.at),
    exit: (effect) =>
      this.#exit(effect.code).catch((error) => {
        this.#deps.out(`supervisor: ${(error as Error).message}`);
        this.#finish(1);
      }),
  };

  #log(line: string): void {
    (this.#pod?.log ?? this.#deps.out)(line);
  }

  /** Runs genconf; the pod it opens is the runner's, unless a stop came meanwhile. */
  #configure(): void {
    const genconf = this.#genconf = new AbortController();
    this.#work.track(
      this.#deps.configure(genconf.signal, this.#node).then(
        async (pod): Promise<SupervisorEvent | undefined> => {
          if (genconf.signal.aborted) {
            await pod.closeConnections();
            await pod.closeLog();
            return undefined;
          }
          this.#pod = pod;
          this.#checks = new CheckRound(pod, { drainMarker: this.#drainMarker });
          return { type: "configured" };
        },
        (error) => ({ type: "configFailed", message: (error as Error).message }),
      ),
    );
  }

  #clearDrainMarker(): void {
    const marker = this.#drainMarker;
    this.#work.queueFile(`remove ${marker}`, async () => {
      await ifExists(Deno.remove(marker));
    });
  }

  /** Creates the drain marker once the file operations before it ended. */
  async #claimDrain(): Promise<SupervisorEvent> {
    const marker = this.#drainMarker;
    await this.#work.filesDone();
    const claimed = await claimDrainMarker(marker, this.#now());
    if (claimed instanceof Error) {
      this.#log(`prestop: cannot create ${marker} (${claimed.message}); going on without it`);
    }
    return { type: "drainClaimed", already: claimed === "exists" };
  }

  #writeState(effect: Extract<SupervisorEffect, { type: "writeState" }>): void {
    const record = { state: effect.state, reason: effect.reason, writtenAt: effect.writtenAt };
    this.#work.queueFile(
      `write the state file ${this.#statePath}`,
      () => writeStateFile(this.#statePath, record),
    );
  }

  #callRegistry(effect: Extract<SupervisorEffect, { type: "registry" }>): Promise<SupervisorEvent> {
    const pod = this.#pod!;
    const { settings } = this.#deps;
    return callRegistry(effect, {
      link: pod.link,
      info: pod.info,
      nodeEndpoint: pod.nodeEndpoint,
      disableFlow: settings.disableFlow,
      group: settings.group,
      version: settings.serverVersion,
      token: settings.registryToken,
      pid: this.#service?.pid ?? 0,
      bounded: (promise, ms) => this.#work.bounded(promise, ms),
      log: (line) => this.#log(line),
    });
  }

  async #adminNotify(effect: Extract<SupervisorEffect, { type: "adminNotify" }>): Promise<void> {
    const { command } = effect;
    try {
      const answer = await this.#work.bounded(this.#pod!.admin.notify(command), effect.timeout);
      this.#log(`AdminF.notify("${command}") answered ${JSON.stringify(answer)}`);
    } catch (error) {
      this.#log(`AdminF.notify("${command}") failed: ${(error as Error).message}`);
    }
  }

  async #adminShutdown(
    effect: Extract<SupervisorEffect, { type: "adminShutdown" }>,
  ): Promise<SupervisorEvent> {
    try {
      await this.#work.bounded(this.#pod!.admin.shutdown(), effect.timeout);
      return { type: "shutdownAnswered", ok: true };
    } catch (error) {
      return { type: "shutdownAnswered", ok: false, message: (error as Error).message };
    }
  }

  /** Starts run `run` of the service; its exit (127 when it cannot start) is an event. */
  #launch(run: number): void {
    const { startPath } = this.#deps.settings;
    let started: RunningService;
    try {
      started = this.#pod!.startService();
    } catch (error) {
      this.#log(`cannot start ${startPath}: ${(error as Error).message}`);
      this.#work.track(Promise.resolve({ type: "exited", run, exit: { code: 127, signal: null } }));
      return;
    }
    this.#service = started;
    this.#log(`service started: ${startPath} (pid ${started.pid})`);
    this.#work.track(started.exited.then((exit): SupervisorEvent => {
      if (this.#service === started) this.#service = undefined;
      return { type: "exited", run, exit };
    }));
  }

  /** The stop script or SIGTERM to the service's group, SIGKILL at `killAt`. */
  #terminate(killAt: number): void {
    const running = this.#service;
    if (!running) return;
    const stopping = running.stop({
      stopPath: this.#deps.settings.stopPath,
      grace: Math.max(0, killAt - this.#now()),
    });
    this.#work.track(stopping.then(() => undefined));
  }

  /** The machine's one timer: a `tick` at `at`. */
  #wake(at: number): void {
    this.#cancelWake?.();
    this.#cancelWake = this.#timer(() => {
      this.#cancelWake = undefined;
      this.dispatch({ type: "tick" });
    }, Math.max(0, at - this.#now()));
  }

  /** Answers what waits, stops what runs, closes the pod and resolves `done` with `code`. */
  async #exit(code: number): Promise<void> {
    this.#node.answerAll({ ret: NODE_ANSWER.STATE, result: "the supervisor exited" });
    this.#cancelWake?.();
    this.#cancelWake = undefined;
    this.#checks?.cancel();
    this.#genconf?.abort();
    await this.#pod?.closeConnections();
    const running = await this.#work.settle(EXIT_SETTLE_MS);
    if (running > 0) this.#log(`supervisor: ${running} operations still running at exit`);
    await this.#pod?.closeLog();
    this.#finish(code);
  }
}
