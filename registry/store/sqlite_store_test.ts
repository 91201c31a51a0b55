import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { type GroupCommit, SqliteStore } from "./sqlite_store.ts";
import type { KeepAliveResult } from "./types.ts";
import { keepAliveRows, prestopTarget, startupRows } from "../validate.ts";
import { type FakeClock, fakeClock } from "../../tests/support/fake_clock.ts";
import { readSnapshot } from "../../tests/support/store_snapshot.ts";

const WRITER = new URL("./testdata/write_registrations.ts", import.meta.url);

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "tars-sqlite-" });
}

/** Whether `promise` settles within a few event-loop turns (no timer involved). */
async function settlesSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => (settled = true), () => (settled = true));
  for (let turn = 0; turn < 5 && !settled; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  return settled;
}

/** A store on a temp file with `nodes` registered nodes, and a second connection to read it. */
async function withNodes(
  options: { nodes: number; batching?: GroupCommit },
  test: (
    store: SqliteStore,
    context: { db: DatabaseSync; clock: FakeClock; node: (i: number) => string },
  ) => Promise<void>,
): Promise<void> {
  const dir = await tempDir();
  const path = join(dir, "registry.db");
  const clock = fakeClock(1000);
  const store = SqliteStore.open(path, { now: clock.now, batching: options.batching });
  const db = new DatabaseSync(path);
  const node = (i: number) => `10.9.0.${i}`;
  try {
    for (let i = 0; i < options.nodes; i++) {
      await store.onStartup(startupRows({ nodeName: node(i), application: "A", server: "S" }));
    }
    clock.advance(1000);
    await test(store, { db, clock, node });
  } finally {
    db.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** Last heartbeat of every node, as committed (read through a second connection). */
function heartbeats(db: DatabaseSync): Record<string, number> {
  const rows = db.prepare("SELECT node_name, last_heartbeat FROM t_node_info").all() as {
    node_name: string;
    last_heartbeat: number;
  }[];
  return Object.fromEntries(rows.map((row) => [row.node_name, Number(row.last_heartbeat)]));
}

/** A window no test waits out: a held heartbeat commits only on a full batch or another write. */
const HOLD: GroupCommit = { windowMs: 600_000, batchSize: 4 };

Deno.test("SQLite store: group commit", async (t) => {
  const beat = (store: SqliteStore, nodeName: string, state = "active") =>
    store.keepAlive(keepAliveRows({ nodeName, state, application: "A", server: "S" }));

  await t.step("a lone caller's heartbeats commit at once, each before it resolves", async () => {
    await withNodes({ nodes: 3, batching: HOLD }, async (store, { db, clock, node }) => {
      for (let i = 0; i < 10; i++) {
        if (i > 0) clock.advance(1);
        const call = beat(store, node(i % 3));
        assert.ok(await settlesSoon(call), `heartbeat ${i} waited for the window`);
        assert.deepStrictEqual(await call, { node: true, servers: 1 });
        assert.equal(heartbeats(db)[node(i % 3)], 2000 + i);
      }
    });
  });

  await t.step("after a shared commit, heartbeats wait for a full batch", async () => {
    await withNodes({ nodes: 6, batching: HOLD }, async (store, { db, node }) => {
      await Promise.all([beat(store, node(0)), beat(store, node(1))]);
      const held = beat(store, node(2));
      assert.equal(await settlesSoon(held), false);
      assert.equal(heartbeats(db)[node(2)], 1000, "a held heartbeat is not committed yet");
      const rest = [3, 4, 5].map((i) => beat(store, node(i)));
      for (const call of [held, ...rest]) assert.ok(await settlesSoon(call));
      const committed = heartbeats(db);
      assert.deepStrictEqual([2, 3, 4, 5].map((i) => committed[node(i)]), [2000, 2000, 2000, 2000]);
    });
  });

  await t.step(
    "the window commits a partial batch, then a lone heartbeat goes at once",
    async () => {
      await withNodes(
        { nodes: 4, batching: { windowMs: 1, batchSize: 100 } },
        async (store, { db, node }) => {
          await Promise.all([beat(store, node(0)), beat(store, node(1))]);
          await beat(store, node(2));
          assert.equal(heartbeats(db)[node(2)], 2000);
          assert.ok(await settlesSoon(beat(store, node(3))));
        },
      );
    },
  );

  await t.step("another write commits the held calls before itself", async () => {
    await withNodes({ nodes: 3, batching: HOLD }, async (store, { db, node }) => {
      await Promise.all([beat(store, node(0)), beat(store, node(1))]);
      const order: string[] = [];
      const held = store.onPrestop(prestopTarget({ nodeName: node(2) })).then(() =>
        order.push("onPrestop")
      );
      const found = await store.registerMetrics({
        nodeName: node(2),
        application: "A",
        server: "S",
        metricsPort: 9100,
      });
      order.push("registerMetrics");
      await held;
      assert.deepStrictEqual(order, ["onPrestop", "registerMetrics"]);
      assert.equal(found, false, "the prestop committed first");
      assert.equal(heartbeats(db)[node(2)], undefined);
    });
  });

  await t.step(
    "onStartup and onPrestop share the commit with heartbeats, in the order they came",
    async () => {
      await withNodes({ nodes: 3, batching: HOLD }, async (store, { db, node }) => {
        await Promise.all([beat(store, node(0)), beat(store, node(1))]);
        const calls = [
          store.onStartup(startupRows({ nodeName: node(7), application: "A", server: "S" })),
          beat(store, node(7), "inactive"),
          store.onPrestop(prestopTarget({ nodeName: node(0), application: "A", server: "S" })),
        ];
        for (const call of calls) assert.equal(await settlesSoon(call), false);
        assert.deepStrictEqual(Object.keys(heartbeats(db)).sort(), [node(0), node(1), node(2)]);
        calls.push(beat(store, node(1))); // the fourth: a full batch
        const [startup, keepAlive, prestop] = await Promise.all(calls);
        assert.equal(startup, undefined);
        assert.deepStrictEqual(keepAlive, { node: true, servers: 1 });
        assert.deepStrictEqual(prestop, { servers: 1, adapters: 0, node: true });
        assert.deepStrictEqual(Object.keys(heartbeats(db)).sort(), [node(1), node(2), node(7)]);
        const state = db.prepare("SELECT present_state FROM t_server_conf WHERE node_name = ?")
          .get(node(7)) as { present_state: string };
        assert.equal(state.present_state, "inactive", "the heartbeat ran after the registration");
      });
    },
  );

  await t.step("a failing onStartup leaves nothing of itself; its batch commits", async () => {
    await withNodes({ nodes: 2 }, async (store, { db, node }) => {
      // The node and server rows are written first, then its adapter fails.
      db.exec(`CREATE TRIGGER fail_adapter BEFORE INSERT ON t_adapter_conf
        WHEN NEW.node_name = '${node(8)}' BEGIN SELECT RAISE(ABORT, 'forced failure'); END`);
      const pod = (i: number) =>
        startupRows({
          nodeName: node(i),
          application: "A",
          server: "S",
          adapters: [{ servant: "A.S.Obj", endpoint: `tcp -h ${node(i)} -p 1` }],
        });
      const results = await Promise.allSettled([
        store.onStartup(pod(7)),
        store.onStartup(pod(8)),
        beat(store, node(0)),
        store.onStartup(pod(9)),
      ]);
      assert.deepStrictEqual(results.map((r) => r.status), [
        "fulfilled",
        "rejected",
        "fulfilled",
        "fulfilled",
      ]);
      const servers = db.prepare("SELECT node_name FROM t_server_conf ORDER BY node_name").all()
        .map((row) => (row as { node_name: string }).node_name);
      assert.deepStrictEqual(servers, [node(0), node(1), node(7), node(9)]);
      assert.equal(heartbeats(db)[node(8)], undefined);
      assert.equal(heartbeats(db)[node(0)], 2000);
    });
  });

  await t.step("close commits the held heartbeats", async () => {
    await withNodes({ nodes: 3, batching: HOLD }, async (store, { db, node }) => {
      await Promise.all([beat(store, node(0)), beat(store, node(1))]);
      const held = beat(store, node(2));
      await store.close();
      assert.deepStrictEqual(await held, { node: true, servers: 1 });
      assert.equal(heartbeats(db)[node(2)], 2000);
    });
  });

  await t.step("a failing heartbeat leaves nothing of itself; its batch commits", async () => {
    await withNodes({ nodes: 3 }, async (store, { db, node }) => {
      // The node row is updated first, then the server row (its state changes) fails.
      db.exec(`CREATE TRIGGER fail_one BEFORE UPDATE ON t_server_conf
        WHEN NEW.node_name = '${node(1)}' BEGIN SELECT RAISE(ABORT, 'forced failure'); END`);
      const results = await Promise.allSettled(
        [0, 1, 2].map((i) => beat(store, node(i), i === 1 ? "inactive" : "active")),
      );
      assert.deepStrictEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
      assert.match(String((results[1] as PromiseRejectedResult).reason), /forced failure/);
      const committed = heartbeats(db);
      assert.deepStrictEqual([0, 1, 2].map((i) => committed[node(i)]), [2000, 1000, 2000]);
    });
  });

  await t.step("a failure that ends the transaction rejects its whole batch", async () => {
    await withNodes({ nodes: 3 }, async (store, { db, node }) => {
      db.exec(`CREATE TRIGGER fail_all BEFORE UPDATE ON t_server_conf
        WHEN NEW.node_name = '${node(1)}' BEGIN SELECT RAISE(ROLLBACK, 'forced rollback'); END`);
      const results = await Promise.allSettled(
        [0, 1, 2].map((i) => beat(store, node(i), i === 1 ? "inactive" : "active")),
      );
      for (const result of results) {
        assert.equal(result.status, "rejected");
        assert.match(String((result as PromiseRejectedResult).reason), /forced rollback/);
      }
      assert.deepStrictEqual(Object.values(heartbeats(db)), [1000, 1000, 1000]);
      db.exec("DROP TRIGGER fail_all");
      const next: KeepAliveResult = await beat(store, node(1));
      assert.deepStrictEqual(next, { node: true, servers: 1 });
      assert.equal(heartbeats(db)[node(1)], 2000);
    });
  });
});

Deno.test("SQLite store", async (t) => {
  await t.step("creates the file and its directory in WAL mode", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "a", "b", "registry.db");
      const store = SqliteStore.open(path, { now: () => 0 });
      await store.close();
      const db = new DatabaseSync(path);
      try {
        const row = db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
        assert.equal(row.journal_mode, "wal");
      } finally {
        db.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step("refuses a database with a newer schema", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "registry.db");
      const db = new DatabaseSync(path);
      db.exec("PRAGMA user_version = 99");
      db.close();
      assert.throws(() => SqliteStore.open(path, { now: () => 0 }), /schema version 99/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step("a file of schema version 1 is migrated to 4 with its registrations", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "registry.db");
      const db = new DatabaseSync(path);
      db.exec(await Deno.readTextFile(new URL("./testdata/sqlite_schema_v1.sql", import.meta.url)));
      db.exec(`INSERT INTO t_node_info (node_name, last_reg_time, last_heartbeat, present_state)
        VALUES ('10.1.1.1', 5, 5, 'active')`);
      db.exec(`INSERT INTO t_server_conf (application, server_name, node_name, setting_state,
        present_state, registry_timestamp) VALUES ('A', 'S', '10.1.1.1', 'active', 'active', 5)`);
      db.exec(`INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name,
        servant, endpoint, registry_timestamp)
        VALUES ('A', 'S', '10.1.1.1', 'A.S.ObjAdapter', 'A.S.Obj', 'tcp -h 10.1.1.1 -p 9', 5)`);
      db.exec("PRAGMA user_version = 1");
      db.close();
      const store = SqliteStore.open(path, { now: () => 10 });
      try {
        const [server] = (await readSnapshot(store)).servers;
        assert.deepEqual([server.server, server.processId, server.serverType], [
          "S",
          0,
          "tars_cpp",
        ]);
        assert.deepEqual(server.adapters.map((a) => [a.servant, a.endpoint]), [
          ["A.S.Obj", "tcp -h 10.1.1.1 -p 9"],
        ]);
        await store.announceRegistry({
          locatorId: "10.1.1.9:17890",
          servants: [{ servant: "tars.tarsregistry.QueryObj", endpoint: "tcp -h 10.1.1.9 -p 1" }],
          version: "0.1.0",
        });
      } finally {
        await store.close();
      }
      const check = new DatabaseSync(path);
      try {
        const row = check.prepare("PRAGMA user_version").get() as { user_version: number };
        assert.equal(row.user_version, 4);
        // Version 3: the console's tasks.
        const tables = check.prepare(
          "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 't_task%'",
        ).all().map((t) => t.name);
        assert.deepEqual(tables.sort(), ["t_task", "t_task_item"]);
        // Version 4: keyed node first, no index by node beside the key.
        const key = (table: string) =>
          (check.prepare(`PRAGMA table_info(${table})`).all() as { name: string; pk: number }[])
            .filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
        assert.deepEqual(key("t_server_conf"), ["node_name", "application", "server_name"]);
        assert.deepEqual(key("t_adapter_conf"), [
          "node_name",
          "application",
          "server_name",
          "adapter_name",
        ]);
        const indexes = check.prepare(
          "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%_node'",
        ).all();
        assert.deepEqual(indexes, []);
      } finally {
        check.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step("registrations acknowledged before a kill -9 in a burst are all there", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "registry.db");
      const count = 3000;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-write", WRITER.pathname, path, String(count)],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const decoder = new TextDecoder();
      const acknowledged = new Set<number>();
      let pending = "";
      const reader = child.stdout.getReader();
      // Kill it in the middle of the burst: 64 registrations in flight, sharing commits.
      while (acknowledged.size < count / 3) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`The writer exited after ${acknowledged.size} registrations`);
        pending += decoder.decode(value, { stream: true });
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) {
          const m = /^acknowledged (\d+)$/.exec(line);
          if (m) acknowledged.add(Number(m[1]));
        }
      }
      child.kill("SIGKILL");
      const status = await child.status;
      assert.equal(status.signal, "SIGKILL");
      await reader.cancel();
      const store = SqliteStore.open(path, { now: () => 0 });
      try {
        const snap = await readSnapshot(store);
        const node = (i: number) => `10.8.${i >> 8}.${i & 255}`;
        const stored = new Set(snap.servers.map((s) => s.nodeName));
        const lost = [...acknowledged].filter((i) => !stored.has(node(i)));
        assert.deepStrictEqual(lost, [], `${lost.length} acknowledged registrations lost`);
        assert.ok(snap.servers.length < count, "the kill came before the burst ended");
        assert.ok(snap.servers.every((s) => s.adapters.length === 1));
      } finally {
        await store.close();
      }
      const db = new DatabaseSync(path);
      try {
        const row = db.prepare("PRAGMA integrity_check").get() as { integrity_check: string };
        assert.equal(row.integrity_check, "ok");
      } finally {
        db.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step("keepAlive runs at thousands of calls per second", async () => {
    const dir = await tempDir();
    try {
      const store = SqliteStore.open(join(dir, "registry.db"), { now: Date.now });
      try {
        const nodes = 200;
        for (let i = 0; i < nodes; i++) {
          await store.onStartup(
            startupRows({ nodeName: `10.9.0.${i}`, application: "A", server: "S" }),
          );
        }
        const calls = 3000;
        const started = performance.now();
        for (let i = 0; i < calls; i++) {
          await store.keepAlive(keepAliveRows({
            nodeName: `10.9.0.${i % nodes}`,
            state: "active",
            application: "A",
            server: "S",
          }));
        }
        const perSecond = Math.round(calls / ((performance.now() - started) / 1000));
        console.log(`SQLite keepAlive: ${perSecond} calls/s (synchronous=FULL, WAL)`);
        assert.ok(perSecond > 500, `keepAlive too slow: ${perSecond} calls/s`);
      } finally {
        await store.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
