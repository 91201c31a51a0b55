/**
 * The lifecycle benchmarks of issue 5:
 *
 * - the readiness probe: wall time and peak RSS of `deno run --allow-read --allow-env main.ts
 *   hzcheck` on a fresh `active` state file, against an empty `deno run` script, in interleaved
 *   rounds with references that show where the difference comes from: a probe script with no
 *   imports, a script importing only `node:path` (what any `node:` import costs) and
 *   `main.ts version`. Each sample
 *   runs under `servers/peak_rss.pl` (fork, exec, wait, then getrusage(RUSAGE_CHILDREN)): a
 *   child's peak RSS includes the memory of the process that forked it until its exec, so the
 *   forking parent must be small, which rules out a Deno wrapper (about 35 MB).
 * - the supervisor when idle: a real registry (SQLite in a temp dir), then `main.ts supervisor`
 *   with a stand-in service (`servers/idle_service.ts`, listening on the endpoints genconf
 *   wrote) and default check and report intervals, its modules transpiled into Deno's cache
 *   first (as the compiled binary has them; a supervisor that transpiles them keeps about 7 MiB
 *   more); once the state file says `active` and 35 s more have passed (V8's memory reducer
 *   runs its first full GC about 30 s after start-up, a one-off that is not the idle cost), CPU
 *   time over a 60 s window (every thread's time on a CPU, `thread_cpu.ts`; the process alone,
 *   not its children), then VmRSS and VmHWM, against an empty Deno process with a 10 s timer
 *   measured over the same window, and against
 *   `servers/idle_io.ts`, an empty Deno doing the kinds of I/O the supervisor does (what the
 *   runtime itself costs for that work).
 *
 * Everything is on loopback, bounded in time, and every child process is killed before this
 * returns.
 *
 * - the HTTP readiness probe (issue 14): the supervisor runs with `TARS_PROBE_PORT`, as the
 *   manifests run it; after the idle window, rounds of an idle window and a window of `GET /ready`
 *   probes (each on a new connection, as the kubelet's) give the supervisor's CPU per probe,
 *   beside the exec probe's CPU per run from the probe table. Its memory is also read from
 *   `/proc/PID/smaps_rollup` (Rss, Anonymous), the figures of issue 14's targets.
 *
 * With `--baseline DIR` (a checkout of another tree, e.g. a `git worktree` of main), that tree's
 * `main.ts supervisor` runs beside this one's over the same window, with a pod of its own on the
 * same registry, and its figures are printed beside.
 *
 * The last part of `deno task bench`; alone: `deno run --allow-all bench/lifecycle_bench.ts
 * [--quick] [--baseline DIR]`.
 *
 * @module
 */
import { join } from "node:path";
import { readSettings } from "../lib/settings.ts";
import { readStateFile, stateFilePath, writeStateFile } from "../supervisor/mod.ts";
import { median } from "./measure.ts";
import { measureThreadCpu } from "./thread_cpu.ts";
import {
  type Child,
  type RegistryProcess,
  spawnChild,
  startRegistryProcess,
  tail,
} from "../local/mod.ts";
import { commandModules, staticModules } from "../tests/support/module_graph.ts";
import { delay } from "../lib/timers.ts";
import { freePort } from "../tests/support/free_port.ts";
import { mib, printTable, ratio } from "./report.ts";

const here = new URL(".", import.meta.url);
const ROOT = new URL("..", here).pathname;
const MAIN = new URL("../main.ts", here).pathname;
/** The permissions `tarscli hzcheck` needs when run with `deno run`. */
export const HZCHECK_PERMISSIONS = ["--allow-read", "--allow-env"] as const;
/** Targets of issue 5 (ratios to the baselines). */
const PROBE_TARGET = 1.2;
const HZCHECK_CASE = "tarscli hzcheck";
const IDLE_TARGET = 1.3;
/** Targets of issue 14: the idle supervisor's smaps_rollup figures and the HTTP probe's CPU. */
const ANONYMOUS_TARGET_KIB = 11 * 1024;
const RSS_TARGET_KIB = 45 * 1024;
const HTTP_PROBE_TARGET_MS = 1;
/** How long `tarscli prestop` has waited when its memory is read (a tenth of its wait). */
const PRESTOP_SETTLE_MS = 3_000;
/** TARS_CHECK_INTERVAL's default, which the idle bench keeps. */
const CHECK_INTERVAL_S = readSettings({}, "supervisor", { cwd: "/" }).checkInterval / 1000;

