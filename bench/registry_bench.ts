/**
 * The registry benchmarks of issue 3, in one run, each server in its own process and the load
 * generated here:
 *
 * - findObjectById calls per second at 64 in flight (8 connections x 8) against the registry,
 *   against the official `@tars/rpc` server answering the same lists from a map, and against
 *   the raw length-prefixed echoes, all driven by the same load generator ({@link runLoad});
 * - memory (VmRSS) of the registry before and after registering 20,000 pods (onStartup, one
 *   adapter each), and its CPU time (user + system of the registry process alone, from /proc)
 *   while those pods heartbeat every 30 s (about 667 keepAlive/s, pods in a scattered order),
 *   as a share of one core;
 * - keepAlive calls per second at 64 in flight on SQLite and on a private MariaDB.
 *
 * The registry runs as `deno run` with the permissions of `deno task start`. Everything is on
 * loopback, bounded in time, and every child process is killed before this returns.
 *
 * With `--baseline DIR` (a checkout of another tree, e.g. a `git worktree` of the commit before a
 * change), that tree's registry answers the same lookups in the same interleaved rounds, measured
 * right after (or, every other round, right before) this tree's, and the table shows both side by
 * side, round by round; `--lookups-only` measures the lookups alone (`--rounds N`, default 3).
 *
 * Run alone: `deno run --allow-all bench/registry_bench.ts [--quick] [--skip-mysql]
 * [--baseline DIR] [--lookups-only] [--rounds N]`.
 *
 * @module
 */
import { join } from "node:path";
import {
  decodeFields,
  decodeResponse,
  encodeFields,
  encodeRequestFrame,
  type EndpointFInput,
  PACKET_NORMAL,
  QUERY_OBJ,
  QueryF,
  REGISTRY_OBJ,
  RegistryF,
  TARS_VERSION,
  TarsClient,
} from "../protocol/mod.ts";
import { mariadbSearchPath, startMariadb } from "../tests/support/mariadb.ts";
import { startRegistryProcess } from "../local/mod.ts";
import { runLoad } from "./rpc_load.ts";
import { type RunningServer, startCommandServer, startServer } from "./servers.ts";
import { delay } from "../lib/timers.ts";
import { mib, printTable, rate, ratio } from "./report.ts";
import { median, rateOfLoops } from "./measure.ts";

const CONNECTIONS = 8;
const DEPTH = 8;
const IN_FLIGHT = CONNECTIONS * DEPTH;
/** The object the lookup bench asks for, served by {@link LOOKUP_PODS} pods. */
const LOOKUP_OBJECT = "Bench.QueryServer.QueryObj";
const LOOKUP_PODS = 3;
/** Heartbeat period of every pod in the CPU measurement. */
const HEARTBEAT_PERIOD_S = 30;
/**
 * Step through the pods in the heartbeat CPU measurement: a prime, so every pod comes once per
 * period, but neighbours in registration (and key) order do not follow each other, as pods that
 * started at different times would not.
 */
const HEARTBEAT_STRIDE = 7919;
/** Servers the registered pods are spread over (pods per server: pods / SERVERS). */
const SERVERS = 100;
const FIND = QueryF.compiled.get("findObjectById")!;
const FIRST_ID = 0x40000000;
const here = new URL(".", import.meta.url);

/** How much to run. */
export interface RegistryBenchOptions {
  /** Short windows and 2,000 pods: checks that the bench still works. */
  readonly quick: boolean;
  /** Skip the MariaDB case (also skipped, with a note, when mariadb-server is missing). */
  readonly skipMysql?: boolean;
  /** A checkout of another tree whose registry's lookups are measured in the same rounds. */
  readonly baseline?: string;
  /** Measure the lookups only (with the baseline, if any). */
  readonly lookupsOnly?: boolean;
  /** Interleaved rounds of the lookups (default 3, 1 when quick). */
  readonly rounds?: number;
}

