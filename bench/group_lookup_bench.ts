/**
 * Lookups by IDC group (issue 22), at 64 in flight (8 connections x 8), each registry a process
 * of its tree on a SQLite store of its own:
 *
 * - No group configured, an object of 3 endpoints: `findObjectByIdInSameGroup` (what TarsCpp and
 *   TarsGo clients ask, and this project's client) and `findObjectById`, on this tree and, with
 *   `--baseline DIR`, the tree before, in interleaved rounds (the first of the two alternating):
 *   the group step must cost the common case nothing.
 * - Groups configured, an object of 1,000 endpoints over three groups (pods registered with a
 *   group, as `TARS_GROUP` does; the caller's address put in one of them by a rule written into
 *   the store's file, as an operator would): `findObjectByIdInSameGroup` from that grouped caller,
 *   answered with its group's third, beside `findObjectById` of all 1,000 on the same registry.
 *   On the tree before (which has no groups) the same lookup answers all 1,000, for scale.
 *
 * Run alone: `deno run --allow-all bench/group_lookup_bench.ts [--quick] [--baseline DIR]`;
 * `deno task bench` runs it after the registry bench.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { delay } from "../lib/timers.ts";
import { median } from "./measure.ts";
import { printTable, rate, ratio } from "./report.ts";
import { runLoad } from "./rpc_load.ts";
import {
  type BenchRegistry,
  CONNECTIONS,
  DEPTH,
  groupReplyEndpoints,
  type IdLookup,
  lookupFrame,
  lookupReplyEndpoints,
  podObject,
  registerPods,
  SERVERS,
  startBenchRegistry,
  type Tree,
  treesOf,
} from "./registry_support.ts";

/** How much to run. */
export interface GroupLookupBenchOptions {
  /** One short round: checks the bench works. */
  readonly quick: boolean;
  /** The trees compared (default this tree alone). */
  readonly trees?: readonly Tree[];
}

/** Pods of the big object: all on server `Pod0` (every `SERVERS`th pod). */
const BIG_PODS = 1000;
const GROUPS = ["zone-a", "zone-b", "zone-c"];
/** The object the registrations below serve: that of pod 0. */
const OBJECT = podObject(0);

interface Timing {
  readonly warmupMs: number;
  readonly measureMs: number;
  readonly rounds: number;
}

/** Calls/s of `method(OBJECT)` against `port`, each reply checked to hold `endpoints`. */
function lookupRate(port: number, method: IdLookup, endpoints: number, timing: Timing) {
  const { frame, idOffset } = lookupFrame(OBJECT, method);
  const count = method === "findObjectById" ? lookupReplyEndpoints : groupReplyEndpoints;
  return runLoad({
    port,
    connections: CONNECTIONS,
    depth: DEPTH,
    frame,
    idOffset,
    check: (reply) => {
      const got = count(reply).length;
      if (got !== endpoints) {
        throw new Error(`${method} answered ${got} endpoints, not ${endpoints}`);
      }
    },
    warmupMs: timing.warmupMs,
    measureMs: timing.measureMs,
  });
}

/** Starts a registry of `tree` on a new SQLite file in `dir`. */
async function registryOn(tree: Tree, dir: string, name: string) {
  const path = join(dir, `${name}.db`);
  const registry = await startBenchRegistry(tree, `sqlite:${path}`, "--reload-interval", "1s");
  return { registry, path };
}

/** Medians of `cases` measured in rounds, the order of the first two alternating. */
async function interleaved(
  cases: readonly (() => Promise<number>)[],
  rounds: number,
): Promise<{ medians: number[]; rounds: number[][] }> {
  const rates: number[][] = cases.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = cases.map((_, i) => i);
    if (round % 2 === 1 && order.length > 1) [order[0], order[1]] = [order[1], order[0]];
    for (const i of order) rates[i].push(await cases[i]());
  }
  return { medians: rates.map(median), rounds: rates };
}

/** Puts the caller (127.0.0.1) in `group` by a rule written into the store's file. */
function ruleForCaller(path: string, group: string): void {
  const db = new DatabaseSync(path);
  try {
    db.prepare("UPDATE t_server_group_rule SET allow_ip_rule = '127.0.0.1' WHERE group_name = ?")
      .run(group);
  } finally {
    db.close();
  }
}