/** How much to run. */
export interface LifecycleBenchOptions {
  /** 3 probe rounds and a 5 s idle window after 1 s: checks that the bench still works. */
  readonly quick: boolean;
  /** Another checkout whose supervisor is measured beside this one's. */
  readonly baseline?: string;
}

/** One probe case: its samples' medians and 90th percentiles. */
export interface ProbeFigures {
  readonly name: string;
  readonly wallMedianMs: number;
  readonly wallP90Ms: number;
  readonly peakRssMedianKiB: number;
  readonly peakRssMaxKiB: number;
  /** User + system CPU, median, ms. */
  readonly cpuMedianMs: number;
}

/** One process over the idle window. */
export interface IdleFigures {
  readonly rssKiB: number;
  readonly hwmKiB: number;
  /** `Rss` and `Anonymous` of `/proc/PID/smaps_rollup`. */
  readonly rollupRssKiB: number;
  readonly rollupAnonymousKiB: number;
  /** The anonymous (heap, stacks) and file-backed (mostly the deno binary's code) parts. */
  readonly anonKiB: number;
  readonly fileKiB: number;
  readonly cpuMs: number;
}

/** Everything measured. */
export interface LifecycleBenchResult {
  readonly probe: {
    readonly rounds: number;
    /** The empty script first, then the references, and `tarscli hzcheck`. */
    readonly cases: readonly ProbeFigures[];
    /** The modules `main.ts hzcheck` loads (static imports of main.ts and of the command). */
    readonly modules: readonly string[];
  };
  readonly idle: {
    readonly windowS: number;
    readonly supervisor: IdleFigures;
    /** The empty Deno doing the supervisor's kinds of I/O (`servers/idle_io.ts`). */
    readonly io: IdleFigures;
    readonly baseline: IdleFigures;
    /** The supervisor of the `--baseline` tree, when one was given. */
    readonly before?: IdleFigures;
    /**
     * `tarscli prestop` (the preStop hook) while it waits out `TARS_PRESTOP_WAITTIME`, run
     * against the supervisor's pod after the window (the pod is not measured after that).
     */
    readonly prestop: {
      readonly rssKiB: number;
      readonly anonKiB: number;
      readonly fileKiB: number;
    };
    /** The modules `main.ts supervisor` loads (static imports of main.ts and of the command). */
    readonly modules: readonly string[];
    /** The supervisor's CPU per `GET /ready` (TARS_PROBE_PORT), against idle windows beside. */
    readonly httpProbe: HttpProbeFigures;
  };
}

/** The HTTP readiness probe's cost to the supervisor. */
export interface HttpProbeFigures {
  readonly rounds: number;
  readonly probesPerRound: number;
  /** Supervisor CPU per probe, ms, each round (probing window minus the idle window beside). */
  readonly perProbeMs: readonly number[];
}

/** The wrapper's view of one run. */
interface Sample {
  readonly code: number;
  readonly wallMs: number;
  readonly peakRssKiB: number;
  readonly cpuMs: number;
}

/** `clock_gettime` and `getrusage` syscall numbers for the wrapper. */
function syscallNumbers(): [number, number] {
  switch (Deno.build.arch) {
    case "x86_64":
      return [228, 98];
    case "aarch64":
      return [113, 165];
    default:
      throw new RangeError(`No syscall numbers for ${Deno.build.arch}; add them to syscallNumbers`);
  }
}

/** Runs `deno ...args` once under the peak-RSS wrapper; throws with its output on failure. */
async function sample(args: readonly string[], env: Record<string, string>): Promise<Sample> {
  const out = await new Deno.Command("perl", {
    args: [
      new URL("servers/peak_rss.pl", here).pathname,
      ...syscallNumbers().map(String),
      Deno.execPath(),
      ...args,
    ],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  const fields = new TextDecoder().decode(out.stdout).trim().split(" ").map(Number);
  if (!out.success || fields.length !== 5 || fields.some((n) => !Number.isFinite(n))) {
    throw new Error(`perl peak_rss.pl failed (is perl installed?): ${stderr}`);
  }
  const [code, wallUs, peakRssKiB, userUs, sysUs] = fields;
  if (code !== 0) throw new Error(`deno ${args.join(" ")} exited with ${code}: ${stderr}`);
  return { code, wallMs: wallUs / 1000, peakRssKiB, cpuMs: (userUs + sysUs) / 1000 };
}

/** The 90th percentile (nearest rank). */
function p90(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.9) - 1)];
}

