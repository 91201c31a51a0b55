/**
 * The registry at scale (issue 17), each case run on every tree given (this one and, with
 * `--baseline DIR`, the tree before a change, one after the other in the same run):
 *
 * - SQLite, 100,000 pods (one adapter each, over 100 servers, so each server's object has 1,000
 *   endpoints): onStartup calls per second at 64 in flight; the RSS of the registry that
 *   registered them once it settled; then a restart on the same file: the time from the spawn
 *   until it listens (the whole store loaded), its peak RSS while loading (`VmHWM`) and its RSS
 *   once settled, and the memory per pod (settled RSS less that of the registry with no pod);
 *   findObjectById of a 1,000-endpoint object at 64 in flight.
 * - MariaDB, 50,000 pods: onStartup calls per second at 64 in flight through replica A, then a
 *   second replica B on the same database: its start, its CPU from its first reload until the
 *   registrations are older than a change read's overlap (a minute) and a reload interval, its
 *   CPU while nothing changes after that (median of three windows), how long a registration on A
 *   takes to show in B's answers, and a removal (onPrestop) on A to leave them.
 *
 * Every registry runs as `deno run registry/main.ts` of its tree with `--node-timeout 1h`, so no
 * pod turns inactive while the bench runs. `--quick` runs 5,000 and 2,000 pods with short
 * windows and a 1 s reload interval: it checks that the bench works.
 *
 * Run: `deno run --allow-all bench/registry_scale_bench.ts [--quick] [--skip-mysql]
 * [--baseline DIR]`; `deno task bench` runs it last.
 *
 * @module
 */
import { join } from "node:path";
import { TarsClient } from "../protocol/mod.ts";
import { QUERY_OBJ, QueryF } from "../protocol/mod.ts";
import { mariadbSearchPath, startMariadb } from "../tests/support/mariadb.ts";
import { delay } from "../lib/timers.ts";
import { median } from "./measure.ts";
import { mib, printTable, rate } from "./report.ts";
import { runLoad } from "./rpc_load.ts";
import {
  type BenchRegistry,
  clockTicks,
  CONNECTIONS,
  cpuTimes,
  DEPTH,
  lookupFrame,
  lookupReplyEndpoints,
  podIp,
  podObject,
  registerPods,
  registryProxy,
  SERVERS,
  startBenchRegistry,
  startupReq,
  statusKiB,
  type Tree,
  treesOf,
} from "./registry_support.ts";

/** How much to run. */
export interface ScaleBenchOptions {
  /** 5,000 and 2,000 pods, short windows, a 1 s reload interval: checks the bench works. */
  readonly quick: boolean;
  /** Skip the MariaDB case (also skipped, with a note, when mariadb-server is missing). */
  readonly skipMysql?: boolean;
  /** The trees compared, each case on each in turn (default this tree alone). */
  readonly trees?: readonly Tree[];
}

/** What the SQLite case measured for one tree; memory in KiB, times in ms. */
export interface SqliteScale {
  readonly pods: number;
  readonly registrationsPerSecond: number;
  /** The registry with no pod, settled. */
  readonly emptyRssKiB: number;
  /** The registry that registered the pods, settled. */
  readonly registeredRssKiB: number;
  /** The restart: spawn until it listens. */
  readonly coldStartMs: number;
  /** The restart's VmHWM once it listens: the peak while it loaded the store. */
  readonly loadPeakKiB: number;
  /** The restart's VmRSS once it listens. */
  readonly loadedRssKiB: number;
  /** The restart's VmRSS once settled. */
  readonly settledRssKiB: number;
  /** findObjectById of an object with pods / 100 endpoints, calls/s. */
  readonly bigLookups: number;
  readonly bigLookupEndpoints: number;
}

/** What the MariaDB case measured for one tree. */
export interface MysqlScale {
  readonly pods: number;
  readonly registrationsPerSecond: number;
  /** Replica B: spawn until it listens. */
  readonly replicaStartMs: number;
  /**
   * Replica B's CPU, percent of one core, from its first reload until a minute and a reload
   * interval after the last registration (a change read looks that far back); undefined when
   * the run did not wait that long (quick).
   */
  readonly afterWrites: number | undefined;
  /** Replica B's CPU while nothing changes, percent of one core, every window. */
  readonly idleCpu: readonly number[];
  /** A registration on A until B answers it, ms. */
  readonly changeVisibleMs: number;
  /** A removal on A until B no longer answers it, ms. */
  readonly removalVisibleMs: number;
  readonly reloadIntervalS: number;
}

