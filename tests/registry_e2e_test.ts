/**
 * End-to-end tests of the `tarsregistry` process (registry/main.ts run with the permissions of
 * `deno task start`): the official `@tars/rpc` client calling QueryF and Registry and finding a
 * `@tars/rpc` server through us; our TarsClient's registration, lookups, refusals, AdminObj and
 * HTTP; restart after kill -9 on SQLite, also in the middle of a burst of registrations sharing
 * commits; SIGTERM removing its own registration; two replicas on one MariaDB reading each
 * other's changes. Everything listens on loopback with ports the processes pick.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import mysql from "mysql2/promise";
import { delay } from "../lib/timers.ts";
import { TarsCallError } from "../protocol/call_error.ts";
import { TarsClient } from "../protocol/client.ts";
import { ADMIN_OBJ, AdminF } from "../protocol/interfaces/admin_f.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { OnStartupReq, REGISTRY_OBJ, RegistryF } from "../protocol/interfaces/registry_f.ts";
import type { StructInput } from "../protocol/codec/mod.ts";
import { SqliteStore } from "../registry/store/mod.ts";
import { readLines, type RegistryProcess, startRegistryProcess } from "../local/mod.ts";
import { mariadbMissing, mariadbSearchPath, startMariadb } from "./support/mariadb.ts";
import { eventually } from "./support/eventually.ts";
import { skipWhen } from "./support/skip.ts";
import { readSnapshot } from "./support/store_snapshot.ts";
import { callFailure } from "./support/call_failure.ts";

const ROOT = new URL("../", import.meta.url);
const PEERS = new URL("./peers/", import.meta.url);
/** Bound on a peer run and a Node server starting. */
const PROCESS_TIMEOUT_MS = 20_000;
/** Bound on a write on one replica showing on the other (reload interval 1 s). */
const REPLICA_VISIBLE_MS = 3_000;
/**
 * Bound on a deletion on one replica leaving the other's answers: with a reload interval of 1 s
 * the key sums are compared every third reload (the whole database is read every hour here).
 */
const REPLICA_DELETION_MS = 8_000;

/** Runs a Node peer script to completion (bounded) and gives its parsed JSON output. */
async function runNodePeer(script: string, args: string[]): Promise<Record<string, unknown>> {
  const result = await new Deno.Command("node", {
    args: ["--no-warnings", new URL(script, PEERS).pathname, ...args],
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(PROCESS_TIMEOUT_MS),
  }).output();
  const stderr = new TextDecoder().decode(result.stderr);
  assert.equal(result.code, 0, `${script} exited with ${result.code}: ${stderr}`);
  return JSON.parse(new TextDecoder().decode(result.stdout));
}