/** Probe bench: interleaved rounds of the four cases; their figures and hzcheck's modules. */
async function measureProbe(rounds: number): Promise<LifecycleBenchResult["probe"]> {
  const tarsPath = await Deno.makeTempDir({ prefix: "lifecycle_probe_" });
  try {
    const env = { TARS_PATH: tarsPath };
    const statePath = stateFilePath(tarsPath);
    const cases = [
      { name: "empty script", args: ["run", new URL("servers/empty.ts", here).pathname] },
      {
        name: "state file read, no imports",
        args: ["run", ...HZCHECK_PERMISSIONS, new URL("servers/read_state.ts", here).pathname],
      },
      {
        name: "import node:path only",
        args: ["run", new URL("servers/node_path.ts", here).pathname],
      },
      { name: "tarscli version", args: ["run", ...HZCHECK_PERMISSIONS, MAIN, "version"] },
      { name: HZCHECK_CASE, args: ["run", ...HZCHECK_PERMISSIONS, MAIN, "hzcheck"] },
    ];
    const samples: Sample[][] = cases.map(() => []);
    // One unmeasured run each, so every module is in Deno's cache.
    await writeStateFile(statePath, { state: "active", writtenAt: Date.now() });
    for (const c of cases) await sample(c.args, env);
    for (let round = 0; round < rounds; round++) {
      await writeStateFile(statePath, { state: "active", writtenAt: Date.now() });
      for (const [i, c] of cases.entries()) samples[i].push(await sample(c.args, env));
    }
    return {
      rounds,
      cases: cases.map((c, i) => {
        const s = samples[i];
        return {
          name: c.name,
          wallMedianMs: median(s.map((x) => x.wallMs)),
          wallP90Ms: p90(s.map((x) => x.wallMs)),
          peakRssMedianKiB: median(s.map((x) => x.peakRssKiB)),
          peakRssMaxKiB: Math.max(...s.map((x) => x.peakRssKiB)),
          cpuMedianMs: median(s.map((x) => x.cpuMs)),
        };
      }),
      modules: await commandModules("supervisor/hzcheck.ts"),
    };
  } finally {
    await Deno.remove(tarsPath, { recursive: true });
  }
}

/** VmRSS, VmHWM, RssAnon and RssFile, and smaps_rollup's Rss and Anonymous of a process, KiB. */
async function memoryKiB(
  pid: number,
): Promise<
  { rss: number; hwm: number; anon: number; file: number; rollupRss: number; anonymous: number }
> {
  const read = async (file: string) => {
    const text = await Deno.readTextFile(`/proc/${pid}/${file}`);
    return (name: string) => {
      const m = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
      if (!m) throw new Error(`No ${name} in /proc/${pid}/${file}`);
      return Number(m[1]);
    };
  };
  const status = await read("status");
  const rollup = await read("smaps_rollup");
  return {
    rss: status("VmRSS"),
    hwm: status("VmHWM"),
    anon: status("RssAnon"),
    file: status("RssFile"),
    rollupRss: rollup("Rss"),
    anonymous: rollup("Anonymous"),
  };
}

/** One probe as the kubelet sends it: a new connection, `GET /ready`, read to the end. */
async function httpProbe(port: number): Promise<void> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        "GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: kube-probe/1.31\r\n" +
          "Accept: */*\r\nConnection: close\r\n\r\n",
      ),
    );
    const buf = new Uint8Array(1024);
    let head = "";
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      head += new TextDecoder().decode(buf.subarray(0, n));
    }
    if (!head.startsWith("HTTP/1.1 200 ")) throw new Error(`GET /ready answered ${head}`);
  } finally {
    conn.close();
  }
}

/**
 * The supervisor's CPU per HTTP probe: rounds of an idle window and a window of `count` probes
 * (one every `windowMs / count`), CPU of every thread of the supervisor in each; per round, the
 * difference over `count`.
 */