/** Everything measured, rates in calls per second, memory in KiB. */
export interface RegistryBenchResult {
  readonly lookups: {
    readonly registry: number;
    readonly tarsRpc: number;
    readonly echoEach: number;
    readonly echoCoalesced: number;
    /** The baseline tree's registry, when one was given. */
    readonly baseline?: number;
    /** Every round's rate of this tree's registry and of the baseline's, in order. */
    readonly rounds: { readonly registry: number[]; readonly baseline: number[] };
  };
  readonly pods: number;
  readonly registrationsPerSecond: number;
  readonly rssBeforeKiB: number;
  readonly rssAfterKiB: number;
  readonly heartbeat: {
    readonly targetRate: number;
    readonly achievedRate: number;
    /** Length of each measuring window. */
    readonly seconds: number;
    /** Registry CPU (user + system) as percent of one core: the median window. */
    readonly cpuPercent: number;
    /** Every window, in order. */
    readonly windows: readonly CpuShare[];
  };
  readonly keepAlive: {
    readonly sqlite: number;
    /** Undefined when the MariaDB case was skipped; see `mysqlNote`. */
    readonly mysql?: number;
    readonly mysqlPods?: number;
  };
  readonly mysqlNote?: string;
}

/** CPU time of one process over a window, as percent of one core. */
export interface CpuShare {
  readonly user: number;
  readonly system: number;
  readonly total: number;
}

/** A registry process that is listening: its pid is the registry's own (the Deno process). */
interface BenchRegistry {
  readonly pid: number;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts `registry/main.ts` of this tree (or of `root`) on `store` (local/registry_process.ts, a
 * free loopback port).
 */
async function startBenchRegistry(
  store: string,
  options: { extra?: string[]; root?: string } = {},
): Promise<BenchRegistry> {
  const registry = await startRegistryProcess(["--store", store, ...options.extra ?? []], {
    root: options.root,
  });
  return {
    pid: registry.child.pid,
    port: registry.port,
    async stop() {
      await registry.child.stop({ grace: 5000 });
    },
  };
}

/** Starts the `@tars/rpc` QueryF peer answering `endpoints` for {@link LOOKUP_OBJECT}. */
function startTarsRpcPeer(endpoints: EndpointFInput[]): Promise<RunningServer> {
  return startCommandServer("@tars/rpc QueryF", (port) => [
    "node",
    new URL("servers/tars_rpc_query_server.cjs", here).pathname,
    String(port),
    JSON.stringify({ [LOOKUP_OBJECT]: endpoints }),
  ]);
}

/** Counts for `windows` windows of `measureMs` (via `take`, as in `runLoad`); the median rate. */
async function medianRate(
  windows: number,
  measureMs: number,
  take: (counting: boolean) => number,
): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < windows; i++) {
    take(true);
    const start = performance.now();
    await delay(measureMs);
    rates.push((take(false) / (performance.now() - start)) * 1000);
  }
  return median(rates);
}

/** Throws unless `reply` has the length of `frame` (a raw echo). */
function checkEchoReply(reply: Uint8Array, frame: Uint8Array): void {
  if (reply.length !== frame.length) {
    throw new Error(`The echo sent ${reply.length} bytes back instead of ${frame.length}`);
  }
}

