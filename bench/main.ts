/**
 * The benchmarks, all in one run: codec throughput against `@tars/stream`, then RPC calls per
 * second against our TarsServer, the official `@tars/rpc` server and raw length-prefixed echoes,
 * each a separate process driven by the same load generator (8 connections x 8 calls in flight),
 * then our TarsClient against both RPC servers; then the registry (registry_bench.ts), its
 * lookups by IDC group (group_lookup_bench.ts), the registry at scale (registry_scale_bench.ts)
 * and the pod's lifecycle (lifecycle_bench.ts: the readiness probes, HTTP and exec, and the idle
 * supervisor). The servers are measured in
 * interleaved rounds and every figure is a median, so load that comes and goes on the machine hits
 * all of them alike. Prints Markdown tables with ratios. `--quick` runs one short round, to check
 * the bench still works; `--baseline DIR` runs the registry benches and the idle supervisor of
 * the checkout in DIR too (the tree before a change), side by side.
 *
 * Run: `deno task bench` (or `deno run --allow-all bench/main.ts [--quick] [--baseline DIR]`).
 *
 * @module
 */
import { runCodecBench } from "./codec_bench.ts";
import { median } from "./measure.ts";
import { runLoad } from "./rpc_load.ts";
import {
  type BenchRequest,
  benchRequest,
  checkEchoReply,
  checkTarsReply,
  runClientLoad,
} from "./rpc_bench.ts";
import { type RunningServer, SERVERS, startServer } from "./servers.ts";
import { runLifecycleBench } from "./lifecycle_bench.ts";
import { runGroupLookupBench } from "./group_lookup_bench.ts";
import { runRegistryBench } from "./registry_bench.ts";
import { runRegistryScaleBench } from "./registry_scale_bench.ts";
import { treesOf } from "./registry_support.ts";
import { printTable, rate, ratio } from "./report.ts";

const CONNECTIONS = 8;
const DEPTH = 8;
const PAYLOADS = [16, 1024];

type ServerKind = keyof typeof SERVERS;
const KINDS = Object.keys(SERVERS) as ServerKind[];
const TARS_KINDS: ServerKind[] = ["ours", "tarsRpc"];

interface Timing {
  readonly rounds: number;
  readonly warmupMs: number;
  readonly measureMs: number;
}

/** Runs every benchmark and prints the tables. */
export async function main(args: string[]): Promise<void> {
  const quick = args.includes("--quick");
  const timing: Timing = quick
    ? { rounds: 1, warmupMs: 200, measureMs: 300 }
    : { rounds: 5, warmupMs: 300, measureMs: 1000 };
  const codecMs = quick ? 50 : 300;

  console.log(`# TARS benchmarks${quick ? " (quick)" : ""}\n`);
  console.log(
    `${Deno.build.target}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}, ` +
      `Node ${await nodeVersion()}. Medians of ${timing.rounds} interleaved rounds; ` +
      `RPC windows ${timing.measureMs} ms after ${timing.warmupMs} ms, codec windows ${codecMs} ms.\n`,
  );

  console.log("## Codec: operations per second, our codec vs @tars/stream (same process)\n");
  printTable(
    ["case", "ours (ops/s)", "@tars/stream (ops/s)", "ours / @tars/stream"],
    runCodecBench(codecMs, timing.rounds).map((r) => [
      r.name,
      rate(r.ours),
      rate(r.theirs),
      ratio(r.ours, r.theirs),
    ]),
  );

  const requests = PAYLOADS.map(benchRequest);
  const servers = new Map<ServerKind, RunningServer>();
  const viaLoad = new Map<string, number>();
  const viaClient = new Map<string, number>();
  try {
    for (const kind of KINDS) servers.set(kind, await startServer(kind));
    for (const req of requests) {
      const perServer = await rounds(timing.rounds, KINDS, (kind) =>
        runLoad({
          port: servers.get(kind)!.port,
          connections: CONNECTIONS,
          depth: DEPTH,
          frame: req.frame,
          idOffset: req.idOffset,
          check: (reply) =>
            TARS_KINDS.includes(kind)
              ? checkTarsReply(reply, req.payload)
              : checkEchoReply(reply, req.frame),
          warmupMs: timing.warmupMs,
          measureMs: timing.measureMs,
        }));
      for (const [kind, r] of perServer) viaLoad.set(key(kind, req), r);
      const perClient = await rounds(timing.rounds, TARS_KINDS, (kind) =>
        runClientLoad({
          port: servers.get(kind)!.port,
          inFlight: CONNECTIONS * DEPTH,
          payload: req.payload,
          warmupMs: timing.warmupMs,
          measureMs: timing.measureMs,
        }));
      for (const [kind, r] of perClient) viaClient.set(key(kind, req), r);
    }
  } finally {
    for (const server of servers.values()) await server.stop();
  }

  console.log(
    `\n## RPC server: calls per second, ${CONNECTIONS} connections x ${DEPTH} in flight, ` +
      "one load generator for every server\n",
  );
  printTable(
    [
      "payload (request frame)",
      "ours",
      "@tars/rpc",
      "ours / @tars/rpc",
      "echo, write per frame",
      "ours / echo",
      "echo, coalesced",
      "ours / coalesced",
    ],
    requests.map((req) => {
      const [ours, theirs, each, coalesced] = KINDS.map((k) => viaLoad.get(key(k, req))!);
      return [
        `${req.payload.length} B (${req.frame.length} B)`,
        rate(ours),
        rate(theirs),
        ratio(ours, theirs),
        rate(each),
        ratio(ours, each),
        rate(coalesced),
        ratio(ours, coalesced),
      ];
    }),
  );

  console.log(
    "\n## RPC client: calls per second through our TarsClient, " +
      `1 connection x ${CONNECTIONS * DEPTH} in flight\n`,
  );
  printTable(
    ["payload", "our server", "@tars/rpc server", "ratio"],
    requests.map((req) => {
      const ours = viaClient.get(key("ours", req))!;
      const theirs = viaClient.get(key("tarsRpc", req))!;
      return [`${req.payload.length} B`, rate(ours), rate(theirs), ratio(ours, theirs)];
    }),
  );

  const trees = treesOf(args);
  await runRegistryBench({ quick, trees });
  await runGroupLookupBench({ quick, trees });
  await runRegistryScaleBench({ quick, trees });
  await runLifecycleBench({ quick, baseline: trees.find((tree) => tree.root)?.root });
}

/** Measures every kind once per round, in turn; returns each kind's median. */
async function rounds(
  count: number,
  kinds: readonly ServerKind[],
  measure: (kind: ServerKind) => Promise<number>,
): Promise<Map<ServerKind, number>> {
  const samples = new Map<ServerKind, number[]>(kinds.map((k) => [k, []]));
  for (let i = 0; i < count; i++) {
    for (const kind of kinds) samples.get(kind)!.push(await measure(kind));
  }
  return new Map(kinds.map((k) => [k, median(samples.get(k)!)]));
}

function key(kind: ServerKind, req: BenchRequest): string {
  return `${kind} ${req.payload.length}`;
}

async function nodeVersion(): Promise<string> {
  const out = await new Deno.Command("node", { args: ["--version"], stdout: "piped" }).output();
  return new TextDecoder().decode(out.stdout).trim();
}

if (import.meta.main) await main(Deno.args);