/** Everything measured, per tree in the order given. */
export interface ScaleBenchResult {
  readonly trees: readonly Tree[];
  readonly sqlite: readonly SqliteScale[];
  /** Undefined when the MariaDB case was skipped; see `mysqlNote`. */
  readonly mysql?: readonly MysqlScale[];
  readonly mysqlNote?: string;
}

/** Waits `ms`, then the registry's VmRSS. */
async function settledRss(registry: BenchRegistry, ms: number): Promise<number> {
  await delay(ms);
  return await statusKiB(registry.pid, "VmRSS");
}

/** findObjectById of `id` at 64 in flight, the median of `windows` windows. */
async function lookupRate(
  port: number,
  id: string,
  endpoints: number,
  timing: { warmupMs: number; measureMs: number; windows: number },
): Promise<number> {
  const { frame, idOffset } = lookupFrame(id);
  const rates: number[] = [];
  for (let i = 0; i < timing.windows; i++) {
    rates.push(
      await runLoad({
        port,
        connections: CONNECTIONS,
        depth: DEPTH,
        frame,
        idOffset,
        check(reply) {
          const got = lookupReplyEndpoints(reply).length;
          if (got !== endpoints) {
            throw new Error(`findObjectById(${id}) answered ${got} endpoints, not ${endpoints}`);
          }
        },
        warmupMs: timing.warmupMs,
        measureMs: timing.measureMs,
      }),
    );
  }
  return median(rates);
}

/** The SQLite case on one tree. */
async function sqliteScale(
  tree: Tree,
  options: { pods: number; settleMs: number; dir: string; timing: LookupTiming },
): Promise<SqliteScale> {
  const { pods, settleMs } = options;
  const store = `sqlite:${join(options.dir, `scale-${tree.label.replaceAll(" ", "-")}.db`)}`;
  const args = ["--node-timeout", "1h"];
  const first = await startBenchRegistry(tree, store, ...args);
  let emptyRssKiB: number;
  let registrationsPerSecond: number;
  let registeredRssKiB: number;
  try {
    emptyRssKiB = await settledRss(first, settleMs);
    registrationsPerSecond = await registerPods(first.port, { from: 0, to: pods });
    registeredRssKiB = await settledRss(first, settleMs);
  } finally {
    await first.stop();
  }
  const second = await startBenchRegistry(tree, store, ...args);
  try {
    const loadPeakKiB = await statusKiB(second.pid, "VmHWM");
    const loadedRssKiB = await statusKiB(second.pid, "VmRSS");
    const settledRssKiB = await settledRss(second, settleMs);
    const bigLookupEndpoints = pods / SERVERS;
    const bigLookups = await lookupRate(
      second.port,
      podObject(0),
      bigLookupEndpoints,
      options.timing,
    );
    return {
      pods,
      registrationsPerSecond,
      emptyRssKiB,
      registeredRssKiB,
      coldStartMs: second.startMs,
      loadPeakKiB,
      loadedRssKiB,
      settledRssKiB,
      bigLookups,
      bigLookupEndpoints,
    };
  } finally {
    await second.stop();
  }
}

type LookupTiming = { warmupMs: number; measureMs: number; windows: number };

/** The CPU (user + system) of process `pid` over the next `ms`, percent of one core. */
async function cpuShare(pid: number, ticks: number, ms: number): Promise<number | undefined> {
  if (ms <= 0) return undefined;
  const before = await cpuTimes(pid, ticks);
  const started = performance.now();
  await delay(ms);
  const after = await cpuTimes(pid, ticks);
  const seconds = (performance.now() - started) / 1000;
  return ((after.user + after.system - before.user - before.system) / seconds) * 100;
}

/** Milliseconds until `check` holds (polled every 50 ms), at most `limitMs`. */
async function timeUntil(limitMs: number, what: string, check: () => Promise<boolean>) {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > limitMs) {
      throw new Error(`${what}: not within ${limitMs} ms`);
    }
    await delay(50);
  }
  return performance.now() - started;
}