/** Waits (bounded) until the caller's group lookup answers `endpoints`, as a reload reads it. */
async function untilRouted(port: number, endpoints: number): Promise<void> {
  const timing = { warmupMs: 0, measureMs: 50, rounds: 1 };
  for (let tries = 0; tries < 100; tries++) {
    try {
      await lookupRate(port, "findObjectByIdInSameGroup", endpoints, timing);
      return;
    } catch {
      await delay(200);
    }
  }
  throw new Error(`The registry did not route the caller to its group's ${endpoints} endpoints`);
}

/** Runs both cases and prints their tables. */
export async function runGroupLookupBench(options: GroupLookupBenchOptions): Promise<void> {
  const trees = options.trees ?? [{ label: "this tree" }];
  const timing: Timing = options.quick
    ? { warmupMs: 200, measureMs: 300, rounds: 1 }
    : { warmupMs: 500, measureMs: 1500, rounds: 5 };
  const dir = await Deno.makeTempDir({ prefix: "group_lookup_bench_" });
  const running = new Set<BenchRegistry>();
  const stopped = async (registry: BenchRegistry) => {
    running.delete(registry);
    await registry.stop();
  };
  try {
    console.log("## Lookups by IDC group (issue 22)\n");
    // No group configured: 3 endpoints.
    const plain = [];
    for (const tree of trees) {
      const { registry } = await registryOn(tree, dir, `plain-${plain.length}`);
      running.add(registry);
      await registerPods(registry.port, { from: 0, to: 3 }, { step: SERVERS });
      plain.push(registry);
    }
    const methods: IdLookup[] = ["findObjectByIdInSameGroup", "findObjectById"];
    const rows: string[][] = [];
    for (const method of methods) {
      const { medians, rounds } = await interleaved(
        plain.map((r) => () => lookupRate(r.port, method, 3, timing)),
        timing.rounds,
      );
      rows.push([
        `${method}, no groups, 3 endpoints`,
        ...medians.map(rate),
        ...(medians.length > 1 ? [ratio(medians[0], medians[1])] : []),
        rounds.map((r) => r.map(rate).join(" / ")).join("; "),
      ]);
    }
    printTable(
      [
        "case",
        ...trees.map((t) => `${t.label} (calls/s)`),
        ...(trees.length > 1 ? ["this / before"] : []),
        "rounds",
      ],
      rows,
    );
    for (const registry of plain) await stopped(registry);

    // Groups: 1,000 endpoints over three groups, the caller in the first.
    const grouped: string[][] = [];
    for (const tree of trees) {
      const { registry, path } = await registryOn(tree, dir, `grouped-${grouped.length}`);
      running.add(registry);
      await registerPods(registry.port, { from: 0, to: BIG_PODS }, {
        step: SERVERS,
        group: (i) => GROUPS[(i / SERVERS) % GROUPS.length],
      });
      const isThisTree = tree.root === undefined;
      const inGroup = Math.ceil(BIG_PODS / GROUPS.length);
      if (isThisTree) {
        ruleForCaller(path, GROUPS[0]);
        await untilRouted(registry.port, inGroup);
      }
      const routedEndpoints = isThisTree ? inGroup : BIG_PODS;
      const { medians } = await interleaved([
        () => lookupRate(registry.port, "findObjectByIdInSameGroup", routedEndpoints, timing),
        () => lookupRate(registry.port, "findObjectById", BIG_PODS, timing),
      ], timing.rounds);
      grouped.push([
        tree.label,
        `${routedEndpoints} of ${BIG_PODS}`,
        rate(medians[0]),
        rate(medians[1]),
      ]);
      await stopped(registry);
    }
    console.log(
      `\nAn object of ${BIG_PODS} endpoints in ${GROUPS.length} groups, the caller in one ` +
        "(the tree before has no groups: it answers every endpoint):\n",
    );
    printTable(
      [
        "tree",
        "findObjectByIdInSameGroup answers",
        "findObjectByIdInSameGroup (calls/s)",
        `findObjectById, all ${BIG_PODS} (calls/s)`,
      ],
      grouped,
    );
    console.log();
  } finally {
    for (const registry of running) await stopped(registry);
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await runGroupLookupBench({ quick: Deno.args.includes("--quick"), trees: treesOf(Deno.args) });
}
