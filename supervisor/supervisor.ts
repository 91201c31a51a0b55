/**
 * The supervisor's life: register, start the service, check it every interval, report its state,
 * restart it when it exits, and on a stop request take it out of traffic before stopping it.
 * Everything outside (registry, service process, TCP checks, clock) comes in through
 * {@linkcode SupervisorDeps}: the tests replace the registry, the service and the checks with fakes
 * and inject their faults (they keep the real clock, with intervals of a few ms).
 *
 * @module
 */
import { join } from "../lib/posix_path.ts";
import type { LifecycleSettings } from "../lib/settings.ts";
import { backoffDelay, delay, retry } from "../lib/timers.ts";
import type { ServerInfo } from "../genconf/mod.ts";
import type { EndpointCheckResult } from "./checks.ts";
import type { NotifyReporter } from "./notify_reporter.ts";
import { prestopMarkerPath, runPrestop } from "./prestop.ts";
import type { RegistryLink } from "./registry_link.ts";
import { keepAliveOrRegister, keepAliveRequest, startupRequest } from "./registry_link.ts";
import type { RunningService, ServiceExit } from "./service_process.ts";
import { type ServiceState, stateFilePath, writeStateFile } from "./state_file.ts";
import type { LogLine } from "./supervisor_log.ts";

