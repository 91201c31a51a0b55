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
 * change) every registry case runs on that tree's registry as well, in the same run: the lookups
 * in the same interleaved rounds, the two registries back to back (the first of them alternating
 * round by round), with a table round by round; the keepAlive rates window by window in turn; the
 * rest one after the other. `--lookups-only` measures the lookups alone (`--rounds N`, default 3);
 * `--writes-only` the onStartup and keepAlive rates alone, the registrations too in rounds of the
 * trees in turn. `--tokens` runs this tree's registry with a registration tokens file that has a
 * line for the pods' application, and every pod sends its token (an older registry skips the tag),
 * so the rates include the token checks.
 *
 * Run alone: `deno run --allow-all bench/registry_bench.ts [--quick] [--skip-mysql]
 * [--baseline DIR] [--lookups-only | --writes-only] [--rounds N] [--tokens]`.
 *
 * @module
 */
import { join } from "node:path";
import { type EndpointFInput, TarsClient } from "../protocol/mod.ts";
import { mariadbSearchPath, startMariadb } from "../tests/support/mariadb.ts";
import { runLoad } from "./rpc_load.ts";
import { type RunningServer, startCommandServer, startServer } from "./servers.ts";
import { delay } from "../lib/timers.ts";
import { mib, printTable, rate, ratio } from "./report.ts";
import { median, rateOfLoops } from "./measure.ts";
import {
  type BenchRegistry,
  clockTicks,
  CONNECTIONS,
  cpuTimes,
  DEPTH,
  IN_FLIGHT,
  keepAliveReq,
  lookupFrame,
  lookupReplyEndpoints,
  registerPods,
  registryProxy,
  rssKiB,
  startBenchRegistry,
  type Tree,
  treesOf,
} from "./registry_support.ts";

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
const here = new URL(".", import.meta.url);

/** How much to run. */
export interface RegistryBenchOptions {
  /** Short windows and 2,000 pods: checks that the bench still works. */
  readonly quick: boolean;
  /** Skip the MariaDB case (also skipped, with a note, when mariadb-server is missing). */
  readonly skipMysql?: boolean;
  /**
   * The registries compared, each measured in the same run (default this tree alone); the
   * lookups and keepAlive rates alternate between them window by window.
   */
  readonly trees?: readonly Tree[];
  /** Measure the lookups only. */
  readonly lookupsOnly?: boolean;
  /** Measure onStartup and keepAlive only. */
  readonly writesOnly?: boolean;
  /** This tree's registry with a tokens file for the pods, which send their token. */
  readonly tokens?: boolean;
  /** Interleaved rounds of the lookups (default 3, 1 when quick). */
  readonly rounds?: number;
}

/** What one tree's registry did, rates in calls per second, memory in KiB. */
export interface TreeResult {
  readonly tree: Tree;
  /** findObjectById of a 3-endpoint object. */
  readonly lookups: number;
  readonly registrationsPerSecond: number;
  readonly rssBeforeKiB: number;
  readonly rssAfterKiB: number;
  readonly heartbeat: {
    readonly achievedRate: number;
    /** Registry CPU (user + system) as percent of one core: the median window. */
    readonly cpuPercent: number;
    /** Every window, in order. */
    readonly windows: readonly CpuShare[];
  };
  readonly keepAliveSqlite: number;
  /** Undefined when the MariaDB case was skipped. */
  readonly keepAliveMysql?: number;
}

/** The lookups of every tree's registry and of the peers, in the same rounds. */
export interface LookupRates {
  /** Each tree's registry, the median, in the order of the trees. */
  readonly registries: readonly number[];
  /** Each tree's registry, every round. */
  readonly rounds: readonly (readonly number[])[];
  readonly peers: {
    readonly tarsRpc: number;
    readonly echoEach: number;
    readonly echoCoalesced: number;
  };
}

/** Everything measured. */
export interface RegistryBenchResult {
  /** One entry per tree, in the order given. */
  readonly trees: readonly TreeResult[];
  /** The peers of the lookups, in the same rounds. */
  readonly peers: {
    readonly tarsRpc: number;
    readonly echoEach: number;
    readonly echoCoalesced: number;
  };
  readonly pods: number;
  readonly mysqlPods: number;
  /** Length of each heartbeat measuring window, s. */
  readonly heartbeatSeconds: number;
  readonly heartbeatRate: number;
  readonly mysqlNote?: string;
}

