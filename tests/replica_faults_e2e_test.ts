/**
 * Registry replicas that survive each other, end to end: two replicas on one private MariaDB,
 * three pods of the example service (examples/simple) under `tarscli supervisor` and the kubelet
 * stand-in, whose `TARS_LOCATOR` lists both, and a client calling the service through a locator
 * listing both (tests/support/call_continuously.ts). Then the faults an operator meets: a replica
 * stopped with SIGSTOP (it accepts connections and never answers) that fewer pods use, then the
 * one most pods use while a pod leaves (`tarscli prestop` through the hung replica), then a
 * replica killed with SIGKILL and started again on its port. Through each, no client call may
 * fail and no pod's heartbeat gap may pass 2 x `TARS_REPORT_INTERVAL`.
 *
 * The gaps are measured from what the registry keeps: `t_node_info.last_heartbeat` of each pod,
 * read every 100 ms straight from MariaDB (a heartbeat through either replica writes it). The
 * replicas' addresses are the test's parameters: on two loopback addresses, and both on one with
 * two ports (each replica a node of its own, named host:port).
 *
 * The times are scaled down from the (a 20 s hang against a 30 s report interval): report
 * interval 3 s and faults of 12 s, four report intervals and more than each call's timeout (the
 * pods' 3 s, the client's 5 s); `--node-timeout` 30 s, longer than a fault, as the default 250 s is
 * longer than a hang this test plays.
 */
import assert from "node:assert/strict";
import mysql from "mysql2/promise";
import { TarsClient } from "../protocol/client.ts";
import { Failover } from "../protocol/failover.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { HELLO_OBJ } from "../examples/simple/hello_f.ts";
import { type Pod, type RegistryProcess, startPod, startRegistryProcess } from "../local/mod.ts";
import { delay } from "../lib/timers.ts";
import { callContinuously } from "./support/call_continuously.ts";
import { eventually } from "./support/eventually.ts";
import { mariadbMissing, mariadbSearchPath, startMariadb } from "./support/mariadb.ts";
import { skipWhen } from "./support/skip.ts";

const REPORT_INTERVAL_MS = 3000;
const MAX_GAP_MS = 2 * REPORT_INTERVAL_MS;
const FAULT_MS = 12_000;
const READY_MS = 30_000;
/** The pod that leaves drains this long, so the client's lookups see it leave before it stops. */
const PRESTOP_WAIT = "6s";

/** Heartbeats of the pods as the registry stores them, seen every 100 ms. */
async function watchHeartbeats(socket: string, nodes: readonly string[]) {
  const db = await mysql.createConnection({
    socketPath: socket,
    user: "root",
    database: "db_tars",
  });
  const beats = new Map<string, number[]>(nodes.map((node) => [node, []]));
  const last = new Map<string, string>();
  let watching = true;
  const loop = (async () => {
    while (watching) {
      const [rows] = await db.query(
        "SELECT node_name, CAST(last_heartbeat AS CHAR) AS at FROM t_node_info WHERE node_name IN (?)",
        [nodes],
      );
      const seenAt = performance.now();
      for (const row of rows as { node_name: string; at: string }[]) {
        if (last.get(row.node_name) === row.at) continue;
        last.set(row.node_name, row.at);
        beats.get(row.node_name)!.push(seenAt);
      }
      await delay(100);
    }
  })();
  const leftAt = new Map<string, number>();
  return {
    /** Its pod is leaving: its gaps count only up to now. */
    leaving(node: string) {
      leftAt.set(node, performance.now());
    },
    /**
     * The longest gap of each pod among its beats after `from`, up to `end` or the time it began
     * to leave (the time since its last beat counting as a gap too).
     */
    longestGaps(from: number, end = performance.now()): Map<string, number> {
      const gaps = new Map<string, number>();
      for (const [node, times] of beats) {
        const to = Math.min(end, leftAt.get(node) ?? Infinity);
        if (to < from) continue;
        const within = times.filter((t) => t >= from && t <= to);
        let longest = 0;
        let previous = from;
        for (const t of within) {
          longest = Math.max(longest, t - previous);
          previous = t;
        }
        gaps.set(node, Math.max(longest, to - previous));
      }
      return gaps;
    },
    async stop() {
      watching = false;
      await loop;
      await db.end();
    },
  };
}

