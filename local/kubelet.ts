/**
 * A kubelet stand-in for the lifecycle tests and the demo: it runs one pod of the example service
 * (examples/simple) the way Kubernetes does. The container's entrypoint is `tarscli supervisor`
 * (optionally as PID 1 of its own PID namespace, through `unshare --pid --fork --mount-proc`); the
 * readiness probe `tarscli hzcheck` (or an httpGet probe of the supervisor's `TARS_PROBE_PORT`)
 * runs every probe period; termination runs the preStop hook
 * `tarscli prestop`, then sends SIGTERM to the entrypoint, waits out the grace period and sends
 * SIGKILL. Every `tarscli` runs with `deno run` and the permissions of the compiled binary.
 *
 * @module
 */
import { join } from "node:path";
import { delay, settlesWithin } from "../lib/timers.ts";
import { type Child, runChild, type RunResult, spawnChild, tail } from "./child.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const EXAMPLE = join(ROOT, "examples", "simple");
/** The files of examples/simple that make up the image's `$TARS_PATH/bin`. */
export const EXAMPLE_POD_FILES = ["_server_meta.yaml", "start.sh", "service.cjs", "hello_tars.cjs"];
/** `tarscli` is compiled with --allow-all (baseserver/compile.ts). */
const TARSCLI = [Deno.execPath(), "run", "--allow-all", join(ROOT, "main.ts")];
/** Kubernetes' extra 2 s after a preStop hook that ran out the grace period. */
const HOOK_OVERRUN_GRACE = 2000;

/** How a pod is run. */
export interface PodOptions {
  /** POD_NAME: the example service puts it in its greeting. */
  readonly name: string;
  /** POD_IP: a loopback address of its own (127.0.0.2, …), as each pod has its own IP. */
  readonly podIp: string;
  /** TARS_LOCATOR. */
  readonly locator: string;
  /** More environment of the container (it wins over the defaults here). */
  readonly env?: Record<string, string>;
  /** readinessProbe periodSeconds, in ms; default 300. */
  readonly probePeriod?: number;
  /** readinessProbe timeoutSeconds, in ms; default 5000. */
  readonly probeTimeout?: number;
  /** Consecutive failed probes before the pod counts as not ready; default 1. */
  readonly failureThreshold?: number;
  /** terminationGracePeriodSeconds, in ms; default 15000. */
  readonly grace?: number;
  /** Run the supervisor as PID 1 of a new PID namespace. */
  readonly pid1?: boolean;
  /** Files written into `$TARS_PATH/bin` besides the example's (name to content, made executable). */
  readonly extraFiles?: Record<string, string>;
  /** The file of `$TARS_PATH/bin` that TARS_START_PATH names; default start.sh (the default path). */
  readonly start?: string;
  /**
   * An httpGet readiness probe (`GET http://POD_IP:PORT/ready`) on this port, which the pod's
   * `TARS_PROBE_PORT` is set to; default an exec probe, `tarscli hzcheck`.
   */
  readonly httpProbePort?: number;
  /** Called with each line the entrypoint prints, as it arrives. */
  readonly onLine?: (line: string) => void;
  /**
   * Runs the entrypoint, the probes and the hook each in a process group of its own, so that a
   * terminal's Ctrl-C does not reach them: the pod then stops only when terminated, as a pod does
   * (the example command).
   */
  readonly detached?: boolean;
}

/** One readiness probe run. */
export interface ProbeResult {
  readonly at: number;
  readonly ok: boolean;
  /** hzcheck's one line (or the HTTP answer's body) when it failed. */
  readonly reason: string;
}

/** How the termination went. */
export interface Termination {
  readonly prestop: RunResult & { readonly ms: number };
  /** The entrypoint's exit status. */
  readonly status: Deno.CommandStatus;
  /** True when SIGKILL was needed at the end of the grace period. */
  readonly killed: boolean;
  /** From SIGTERM to the entrypoint's exit, in ms. */
  readonly stopMs: number;
}