/** The MariaDB case on one tree: a fresh database on `url`. */
async function mysqlScale(
  tree: Tree,
  options: {
    url: string;
    pods: number;
    reloadIntervalS: number;
    idleWindows: number;
    idleSeconds: number;
    /** From the last registration until B's idle windows start, ms (0: at once). */
    settleMs: number;
  },
): Promise<MysqlScale> {
  const { pods, reloadIntervalS } = options;
  const args = ["--node-timeout", "1h", "--reload-interval", `${reloadIntervalS}s`];
  const ticks = await clockTicks();
  const a = await startBenchRegistry(tree, options.url, "--init-db", ...args);
  const client = new TarsClient({ timeout: 30_000 });
  try {
    const registrationsPerSecond = await registerPods(a.port, { from: 0, to: pods });
    const registered = performance.now();
    const b = await startBenchRegistry(tree, options.url, ...args);
    try {
      // B's CPU from its first reload until the writes are older than a change read's overlap
      // (it reads them again until then), then while nothing changes.
      await delay(reloadIntervalS * 1000 + 1000);
      const settledAt = registered + options.settleMs;
      const afterWrites = await cpuShare(b.pid, ticks, Math.max(0, settledAt - performance.now()));
      const idleCpu: number[] = [];
      for (let w = 0; w < options.idleWindows; w++) {
        idleCpu.push((await cpuShare(b.pid, ticks, options.idleSeconds * 1000))!);
      }
      const query = client.proxy(QueryF, `${QUERY_OBJ}@tcp -h 127.0.0.1 -p ${b.port} -t 30000`);
      const registry = registryProxy(client, a.port);
      const pod = pods; // one more pod, of a server of its own
      const req = startupReq(pod);
      const object = "Bench.Visible.Obj";
      req.req.server = "Visible";
      req.req.adapters[0].servant = object;
      const answers = async () =>
        (await query.findObjectById({ id: object })).ret.map((e) => e.host);
      await registry.onStartup(req);
      const changeVisibleMs = await timeUntil(
        reloadIntervalS * 1000 * 3 + 5000,
        "a registration on A in B's answers",
        async () => (await answers()).includes(podIp(pod)),
      );
      await registry.onPrestop({
        req: { nodeName: podIp(pod), application: "Bench", server: "Visible" },
      });
      const removalVisibleMs = await timeUntil(
        120_000,
        "a removal on A in B's answers",
        async () => (await answers()).length === 0,
      );
      return {
        pods,
        registrationsPerSecond,
        replicaStartMs: b.startMs,
        afterWrites,
        idleCpu,
        changeVisibleMs,
        removalVisibleMs,
        reloadIntervalS,
      };
    } finally {
      await b.stop();
    }
  } finally {
    await client.close();
    await a.stop();
  }
}