/** What `--writes-only` measured, rates in calls per second, one entry per tree. */
export interface WriteRates {
  /** onStartup: the median of the rounds, and every round. */
  readonly registrations: readonly number[];
  readonly registrationRounds: readonly (readonly number[])[];
  readonly keepAliveSqlite: readonly number[];
  /** Undefined when the MariaDB case was skipped. */
  readonly keepAliveMysql?: readonly number[];
  readonly mysqlNote?: string;
}

/** The token the pods send with `--tokens`. */
const BENCH_TOKEN = "bench-registration-token-0123456789abcdef";

/** CPU time of one process over a window, as percent of one core. */
export interface CpuShare {
  readonly user: number;
  readonly system: number;
  readonly total: number;
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
 * keepAlive calls/s of each registry, one window each in turn for `timing.windows` rounds, the
 * first of them alternating round by round (load on the machine comes and goes alike for all,
 * and the first window after the registrations, when the store still settles them, falls on
 * each in turn); the median of each.
 */
async function keepAliveRates(
  registries: readonly BenchRegistry[],
  pods: number,
  timing: { warmupMs: number; measureMs: number; windows: number },
): Promise<number[]> {
  const rates: number[][] = registries.map(() => []);
  const pair = registries.map((_, i) => i);
  for (let round = 0; round < timing.windows; round++) {
    for (const i of round % 2 === 0 ? pair : pair.toReversed()) {
      rates[i].push(await keepAliveRate(registries[i].port, pods, { ...timing, windows: 1 }));
    }
  }
  return rates.map(median);
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

/** Throws unless `reply` answers findObjectById with exactly the expected endpoints. */
function checkLookupReply(reply: Uint8Array, expected: EndpointFInput[]): void {
  const got = lookupReplyEndpoints(reply).join(",");
  const want = expected.map((e) => `${e.host}:${e.port}/${e.istcp}`).sort().join(",");
  if (got !== want) throw new Error(`findObjectById answered [${got}], expected [${want}]`);
}

async function lookupRate(
  port: number,
  check: (reply: Uint8Array) => void,
  timing: { warmupMs: number; measureMs: number },
): Promise<number> {
  const { frame, idOffset } = lookupFrame(LOOKUP_OBJECT);
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
 * findObjectById rates of every registry, the @tars/rpc peer and both raw echoes, measured in
 * interleaved rounds (load on a small machine comes and goes): the registries back to back, the
 * first of them alternating round by round (the fairest pairs), then the peers; the median of
 * each, and each registry's every round.
 */
async function lookupRates(
  registries: readonly BenchRegistry[],
  timing: { warmupMs: number; measureMs: number; windows: number },
): Promise<LookupRates> {
  const expected = lookupAnswer();
  const { frame } = lookupFrame(LOOKUP_OBJECT);
  const servers: RunningServer[] = [];
  try {
    servers.push(await startTarsRpcPeer(expected));
    servers.push(await startServer("echoEach"));
    servers.push(await startServer("echoCoalesced"));
    const [peer, each, coalesced] = servers;
    const lookup = (r: Uint8Array) => checkLookupReply(r, expected);
    const echo = (r: Uint8Array) => checkEchoReply(r, frame);
    const cases = [
      ...registries.map((r) => ({ port: r.port, check: lookup })),
      { port: peer.port, check: lookup },
      { port: each.port, check: echo },
      { port: coalesced.port, check: echo },
    ];
    const rates: number[][] = cases.map(() => []);
    const pair = registries.map((_, i) => i);
    const peers = [0, 1, 2].map((i) => registries.length + i);
    for (let round = 0; round < timing.windows; round++) {
      const order = [...(round % 2 === 0 ? pair : pair.toReversed()), ...peers];
      for (const i of order) rates[i].push(await lookupRate(cases[i].port, cases[i].check, timing));
    }
    const medians = rates.map(median);
    const [tarsRpc, echoEach, echoCoalesced] = medians.slice(registries.length);
    return {
      registries: medians.slice(0, registries.length),
      rounds: rates.slice(0, registries.length),
      peers: { tarsRpc, echoEach, echoCoalesced },
    };
  } finally {
    for (const server of servers) await server.stop();
  }
}

/**
 * onStartup calls/s of each registry: the pods registered in `rounds` equal parts, each part on
 * every registry in turn, the first of them alternating round by round; the median of each.
 */
async function registrationRates(
  registries: readonly BenchRegistry[],
  pods: number,
  options: { rounds: number; token?: string },
): Promise<{ medians: number[]; rounds: number[][] }> {
  const rates: number[][] = registries.map(() => []);
  const pair = registries.map((_, i) => i);
  for (let round = 0; round < options.rounds; round++) {
    const range = {
      from: Math.floor((round * pods) / options.rounds),
      to: Math.floor(((round + 1) * pods) / options.rounds),
    };
    for (const i of round % 2 === 0 ? pair : pair.toReversed()) {
      rates[i].push(await registerPods(registries[i].port, range, { token: options.token }));
    }
  }
  return { medians: rates.map(median), rounds: rates };
}

/**
 * keepAlive calls/s of each tree's registry on a private MariaDB (a database per tree), after
 * registering `pods`; undefined with a note when skipped or MariaDB is missing.
 */
async function mysqlKeepAliveRates(
  trees: readonly Tree[],
  options: {
    pods: number;
    timing: { warmupMs: number; measureMs: number; windows: number };
    skip?: boolean;
    extra: (i: number) => string[];
    token?: string;
  },
): Promise<{ rates?: number[]; note?: string }> {
  if (options.skip || Deno.env.get("TARS_SKIP_MYSQL") === "1") {
    return { note: "MariaDB case skipped (TARS_SKIP_MYSQL=1 or --skip-mysql)" };
  }
  let server;
  try {
    server = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
  } catch (error) {
    return { note: `MariaDB case skipped: ${(error as Error).message.split("\n")[0]}` };
  }
  const mariadb = server;
  try {
    const rates = await withRegistries(
      trees,
      (i) => i === 0 ? mariadb.url : mariadb.createDatabase(`db_tars_${i}`),
      async (registries) => {
        for (const registry of registries) {
          await registerPods(registry.port, { from: 0, to: options.pods }, {
            token: options.token,
          });
        }
        return await keepAliveRates(registries, options.pods, options.timing);
      },
      (i) => ["--init-db", ...options.extra(i)],
    );
    return { rates };
  } finally {
    await mariadb.stop();
  }
}

/** Starts one registry per tree (`storeOf(i)`, `extra(i)`), runs `work` on them, stops them. */
async function withRegistries<T>(
  trees: readonly Tree[],
  storeOf: (i: number) => Promise<string> | string,
  work: (registries: BenchRegistry[]) => Promise<T>,
  extra: (i: number) => string[] = () => [],
): Promise<T> {
  const registries: BenchRegistry[] = [];
  try {
    for (const [i, tree] of trees.entries()) {
      registries.push(await startBenchRegistry(tree, await storeOf(i), ...extra(i)));
    }
    return await work(registries);
  } finally {
    for (const registry of registries) await registry.stop();
  }
}

/**
 * Runs every registry benchmark (the lookups only, with `lookupsOnly`), prints the Markdown tables
 * and returns the figures.
 */
export async function runRegistryBench(
  options: RegistryBenchOptions,
): Promise<
  RegistryBenchResult | { readonly lookups: LookupRates } | { readonly writes: WriteRates }
> {
  const quick = options.quick;
  const trees = options.trees ?? [{ label: "this tree" }];
  const timing = quick
    ? { warmupMs: 200, measureMs: 300, windows: 1 }
    : { warmupMs: 1000, measureMs: 1000, windows: 3 };
  const lookupTiming = { ...timing, windows: options.rounds ?? timing.windows };
  const pods = quick ? 2_000 : 20_000;
  const mysqlPods = quick ? 1_000 : 5_000;
  // Three windows of 10 s: one heartbeat period, every pod once.
  const heartbeatSeconds = quick ? 1 : 10;
  const heartbeatWindows = 3;
  const heartbeatRate = 20_000 / HEARTBEAT_PERIOD_S;
  const ticks = await clockTicks();
  const dir = await Deno.makeTempDir({ prefix: "tars-registry-bench-" });
  try {
    // With --tokens, this tree's registry reads a tokens file; the trees before know no such flag.
    const token = options.tokens ? BENCH_TOKEN : undefined;
    let extra = (_i: number): string[] => [];
    if (token) {
      const file = join(dir, "tokens");
      await Deno.writeTextFile(file, `Bench ${token}\nOther other-token\n`);
      extra = (i) => i === 0 ? ["--registration-tokens", file] : [];
    }
    if (options.writesOnly) {
      const writes = await withRegistries(
        trees,
        (i) => `sqlite:${join(dir, `registry-${i}.db`)}`,
        async (registries) => {
          const registrations = await registrationRates(registries, pods, {
            rounds: timing.windows,
            token,
          });
          const keepAlive = await keepAliveRates(registries, pods, timing);
          return { registrations, keepAlive };
        },
        extra,
      );
      const mysql = await mysqlKeepAliveRates(trees, {
        pods: mysqlPods,
        timing,
        skip: options.skipMysql,
        extra,
        token,
      });
      const result: WriteRates = {
        registrations: writes.registrations.medians,
        registrationRounds: writes.registrations.rounds,
        keepAliveSqlite: writes.keepAlive,
        keepAliveMysql: mysql.rates,
        mysqlNote: mysql.note,
      };
      printWrites(result, trees, { quick, pods, mysqlPods, tokens: token !== undefined });
      return { writes: result };
    }
    if (options.lookupsOnly) {
      const lookups = await withRegistries(
        trees,
        (i) => `sqlite:${join(dir, `registry-${i}.db`)}`,
        async (registries) => {
          for (const registry of registries) await registerLookupPods(registry.port);
          return await lookupRates(registries, lookupTiming);
        },
      );
      printLookups(lookups, trees, { quick, timing: lookupTiming });
      return { lookups };
    }
    // SQLite: lookups (against the peers too), registrations, memory, heartbeat CPU, keepAlive/s.
    const sqlite = await withRegistries(
      trees,
      (i) => `sqlite:${join(dir, `registry-${i}.db`)}`,
      async (registries) => {
        for (const registry of registries) await registerLookupPods(registry.port);
        const rssBefore = await Promise.all(registries.map((r) => rssKiB(r.pid)));
        const lookups = await lookupRates(registries, lookupTiming);
        const registrations: number[] = [];
        const rssAfter: number[] = [];
        for (const registry of registries) {
          registrations.push(await registerPods(registry.port, { from: 0, to: pods }, { token }));
          rssAfter.push(await rssKiB(registry.pid));
        }
        const keepAlive = await keepAliveRates(registries, pods, timing);
        const heartbeats = [];
        for (const registry of registries) {
          heartbeats.push(
            await pacedHeartbeats(registry, {
              pods,
              rate: heartbeatRate,
              seconds: heartbeatSeconds,
              windows: heartbeatWindows,
              ticks,
            }),
          );
        }
        return { lookups, registrations, rssBefore, rssAfter, keepAlive, heartbeats };
      },
      extra,
    );

    // keepAlive on MariaDB, a database per tree on one server.
    const mysqlResult = await mysqlKeepAliveRates(trees, {
      pods: mysqlPods,
      timing,
      skip: options.skipMysql,
      extra,
      token,
    });
    const mysql = mysqlResult.rates;
    const mysqlNote = mysqlResult.note;

    const result: RegistryBenchResult = {
      trees: trees.map((tree, i): TreeResult => ({
        tree,
        lookups: sqlite.lookups.registries[i],
        registrationsPerSecond: sqlite.registrations[i],
        rssBeforeKiB: sqlite.rssBefore[i],
        rssAfterKiB: sqlite.rssAfter[i],
        heartbeat: {
          achievedRate: sqlite.heartbeats[i].achievedRate,
          cpuPercent: median(sqlite.heartbeats[i].windows.map((w) => w.total)),
          windows: sqlite.heartbeats[i].windows,
        },
        keepAliveSqlite: sqlite.keepAlive[i],
        keepAliveMysql: mysql?.[i],
      })),
      peers: sqlite.lookups.peers,
      pods,
      mysqlPods,
      heartbeatSeconds,
      heartbeatRate,
      mysqlNote,
    };
    printLookups(sqlite.lookups, trees, { quick, timing: lookupTiming });
    printResult(result);
    return result;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The lookup tables: against the peers, and, with two trees, round by round. */
function printLookups(
  lookups: LookupRates,
  trees: readonly Tree[],
  options: { quick: boolean; timing: { measureMs: number; windows: number } },
): void {
  const { quick, timing } = options;
  console.log(`\n## Registry${quick ? " (quick)" : ""}\n`);
  console.log(
    `Registry (\`deno run\` with the flags of its tree's start task, SQLite store in a temp dir ` +
      `on disk) and each peer in its own process; rates are the median of ${timing.windows} ` +
      `window(s) of ${timing.measureMs} ms at ${IN_FLIGHT} calls in flight` +
      (trees.length > 1
        ? `; the registries of ${trees.map((t) => t.label).join(" and ")} in turn.\n`
        : ".\n"),
  );
  console.log(
    `### findObjectById: calls per second, ${CONNECTIONS} connections x ${DEPTH} in flight, ` +
      `${LOOKUP_PODS} endpoints per answer\n`,
  );
  const { peers } = lookups;
  const versus = trees.length > 1 ? [`/ ${trees[1].label}`] : [];
  printTable(
    ["server", "calls/s", "/ @tars/rpc (target >= 2x)", ...versus],
    [
      ...trees.map((t, i) => [
        `registry (${t.label})`,
        rate(lookups.registries[i]),
        ratio(lookups.registries[i], peers.tarsRpc),
        ...(trees.length > 1 ? [ratio(lookups.registries[i], lookups.registries[1])] : []),
      ]),
      ["@tars/rpc from a map", rate(peers.tarsRpc), "1.00x", ...versus.map(() => "")],
      [
        "echo, write per frame",
        rate(peers.echoEach),
        ratio(peers.echoEach, peers.tarsRpc),
        ...versus.map(() => ""),
      ],
      [
        "echo, coalesced",
        rate(peers.echoCoalesced),
        ratio(peers.echoCoalesced, peers.tarsRpc),
        ...versus.map(() => ""),
      ],
    ],
  );
  if (trees.length < 2) return;
  console.log(`\n### findObjectById: ${trees[0].label} and ${trees[1].label}, round by round\n`);
  const [ours, theirs] = lookups.rounds;
  printTable(
    ["round", trees[0].label, trees[1].label, `${trees[0].label} / ${trees[1].label}`],
    [
      ...ours.map((r, i) => [String(i + 1), rate(r), rate(theirs[i]), ratio(r, theirs[i])]),
      [
        "median",
        rate(lookups.registries[0]),
        rate(lookups.registries[1]),
        ratio(lookups.registries[0], lookups.registries[1]),
      ],
    ],
  );
}

function printResult(r: RegistryBenchResult): void {
  const [ours] = r.trees;
  const labels = r.trees.map((t) => t.tree.label);
  console.log(`\n### keepAlive: calls per second, ${IN_FLIGHT} in flight, round-robin over pods\n`);
  printTable(
    ["store", "pods", ...labels, "target"],
    [
      [
        "SQLite (WAL, synchronous=FULL)",
        rate(r.pods),
        ...r.trees.map((t) => rate(t.keepAliveSqlite)),
        ">= 5,000",
      ],
      ours.keepAliveMysql === undefined
        ? [
          "MariaDB (private, strict mode)",
          "-",
          ...labels.map(() => r.mysqlNote ?? "skipped"),
          "-",
        ]
        : [
          "MariaDB (private, strict mode)",
          rate(r.mysqlPods),
          ...r.trees.map((t) => rate(t.keepAliveMysql ?? 0)),
          "-",
        ],
    ],
  );
  console.log(`\n### ${rate(r.pods)} registered pods (SQLite)\n`);
  printTable(
    ["measure", ...labels, "target"],
    [
      [
        "onStartup, 64 in flight, calls/s",
        ...r.trees.map((t) => rate(t.registrationsPerSecond)),
        "-",
      ],
      ["registry RSS before registering", ...r.trees.map((t) => mib(t.rssBeforeKiB)), "-"],
      [`registry RSS with ${rate(r.pods)} pods`, ...r.trees.map((t) => mib(t.rssAfterKiB)), "-"],
      [
        `registry CPU (its process's user + system), keepAlive at ` +
        `${rate(ours.heartbeat.achievedRate)}/s (20,000 pods / ${HEARTBEAT_PERIOD_S} s), median ` +
        `of ${ours.heartbeat.windows.length} windows of ${r.heartbeatSeconds} s`,
        ...r.trees.map((t) =>
          `${t.heartbeat.cpuPercent.toFixed(1)}% of one core (windows ${
            t.heartbeat.windows.map((w) => `${w.total.toFixed(1)}`).join(" / ")
          }; mean user ${percentOf(t.heartbeat.windows, "user")}, system ${
            percentOf(t.heartbeat.windows, "system")
          })`
        ),
        "< 10%",
      ],
    ],
  );
}

/** The tables of `--writes-only`. */
function printWrites(
  r: WriteRates,
  trees: readonly Tree[],
  options: { quick: boolean; pods: number; mysqlPods: number; tokens: boolean },
): void {
  const labels = trees.map((t) => t.label);
  const versus = trees.length > 1 ? [`${labels[0]} / ${labels[1]}`] : [];
  const vs = (rates: readonly number[]) => trees.length > 1 ? [ratio(rates[0], rates[1])] : [];
  console.log(`\n## Registry writes${options.quick ? " (quick)" : ""}\n`);
  console.log(
    `onStartup and keepAlive at ${IN_FLIGHT} in flight, each registry (\`deno run\` with its ` +
      `tree's start task flags) in its own process` +
      (options.tokens
        ? `; ${labels[0]}'s registry with a registration tokens file, every pod sending its token`
        : "") +
      ".\n",
  );
  printTable(
    ["measure", ...labels, ...versus],
    [
      [
        `onStartup (SQLite), ${rate(options.pods)} pods in ${r.registrationRounds[0].length} ` +
        `rounds, median`,
        ...r.registrations.map(rate),
        ...vs(r.registrations),
      ],
      ...r.registrationRounds[0].map((_, round) => [
        `  round ${round + 1}`,
        ...r.registrationRounds.map((rounds) => rate(rounds[round])),
        ...vs(r.registrationRounds.map((rounds) => rounds[round])),
      ]),
      [
        `keepAlive (SQLite, ${rate(options.pods)} pods)`,
        ...r.keepAliveSqlite.map(rate),
        ...vs(r.keepAliveSqlite),
      ],
      r.keepAliveMysql
        ? [
          `keepAlive (MariaDB, ${rate(options.mysqlPods)} pods)`,
          ...r.keepAliveMysql.map(rate),
          ...vs(r.keepAliveMysql),
        ]
        : [
          "keepAlive (MariaDB)",
          ...labels.map(() => r.mysqlNote ?? "skipped"),
          ...versus.map(() => ""),
        ],
    ],
  );
}

/** Mean `part` of CPU over `windows`, as "n.n%". */
function percentOf(windows: readonly CpuShare[], part: "user" | "system"): string {
  return `${(windows.reduce((sum, w) => sum + w[part], 0) / windows.length).toFixed(1)}%`;
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--rounds");
  await runRegistryBench({
    quick: Deno.args.includes("--quick"),
    skipMysql: Deno.args.includes("--skip-mysql"),
    lookupsOnly: Deno.args.includes("--lookups-only"),
    writesOnly: Deno.args.includes("--writes-only"),
    tokens: Deno.args.includes("--tokens"),
    trees: treesOf(Deno.args),
    rounds: at >= 0 ? Number(Deno.args[at + 1]) : undefined,
  });
}