/** A running pod. */
export interface Pod {
  readonly name: string;
  readonly tarsPath: string;
  /** The container's environment. */
  readonly env: Record<string, string>;
  /** The entrypoint process (`unshare` when pid1). */
  readonly supervisor: Child;
  /** Every probe so far. */
  readonly probes: readonly ProbeResult[];
  /** Whether the pod is ready (what the endpoints controller would use). */
  readonly ready: boolean;
  /** Waits until `ready` is `want`, at most `timeout` ms. */
  waitReady(timeout: number, want?: boolean): Promise<void>;
  /** `kubectl exec POD -- tarscli ARGS…`. */
  exec(args: string[], timeout?: number): Promise<RunResult>;
  /** The supervisor's host pid (the namespace's PID 1 when pid1). */
  supervisorPid(): Promise<number>;
  /** Deletes the pod: preStop (unless `preStop: false`), SIGTERM, grace period, SIGKILL. */
  terminate(options?: { preStop?: boolean }): Promise<Termination>;
  /** Stops whatever is still running (SIGKILL) and removes the pod's directory. */
  cleanup(): Promise<void>;
}

/** A free run of 40 ports for the pod's ${random_port}s, below the ephemeral range. */
function portRange(): { min: number; max: number } {
  const min = 20000 + 40 * Math.floor(Math.random() * 300);
  return { min, max: min + 39 };
}

/** Runs `tarscli ARGS…` with `options.env`, killed after `options.timeout` ms. */
function runTarscli(
  args: string[],
  options: { env: Record<string, string>; timeout: number; detached?: boolean },
) {
  const [command, ...rest] = TARSCLI;
  return runChild(command, { args: [...rest, ...args], ...options });
}

/** Starts a pod: writes its `bin/`, starts the entrypoint and the probe loop. */
export async function startPod(options: PodOptions): Promise<Pod> {
  const tarsPath = await Deno.makeTempDir({ prefix: `pod_${options.name}_` });
  const bin = join(tarsPath, "bin");
  await Deno.mkdir(bin);
  for (const file of EXAMPLE_POD_FILES) await Deno.copyFile(join(EXAMPLE, file), join(bin, file));
  for (const [file, text] of Object.entries(options.extraFiles ?? {})) {
    await Deno.writeTextFile(join(bin, file), text, { mode: 0o755 });
  }
  const ports = portRange();
  const env: Record<string, string> = {
    TARS_PATH: tarsPath,
    TARS_LOCATOR: options.locator,
    POD_IP: options.podIp,
    POD_NAME: options.name,
    TARS_RAND_PORT_MIN: String(ports.min),
    TARS_RAND_PORT_MAX: String(ports.max),
    TARS_CHECK_INTERVAL: "300ms",
    TARS_REPORT_INTERVAL: "2s",
    TARS_CHECK_RETRY_TIMEOUT: "1s",
    TARS_PRESTOP_WAITTIME: "2s",
    NODE_PATH: join(ROOT, "node_modules"),
    ...(options.start ? { TARS_START_PATH: join(bin, options.start) } : {}),
    ...(options.httpProbePort ? { TARS_PROBE_PORT: String(options.httpProbePort) } : {}),
    ...options.env,
  };
  const [deno, ...entry] = TARSCLI;
  // The probes and the preStop hook run as the entrypoint does, in or out of the terminal's reach.
  const spawn = { env, detached: options.detached };
  const onLine = options.onLine;
  const supervisor = options.pid1
    ? spawnChild(`${options.name} supervisor`, "unshare", {
      args: ["--pid", "--fork", "--mount-proc", deno, ...entry, "supervisor"],
      onLine,
      ...spawn,
    })
    : spawnChild(`${options.name} supervisor`, deno, {
      args: [...entry, "supervisor"],
      onLine,
      ...spawn,
    });

  const probes: ProbeResult[] = [];
  let ready = false;
  let failures = 0;
  const period = options.probePeriod ?? 300;
  const threshold = options.failureThreshold ?? 1;
  const probeTimeout = options.probeTimeout ?? 5000;
  const probe = options.httpProbePort === undefined
    ? async () => {
      const result = await runTarscli(["hzcheck"], { ...spawn, timeout: probeTimeout });
      return { ok: result.code === 0, reason: result.stderr };
    }
    : () => httpProbe(`http://${options.podIp}:${options.httpProbePort}/ready`, probeTimeout);
  const probeLoop = (async () => {
    while (!supervisor.exited) {
      const started = Date.now();
      const { ok, reason } = await probe();
      probes.push({ at: started, ok, reason });
      failures = ok ? 0 : failures + 1;
      if (ok) ready = true;
      else if (failures >= threshold) ready = false;
      await delay(Math.max(0, period - (Date.now() - started)));
    }
    ready = false;
  })();

  async function supervisorPid(): Promise<number> {
    if (!options.pid1) return supervisor.pid;
    for (let i = 0; i < 100; i++) {
      const children = await Deno.readTextFile(
        `/proc/${supervisor.pid}/task/${supervisor.pid}/children`,
      ).catch(() => "");
      const pid = Number(children.trim().split(/\s+/)[0]);
      if (pid > 0) return pid;
      await delay(50);
    }
    throw new Error(`unshare (pid ${supervisor.pid}) has not started the supervisor`);
  }

  const pod: Pod = {
    name: options.name,
    tarsPath,
    env,
    supervisor,
    probes,
    get ready() {
      return ready;
    },
    async waitReady(timeout, want = true) {
      const deadline = Date.now() + timeout;
      while (ready !== want) {
        if (supervisor.exited) {
          throw new Error(`${options.name}: the supervisor exited:\n${tail(supervisor.lines)}`);
        }
        if (Date.now() > deadline) {
          const last = probes.at(-1);
          throw new Error(
            `${options.name} not ${want ? "ready" : "unready"} within ${timeout} ms; last probe: ` +
              `${last?.ok ? "ok" : last?.reason}\n${tail(supervisor.lines)}`,
          );
        }
        await delay(50);
      }
    },
    exec: (args, timeout = 10_000) => runTarscli(args, { ...spawn, timeout }),
    supervisorPid,
    async terminate(termination = {}) {
      const grace = options.grace ?? 15_000;
      const started = Date.now();
      const prestop = termination.preStop === false
        ? { code: 0, stdout: "", stderr: "" }
        : await runTarscli(["prestop"], { ...spawn, timeout: grace });
      const prestopMs = Date.now() - started;
      const left = Math.max(grace - prestopMs, HOOK_OVERRUN_GRACE);
      const pid = await supervisorPid();
      const sigterm = Date.now();
      Deno.kill(pid, "SIGTERM");
      const killed = !await settlesWithin(supervisor.done, left);
      if (killed) await supervisor.stop({ signal: "SIGKILL", grace: 10_000 });
      const status = await supervisor.done;
      const stopMs = Date.now() - sigterm;
      await probeLoop;
      return { prestop: { ...prestop, ms: prestopMs }, status, killed, stopMs };
    },
    async cleanup() {
      if (!supervisor.exited) {
        // SIGKILL of a namespace's PID 1 ends everything in it. Otherwise the service, in its own
        // process group, outlives a killed supervisor: its groups are killed below.
        const pid = await supervisorPid().catch(() => supervisor.pid);
        for (const target of new Set([pid, supervisor.pid])) {
          try {
            Deno.kill(target, "SIGKILL");
          } catch { /* gone already */ }
        }
      }
      await supervisor.done;
      for (const group of await serviceGroups(tarsPath)) {
        try {
          Deno.kill(-group, "SIGKILL");
        } catch { /* gone already */ }
      }
      await probeLoop;
      await Deno.remove(tarsPath, { recursive: true });
    },
  };
  return pod;
}