/** The outside world of the supervisor. */
export interface SupervisorDeps {
  readonly info: ServerInfo;
  readonly settings: LifecycleSettings;
  readonly link: RegistryLink;
  readonly reporter: NotifyReporter;
  /** Sends an admin command (`AdminF`) to the service's AdminObj; `shutdown` asks it to stop. */
  readonly admin: AdminChannel;
  /** Starts the service (service_process.ts `startService` bound to the paths). */
  readonly startService: () => RunningService;
  /** Checks that every endpoint accepts a TCP connection, retrying within the retry timeout. */
  readonly checkEndpoints: (endpoints: readonly string[]) => Promise<EndpointCheckResult>;
  /** Tells whether a single endpoint accepts a connection right now (for waiting until ports close). */
  readonly isListening: (endpoint: string) => Promise<boolean>;
  /** Runs the before-check script; undefined when `TARS_BEFORE_CHECK_SCRIPT` is unset. */
  readonly runBeforeCheck?: () => Promise<{ ok: boolean; detail: string }>;
  /** The tail of `log/start.log`, printed to the container's stdout when the service exits. */
  readonly startLogTail: () => Promise<string[]>;
  /** `log/supervisor.log`. */
  readonly log: LogLine;
  /** The container's stdout. */
  readonly out: LogLine;
  readonly now?: () => number;
  /** Waits `ms`, or less when `signal` aborts. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The service's admin interface as the supervisor uses it. */
export interface AdminChannel {
  notify(command: string): Promise<string>;
  shutdown(): Promise<void>;
}

/** Tuning of the supervisor that is not user-facing. */
export interface SupervisorOptions {
  /** First restart delay after the immediate one; doubles up to `maxRestartDelay`. Default 1 s. */
  readonly restartDelay?: number;
  /** Default 60 s. */
  readonly maxRestartDelay?: number;
  /** A service that ran this long gets the immediate restart again. Default 60 s. */
  readonly stableAfter?: number;
  /** How long to wait for the service's ports to close after AdminF.shutdown. Default 60 s. */
  readonly portCloseTimeout?: number;
  /** Retry delays of the first registration: starts here, doubles up to 30 s. Default 1 s. */
  readonly registerRetryDelay?: number;
}

function describeExit(exit: ServiceExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Runs the supervisor until `stop` aborts, then takes the service out of traffic and stops it.
 * Resolves when the service is stopped; the caller exits 0.
 */
export async function runSupervisor(
  deps: SupervisorDeps,
  options: SupervisorOptions & { stop: AbortSignal },
): Promise<void> {
  const { info, settings, log } = deps;
  const { stop } = options;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? ((ms: number, signal?: AbortSignal) => delay(ms, { signal }));
  const statePath = stateFilePath(settings.tarsPath);
  const stopMarker = join(info.paths.data, "stop");
  const prestopMarker = prestopMarkerPath(settings.tarsPath);
  const endpoints = [...info.adapters.map((a) => a.endpoint), info.local];

  let state: ServiceState = "activating";
  let reportedState: ServiceState | undefined;
  let reportedAt = -Infinity;
  let heartbeatFailed = false;
  const startedAt = now();
  let lastActiveAt = startedAt;
  let service: RunningService | undefined;

  async function setState(next: ServiceState, why: string): Promise<void> {
    if (next !== state) log(`state ${state} -> ${next}: ${why}`);
    state = next;
    if (next === "active") lastActiveAt = now();
    try {
      await writeStateFile(statePath, { state, writtenAt: now() });
    } catch (error) {
      log(`cannot write the state file ${statePath}: ${(error as Error).message}`);
    }
  }

  function sentKeepAlive(): void {
    if (state !== reportedState) log(`registry: keepAlive ${state}`);
    reportedState = state;
    reportedAt = now();
  }

  /** Registers the pod with its present state; throws when the registry does not take it. */
  async function register(): Promise<void> {
    await deps.link.onStartup(startupRequest(info, {
      state,
      disableFlow: settings.disableFlow,
      version: settings.serverVersion,
      pid: service?.pid ?? 0,
    }));
    reportedState = state;
    reportedAt = now();
    log(
      `registry: onStartup ${info.application}.${info.server} on ${info.localIp} ${state}` +
        (settings.disableFlow ? " (traffic off)" : ""),
    );
  }

  /**
   * Heartbeat when the state changed or the report interval passed. After a failed one the next
   * contact registers the pod again, and so does a heartbeat the registry answers with "not
   * registered" (a registry rebuilt on an empty store, a clean): the registry learns the pod back
   * at once instead of waiting for the pod to restart. Not once prestop started: it removes the
   * pod from the registry, and the pod must stay removed.
   */
  async function heartbeat(force: boolean): Promise<void> {
    const due = now() - reportedAt >= settings.reportInterval;
    if (!force && state === reportedState && !due) return;
    const removing = state === "deactivating";
    const reRegister = heartbeatFailed && !removing;
    try {
      const req = keepAliveRequest(info, state, { pid: service?.pid ?? 0 });
      if (reRegister) await register();
      else if (removing) {
        await deps.link.keepAlive(req);
        sentKeepAlive();
      } else {
        const call = await keepAliveOrRegister(deps.link, req, () => {
          log("registry: it does not know this pod; registering it again");
          return register();
        });
        if (call === "keepAlive") sentKeepAlive();
      }
      heartbeatFailed = false;
    } catch (error) {
      const call = reRegister ? "onStartup" : "keepAlive";
      log(`registry: ${call} ${state} failed: ${(error as Error).message}`);
      heartbeatFailed = true;
    }
  }

  // Start-up: a previous life's prestop marker must not make this pod skip its own prestop.
  await Deno.remove(prestopMarker).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await setState("activating", "starting");

  await retry(register, {
    backoff: { first: options.registerRetryDelay ?? 1000, max: 30_000 },
    signal: stop,
    sleep,
    onFailure: async (error, wait) => {
      log(`registry: onStartup failed: ${(error as Error).message}; retrying in ${wait} ms`);
      await setState("activating", "waiting for the registry");
    },
  });
  if (stop.aborted) {
    log("stop requested before the service started; exiting");
    return;
  }

  let exited: Promise<ServiceExit> | undefined;
  let restarts = 0;
  let serviceStartedAt = 0;
  let restartAt = 0;
  /** Exits after a short run since the last immediate restart: the back-off's step. */
  let quickExits = 0;

  function launch(): void {
    try {
      service = deps.startService();
    } catch (error) {
      log(`cannot start ${settings.startPath}: ${(error as Error).message}`);
      service = undefined;
      exited = Promise.resolve({ code: 127, signal: null });
      return;
    }
    serviceStartedAt = now();
    exited = service.exited;
    log(`service started: ${settings.startPath} (pid ${service.pid})`);
  }

  async function onExit(exit: ServiceExit): Promise<void> {
    const ran = now() - serviceStartedAt;
    log(`service exited: ${describeExit(exit)} after ${Math.round(ran / 1000)} s`);
    for (const line of await deps.startLogTail()) deps.out(line);
    service = undefined;
    exited = undefined;
    if (await exists(prestopMarker)) return;
    await setState("inactive", `service ${describeExit(exit)}`);
    await heartbeat(true);
    const alarm = now() - lastActiveAt >= settings.activatingTimeout;
    await deps.reporter.report(
      alarm ? "error" : "warn",
      alarm ? "[alarm] down, server is inactive" : `[warn] server down: ${describeExit(exit)}`,
    );
    const stable = ran >= (options.stableAfter ?? 60_000);
    // The first restart, and one after a stable run, is immediate; then the back-off doubles.
    quickExits = restarts === 0 || stable ? 0 : quickExits + 1;
    const restartDelay = quickExits === 0 ? 0 : backoffDelay(quickExits, {
      first: options.restartDelay ?? 1000,
      max: options.maxRestartDelay ?? 60_000,
    });
    restartAt = now() + restartDelay;
  }

  launch();
  while (!stop.aborted) {
    if (!service && !exited) {
      if (await exists(stopMarker)) {
        await setState("inactive", `restarts suspended by ${stopMarker}`);
      } else if (now() >= restartAt) {
        restarts += 1;
        log(`restarting the service (restart ${restarts})`);
        launch();
        await deps.reporter.report("normal", `[notify] restart, restart ${restarts}`);
      }
    }

    if (deps.runBeforeCheck) {
      const result = await deps.runBeforeCheck();
      if (!result.ok) log(`before-check script: ${result.detail}`);
    }

    if (await exists(prestopMarker)) {
      await setState("deactivating", "prestop ran");
    } else if (service) {
      const result = await deps.checkEndpoints(endpoints);
      if (result.ok) await setState("active", "every endpoint accepts connections");
      else if (state === "activating" && now() - startedAt < settings.activatingTimeout) {
        await setState("activating", result.failure ?? "endpoints not ready");
      } else await setState("inactive", result.failure ?? "endpoints not ready");
    } else await setState("inactive", "service not running");
    await heartbeat(false);

    const wake = new AbortController();
    const onStop = () => wake.abort();
    stop.addEventListener("abort", onStop, { once: true });
    const pendingExit = exited;
    let exit: ServiceExit | undefined;
    pendingExit?.then((value) => {
      exit = value;
      wake.abort();
    });
    const wait = service ? settings.checkInterval : Math.min(
      settings.checkInterval,
      Math.max(0, restartAt - now()),
    );
    await sleep(wait, wake.signal);
    stop.removeEventListener("abort", onStop);
    if (exit && exited === pendingExit) await onExit(exit);
  }

  await stopService(deps, {
    service,
    portCloseTimeout: options.portCloseTimeout ?? 60_000,
    endpoints,
    sleep,
    now,
  });
}

async function stopService(
  deps: SupervisorDeps,
  ctx: {
    service: RunningService | undefined;
    portCloseTimeout: number;
    endpoints: readonly string[];
    sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
    now: () => number;
  },
): Promise<void> {
  const { log, settings } = deps;
  log("stop requested: taking the service out of traffic");
  const outcome = await runPrestop({
    info: deps.info,
    settings,
    link: deps.link,
    admin: (command) => deps.admin.notify(command),
    log,
    now: ctx.now,
    sleep: (ms) => ctx.sleep(ms),
  });
  if (outcome === "already") log("prestop had already run (preStop hook)");
  const service = ctx.service;
  if (!service) {
    log("service not running; supervisor exits");
    return;
  }
  try {
    await deps.admin.shutdown();
    log("AdminF.shutdown sent");
  } catch (error) {
    log(`AdminF.shutdown: ${(error as Error).message}`);
  }
  const deadline = ctx.now() + ctx.portCloseTimeout;
  let exited = false;
  service.exited.then(() => exited = true);
  while (!exited && ctx.now() < deadline) {
    const open = [];
    for (const endpoint of ctx.endpoints) {
      if (await deps.isListening(endpoint)) open.push(endpoint);
    }
    if (open.length === 0) break;
    await ctx.sleep(200);
  }
  log(exited ? "service exited after shutdown" : "service ports closed");
  const exit = await service.stop({ stopPath: settings.stopPath, grace: settings.stopGrace });
  log(`service stopped: ${describeExit(exit)}`);
  for (const line of await deps.startLogTail()) deps.out(line);
}