/** Starts the @tars/rpc echo server (tests/peers/echo_server.cjs) and waits for its port. */
async function startNodeEchoServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const child = new Deno.Command("node", {
    args: ["--no-warnings", new URL("echo_server.cjs", PEERS).pathname],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await child.stdin.close().catch(() => {});
    await child.status;
  };
  let found: ((port: number) => void) | undefined;
  const portSeen = new Promise<number>((r) => (found = r));
  const done = readLines(child.stdout, (line) => {
    const port = Number(JSON.parse(line).port);
    if (port) found?.(port);
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const port = await Promise.race([
      portSeen,
      done.then(() => {
        throw new Error("echo_server.cjs exited before it listened");
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error("echo_server.cjs did not start")),
          PROCESS_TIMEOUT_MS,
        );
      }),
    ]);
    return { port, stop };
  } catch (error) {
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Typed proxies of one registry process. */
function proxies(client: TarsClient, port: number) {
  const at = `@tcp -h 127.0.0.1 -p ${port} -t 5000`;
  return {
    query: client.proxy(QueryF, QUERY_OBJ + at),
    registry: client.proxy(RegistryF, REGISTRY_OBJ + at),
    admin: client.proxy(AdminF, ADMIN_OBJ + at),
  };
}

type Proxies = ReturnType<typeof proxies>;

/** Active and inactive endpoints of an object as sorted `host:port` lists. */
async function lookup(p: Proxies, id: string): Promise<{ active: string[]; inactive: string[] }> {
  const r = await p.query.findObjectById4Any({ id });
  assert.equal(r.ret, 0);
  const hp = (eps: { host: string; port: number }[]) =>
    eps.map((e) => `${e.host}:${e.port}`).sort();
  return { active: hp(r.activeEp), inactive: hp(r.inactiveEp) };
}

type StartupInput = StructInput<typeof OnStartupReq.fields>;

function pod(nodeName: string, overrides: Partial<StartupInput> = {}): StartupInput {
  return {
    nodeName,
    application: "E2e",
    server: "Pod",
    setID: "",
    adapters: [{ servant: "E2e.Pod.Obj", endpoint: `tcp -h ${nodeName} -p 18000 -t 3000` }],
    disableFlow: false,
    State: "active",
    Version: "v1",
    ...overrides,
  };
}

async function refused(call: Promise<unknown>, ...parts: string[]): Promise<TarsCallError> {
  const caught = await callFailure(call);
  assert.notEqual(caught.code, 0);
  for (const part of parts) assert.match(caught.message, new RegExp(part));
  return caught;
}

Deno.test("e2e: the @tars/rpc client uses our QueryF and Registry, and finds a @tars/rpc server through us", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "tarsregistry-e2e-" });
  const echo = await startNodeEchoServer();
  let registry: RegistryProcess | undefined;
  try {
    registry = await startRegistryProcess(["--store", `sqlite:${join(dir, "r.db")}`]);
    const got = await runNodePeer("registry_client.cjs", [
      String(registry.port),
      String(echo.port),
    ]);
    const lists = (ret: number, active: string[], inactive: string[]) => ({
      ret,
      active,
      inactive,
    });

    await t.step("findObjectById gives the active endpoint with every EndpointF field", () => {
      assert.deepEqual(got.findObjectById, ["10.1.0.1:20001"]);
      assert.deepEqual(got.endpointF, {
        host: "10.1.0.1",
        port: 20001,
        timeout: 3000,
        istcp: 1,
        grid: 0,
        groupworkid: -1,
        grouprealid: -1,
        setId: "",
        qos: 0,
        bakFlag: 0,
        weight: -1,
        weightType: 0,
      });
      assert.deepEqual(
        (got.httpObj as { port: number; timeout: number }[]).map((e) => [e.port, e.timeout]),
        [[20002, 3000]],
      );
    });

    await t.step("the 4Any/All/Group lookups split active and traffic-off", () => {
      for (const f of ["findObjectById4Any", "findObjectById4All", "findObjectByIdInSameGroup"]) {
        assert.deepEqual(got[f], lists(0, ["10.1.0.1:20001"], ["10.1.0.2:20001"]), f);
      }
      // No group priority names a station here: -1 and empty lists, as the C++ registry answers.
      assert.deepEqual(got.findObjectByIdInSameStation, lists(-1, [], []));
      assert.deepEqual(got.unknown, lists(0, [], []));
    });

    await t.step("findObjectByIdInSameSet routes by set, * groups, malformed -1", () => {
      assert.deepEqual(got.findObjectByIdInSameSet, {
        "sz.a.1": lists(0, ["10.2.0.1:20003"], []),
        "sz.a.2": lists(0, ["10.2.0.2:20003"], []),
        "sz.a.*": lists(0, ["10.2.0.1:20003", "10.2.0.2:20003"], []),
        "sz.a": lists(-1, [], []),
        "sz.b.1": lists(-1, [], []),
      });
      // An object in no set falls back to the group answer.
      assert.deepEqual(got.setObjNoSet, lists(0, ["10.1.0.1:20001"], ["10.1.0.2:20001"]));
    });

    await t.step("keepAlive with a state moves the pod between the lists", () => {
      assert.deepEqual(
        got.afterKeepAliveInactive,
        lists(0, [], ["10.1.0.1:20001", "10.1.0.2:20001"]),
      );
      assert.deepEqual(got.afterKeepAliveActive, lists(0, ["10.1.0.1:20001"], ["10.1.0.2:20001"]));
    });

    await t.step("registerMetrics feeds getMetricsAdapters, with label filters", () => {
      assert.deepEqual(got.getMetricsAdapters, [
        {
          targets: ["10.1.0.1:9100", "10.1.0.2:9101"],
          labels: { application: "Interop", server: "Peer", set: "" },
        },
        {
          targets: ["10.2.0.1:9102"],
          labels: { application: "Interop", server: "SetSrv", set: "sz.a.1" },
        },
      ]);
      assert.deepEqual(got.getMetricsAdaptersBySet, [
        {
          targets: ["10.2.0.1:9102"],
          labels: { application: "Interop", server: "SetSrv", set: "sz.a.1" },
        },
      ]);
      const unknown = got.registerMetricsUnknown as { code: number; message: string };
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.message, /no server Interop\.Peer is registered on 10\.9\.9\.9/);
    });

    await t.step("onPrestop removes a server, or with the node name only the whole node", () => {
      assert.deepEqual(got.afterPrestop, lists(0, ["10.1.0.1:20001"], []));
      assert.deepEqual(got.afterNodePrestop, lists(0, ["10.2.0.1:20003"], []));
    });

    await t.step("a @tars/rpc client with us as locator calls the @tars/rpc server by name", () => {
      assert.equal(got.located, "found through tarsregistry");
      assert.equal(got.locatedAdd, 42);
    });
  } finally {
    await registry?.kill();
    await echo.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e: our TarsClient registers, looks up, is refused, administers, and reads HTTP", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "tarsregistry-e2e-" });
  const client = new TarsClient({ log: () => {}, timeout: 5000 });
  let registry: RegistryProcess | undefined;
  try {
    registry = await startRegistryProcess([
      "--store",
      `sqlite:${join(dir, "r.db")}`,
      "--advertise",
      "127.0.0.1",
    ]);
    const p = proxies(client, registry.port);
    const obj = "E2e.Pod.Obj";
    const http = (path: string) => fetch(`http://127.0.0.1:${registry!.metricsPort}${path}`);

    await t.step(
      "it registered itself: a lookup of its objects gives its own endpoint",
      async () => {
        for (const id of [QUERY_OBJ, REGISTRY_OBJ]) {
          assert.deepEqual(await lookup(p, id), {
            active: [`127.0.0.1:${registry!.port}`],
            inactive: [],
          });
        }
      },
    );

    await t.step("onStartup → active; disableFlow → inactive", async () => {
      await p.registry.onStartup({ req: pod("10.5.0.1") });
      await p.registry.onStartup({ req: pod("10.5.0.2", { disableFlow: true }) });
      assert.deepEqual(await lookup(p, obj), {
        active: ["10.5.0.1:18000"],
        inactive: ["10.5.0.2:18000"],
      });
      assert.deepEqual((await p.query.findObjectById({ id: obj })).ret.map((e) => e.host), [
        "10.5.0.1",
      ]);
    });

    await t.step("keepAlive with state inactive → inactive; active again → active", async () => {
      const beat = (state: string) =>
        p.registry.keepAlive({
          req: { nodeName: "10.5.0.1", state, application: "E2e", server: "Pod" },
        });
      await beat("inactive");
      assert.deepEqual(await lookup(p, obj), {
        active: [],
        inactive: ["10.5.0.1:18000", "10.5.0.2:18000"],
      });
      await beat("active");
      assert.deepEqual((await lookup(p, obj)).active, ["10.5.0.1:18000"]);
    });

    await t.step("onPrestop → gone from both lists", async () => {
      await p.registry.onPrestop({
        req: { nodeName: "10.5.0.2", application: "E2e", server: "Pod" },
      });
      assert.deepEqual(await lookup(p, obj), { active: ["10.5.0.1:18000"], inactive: [] });
    });

    await t.step(
      "bad requests: TarsCallError with a code and a description, nothing written",
      async () => {
        const status = async () => (await p.admin.notify({ command: "status" })).ret;
        const before = await status();
        const lookupsBefore = await lookup(p, obj);
        // The first adapter is fine, the second is not: neither may be written.
        await refused(
          p.registry.onStartup({
            req: pod("10.5.0.9", {
              adapters: [
                { servant: "E2e.Pod.Obj", endpoint: "tcp -h 10.5.0.9 -p 18000" },
                { servant: "E2e.Pod.BadObj", endpoint: "tcp -h 10.5.0.9 -p notaport" },
              ],
            }),
          }),
          "onStartup",
          'Bad endpoint "tcp -h 10\\.5\\.0\\.9 -p notaport"',
        );
        await refused(
          p.registry.onStartup({ req: pod("10.5.0.9", { State: "sleeping" }) }),
          'Invalid state "sleeping"',
        );
        await refused(p.registry.onStartup({ req: pod("") }), 'Invalid nodeName ""');
        await refused(
          p.registry.keepAlive({
            req: { nodeName: "10.5.0.1", state: "dozing", application: "E2e", server: "Pod" },
          }),
          "keepAlive",
          'Invalid state "dozing"',
        );
        await refused(
          p.registry.keepAlive({ req: { nodeName: "", state: "active" } }),
          "keepAlive",
          'Invalid nodeName ""',
        );
        await refused(
          p.registry.onPrestop({ req: { nodeName: "" } }),
          "onPrestop",
          'Invalid nodeName ""',
        );
        await refused(
          p.registry.registerMetrics({
            req: { nodeName: "", application: "E2e", server: "Pod", metricsPort: 9 },
          }),
          "registerMetrics",
          'Invalid nodeName ""',
        );
        assert.equal(await status(), before);
        assert.deepEqual(await lookup(p, obj), lookupsBefore);
        assert.deepEqual(await lookup(p, "E2e.Pod.BadObj"), { active: [], inactive: [] });
        assert.deepEqual((await p.query.findObjectById({ id: obj })).ret.map((e) => e.host), [
          "10.5.0.1",
        ]);
      },
    );

    await t.step("HTTP: /metrics counters, /targets groups, /healthz", async () => {
      await p.registry.registerMetrics({
        req: { nodeName: "10.5.0.1", application: "E2e", server: "Pod", metricsPort: 9200 },
      });
      const metrics = await (await http("/metrics")).text();
      for (
        const line of [
          /^tarsregistry_calls_total\{method="onStartup",kind="registration"\} 5$/m,
          /^tarsregistry_call_errors_total\{method="onStartup"\} 3$/m,
          /^tarsregistry_calls_total\{method="keepAlive",kind="heartbeat"\} 4$/m,
          /^tarsregistry_calls_total\{method="onPrestop",kind="deregistration"\} 2$/m,
          /^tarsregistry_calls_total\{method="findObjectById4Any",kind="lookup"\} \d+$/m,
          /^tarsregistry_call_duration_seconds_count\{method="onStartup"\} 5$/m,
          // The pod, the registry and its admin registry.
          /^tarsregistry_servers 3$/m,
          /^tarsregistry_endpoints\{active="true"\} 4$/m,
        ]
      ) assert.match(metrics, line);
      const targets = await (await http("/targets")).json();
      assert.deepEqual(
        targets.sort((a: { labels: { server: string } }, b: { labels: { server: string } }) =>
          a.labels.server.localeCompare(b.labels.server)
        ),
        [
          { targets: ["10.5.0.1:9200"], labels: { application: "E2e", server: "Pod", set: "" } },
          {
            targets: [`127.0.0.1:${registry!.metricsPort}`],
            labels: { application: "tars", server: "tarsregistry", set: "" },
          },
        ],
      );
      const health = await http("/healthz");
      assert.equal(health.status, 200);
      assert.equal(await health.text(), "ok\n");
      const missing = await http("/nope");
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
    });

    await t.step("AdminObj: status counts; clean is a dry run unless told n", async () => {
      assert.equal(
        (await p.admin.notify({ command: "status" })).ret,
        "nodes=2 servers=3 adapters=4 config_files=0 active_endpoints=4 inactive_endpoints=0 store=sqlite",
      );
      const dryDefault = (await p.admin.notify({ command: "clean" })).ret;
      assert.match(dryDefault, /^Would remove 0 node\(s\)/);
      assert.match(dryDefault, /Dry run: nothing removed/);
      // Every node sent a heartbeat within --node-timeout: nothing goes.
      const past = new Date(Date.now() - 300_000).toISOString().slice(0, 19).replace("T", " ");
      const wet = (await p.admin.notify({ command: `clean n ${past}` })).ret;
      assert.match(wet, /^Removed 0 node\(s\)/);
      assert.match(wet, /Deleted\.$/);
      assert.deepEqual((await lookup(p, obj)).active, ["10.5.0.1:18000"]);
      assert.equal(
        (await p.admin.notify({ command: "frobnicate" })).ret,
        "frobnicate not support now!",
      );
      await refused(p.admin.notify({ command: "clean n 2026-13-45" }), "Bad time");
    });

    await t.step("clean refuses a future time: every live pod stays", async () => {
      // Every heartbeat is older than tomorrow: this used to remove every node, the registry's too.
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      await refused(
        p.admin.notify({ command: `clean n ${tomorrow}` }),
        "later than now minus --node-timeout",
      );
      await refused(
        p.admin.notify({ command: "clean n 2999-01-01" }),
        "Invalid time 2999-01-01T00:00:00\\.000Z",
      );
      assert.match((await p.admin.notify({ command: "status" })).ret, /^nodes=2 servers=3 /);
      assert.deepEqual((await lookup(p, obj)).active, ["10.5.0.1:18000"]);
      assert.deepEqual((await lookup(p, QUERY_OBJ)).active, [`127.0.0.1:${registry!.port}`]);
    });
  } finally {
    await client.close();
    await registry?.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("e2e: SQLite keeps every acknowledged registration across kill -9; SIGTERM deregisters itself", async (t) => {
  const N = 200;
  const dir = await Deno.makeTempDir({ prefix: "tarsregistry-e2e-" });
  const db = join(dir, "r.db");
  const client = new TarsClient({ log: () => {}, timeout: 5000 });
  const running: RegistryProcess[] = [];
  const node = (i: number) => `10.7.${i >> 8}.${i & 255}`;
  const selfServers = async () => {
    const store = SqliteStore.open(db, { now: Date.now });
    try {
      const snap = await readSnapshot(store);
      return {
        self: snap.servers.filter((s) => s.application === "tars" && s.server === "tarsregistry"),
        pods: snap.servers.filter((s) => s.application === "E2e").length,
      };
    } finally {
      await store.close();
    }
  };
  try {
    const first = await startRegistryProcess([
      "--store",
      `sqlite:${db}`,
      "--advertise",
      "127.0.0.1",
    ]);
    running.push(first);
    const p1 = proxies(client, first.port);

    await t.step(`${N} registrations acknowledged, then kill -9`, async () => {
      for (let i = 0; i < N; i += 20) {
        await Promise.all(
          Array.from({ length: 20 }, (_, k) => p1.registry.onStartup({ req: pod(node(i + k)) })),
        );
      }
      assert.equal((await lookup(p1, "E2e.Pod.Obj")).active.length, N);
      const status = await first.kill();
      assert.equal(status.signal, "SIGKILL");
      // Killed: its own registration is still in the file.
      assert.deepEqual((await selfServers()).self.length, 1);
    });

    // Restarted on its port: the same replica (its node is 127.0.0.1:PORT).
    const second = await startRegistryProcess([
      "--store",
      `sqlite:${db}`,
      "--advertise",
      "127.0.0.1",
    ], { port: first.port });
    running.push(second);
    const p2 = proxies(client, second.port);

    await t.step(`after restart all ${N} are in lookups`, async () => {
      const { active, inactive } = await lookup(p2, "E2e.Pod.Obj");
      assert.equal(active.length, N);
      assert.deepEqual(inactive, []);
      assert.deepEqual(
        active,
        Array.from({ length: N }, (_, i) => `${node(i)}:18000`).sort(),
      );
      // Its own registration replaced the dead process's.
      assert.deepEqual(await lookup(p2, QUERY_OBJ), {
        active: [`127.0.0.1:${second.port}`],
        inactive: [],
      });
    });

    await t.step("SIGTERM: exit 0 and its own registration removed, the pods kept", async () => {
      const status = await second.terminate();
      assert.equal(status.code, 0, `exit ${status.code}`);
      assert.ok(second.stdout.includes("tarsregistry stopped"), second.stdout.join("\n"));
      assert.deepEqual(await selfServers(), { self: [], pods: N });
    });
  } finally {
    await client.close();
    for (const r of running) await r.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

const REPLICAS_TEST =
  "e2e: two registries on one MariaDB see each other's writes within the reload interval, " +
  "deletions within a few, and a write committed late";
Deno.test({
  name: REPLICAS_TEST,
  ignore: skipWhen(REPLICAS_TEST, mariadbMissing(Deno.env)),
  async fn(t) {
    const mariadb = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
    const client = new TarsClient({ log: () => {}, timeout: 5000 });
    const running: RegistryProcess[] = [];
    // Reads of what changed only: a whole read would hide what they miss.
    const intervals = ["--reload-interval", "1s", "--full-reload-interval", "1h"];
    let root: mysql.Connection | undefined;
    try {
      const a = await startRegistryProcess([
        "--store",
        mariadb.url,
        "--init-db",
        ...intervals,
        "--advertise",
        "127.0.0.1",
      ]);
      running.push(a);
      // The second one takes the original's DB_DSN form instead of --store.
      const url = new URL(mariadb.url);
      const dsn = `${decodeURIComponent(url.username)}:${
        decodeURIComponent(url.password)
      }@tcp(${url.host})/db_tars`;
      const b = await startRegistryProcess(
        [...intervals, "--advertise", "127.0.0.2"],
        { env: { DB_DSN: dsn, TARS_REGISTRY_STORE: "" } },
      );
      running.push(b);
      assert.match(
        b.stdout.find((line) => line.startsWith("tarsregistry listening")) ?? "",
        /\(store mysql:\/\/tars:\*\*\*@127\.0\.0\.1:\d+\/db_tars\)$/,
      );
      const pa = proxies(client, a.port);
      const pb = proxies(client, b.port);
      const obj = "E2e.Pod.Obj";
      const timings: string[] = [];

      await t.step("each sees the other's own registration", async () => {
        const both = [`127.0.0.1:${a.port}`, `127.0.0.2:${b.port}`].sort();
        for (const p of [pa, pb]) {
          await eventually(
            REPLICA_VISIBLE_MS,
            "both replicas registered",
            async () =>
              JSON.stringify((await lookup(p, QUERY_OBJ)).active) === JSON.stringify(both),
          );
        }
      });

      await t.step("a registration on A shows through B's QueryF within 3 s", async () => {
        await pa.registry.onStartup({ req: pod("10.6.0.1") });
        const ms = await eventually(
          REPLICA_VISIBLE_MS,
          "registration on B",
          async () => (await lookup(pb, obj)).active.includes("10.6.0.1:18000"),
        );
        timings.push(`A→B ${ms.toFixed(0)} ms`);
        assert.deepEqual(await lookup(pb, obj), { active: ["10.6.0.1:18000"], inactive: [] });
      });

      await t.step("and one on B shows through A", async () => {
        await pb.registry.onStartup({ req: pod("10.6.0.2", { disableFlow: true }) });
        const ms = await eventually(
          REPLICA_VISIBLE_MS,
          "registration on A",
          async () => (await lookup(pa, obj)).inactive.includes("10.6.0.2:18000"),
        );
        timings.push(`B→A ${ms.toFixed(0)} ms`);
      });

      await t.step("a prestop on A disappears on B", async () => {
        await pa.registry.onPrestop({
          req: { nodeName: "10.6.0.1", application: "E2e", server: "Pod" },
        });
        const ms = await eventually(
          REPLICA_DELETION_MS,
          "prestop on B",
          async () => (await lookup(pb, obj)).active.length === 0,
        );
        timings.push(`prestop A→B ${ms.toFixed(0)} ms`);
        assert.deepEqual(await lookup(pb, obj), { active: [], inactive: ["10.6.0.2:18000"] });
      });

      await t.step("rows another tool deletes disappear on both", async () => {
        await pa.registry.onStartup({ req: pod("10.6.0.3") });
        for (const p of [pa, pb]) {
          await eventually(
            REPLICA_VISIBLE_MS,
            "the new pod on both",
            async () => (await lookup(p, obj)).active.includes("10.6.0.3:18000"),
          );
        }
        await mariadb.rootQuery(
          "db_tars",
          "DELETE FROM t_adapter_conf WHERE node_name = '10.6.0.3'",
        );
        for (const [name, p] of [["A", pa], ["B", pb]] as const) {
          const ms = await eventually(
            REPLICA_DELETION_MS,
            `the deleted adapter gone from ${name}`,
            async () => !(await lookup(p, obj)).active.includes("10.6.0.3:18000"),
          );
          timings.push(`SQL DELETE→${name} ${ms.toFixed(0)} ms`);
        }
      });

      await t.step("a write committed after B read past its time is still picked up", async () => {
        await pa.registry.onStartup({ req: pod("10.6.0.4") });
        await eventually(
          REPLICA_VISIBLE_MS,
          "the pod on B",
          async () => (await lookup(pb, obj)).active.includes("10.6.0.4:18000"),
        );
        // A slow transaction: its row is stamped now, committed only after B's next reads.
        root = await mysql.createConnection({
          socketPath: mariadb.socket,
          user: "root",
          database: "db_tars",
        });
        // Row locks only: the registrations meanwhile must not wait on this transaction.
        await root.query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
        await root.query("START TRANSACTION");
        await root.query(
          `UPDATE t_server_conf SET present_state = 'inactive', registry_timestamp = NOW()
            WHERE node_name = '10.6.0.4'`,
        );
        // B has read past the slow row's time once a later registration shows there.
        await delay(1100);
        await pa.registry.onStartup({ req: pod("10.6.0.5") });
        await eventually(
          REPLICA_VISIBLE_MS,
          "a later pod on B",
          async () => (await lookup(pb, obj)).active.includes("10.6.0.5:18000"),
        );
        await delay(1100);
        assert.ok((await lookup(pb, obj)).active.includes("10.6.0.4:18000"), "not committed yet");
        await root.query("COMMIT");
        const ms = await eventually(
          REPLICA_VISIBLE_MS,
          "the late commit on B",
          async () => (await lookup(pb, obj)).inactive.includes("10.6.0.4:18000"),
        );
        timings.push(`late commit→B ${ms.toFixed(0)} ms`);
      });

      await t.step("SIGTERM on A: exit 0, and B stops listing A's endpoint", async () => {
        const status = await a.terminate();
        assert.equal(status.code, 0);
        const ms = await eventually(
          REPLICA_DELETION_MS,
          "A's deregistration on B",
          async () =>
            JSON.stringify(await lookup(pb, QUERY_OBJ)) ===
              JSON.stringify({ active: [`127.0.0.2:${b.port}`], inactive: [] }),
        );
        timings.push(`SIGTERM A→B ${ms.toFixed(0)} ms`);
        const rows = await mariadb.rootQuery(
          "db_tars",
          "SELECT node_name FROM t_server_conf WHERE application='tars' AND server_name='tarsregistry'",
        ) as { node_name: string }[];
        assert.deepEqual(rows.map((r) => r.node_name), [`127.0.0.2:${b.port}`]);
      });
      console.log(`replica visibility: ${timings.join(", ")}`);
    } finally {
      await root?.end();
      await client.close();
      for (const r of running) await r.kill();
      await mariadb.stop();
    }
  },
});

Deno.test("e2e: a pod without a heartbeat for --node-timeout turns inactive, a heartbeat revives it, clean removes it but never a live node", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tarsregistry-e2e-" });
  const client = new TarsClient({ log: () => {}, timeout: 5000 });
  let registry: RegistryProcess | undefined;
  try {
    registry = await startRegistryProcess([
      "--store",
      `sqlite:${join(dir, "r.db")}`,
      "--node-timeout",
      "1s",
    ]);
    const p = proxies(client, registry.port);
    await p.registry.onStartup({ req: pod("10.4.0.1") });
    assert.deepEqual(await lookup(p, "E2e.Pod.Obj"), { active: ["10.4.0.1:18000"], inactive: [] });
    await eventually(
      REPLICA_VISIBLE_MS,
      "the silent pod turning inactive",
      async () => (await lookup(p, "E2e.Pod.Obj")).inactive.length === 1,
    );
    // Nothing was deleted: the endpoint is still listed, and one heartbeat brings it back.
    await p.registry.keepAlive({ req: { nodeName: "10.4.0.1", state: "active" } });
    assert.deepEqual(await lookup(p, "E2e.Pod.Obj"), { active: ["10.4.0.1:18000"], inactive: [] });
    // clean as late as it may (now minus --node-timeout) removes the silent pod only: the
    // registry's own node sends a heartbeat every 333 ms and stays.
    await eventually(
      REPLICA_VISIBLE_MS,
      "the pod turning inactive again",
      async () => (await lookup(p, "E2e.Pod.Obj")).inactive.length === 1,
    );
    await delay(1000);
    const limit = new Date(Date.now() - 1000).toISOString().slice(0, 19).replace("T", " ");
    const cleaned = (await p.admin.notify({ command: `clean n ${limit}` })).ret;
    assert.match(cleaned, /^Removed 1 node\(s\)/);
    assert.match(cleaned, /^10\.4\.0\.1$/m);
    assert.deepEqual(await lookup(p, "E2e.Pod.Obj"), { active: [], inactive: [] });
    assert.deepEqual((await lookup(p, QUERY_OBJ)).active, [`127.0.0.1:${registry.port}`]);
  } finally {
    await client.close();
    await registry?.kill();
    await Deno.remove(dir, { recursive: true });
  }
});