/** Resident set size of a process in KiB (`VmRSS` in /proc/PID/status). */
export async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!m) throw new Error(`No VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

/**
 * CPU seconds a process (all its threads, not its children) used so far in user and in system
 * mode: utime and stime of /proc/PID/stat.
 */
export async function cpuTimes(
  pid: number,
  ticksPerSecond: number,
): Promise<{ user: number; system: number }> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / ticksPerSecond, system: Number(fields[12]) / ticksPerSecond };
}

/** Throws unless `pid` runs `registry/main.ts` (so its CPU is the registry's alone). */
async function assertRegistryProcess(pid: number): Promise<void> {
  const args = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0");
  if (!args.some((arg) => arg === "registry/main.ts" || arg.endsWith("/registry/main.ts"))) {
    throw new Error(`Process ${pid} is not the registry: ${args.join(" ")}`);
  }
}

async function clockTicks(): Promise<number> {
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" }).output();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** Node name (pod IP) of pod `i`. */
function podIp(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

function podServer(i: number): string {
  return `Pod${i % SERVERS}`;
}

function lookupEndpoint(i: number): string {
  return `tcp -h 10.200.0.${i + 1} -p 12000 -t 60000`;
}

/** What the registry answers for {@link LOOKUP_OBJECT}, as the @tars/rpc peer's map holds it. */
function lookupAnswer(): EndpointFInput[] {
  return Array.from({ length: LOOKUP_PODS }, (_, i) => ({
    host: `10.200.0.${i + 1}`,
    port: 12000,
    timeout: 60000,
    istcp: 1,
    grid: 0,
    groupworkid: 0,
    grouprealid: 0,
    setId: "",
    qos: 0,
    bakFlag: 0,
    weight: 0,
    weightType: 0,
  }));
}

/** Runs `work(i)` for i in [0, n) with at most `inFlight` calls outstanding. */
async function pool(n: number, inFlight: number, work: (i: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(inFlight, n) }, async () => {
    while (next < n) await work(next++);
  }));
}

function registryProxy(client: TarsClient, port: number) {
  return client.proxy(RegistryF, `${REGISTRY_OBJ}@tcp -h 127.0.0.1 -p ${port} -t 30000`);
}

/** Registers the pods behind {@link LOOKUP_OBJECT}. */
async function registerLookupPods(port: number): Promise<void> {
  const client = new TarsClient({ timeout: 30_000 });
  try {
    const proxy = registryProxy(client, port);
    for (let i = 0; i < LOOKUP_PODS; i++) {
      await proxy.onStartup({
        req: {
          nodeName: `10.200.0.${i + 1}`,
          application: "Bench",
          server: "QueryServer",
          adapters: [{ servant: LOOKUP_OBJECT, endpoint: lookupEndpoint(i), protocol: "tars" }],
          State: "active",
        },
      });
    }
  } finally {
    await client.close();
  }
}

/** Registers `pods` pods (onStartup, one adapter each) at 64 in flight; returns calls/s. */
async function registerPods(port: number, pods: number): Promise<number> {
  const client = new TarsClient({ timeout: 60_000 });
  try {
    const proxy = registryProxy(client, port);
    const started = performance.now();
    await pool(pods, IN_FLIGHT, (i) =>
      proxy.onStartup({
        req: {
          nodeName: podIp(i),
          application: "Bench",
          server: podServer(i),
          adapters: [{
            servant: `Bench.${podServer(i)}.Obj`,
            endpoint: `tcp -h ${podIp(i)} -p 10000 -t 60000`,
            protocol: "tars",
          }],
          State: "active",
          Version: "1.0.0",
        },
      }));
    return pods / ((performance.now() - started) / 1000);
  } finally {
    await client.close();
  }
}

function keepAliveReq(i: number) {
  return {
    req: { nodeName: podIp(i), state: "active", application: "Bench", server: podServer(i) },
  };
}

/** keepAlive calls/s at 64 in flight over the registered pods, round-robin. */
async function keepAliveRate(
  port: number,
  pods: number,
  timing: { warmupMs: number; measureMs: number; windows: number },
): Promise<number> {
  const client = new TarsClient({ timeout: 30_000 });
  let next = 0;
  try {
    const proxy = registryProxy(client, port);
    return await rateOfLoops(
      IN_FLIGHT,
      () => proxy.keepAlive(keepAliveReq(next++ % pods)),
      async (take) => {
        await delay(timing.warmupMs);
        return await medianRate(timing.windows, timing.measureMs, take);
      },
    );
  } finally {
    await client.close();
  }
}

/**
 * Sends keepAlive at `rate` calls/s (every pod once per heartbeat period, in a scattered order)
 * through `windows` back-to-back windows of `seconds`, and returns the achieved rate and the
 * registry process's CPU time in each window as percent of one core.
 */
async function pacedHeartbeats(
  registry: BenchRegistry,
  options: { pods: number; rate: number; seconds: number; windows: number; ticks: number },
): Promise<{ achievedRate: number; windows: CpuShare[] }> {
  await assertRegistryProcess(registry.pid);
  const client = new TarsClient({ timeout: 30_000 });
  const pending = new Set<Promise<unknown>>();
  let failure: unknown;
  let sent = 0;
  try {
    const proxy = registryProxy(client, registry.port);
    // One call first so the connection exists before the window opens.
    await proxy.keepAlive(keepAliveReq(0));
    const windows: CpuShare[] = [];
    const started = performance.now();
    let windowStart = started;
    let cpuBefore = await cpuTimes(registry.pid, options.ticks);
    for (let w = 1; w <= options.windows && failure === undefined; w++) {
      const end = started + w * options.seconds * 1000;
      while (performance.now() < end && failure === undefined) {
        const due = Math.floor(((performance.now() - started) / 1000) * options.rate);
        for (; sent < due; sent++) {
          const pod = (sent * HEARTBEAT_STRIDE) % options.pods;
          const call = proxy.keepAlive(keepAliveReq(pod)).catch((error) => failure ??= error);
          pending.add(call);
          call.finally(() => pending.delete(call));
        }
        await delay(5);
      }
      if (w === options.windows) await Promise.all(pending);
      const now = performance.now();
      const cpu = await cpuTimes(registry.pid, options.ticks);
      const elapsed = (now - windowStart) / 1000;
      const user = ((cpu.user - cpuBefore.user) / elapsed) * 100;
      const system = ((cpu.system - cpuBefore.system) / elapsed) * 100;
      windows.push({ user, system, total: user + system });
      windowStart = now;
      cpuBefore = cpu;
    }
    await Promise.all(pending);
    if (failure) throw failure;
    return { achievedRate: sent / ((performance.now() - started) / 1000), windows };
  } finally {
    await client.close();
  }
}

/** The request frame of `findObjectById(LOOKUP_OBJECT)` and where its request id sits. */
function lookupFrame(): { frame: Uint8Array; idOffset: number } {
  const encode = (requestId: number) =>
    encodeRequestFrame({
      version: TARS_VERSION,
      packetType: PACKET_NORMAL,
      messageType: 0,
      requestId,
      servantName: QUERY_OBJ,
      funcName: "findObjectById",
      buffer: encodeFields(FIND.args, { id: LOOKUP_OBJECT }),
      timeout: 3000,
      context: new Map(),
      status: new Map(),
    }).slice();
  const frame = encode(FIRST_ID);
  const other = encode(FIRST_ID + 1);
  return { frame, idOffset: frame.findIndex((b, i) => b !== other[i]) - 3 };
}

/** Throws unless `reply` answers findObjectById with exactly the expected endpoints. */
function checkLookupReply(reply: Uint8Array, expected: EndpointFInput[]): void {
  const response = decodeResponse(reply.subarray(4));
  if (response.ret !== 0) {
    throw new Error(`The server answered ${response.ret}: ${response.resultDesc}`);
  }
  const { ret } = decodeFields(FIND.result, response.buffer) as {
    ret: { host: string; port: number; istcp: number }[];
  };
  const got = ret.map((e) => `${e.host}:${e.port}/${e.istcp}`).sort().join(",");
  const want = expected.map((e) => `${e.host}:${e.port}/${e.istcp}`).sort().join(",");
  if (got !== want) throw new Error(`findObjectById answered [${got}], expected [${want}]`);
}

async function lookupRate(
  port: number,
  check: (reply: Uint8Array) => void,
  timing: { warmupMs: number; measureMs: number },
): Promise<number> {
  const { frame, idOffset } = lookupFrame();
  return await runLoad({
    port,
    connections: CONNECTIONS,
    depth: DEPTH,
    frame,
    idOffset,
    check,
    warmupMs: timing.warmupMs,
    measureMs: timing.measureMs,
  });
}

/**
 * findObjectById rates of the registry, the @tars/rpc peer, both raw echoes and the baseline
 * tree's registry (when given), measured in interleaved rounds (load on a small machine comes and
 * goes); the median of each, and each round's rates of both registries.
 */
async function lookupRates(
  registryPort: number,
  timing: { warmupMs: number; measureMs: number; windows: number },
  baselinePort?: number,
): Promise<RegistryBenchResult["lookups"]> {
  const expected = lookupAnswer();
  const { frame } = lookupFrame();
  const servers: RunningServer[] = [];
  try {
    servers.push(await startTarsRpcPeer(expected));
    servers.push(await startServer("echoEach"));
    servers.push(await startServer("echoCoalesced"));
    const [peer, each, coalesced] = servers;
    const lookup = (r: Uint8Array) => checkLookupReply(r, expected);
    const cases = [
      { port: registryPort, check: lookup },
      { port: peer.port, check: lookup },
      { port: each.port, check: (r: Uint8Array) => checkEchoReply(r, frame) },
      { port: coalesced.port, check: (r: Uint8Array) => checkEchoReply(r, frame) },
      ...(baselinePort === undefined ? [] : [{ port: baselinePort, check: lookup }]),
    ];
    const rates: number[][] = cases.map(() => []);
    // The two registries back to back, the first of them alternating: the fairest pair.
    const pair = [0, 4];
    for (let round = 0; round < timing.windows; round++) {
      const order = cases.length < 5 ? [0, 1, 2, 3] : round % 2 === 0 ? [...pair, 1, 2, 3] : [
        ...pair.toReversed(),
        1,
        2,
        3,
      ];
      for (const i of order) rates[i].push(await lookupRate(cases[i].port, cases[i].check, timing));
    }
    const [registry, tarsRpc, echoEach, echoCoalesced, baseline] = rates.map(median);
    return {
      registry,
      tarsRpc,
      echoEach,
      echoCoalesced,
      baseline,
      rounds: { registry: rates[0], baseline: rates[4] ?? [] },
    };
  } finally {
    for (const server of servers) await server.stop();
  }
}

/** Starts the baseline tree's registry with the lookup pods registered, or none without one. */
async function startBaseline(
  options: RegistryBenchOptions,
  dir: string,
): Promise<BenchRegistry | undefined> {
  if (!options.baseline) return undefined;
  const baseline = await startBenchRegistry(`sqlite:${join(dir, "baseline.db")}`, {
    root: options.baseline,
  });
  try {
    await registerLookupPods(baseline.port);
    return baseline;
  } catch (error) {
    await baseline.stop();
    throw error;
  }
}

/** Runs every registry benchmark, prints the Markdown tables and returns the figures. */
export async function runRegistryBench(
  options: RegistryBenchOptions,
): Promise<RegistryBenchResult | Pick<RegistryBenchResult, "lookups">> {
  const quick = options.quick;
  const timing = quick
    ? { warmupMs: 200, measureMs: 300, windows: 1 }
    : { warmupMs: 1000, measureMs: 1000, windows: 3 };
  const pods = quick ? 2_000 : 20_000;
  const mysqlPods = quick ? 1_000 : 5_000;
  // Three windows of 10 s: one heartbeat period, every pod once.
  const heartbeatSeconds = quick ? 1 : 10;
  const heartbeatWindows = 3;
  const heartbeatRate = 20_000 / HEARTBEAT_PERIOD_S;
  const ticks = await clockTicks();
  const dir = await Deno.makeTempDir({ prefix: "tars-registry-bench-" });
  try {
    // SQLite: lookups (against the peers too), registrations, memory, heartbeat CPU, keepAlive/s.
    const registryStore = `sqlite:${join(dir, "registry.db")}`;
    const registry = await startBenchRegistry(registryStore);
    let sqlite;
    try {
      await registerLookupPods(registry.port);
      const rssBeforeKiB = await rssKiB(registry.pid);
      const baseline = await startBaseline(options, dir);
      let lookups;
      try {
        lookups = await lookupRates(
          registry.port,
          { ...timing, windows: options.rounds ?? timing.windows },
          baseline?.port,
        );
      } finally {
        await baseline?.stop();
      }
      if (options.lookupsOnly) {
        printLookups(lookups, {
          quick,
          timing: { ...timing, windows: options.rounds ?? timing.windows },
          baseline: options.baseline,
        });
        return { lookups };
      }
      const registrationsPerSecond = await registerPods(registry.port, pods);
      const rssAfterKiB = await rssKiB(registry.pid);
      const keepAliveSqlite = await keepAliveRate(registry.port, pods, timing);
      const heartbeat = await pacedHeartbeats(registry, {
        pods,
        rate: heartbeatRate,
        seconds: heartbeatSeconds,
        windows: heartbeatWindows,
        ticks,
      });
      sqlite = {
        lookups,
        registrationsPerSecond,
        rssBeforeKiB,
        rssAfterKiB,
        keepAliveSqlite,
        heartbeat,
      };
    } finally {
      await registry.stop();
    }
    // keepAlive on MariaDB.
    let mysql: number | undefined;
    let mysqlNote: string | undefined;
    if (options.skipMysql || Deno.env.get("TARS_SKIP_MYSQL") === "1") {
      mysqlNote = "MariaDB case skipped (TARS_SKIP_MYSQL=1 or --skip-mysql)";
    } else {
      let server;
      try {
        server = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
      } catch (error) {
        mysqlNote = `MariaDB case skipped: ${(error as Error).message.split("\n")[0]}`;
      }
      if (server) {
        try {
          const onMysql = await startBenchRegistry(server.url, { extra: ["--init-db"] });
          try {
            await registerPods(onMysql.port, mysqlPods);
            mysql = await keepAliveRate(onMysql.port, mysqlPods, timing);
          } finally {
            await onMysql.stop();
          }
        } finally {
          await server.stop();
        }
      }
    }

    const result: RegistryBenchResult = {
      lookups: sqlite.lookups,
      pods,
      registrationsPerSecond: sqlite.registrationsPerSecond,
      rssBeforeKiB: sqlite.rssBeforeKiB,
      rssAfterKiB: sqlite.rssAfterKiB,
      heartbeat: {
        targetRate: heartbeatRate,
        achievedRate: sqlite.heartbeat.achievedRate,
        seconds: heartbeatSeconds,
        cpuPercent: median(sqlite.heartbeat.windows.map((w) => w.total)),
        windows: sqlite.heartbeat.windows,
      },
      keepAlive: {
        sqlite: sqlite.keepAliveSqlite,
        mysql,
        mysqlPods: mysql === undefined ? undefined : mysqlPods,
      },
      mysqlNote,
    };
    printResult(result, { quick, timing, baseline: options.baseline });
    return result;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function printResult(
  r: RegistryBenchResult,
  options: {
    quick: boolean;
    timing: { measureMs: number; windows: number };
    baseline?: string;
  },
): void {
  printLookups(r.lookups, options);
  console.log(`\n### keepAlive: calls per second, ${IN_FLIGHT} in flight, round-robin over pods\n`);
  printTable(
    ["store", "pods", "keepAlive/s", "target"],
    [
      ["SQLite (WAL, synchronous=FULL)", rate(r.pods), rate(r.keepAlive.sqlite), ">= 5,000"],
      r.keepAlive.mysql === undefined
        ? ["MariaDB (private, strict mode)", "-", r.mysqlNote ?? "skipped", "-"]
        : [
          "MariaDB (private, strict mode)",
          rate(r.keepAlive.mysqlPods ?? 0),
          rate(r.keepAlive.mysql),
          "-",
        ],
    ],
  );
  console.log(`\n### ${rate(r.pods)} registered pods (SQLite)\n`);
  printTable(
    ["measure", "value", "target"],
    [
      ["onStartup, 64 in flight", `${rate(r.registrationsPerSecond)} calls/s`, "-"],
      ["registry RSS before registering", mib(r.rssBeforeKiB), "-"],
      [`registry RSS with ${rate(r.pods)} pods`, mib(r.rssAfterKiB), "-"],
      [
        `registry CPU (its process's user + system), keepAlive at ` +
        `${rate(r.heartbeat.achievedRate)}/s (20,000 pods / ${HEARTBEAT_PERIOD_S} s), median of ` +
        `${r.heartbeat.windows.length} windows of ${r.heartbeat.seconds} s`,
        `${r.heartbeat.cpuPercent.toFixed(1)}% of one core (windows ${
          r.heartbeat.windows.map((w) => `${w.total.toFixed(1)}`).join(" / ")
        }; mean user ${percentOf(r.heartbeat.windows, "user")}, system ${
          percentOf(r.heartbeat.windows, "system")
        })`,
        "< 10%",
      ],
    ],
  );
}