async function measureHttpProbe(
  pid: number,
  port: number,
  options: { rounds: number; windowMs: number; count: number },
): Promise<HttpProbeFigures> {
  const perProbeMs: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const [idle] = await measureThreadCpu([pid], { windowMs: options.windowMs });
    const probing = (async () => {
      for (let i = 0; i < options.count; i++) {
        const started = performance.now();
        await httpProbe(port);
        await delay(Math.max(0, options.windowMs / options.count - (performance.now() - started)));
      }
    })();
    const [busy] = await measureThreadCpu([pid], { windowMs: options.windowMs });
    await probing;
    perProbeMs.push((busy - idle) / options.count);
  }
  return { rounds: options.rounds, probesPerRound: options.count, perProbeMs };
}

/** Spawns `deno ARGS…` with its output kept for error messages (local/child.ts). */
function spawnDeno(
  args: readonly string[],
  options: { cwd: string; env: Record<string, string> },
): Child {
  return spawnChild(args.join(" "), Deno.execPath(), { args: [...args], ...options });
}

/** SIGKILL (when still running) and wait. */
async function kill(child: Child | undefined): Promise<void> {
  await child?.stop({ signal: "SIGKILL", grace: 10_000 });
}

/** Direct children of a process (every thread's `children` list). */
async function childPids(pid: number): Promise<number[]> {
  const pids: number[] = [];
  for await (const task of Deno.readDir(`/proc/${pid}/task`)) {
    try {
      const text = await Deno.readTextFile(`/proc/${pid}/task/${task.name}/children`);
      pids.push(...text.split(" ").filter((s) => s.trim()).map(Number));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return pids;
}

/** Kills each process group (the supervisor starts the service in its own), else the process. */
function killGroups(pids: readonly number[]): void {
  for (const pid of pids) {
    for (const target of [-pid, pid]) {
      try {
        Deno.kill(target, "SIGKILL");
      } catch {
        // Gone already, or not a group leader.
      }
    }
  }
}

/** Writes a pod's `bin/` (meta and a start.sh running the stand-in service). */
async function preparePod(tarsPath: string, server: string): Promise<void> {
  const bin = join(tarsPath, "bin");
  await Deno.mkdir(bin, { recursive: true });
  await Deno.writeTextFile(
    join(bin, "_server_meta.yaml"),
    `application: Bench\nserver: ${server}\nadapters:\n  - object: IdleObj\n`,
  );
  const service = new URL("servers/idle_service.ts", here).pathname;
  const conf = join(tarsPath, "conf", `${server}.conf`);
  await Deno.writeTextFile(
    join(bin, "start.sh"),
    `#!/bin/sh\nexec '${Deno.execPath()}' run --allow-read --allow-net '${service}' '${conf}'\n`,
    { mode: 0o755 },
  );
}

/** Polls the state file until it says `active` (at most `timeoutMs`). */
/**
 * Transpiles the supervisor's modules of the tree at `root` into Deno's cache, run from `cwd` as
 * the supervisor is. A supervisor that finds them there does not transpile them itself, which
 * would leave it about 7 MiB more Anonymous memory for its life; the compiled binary the image
 * runs never does.
 */
async function cacheSupervisor(root: string, cwd: string): Promise<void> {
  const entries = ["main.ts", "supervisor/run_supervisor.ts"].map((file) => join(root, file));
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["cache", ...entries],
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `deno cache ${entries.join(" ")} failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
}

async function waitActive(tarsPath: string, supervisor: Child, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const record = await readStateFile(stateFilePath(tarsPath)).catch(() => undefined);
    if (record?.state === "active") return;
    if (supervisor.exited || performance.now() > deadline) {
      throw new Error(
        `The supervisor did not report active within ${timeoutMs / 1000} s ` +
          `(state: ${record?.state ?? "no file"}); its output:\n${tail(supervisor.lines)}`,
      );
    }
    await delay(200);
  }
}

/** Supervisor idle bench over `windowMs`, after it is active and `settleMs` more. */
async function measureIdle(
  windowMs: number,
  settleMs: number,
  options: { probeRounds: number; baseline?: string },
): Promise<LifecycleBenchResult["idle"]> {
  const dir = await Deno.makeTempDir({ prefix: "lifecycle_idle_" });
  const tarsPath = join(dir, "pod");
  let registry: RegistryProcess | undefined;
  let baseline: Child | undefined;
  let io: Child | undefined;
  let supervisor: Child | undefined;
  let before: Child | undefined;
  let prestop: Child | undefined;
  let service: number[] = [];
  try {
    registry = await startRegistryProcess(["--store", `sqlite:${join(dir, "registry.db")}`]);
    await preparePod(tarsPath, "Idle");
    baseline = spawnDeno(["run", new URL("servers/idle_timer.ts", here).pathname], {
      cwd: ROOT,
      env: {},
    });
    const ioDir = join(dir, "io");
    await Deno.mkdir(ioDir);
    const ioScript = new URL("servers/idle_io.ts", here).pathname;
    io = spawnDeno(["run", "--allow-all", ioScript, String(registry.port), ioDir], {
      cwd: ROOT,
      env: {},
    });
    const portMin = 20000 + Math.floor(Math.random() * 11000);
    const probePort = freePort();
    // As the manifests run it: with the HTTP readiness probe on.
    const startSupervisor = (main: string, pod: string, ports: number, probe: number) =>
      spawnDeno(["run", "--allow-all", main, "supervisor"], {
        cwd: dir,
        env: {
          TARS_PATH: pod,
          TARS_LOCATOR: `tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p ${registry!.port}`,
          POD_IP: "127.0.0.1",
          TARS_RAND_PORT_MIN: String(ports),
          TARS_RAND_PORT_MAX: String(ports + 500),
          TARS_PROBE_PORT: String(probe),
        },
      });
    await cacheSupervisor(ROOT, dir);
    if (options.baseline !== undefined) await cacheSupervisor(options.baseline, dir);
    supervisor = startSupervisor(MAIN, tarsPath, portMin, probePort);
    const beforePath = join(dir, "pod_before");
    if (options.baseline !== undefined) {
      await preparePod(beforePath, "IdleBefore");
      before = startSupervisor(
        join(options.baseline, "main.ts"),
        beforePath,
        portMin + 600,
        freePort(),
      );
    }
    await waitActive(tarsPath, supervisor, 60_000);
    service = await childPids(supervisor.pid);
    if (before) {
      await waitActive(beforePath, before, 60_000);
      service = [...service, ...await childPids(before.pid)];
    }
    await delay(settleMs);
    const measured = [supervisor, io, baseline, ...before ? [before] : []];
    const pids = measured.map((c) => c.pid);
    const cpuMs = await measureThreadCpu(pids, { windowMs });
    const memory = await Promise.all(pids.map(memoryKiB));
    if (measured.some((c) => c.exited)) {
      const outputs = measured.map((c) => tail(c.lines)).join("\n");
      throw new Error(`A measured process exited:\n${outputs}`);
    }
    const figures = pids.map((_, i) => ({
      rssKiB: memory[i].rss,
      hwmKiB: memory[i].hwm,
      rollupRssKiB: memory[i].rollupRss,
      rollupAnonymousKiB: memory[i].anonymous,
      anonKiB: memory[i].anon,
      fileKiB: memory[i].file,
      cpuMs: cpuMs[i],
    }));
    const probeRounds = options.probeRounds;
    const httpProbe = await measureHttpProbe(supervisor.pid, probePort, {
      rounds: probeRounds,
      windowMs: probeRounds > 1 ? 10_000 : 2_000,
      count: probeRounds > 1 ? 200 : 40,
    });
    prestop = spawnDeno(["run", "--allow-all", MAIN, "prestop"], {
      cwd: dir,
      env: { TARS_PATH: tarsPath, TARS_PRESTOP_WAITTIME: `${PRESTOP_SETTLE_MS * 10}ms` },
    });
    await prestop.waitForLine(/waiting \d+ ms/, 20_000);
    await delay(PRESTOP_SETTLE_MS);
    if (prestop.exited) throw new Error(`tarscli prestop exited early:\n${tail(prestop.lines)}`);
    const prestopMemory = await memoryKiB(prestop.pid);
    return {
      windowS: windowMs / 1000,
      supervisor: figures[0],
      io: figures[1],
      baseline: figures[2],
      before: figures[3],
      prestop: {
        rssKiB: prestopMemory.rss,
        anonKiB: prestopMemory.anon,
        fileKiB: prestopMemory.file,
      },
      // The command, and what it imports once its signal listeners are in place.
      modules: await staticModules([
        "main.ts",
        "supervisor/command.ts",
        "supervisor/run_supervisor.ts",
      ]),
      httpProbe,
    };
  } finally {
    for (const child of [supervisor, before]) {
      if (child && !child.exited) service = [...service, ...await childPids(child.pid)];
    }
    await kill(prestop);
    await kill(supervisor);
    await kill(before);
    killGroups(service);
    await kill(io);
    await kill(baseline);
    await registry?.kill();
    await Deno.remove(dir, { recursive: true });
  }
}

function ms(n: number): string {
  return `${n.toFixed(n < 1 ? 2 : 1)} ms`;
}

function verdict(value: number, base: number, target: number): string {
  return base > 0 && value / base <= target ? "met" : "**not met**";
}

/** Runs both lifecycle benchmarks, prints the Markdown tables and returns the figures. */
export async function runLifecycleBench(
  options: LifecycleBenchOptions,
): Promise<LifecycleBenchResult> {
  const rounds = options.quick ? 3 : 30;
  const windowMs = options.quick ? 5_000 : 60_000;
  const settleMs = options.quick ? 1_000 : 35_000;
  const probe = await measureProbe(rounds);
  printProbe(probe);
  const idle = await measureIdle(windowMs, settleMs, {
    probeRounds: options.quick ? 1 : 5,
    baseline: options.baseline,
  });
  printIdle(idle);
  printHttpProbe(idle.httpProbe, probe);
  return { probe, idle };
}

function printProbe(probe: LifecycleBenchResult["probe"]): void {
  const [empty] = probe.cases;
  const hzcheck = probe.cases.find((c) => c.name === HZCHECK_CASE)!;
  console.log(
    `\n## Lifecycle: readiness probe, ${probe.rounds} interleaved rounds ` +
      `(\`deno run ${HZCHECK_PERMISSIONS.join(" ")}\`, fresh \`active\` state file)\n`,
  );
  printTable(
    [
      "command",
      "wall median",
      "wall p90",
      "wall / empty",
      "peak RSS median",
      "peak RSS max",
      "RSS / empty",
      "CPU median",
    ],
    probe.cases.map((c) => [
      c.name,
      ms(c.wallMedianMs),
      ms(c.wallP90Ms),
      ratio(c.wallMedianMs, empty.wallMedianMs),
      mib(c.peakRssMedianKiB),
      mib(c.peakRssMaxKiB),
      ratio(c.peakRssMedianKiB, empty.peakRssMedianKiB),
      ms(c.cpuMedianMs),
    ]),
  );
  console.log(
    `\nTarget ${PROBE_TARGET}x the empty script: wall time ` +
      `${verdict(hzcheck.wallMedianMs, empty.wallMedianMs, PROBE_TARGET)}, peak RSS ` +
      `${verdict(hzcheck.peakRssMedianKiB, empty.peakRssMedianKiB, PROBE_TARGET)}. ` +
      `hzcheck loads ${probe.modules.length} modules: ${probe.modules.join(", ")}.`,
  );
}

function printIdle(idle: LifecycleBenchResult["idle"]): void {
  console.log(
    `\n## Lifecycle: supervisor idle over ${idle.windowS} s (default intervals, ` +
      "a real registry), vs an empty Deno process with a 10 s timer\n",
  );
  const { supervisor: sup, io, baseline: base, before } = idle;
  const percent = (cpuMs: number) => `${((cpuMs / (idle.windowS * 1000)) * 100).toFixed(3)} %`;
  const row = (name: string, f: IdleFigures) => [
    name,
    mib(f.rssKiB),
    mib(f.hwmKiB),
    mib(f.anonKiB),
    mib(f.fileKiB),
    mib(f.rollupRssKiB),
    mib(f.rollupAnonymousKiB),
    ms(f.cpuMs),
    percent(f.cpuMs),
  ];
  const ratios = (name: string, f: IdleFigures) => [
    name,
    ratio(f.rssKiB, base.rssKiB),
    ratio(f.hwmKiB, base.hwmKiB),
    ratio(f.anonKiB, base.anonKiB),
    ratio(f.fileKiB, base.fileKiB),
    ratio(f.rollupRssKiB, base.rollupRssKiB),
    ratio(f.rollupAnonymousKiB, base.rollupAnonymousKiB),
    ratio(f.cpuMs, base.cpuMs),
    "",
  ];
  printTable(
    [
      "process",
      "VmRSS",
      "VmHWM",
      "RssAnon",
      "RssFile",
      "Rss (smaps_rollup)",
      "Anonymous (smaps_rollup)",
      "CPU in window",
      "share of one core",
    ],
    [
      row("supervisor", sup),
      ...before ? [row("supervisor of the --baseline tree", before)] : [],
      row("empty Deno + the same kinds of I/O", io),
      row("empty Deno + timer", base),
      ratios("supervisor / empty", sup),
      ...before ? [ratios("--baseline supervisor / empty", before)] : [],
      ratios("same I/O / empty", io),
    ],
  );
  const cycles = idle.windowS / CHECK_INTERVAL_S;
  console.log(
    `\nTarget ${IDLE_TARGET}x: RSS ${verdict(sup.rssKiB, base.rssKiB, IDLE_TARGET)}, CPU ` +
      `${verdict(sup.cpuMs, base.cpuMs, IDLE_TARGET)} (${ms(sup.cpuMs / cycles)} per ` +
      `${CHECK_INTERVAL_S} s check cycle; the I/O reference ${ms(io.cpuMs / cycles)}, the ` +
      `baseline ${
        ms(base.cpuMs / cycles)
      }). The supervisor loads ${idle.modules.length} modules, ` +
      `${idle.modules.filter((m) => /^(node|npm):|yaml/.test(m)).length} of them node:, npm: or ` +
      "YAML ones.",
  );
  const atMost = (value: number, target: number) => value <= target ? "met" : "**not met**";
  console.log(
    `\nTargets of issue 14: Anonymous at most ${mib(ANONYMOUS_TARGET_KIB)}: ` +
      `${atMost(sup.rollupAnonymousKiB, ANONYMOUS_TARGET_KIB)} (${mib(sup.rollupAnonymousKiB)}, ` +
      `the empty Deno ${mib(base.rollupAnonymousKiB)}); Rss at most ${mib(RSS_TARGET_KIB)}: ` +
      `${atMost(sup.rollupRssKiB, RSS_TARGET_KIB)} (${mib(sup.rollupRssKiB)}, the empty Deno ` +
      `${mib(base.rollupRssKiB)}).` +
      (before
        ? ` The --baseline tree's supervisor: Anonymous ${mib(before.rollupAnonymousKiB)}, ` +
          `Rss ${mib(before.rollupRssKiB)}.`
        : ""),
  );
  const pre = idle.prestop;
  console.log(
    `\n\`tarscli prestop\` while it waits (TARS_PRESTOP_WAITTIME, beside the supervisor and the ` +
      `service): VmRSS ${mib(pre.rssKiB)} (${ratio(pre.rssKiB, base.rssKiB)} the empty Deno), ` +
      `RssAnon ${mib(pre.anonKiB)}, RssFile ${mib(pre.fileKiB)}.`,
  );
}

function printHttpProbe(http: HttpProbeFigures, probe: LifecycleBenchResult["probe"]): void {
  const hzcheck = probe.cases.find((c) => c.name === HZCHECK_CASE)!;
  const perProbe = median(http.perProbeMs);
  console.log(
    `\n## Lifecycle: readiness probe CPU, HTTP against exec (${http.rounds} rounds of ` +
      `${http.probesPerRound} GET /ready, each beside an idle window as long)\n`,
  );
  printTable(
    ["probe", "CPU per probe (median)", "range", "where"],
    [
      [
        "GET /ready (TARS_PROBE_PORT)",
        ms(perProbe),
        `${ms(Math.min(...http.perProbeMs))} - ${ms(Math.max(...http.perProbeMs))}`,
        "the supervisor's threads",
      ],
      [
        "exec tarscli hzcheck",
        ms(hzcheck.cpuMedianMs),
        "",
        "a new process (user + system, the probe table above)",
      ],
    ],
  );
  console.log(
    `\nTarget of issue 14: at most ${ms(HTTP_PROBE_TARGET_MS)} of supervisor CPU per HTTP probe: ` +
      `${perProbe <= HTTP_PROBE_TARGET_MS ? "met" : "**not met**"}.`,
  );
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const at = Deno.args.indexOf("--baseline");
  const baseline = at >= 0 ? Deno.args[at + 1] : undefined;
  if (at >= 0 && !baseline) throw new Error("--baseline needs a directory: a checkout of a tree");
  console.log(`# Lifecycle benchmarks${quick ? " (quick)" : ""}`);
  await runLifecycleBench({ quick, baseline });
}
