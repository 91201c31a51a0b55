/**
 * The benchmarks of issue 2, all in one run: codec throughput against `@tars/stream`, then RPC
 * calls per second against our TarsServer, the official `@tars/rpc` server and raw
 * length-prefixed echoes, each a separate process driven by the same load generator (8
 * connections x 8 calls in flight), then our TarsClient against both RPC servers. Prints
 * Markdown tables with ratios. `--quick` makes every case short, to check the bench still works.
 *
 * Run: `deno task bench` (or `deno run --allow-all bench/main.ts [--quick]`).
 *
 * @module
 */
import { runCodecBench } from "./codec_bench.ts";
import { runLoad } from "./rpc_load.ts";
import { benchRequest, checkEchoReply, checkTarsReply, runClientLoad } from "./rpc_bench.ts";
import { type RunningServer, SERVERS, startServer } from "./servers.ts";

const CONNECTIONS = 8;
const DEPTH = 8;
const PAYLOADS = [16, 1024];

type ServerKind = keyof typeof SERVERS;

/** Runs every benchmark and prints the tables. */
export async function main(args: string[]): Promise<void> {
  const quick = args.includes("--quick");
  const windows = quick ? 1 : 3;
  const codecMs = quick ? 50 : 300;
  const warmupMs = quick ? 200 : 1000;
  const measureMs = quick ? 300 : 1000;

  console.log(`# TARS benchmarks${quick ? " (quick)" : ""}\n`);
  console.log(
    `${Deno.build.target}, ${navigator.hardwareConcurrency} cores, Deno ${Deno.version.deno}; every figure is the median of ${windows} window(s) of ${measureMs} ms (codec: ${codecMs} ms) after a warm-up\n`,
  );

  console.log("## Codec: operations per second, our codec vs @tars/stream (same process)\n");
  printTable(
    ["case", "ours (ops/s)", "@tars/stream (ops/s)", "ours / @tars/stream"],
    runCodecBench(codecMs, windows).map((
      r,
    ) => [r.name, rate(r.ours), rate(r.theirs), ratio(r.ours, r.theirs)]),
  );

  const requests = PAYLOADS.map(benchRequest);
  const rpc = new Map<ServerKind, number[]>();
  const viaClient = new Map<ServerKind, number[]>();
  for (const kind of Object.keys(SERVERS) as ServerKind[]) {
    await withServer(kind, async (server) => {
      const tars = kind === "ours" || kind === "tarsRpc";
      const rates: number[] = [];
      for (const req of requests) {
        rates.push(
          await runLoad({
            port: server.port,
            connections: CONNECTIONS,
            depth: DEPTH,
            frame: req.frame,
            idOffset: req.idOffset,
            check: (reply) =>
              tars ? checkTarsReply(reply, req.payload) : checkEchoReply(reply, req.frame),
            warmupMs,
            measureMs,
            windows,
          }),
        );
      }
      rpc.set(kind, rates);
      if (!tars) return;
      const clientRates: number[] = [];
      for (const req of requests) {
        clientRates.push(
          await runClientLoad({
            port: server.port,
            inFlight: CONNECTIONS * DEPTH,
            payload: req.payload,
            warmupMs,
            measureMs,
            windows,
          }),
        );
      }
      viaClient.set(kind, clientRates);
    });
  }

  console.log(
    `\n## RPC server: calls per second, ${CONNECTIONS} connections x ${DEPTH} in flight, same load generator\n`,
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
    requests.map((req, i) => {
      const [ours, theirs, each, coalesced] =
        (["ours", "tarsRpc", "echoEach", "echoCoalesced"] as const)
          .map((k) => rpc.get(k)![i]);
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
    `\n## RPC client: calls per second through our TarsClient, 1 connection x ${
      CONNECTIONS * DEPTH
    } in flight\n`,
  );
  printTable(
    ["payload", "our server", "@tars/rpc server", "ratio"],
    requests.map((req, i) => {
      const ours = viaClient.get("ours")![i];
      const theirs = viaClient.get("tarsRpc")![i];
      return [`${req.payload.length} B`, rate(ours), rate(theirs), ratio(ours, theirs)];
    }),
  );
}

async function withServer(kind: ServerKind, run: (s: RunningServer) => Promise<void>) {
  const server = await startServer(kind);
  try {
    await run(server);
  } finally {
    await server.stop();
  }
}

function printTable(head: string[], rows: string[][]): void {
  console.log(`| ${head.join(" | ")} |`);
  console.log(`|${head.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

function rate(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}x`;
}

if (import.meta.main) await main(Deno.args);