/** The lookup tables: against the peers, and against the baseline tree round by round. */
function printLookups(
  lookups: RegistryBenchResult["lookups"],
  options: {
    quick: boolean;
    timing: { measureMs: number; windows: number };
    baseline?: string;
  },
): void {
  const { quick, timing } = options;
  console.log(`\n## Registry${quick ? " (quick)" : ""}\n`);
  console.log(
    `Registry (\`deno run\` with the start task's permissions, SQLite store in a temp dir on ` +
      `disk) and each peer in its own process; rates are the median of ${timing.windows} ` +
      `window(s) of ${timing.measureMs} ms at ${IN_FLIGHT} calls in flight.\n`,
  );
  console.log(
    `### findObjectById: calls per second, ${CONNECTIONS} connections x ${DEPTH} in flight, ` +
      `${LOOKUP_PODS} endpoints per answer\n`,
  );
  printTable(
    [
      "registry",
      "@tars/rpc from a map",
      "registry / @tars/rpc (target >= 2x)",
      "echo, write per frame",
      "registry / echo",
      "echo, coalesced",
      "registry / coalesced",
    ],
    [[
      rate(lookups.registry),
      rate(lookups.tarsRpc),
      ratio(lookups.registry, lookups.tarsRpc),
      rate(lookups.echoEach),
      ratio(lookups.registry, lookups.echoEach),
      rate(lookups.echoCoalesced),
      ratio(lookups.registry, lookups.echoCoalesced),
    ]],
  );
  if (lookups.baseline === undefined) return;
  console.log(
    `\n### findObjectById: this tree and the baseline (${options.baseline}), the same rounds\n`,
  );
  const { registry, baseline } = lookups.rounds;
  printTable(
    ["round", "this tree", "baseline", "this tree / baseline"],
    [
      ...registry.map((r, i) => [String(i + 1), rate(r), rate(baseline[i]), ratio(r, baseline[i])]),
      [
        "median",
        rate(lookups.registry),
        rate(lookups.baseline),
        ratio(lookups.registry, lookups.baseline),
      ],
    ],
  );
}

/** Mean `part` of CPU over `windows`, as "n.n%". */
function percentOf(windows: readonly CpuShare[], part: "user" | "system"): string {
  return `${(windows.reduce((sum, w) => sum + w[part], 0) / windows.length).toFixed(1)}%`;
}

if (import.meta.main) {
  const value = (flag: string) => {
    const at = Deno.args.indexOf(flag);
    return at >= 0 ? Deno.args[at + 1] : undefined;
  };
  const rounds = value("--rounds");
  await runRegistryBench({
    quick: Deno.args.includes("--quick"),
    skipMysql: Deno.args.includes("--skip-mysql"),
    lookupsOnly: Deno.args.includes("--lookups-only"),
    baseline: value("--baseline"),
    rounds: rounds === undefined ? undefined : Number(rounds),
  });
}