/** The pods' keepAlive calls a replica has answered so far, from its /metrics. */
async function keepAlives(replica: RegistryProcess): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${replica.metricsPort}/metrics`, {
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  return Number(
    /^tarsregistry_calls_total\{method="keepAlive"[^}]*\} (\d+)$/m.exec(text)?.[1] ?? 0,
  );
}

/** `host:port` of the example's active endpoints through `replica`'s QueryF. */
async function activePods(client: TarsClient, replica: RegistryProcess): Promise<string[]> {
  const query = client.proxy(QueryF, `${QUERY_OBJ}@${replica.endpoint}`, { timeout: 3000 });
  const answer = await query.findObjectById4Any({ id: HELLO_OBJ });
  return answer.activeEp.map((e) => e.host).sort();
}

/**
 * Pod addresses for `count` pods whose supervisors try `preferred` first among `replicas`
 * (`host:port` each), so each replica gets the share of pods the test wants.
 */
function podAddresses(replicas: string[], wanted: readonly [string, number][]): string[] {
  const picked: string[] = [];
  for (const [preferred, count] of wanted) {
    for (let i = 10, found = 0; found < count; i++) {
      const address = `127.0.50.${i}`;
      const first = new Failover({ spreadBy: address }).order(replicas)[0];
      if (first !== preferred || picked.includes(address)) continue;
      picked.push(address);
      found++;
    }
  }
  return picked;
}

/** One fault's numbers: the client's failed calls and the longest heartbeat gap of any pod. */
interface FaultResult {
  readonly fault: string;
  readonly failedCalls: number;
  readonly calls: number;
  readonly longestGapMs: number;
}

function replicaFaultsTest(hosts: readonly [string, string]) {
  const name = `replica faults with the replicas on ${hosts.join(" and ")}: no client call ` +
    "fails, no pod's heartbeat gap passes 2 report intervals";
  Deno.test({
    name,
    ignore: skipWhen(name, mariadbMissing(Deno.env)),
    async fn(t) {
      const mariadb = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
      const args = ["--store", mariadb.url, "--reload-interval", "1s", "--node-timeout", "30s"];
      const replicas: RegistryProcess[] = [];
      const stopped = new Set<number>();
      const pods: Pod[] = [];
      const client = new TarsClient({ timeout: 5000, log: () => {} });
      const stopCalls = new AbortController();
      let load: ReturnType<typeof callContinuously> | undefined;
      let heartbeats: Awaited<ReturnType<typeof watchHeartbeats>> | undefined;
      const results: FaultResult[] = [];
      try {
        replicas.push(await startRegistryProcess([...args, "--init-db"], { host: hosts[0] }));
        replicas.push(await startRegistryProcess(args, { host: hosts[1] }));
        const [a, b] = replicas;
        const keys = replicas.map((r) => `${r.endpoint.split(" ")[2]}:${r.port}`);
        const locator = `${QUERY_OBJ}@${a.endpoint}:${b.endpoint}`;
        // Two pods on A first, one on B.
        const addresses = podAddresses(keys, [[keys[0], 2], [keys[1], 1]]);
        for (const [i, podIp] of addresses.entries()) {
          pods.push(
            await startPod({
              name: `pod-${i}`,
              podIp,
              locator,
              env: {
                TARS_REPORT_INTERVAL: `${REPORT_INTERVAL_MS / 1000}s`,
                TARS_PRESTOP_WAITTIME: PRESTOP_WAIT,
              },
            }),
          );
        }
        for (const pod of pods) await pod.waitReady(READY_MS);
        for (const replica of replicas) {
          await eventually(
            10_000,
            "every pod active on both replicas",
            async () => (await activePods(client, replica)).length === addresses.length,
          );
        }
        heartbeats = await watchHeartbeats(mariadb.socket, addresses);
        const watchedFrom = performance.now();
        load = callContinuously(locator, { workers: 4, stop: stopCalls.signal });
        const calls = load;
        const countCalls = () => calls.answeredBy.values().reduce((n, c) => n + c, 0);

        /** Plays `fault` on `replica` for FAULT_MS (with `during` beside it), then settles. */
        const fault = async (
          what: string,
          replica: RegistryProcess,
          play: { signal: "SIGSTOP" | "SIGKILL"; during?: () => Promise<void> },
        ): Promise<RegistryProcess> => {
          const failedBefore = calls.failures.length;
          const callsBefore = countCalls();
          const from = performance.now();
          let current = replica;
          if (play.signal === "SIGSTOP") {
            Deno.kill(replica.child.pid, "SIGSTOP");
            stopped.add(replica.child.pid);
            try {
              await Promise.all([delay(FAULT_MS), play.during?.()]);
            } finally {
              Deno.kill(replica.child.pid, "SIGCONT");
              stopped.delete(replica.child.pid);
            }
          } else {
            await replica.kill();
            await delay(FAULT_MS);
            const host = replica.endpoint.split(" ")[2];
            current = await startRegistryProcess(args, { host, port: replica.port });
            replicas[replicas.indexOf(replica)] = current;
          }
          // Two report intervals after it, for the gaps it caused to close.
          await delay(MAX_GAP_MS);
          const gaps = heartbeats!.longestGaps(from);
          results.push({
            fault: what,
            failedCalls: calls.failures.length - failedBefore,
            calls: countCalls() - callsBefore,
            longestGapMs: Math.round(Math.max(...gaps.values())),
          });
          assert.deepEqual(calls.failures.slice(failedBefore), [], `${what}: failed client calls`);
          for (const [node, gap] of gaps) {
            assert.ok(
              gap <= MAX_GAP_MS,
              `${what}: ${node}'s heartbeats ${gap.toFixed(0)} ms apart`,
            );
          }
          return current;
        };

        await t.step("the pods spread over both replicas, as their addresses say", async () => {
          const before = await Promise.all(replicas.map(keepAlives));
          await delay(3 * REPORT_INTERVAL_MS);
          const [onA, onB] = (await Promise.all(replicas.map(keepAlives))).map((n, i) =>
            n - before[i]
          );
          assert.ok(onB > 0 && onA > onB, `keepAlives in 9 s: A ${onA}, B ${onB}`);
          assert.ok(countCalls() > 0, "the client's calls are answered");
        });

        await t.step("SIGSTOP of the replica fewer pods use", async () => {
          await fault(`SIGSTOP of B (1 pod) for ${FAULT_MS / 1000} s`, b, { signal: "SIGSTOP" });
          assert.equal((await activePods(client, b)).length, addresses.length);
        });

        await t.step(
          "SIGSTOP of the replica most pods use, one pod leaving meanwhile",
          async () => {
            const leaving = pods[0];
            let prestop = "";
            await fault(`SIGSTOP of A (2 pods, one leaving) for ${FAULT_MS / 1000} s`, a, {
              signal: "SIGSTOP",
              during: async () => {
                await delay(1000);
                heartbeats!.leaving(addresses[0]);
                const end = await leaving.terminate();
                prestop = end.prestop.stdout;
                assert.equal(end.prestop.code, 0, end.prestop.stderr);
                assert.equal(end.killed, false);
              },
            });
            // tarscli prestop reached the registry through B within its own bounds.
            assert.match(prestop, /prestop: registry keepAlive deactivating sent/);
            assert.match(prestop, /prestop: registry onPrestop sent/);
            assert.doesNotMatch(prestop, /failed/);
            pods.shift();
            addresses.shift();
            await leaving.cleanup();
            for (const replica of replicas) {
              assert.deepEqual(await activePods(client, replica), [...addresses].sort());
            }
          },
        );

        await t.step(
          "kill -9 of a replica; started again, it answers the pods at once",
          async () => {
            const restarted = await fault(`kill -9 of A for ${FAULT_MS / 1000} s`, a, {
              signal: "SIGKILL",
            });
            // Its first answers come from the store, which B kept up: every pod active.
            assert.deepEqual(await activePods(client, restarted), [...addresses].sort());
            const before = await keepAlives(restarted);
            await eventually(
              40_000,
              "the pod that prefers A back on it",
              async () => await keepAlives(restarted) > before,
            );
          },
        );

        // Every gap since the pods were watched, for the pods that stayed.
        const all = heartbeats.longestGaps(watchedFrom);
        for (const node of addresses) {
          assert.ok(all.get(node)! <= MAX_GAP_MS, `${node}: a gap of ${all.get(node)} ms`);
        }
        console.log(
          results.map((r) =>
            `${r.fault}: ${r.failedCalls} of ${r.calls} client calls failed, ` +
            `longest heartbeat gap ${r.longestGapMs} ms (limit ${MAX_GAP_MS})`
          ).join("\n"),
        );
      } finally {
        for (const pid of stopped) Deno.kill(pid, "SIGCONT");
        stopCalls.abort();
        await load?.done;
        await heartbeats?.stop();
        await client.close();
        for (const pod of pods) await pod.cleanup();
        for (const replica of replicas) await replica.kill();
        await mariadb.stop();
      }
    },
  });
}

replicaFaultsTest(["127.0.0.1", "127.0.0.2"]);
// Two replicas on one host, on two ports: each a node of its own (registry/node_name.ts).
replicaFaultsTest(["127.0.0.1", "127.0.0.1"]);
