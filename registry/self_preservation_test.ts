import assert from "node:assert/strict";
import { fakeClock } from "../tests/support/fake_clock.ts";
import { mariadbMissing, mariadbSearchPath, startMariadb } from "../tests/support/mariadb.ts";
import { skipWhen } from "../tests/support/skip.ts";
import { readSnapshot } from "../tests/support/store_snapshot.ts";
import { RegistryService } from "./registry_service.ts";
import { countHeartbeats } from "./self_preservation.ts";
import { MysqlStore } from "./store/mysql_store.ts";
import { SqliteStore } from "./store/sqlite_store.ts";
import type { NodeRecord } from "./store/mod.ts";
import type { StartupRequest } from "./validate.ts";

const T = 250_000;
const OBJ = "Test.Hello.HelloObj";
const ip = (i: number) => `10.1.${i >> 8}.${i & 255}`;

function pod(nodeName: string): StartupRequest {
  return {
    nodeName,
    application: "Test",
    server: "Hello",
    adapters: [{ servant: OBJ, endpoint: `tcp -h ${nodeName} -p 10000 -t 30000` }],
    state: "active",
  };
}

/** A registry on a fake clock with `--node-timeout` 250 s and the rate given (default 30%). */
async function open(options: { rate?: number } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "self_preservation_test_" });
  const clock = fakeClock(Date.UTC(2026, 10, 23, 12));
  const store = SqliteStore.open(`${dir}/registry.db`, { now: clock.now });
  const logged: string[] = [];
  const service = await RegistryService.open(store, {
    now: clock.now,
    log: (line) => logged.push(line),
    nodeTimeout: T,
    expiryProtectRate: options.rate ?? 0.3,
  });
  const nodes = (from: number, to: number) =>
    Array.from({ length: to - from }, (_, k) => ip(from + k));
  return {
    service,
    store,
    clock,
    logged,
    nodes,
    async register(from: number, to: number) {
      for (const node of nodes(from, to)) await service.onStartup(pod(node));
    },
    async beat(from: number, to: number) {
      for (const node of nodes(from, to)) {
        await service.keepAlive({ nodeName: node, state: "active" });
      }
    },
    /** The hosts of the object lookups answer active, sorted. */
    active: () => service.find(OBJ).activeEp.map((e) => e.host).sort(),
    inactive: () => service.find(OBJ).inactiveEp.map((e) => e.host).sort(),
    /** Node names by present state in the store. */
    async stored(state: "active" | "inactive") {
      return (await readSnapshot(store)).nodes.filter((n) => n.presentState === state)
        .map((n) => n.nodeName).sort();
    },
    async close() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** The pods' heartbeats over `ms`, every 30 s, for `from..to`, each followed by a node check. */
async function passTime(
  r: Awaited<ReturnType<typeof open>>,
  ms: number,
  beating: [number, number],
) {
  for (let left = ms; left > 0; left -= 30_000) {
    r.clock.advance(Math.min(30_000, left));
    await r.beat(...beating);
    await r.service.refresh();
  }
}

const sorted = (list: string[]) => [...list].sort();

Deno.test("self-preservation: what counts as a stopped heartbeat", () => {
  const now = 10_000_000;
  const node = (name: string, state: "active" | "inactive", silent: number): NodeRecord => ({
    nodeName: name,
    presentState: state,
    lastHeartbeat: now - silent,
    nodeObj: "",
  });
  const count = countHeartbeats([
    node("heard", "active", T / 2),
    node("quiet", "active", T / 2 + 1),
    node("overdue", "active", T + 1),
    // Silent for an hour and still active: the registry could not hear it (stopped, hung).
    node("unheard", "active", 3_600_000),
    node("expired lately", "inactive", 1.5 * T),
    node("expired long ago", "inactive", 1.5 * T + 1),
  ], { now, nodeTimeout: T });
  assert.deepEqual(count, { heard: 1, stopped: 4, overdue: 2 });
});

Deno.test("self-preservation: 20 pods stopping at once stay answered and are not expired", async (t) => {
  const r = await open();
  try {
    await r.register(0, 30);
    // 10 pods go on heartbeating; the other 20 stop at once (their last heartbeats spread over
    // one report interval, as pods' are).
    for (let i = 0; i < 20; i++) {
      r.clock.advance(1500);
      await r.beat(i, i + 1);
    }
    await t.step("the mode begins before any of them is overdue", async () => {
      await passTime(r, T / 2 + 10_000, [20, 30]);
      assert.equal(r.service.selfPreservation.holding, true);
      // The first check that sees more than 30% of them silent for T/2 holds: some of the 20
      // are not that silent yet, and none is overdue.
      assert.equal(r.logged.length, 1);
      assert.match(
        r.logged[0],
        /^Self-preservation on: the heartbeats of 1\d of 30 nodes stopped \(\d+%, more than --expiry-protect-rate 30%, at once\): no node expires and lookups answer them as before, until their heartbeats return or the share falls to 30%$/,
      );
      assert.equal(r.service.selfPreservation.overdue, 0);
      assert.deepEqual(r.active(), sorted(r.nodes(0, 30)));
    });

    await t.step(
      "past --node-timeout they are answered active, and stay active in the store",
      async () => {
        await passTime(r, T, [20, 30]);
        assert.deepEqual(r.active(), sorted(r.nodes(0, 30)));
        assert.deepEqual(await r.stored("inactive"), []);
        assert.deepEqual(r.service.selfPreservation, {
          holding: true,
          stopped: 20,
          heard: 10,
          overdue: 20,
          share: 20 / 30,
          rate: 0.3,
        });
        assert.equal(
          r.service.selfPreservationProblem(),
          "self-preservation: the heartbeats of 20 of 30 nodes (pods) stopped at once (67%, more " +
            "than --expiry-protect-rate 30%); 20 of them overdue (no heartbeat for " +
            "--node-timeout) are held: answered as before and not expired, until their heartbeats " +
            "return or the share falls to 30%",
        );
        const gauges = r.service.gauges();
        assert.deepEqual([gauges.selfPreservation, gauges.stoppedNodes, gauges.heldNodes], [
          true,
          20,
          20,
        ]);
        assert.equal(gauges.activeEndpoints, 30);
        // The pods' node objects and servers are alive too, as they were.
        assert.ok(r.service.servers().every((v) => v.active));
      },
    );

    await t.step("pods that leave by onPrestop or the console are not held", async () => {
      await r.service.onPrestop({ nodeName: ip(0), application: "Test", server: "Hello" });
      await r.service.setSettingState(
        { nodeName: ip(1), application: "Test", server: "Hello" },
        "inactive",
      );
      assert.ok(!r.active().includes(ip(0)) && !r.inactive().includes(ip(0)));
      assert.deepEqual(r.inactive(), [ip(1)]);
      await r.service.refresh();
      assert.equal(r.service.selfPreservation.stopped, 19);
    });

    await t.step("their heartbeats return: the mode ends, nothing expired", async () => {
      await r.beat(1, 20);
      await r.service.refresh();
      assert.equal(r.service.selfPreservation.holding, false);
      assert.match(r.logged.at(-1)!, /^Self-preservation off: the heartbeats of 0 of 29 nodes/);
      assert.deepEqual(await r.stored("inactive"), []);
      assert.deepEqual(r.active(), sorted(r.nodes(2, 30)));
    });
  } finally {
    await r.close();
  }
});

Deno.test("self-preservation: the mode ends when the share falls, and the held pods expire then", async () => {
  const r = await open();
  try {
    await r.register(0, 30);
    await passTime(r, T + 30_000, [20, 30]);
    assert.equal(r.service.selfPreservation.holding, true);
    assert.deepEqual(r.active(), sorted(r.nodes(0, 30)));
    // New pods in place of the stopped ones: 20 stopped of 71 is under 30%.
    await r.register(30, 71);
    await r.service.refresh();
    assert.equal(r.service.selfPreservation.holding, false);
    assert.equal(
      r.logged.at(-1),
      "Self-preservation off: the heartbeats of 20 of 71 nodes stopped (28%, not more than " +
        "--expiry-protect-rate 30%, or fewer than 2): 20 overdue node(s) expire as usual",
    );
    assert.deepEqual(await r.stored("inactive"), sorted(r.nodes(0, 20)));
    assert.deepEqual(r.inactive(), sorted(r.nodes(0, 20)));
    assert.deepEqual(r.active(), sorted(r.nodes(20, 71)));
    // Expired, they still count for half a node-timeout: the mode does not come back for them.
    await r.service.refresh();
    assert.equal(r.service.selfPreservation.holding, false);
  } finally {
    await r.close();
  }
});

Deno.test("self-preservation: a pod that stops alone expires as before", async () => {
  const r = await open();
  try {
    await r.register(0, 20);
    r.clock.advance(T + 1);
    await r.beat(1, 20);
    // Lookups take it out at --node-timeout, before the node check marks it.
    assert.deepEqual(r.inactive(), [ip(0)]);
    await r.service.refresh();
    assert.equal(r.service.selfPreservation.holding, false);
    assert.deepEqual(await r.stored("inactive"), [ip(0)]);
    assert.deepEqual(r.logged, []);
  } finally {
    await r.close();
  }
});

Deno.test("self-preservation: pods that leave by onPrestop together are not a mass stop", async () => {
  const r = await open();
  try {
    await r.register(0, 20);
    for (const node of r.nodes(0, 15)) {
      await r.service.keepAlive({ nodeName: node, state: "deactivating" });
      await r.service.onPrestop({ nodeName: node, application: "Test", server: "Hello" });
    }
    await passTime(r, T + 30_000, [15, 20]);
    assert.equal(r.service.selfPreservation.holding, false);
    assert.deepEqual(r.service.selfPreservation.stopped, 0);
    assert.deepEqual(r.active(), sorted(r.nodes(15, 20)));
  } finally {
    await r.close();
  }
});

Deno.test("self-preservation: --expiry-protect-rate 0 turns it off", async () => {
  const r = await open({ rate: 0 });
  try {
    await r.register(0, 30);
    await passTime(r, T + 30_000, [20, 30]);
    assert.equal(r.service.selfPreservation.holding, false);
    assert.deepEqual(await r.stored("inactive"), sorted(r.nodes(0, 20)));
    assert.deepEqual(r.active(), sorted(r.nodes(20, 30)));
    assert.equal(r.service.selfPreservationProblem(), undefined);
  } finally {
    await r.close();
  }
});

Deno.test("self-preservation: a registry that starts on a store whose pods fell silent holds them until they return", async () => {
  const dir = await Deno.makeTempDir({ prefix: "self_preservation_test_" });
  const clock = fakeClock(Date.UTC(2026, 10, 23, 12));
  const path = `${dir}/registry.db`;
  try {
    const before = SqliteStore.open(path, { now: clock.now });
    const first = await RegistryService.open(before, { now: clock.now, nodeTimeout: T });
    for (let i = 0; i < 10; i++) await first.onStartup(pod(ip(i)));
    await before.close();
    // The registry was down for an hour: no pod could send a heartbeat.
    clock.advance(3_600_000);
    const store = SqliteStore.open(path, { now: clock.now });
    try {
      const logged: string[] = [];
      const service = await RegistryService.open(store, {
        now: clock.now,
        nodeTimeout: T,
        expiryProtectRate: 0.3,
        log: (line) => logged.push(line),
      });
      assert.equal(service.find(OBJ).activeEp.length, 10, "answered from the first lookup on");
      assert.match(logged[0], /^Self-preservation on: the heartbeats of 10 of 10 nodes/);
      for (let i = 0; i < 8; i++) await service.keepAlive({ nodeName: ip(i), state: "active" });
      await service.refresh();
      // 2 of 10 still silent: under 30%, so those two expire.
      assert.equal(service.selfPreservation.holding, false);
      assert.deepEqual(service.find(OBJ).inactiveEp.map((e) => e.host).sort(), [ip(8), ip(9)]);
    } finally {
      await store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const SHARED =
  "self-preservation on one MariaDB: replicas decide alike, a restarted one too; a writer that does not hold wins";
Deno.test({
  name: SHARED,
  ignore: skipWhen(SHARED, mariadbMissing(Deno.env)),
  async fn(t) {
    const mariadb = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
    const clock = fakeClock(Date.UTC(2026, 10, 23, 12));
    const stores: MysqlStore[] = [];
    const replica = async (rate: number) => {
      const store = await MysqlStore.open(mariadb.url, {
        now: clock.now,
        initDb: true,
        pinClock: true,
      });
      stores.push(store);
      return await RegistryService.open(store, {
        now: clock.now,
        nodeTimeout: T,
        expiryProtectRate: rate,
        log: () => {},
      });
    };
    const active = (s: RegistryService) => s.find(OBJ).activeEp.map((e) => e.host).sort();
    const stored = async () =>
      (await mariadb.rootQuery(
        "db_tars",
        "SELECT node_name FROM t_node_info WHERE present_state = 'inactive' ORDER BY node_name",
      ) as { node_name: string }[]).map((row) => row.node_name);
    try {
      const a = await replica(0.3);
      const b = await replica(0.3);
      const all = Array.from({ length: 30 }, (_, i) => ip(i));
      for (const node of all) await a.onStartup(pod(node));
      // 20 stop at once; the other 10 heartbeat through B.
      for (let left = T + 60_000; left > 0; left -= 30_000) {
        clock.advance(30_000);
        for (const node of all.slice(20)) await b.keepAlive({ nodeName: node, state: "active" });
        await a.refresh();
        await b.refresh();
      }
      await t.step("both hold, and neither writes an inactive state", async () => {
        assert.equal(a.selfPreservation.holding, true);
        assert.equal(b.selfPreservation.holding, true);
        assert.deepEqual(a.selfPreservation.overdue, 20);
        assert.deepEqual(await stored(), []);
        assert.deepEqual(active(a), sorted(all));
        assert.deepEqual(active(b), sorted(all));
      });
      await t.step("a replica started now holds from its first lookup", async () => {
        const c = await replica(0.3);
        assert.equal(c.selfPreservation.holding, true);
        assert.deepEqual(active(c), sorted(all));
      });
      await t.step(
        "a node check that does not hold (rate 0) marks them; the others follow",
        async () => {
          const off = await replica(0);
          await off.refresh();
          assert.deepEqual(await stored(), sorted(all.slice(0, 20)));
          await a.refresh();
          assert.deepEqual(active(a), sorted(all.slice(20)));
        },
      );
    } finally {
      for (const store of stores) await store.close();
      await mariadb.stop();
    }
  },
});