/** Runs both cases on every tree, prints the tables and returns the figures. */
export async function runRegistryScaleBench(
  options: ScaleBenchOptions,
): Promise<ScaleBenchResult> {
  const quick = options.quick;
  const trees = options.trees ?? [{ label: "this tree" }];
  const timing: LookupTiming = quick
    ? { warmupMs: 200, measureMs: 300, windows: 1 }
    : { warmupMs: 500, measureMs: 1000, windows: 3 };
  const dir = await Deno.makeTempDir({ prefix: "tars-registry-scale-" });
  try {
    const sqlite: SqliteScale[] = [];
    for (const tree of trees) {
      sqlite.push(
        await sqliteScale(tree, {
          pods: quick ? 5_000 : 100_000,
          settleMs: quick ? 1_000 : 30_000,
          dir,
          timing,
        }),
      );
    }
    let mysql: MysqlScale[] | undefined;
    let mysqlNote: string | undefined;
    if (options.skipMysql || Deno.env.get("TARS_SKIP_MYSQL") === "1") {
      mysqlNote = "MariaDB case skipped (TARS_SKIP_MYSQL=1 or --skip-mysql)";
    } else {
      mysql = [];
      for (const tree of trees) {
        let server;
        try {
          server = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
        } catch (error) {
          mysqlNote = `MariaDB case skipped: ${(error as Error).message.split("\n")[0]}`;
          mysql = undefined;
          break;
        }
        try {
          mysql.push(
            await mysqlScale(tree, {
              url: server.url,
              pods: quick ? 2_000 : 50_000,
              reloadIntervalS: quick ? 1 : 10,
              idleWindows: 3,
              idleSeconds: quick ? 1 : 10,
              // The change reads' overlap (60 s) and a reload interval.
              settleMs: quick ? 0 : 70_000,
            }),
          );
        } finally {
          await server.stop();
        }
      }
    }
    const result = { trees, sqlite, mysql, mysqlNote };
    printResult(result, quick);
    return result;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function ms(value: number): string {
  return `${Math.round(value).toLocaleString("en-US")} ms`;
}

function printResult(r: ScaleBenchResult, quick: boolean): void {
  const labels = r.trees.map((t) => t.label);
  const s = r.sqlite;
  const pods = s[0].pods;
  console.log(`\n## Registry at scale${quick ? " (quick)" : ""}\n`);
  console.log(
    `${rate(pods)} pods on SQLite (one adapter each, over ${SERVERS} servers); the registry ` +
      `that registered them, then a restart on the same file.\n`,
  );
  const perPod = (x: SqliteScale) =>
    `${((x.settledRssKiB - x.emptyRssKiB) / x.pods).toFixed(2)} KiB`;
  printTable(
    ["SQLite", ...labels, "target"],
    [
      [
        "onStartup, 64 in flight, calls/s",
        ...s.map((x) => rate(x.registrationsPerSecond)),
        ">= 10,000",
      ],
      ["RSS with no pod, settled", ...s.map((x) => mib(x.emptyRssKiB)), "-"],
      [`RSS of the registering registry, settled`, ...s.map((x) => mib(x.registeredRssKiB)), "-"],
      ["cold start: spawn until it listens", ...s.map((x) => ms(x.coldStartMs)), "<= 2,000 ms"],
      ["cold start: peak RSS while loading (VmHWM)", ...s.map((x) => mib(x.loadPeakKiB)), "-"],
      ["cold start: RSS once listening", ...s.map((x) => mib(x.loadedRssKiB)), "-"],
      ["cold start: RSS settled", ...s.map((x) => mib(x.settledRssKiB)), "-"],
      [
        "peak while loading / settled",
        ...s.map((x) => `${(x.loadPeakKiB / x.settledRssKiB).toFixed(2)}x`),
        "<= 1.2x",
      ],
      ["per pod settled (RSS less that with no pod)", ...s.map(perPod), "<= 2 KiB"],
      [
        `findObjectById, ${rate(s[0].bigLookupEndpoints)} endpoints, calls/s`,
        ...s.map((x) => rate(x.bigLookups)),
        ">= 10,000",
      ],
    ],
  );
  if (!r.mysql) {
    console.log(`\n${r.mysqlNote ?? "MariaDB case skipped"}`);
    return;
  }
  const m = r.mysql;
  console.log(
    `\n${rate(m[0].pods)} pods on a private MariaDB registered through replica A, then replica B ` +
      `on the same database; --reload-interval ${m[0].reloadIntervalS}s.\n`,
  );
  printTable(
    ["MariaDB", ...labels, "target"],
    [
      [
        "onStartup through A, 64 in flight, calls/s",
        ...m.map((x) => rate(x.registrationsPerSecond)),
        "-",
      ],
      ["B: spawn until it listens", ...m.map((x) => ms(x.replicaStartMs)), "-"],
      [
        "B in the minute after the registrations (re-reading them): CPU, % of one core",
        ...m.map((x) => x.afterWrites === undefined ? "-" : `${x.afterWrites.toFixed(1)}%`),
        "-",
      ],
      [
        "B idle, nothing changing: CPU, % of one core (median; windows)",
        ...m.map((x) =>
          `${median(x.idleCpu).toFixed(1)}% (${x.idleCpu.map((c) => c.toFixed(1)).join(" / ")})`
        ),
        "<= 2%",
      ],
      [
        "a registration on A in B's answers",
        ...m.map((x) => ms(x.changeVisibleMs)),
        `<= ${m[0].reloadIntervalS} s`,
      ],
      ["a removal on A gone from B's answers", ...m.map((x) => ms(x.removalVisibleMs)), "<= 60 s"],
    ],
  );
}

if (import.meta.main) {
  await runRegistryScaleBench({
    quick: Deno.args.includes("--quick"),
    skipMysql: Deno.args.includes("--skip-mysql"),
    trees: treesOf(Deno.args),
  });
}