/** One httpGet probe as the kubelet makes it: success for a 2xx or 3xx status. */
async function httpProbe(url: string, timeout: number): Promise<{ ok: boolean; reason: string }> {
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(timeout) });
    const body = (await answer.text()).trim();
    return { ok: answer.status >= 200 && answer.status < 400, reason: `${answer.status} ${body}` };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
}

/**
 * Every process group the supervisor started the service in: the pids of its log/supervisor.log
 * "service started" lines and of the service's own lines in log/start.log.
 */
async function serviceGroups(tarsPath: string): Promise<Set<number>> {
  const log = await Deno.readTextFile(join(tarsPath, "log", "supervisor.log")).catch(() => "");
  const pids = [...log.matchAll(/service started: .* \(pid (\d+)\)$/gm)].map((m) => Number(m[1]));
  const last = await servicePid(tarsPath);
  return new Set(last ? [...pids, last] : pids);
}

/** The service's pid from its start.log ("[PID] …" lines of service.cjs), or 0. */
export async function servicePid(tarsPath: string): Promise<number> {
  const log = await Deno.readTextFile(join(tarsPath, "log", "start.log")).catch(() => "");
  const pids = [...log.matchAll(/^\S+ \[(\d+)\] /gm)].map((m) => Number(m[1]));
  return pids.at(-1) ?? 0;
}
