/**
 * One contract suite for every RegistryStore, run against SQLite and a real MariaDB
 * (strict SQL mode), plus the MySQL-only checks that share that server.
 */

import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import mysql from "mysql2/promise";
import {
  mariadbMissing,
  mariadbSearchPath,
  type MariadbServer,
  startMariadb,
} from "../../tests/support/mariadb.ts";
import { skipWhen } from "../../tests/support/skip.ts";
import { MysqlStore } from "./mysql_store.ts";
import { openStore } from "./open_store.ts";
import type { RegistryStore } from "./types.ts";
import {
  cleanCutoff,
  keepAliveRows,
  metricsRow,
  prestopTarget,
  type StartupRequest,
  startupRows,
} from "../validate.ts";
import { type FakeClock, fakeClock } from "../../tests/support/fake_clock.ts";

/** A database a suite step can open (and reopen) stores on. */
interface StoreFixture {
  /** Opens a store on the fixture's database with the given clock. */
  open(now: () => number): Promise<RegistryStore>;
  /** Inserts a node-level config file row, as the config service would. */
  addConfigFile(host: string, serverName: string, filename: string): Promise<void>;
  /** Makes adapter inserts whose endpoint contains "fail" raise inside the transaction. */
  failAdapterInserts(): Promise<void>;
  /** Removes the database. */
  cleanup(): Promise<void>;
}

function includes(text: string, part: string): void {
  assert.ok(
    text.includes(part),
    `expected ${JSON.stringify(text)} to include ${JSON.stringify(part)}`,
  );
}

/** A test clock on whole seconds (MySQL datetimes keep seconds). */
function testClock(): FakeClock {
  return fakeClock(Date.UTC(2026, 0, 1, 12, 0, 0));
}

function startup(overrides: Partial<StartupRequest> = {}): StartupRequest {
  return {
    nodeName: "10.0.0.1",
    application: "App",
    server: "Server",
    setId: "",
    adapters: [{ servant: "App.Server.Obj", endpoint: "tcp -h 10.0.0.1 -p 13000 -t 30000" }],
    disableFlow: false,
    state: "activating",
    version: "v1",
    ...overrides,
  };
}

async function withStore(
  factory: () => Promise<StoreFixture>,
  body: (
    store: RegistryStore,
    ctx: { fixture: StoreFixture; clock: FakeClock },
  ) => Promise<void>,
): Promise<void> {
  const fixture = await factory();
  const clock = testClock();
  try {
    const store = await fixture.open(clock.now);
    try {
      await body(store, { fixture, clock });
    } finally {
      await store.close();
    }
  } finally {
    await fixture.cleanup();
  }
}

/** Asserts that `call` (validation, then the store) rejects with a RangeError naming `parts`. */
async function assertRange(call: () => Promise<unknown>, ...parts: string[]): Promise<void> {
  await assert.rejects(async () => await call(), (error: unknown) => {
    assert.ok(error instanceof RangeError, `expected RangeError, got ${String(error)}`);
    for (const part of parts) includes(error.message, part);
    return true;
  });
}

/** Runs the store contract against stores made by `factory`. */
async function storeContract(t: Deno.TestContext, factory: () => Promise<StoreFixture>) {
  await t.step("onStartup registers node, server and adapters", async () => {
    await withStore(factory, async (store, { clock }) => {
      await store.onStartup(startupRows(startup({
        setId: "sz.area1.g2",
        adapters: [
          { servant: "App.Server.Obj", endpoint: "tcp -h 10.0.0.1 -p 13000 -t 30000" },
          {
            servant: "AdminObj",
            endpoint: "tcp -h 10.0.0.1 -p 13001",
            protocol: "not_tars",
            maxConns: 10,
            threadNum: 2,
            queueCap: 3,
            queueTimeout: 4,
          },
        ],
      })));
      const snap = await store.snapshot();
      assert.deepStrictEqual(snap.takenAt, clock.now());
      assert.deepStrictEqual(snap.nodes, [
        { nodeName: "10.0.0.1", presentState: "active", lastHeartbeat: clock.now() },
      ]);
      assert.deepStrictEqual(snap.servers, [{
        application: "App",
        server: "Server",
        nodeName: "10.0.0.1",
        settingState: "active",
        presentState: "activating",
        flowEnabled: true,
        setId: "sz.area1.g2",
        setName: "sz",
        setArea: "area1",
        setGroup: "g2",
        version: "v1",
        metricsPort: 0,
        adapters: [
          {
            adapterName: "App.Server.AdminObjAdapter",
            servant: "App.Server.AdminObj",
            endpoint: "tcp -h 10.0.0.1 -p 13001",
            protocol: "not_tars",
            threadNum: 2,
            maxConns: 10,
            queueCap: 3,
            queueTimeout: 4,
          },
          {
            adapterName: "App.Server.ObjAdapter",
            servant: "App.Server.Obj",
            endpoint: "tcp -h 10.0.0.1 -p 13000 -t 30000",
            protocol: "tars",
            threadNum: 5,
            maxConns: 200000,
            queueCap: 10000,
            queueTimeout: 60000,
          },
        ],
      }]);
      assert.deepStrictEqual(await store.counts(), {
        nodes: 1,
        servers: 1,
        adapters: 2,
        configFiles: 0,
      });
    });
  });

  await t.step("onStartup again updates the server and replaces its adapters", async () => {
    await withStore(factory, async (store, { clock }) => {
      await store.onStartup(startupRows(startup({ setId: "sz.a.g" })));
      await store.onStartup(startupRows(startup({ nodeName: "10.0.0.2" })));
      clock.advance(5_000);
      await store.onStartup(startupRows(startup({
        setId: "",
        state: "",
        version: "v2",
        disableFlow: true,
        adapters: [{ servant: "App.Server.NewObj", endpoint: "tcp -h 10.0.0.1 -p 14000" }],
      })));
      const snap = await store.snapshot();
      assert.deepStrictEqual(snap.nodes.map((n) => [n.nodeName, n.lastHeartbeat]), [
        ["10.0.0.1", clock.now()],
        ["10.0.0.2", clock.now() - 5000],
      ]);
      const [mine, other] = snap.servers;
      assert.deepStrictEqual(mine.nodeName, "10.0.0.1");
      assert.deepStrictEqual(
        [mine.presentState, mine.version, mine.flowEnabled, mine.setId, mine.setName],
        ["active", "v2", false, "", ""],
      );
      assert.deepStrictEqual(mine.adapters.map((a) => a.adapterName), ["App.Server.NewObjAdapter"]);
      assert.deepStrictEqual(other.adapters.map((a) => a.adapterName), ["App.Server.ObjAdapter"]);
      assert.deepStrictEqual(other.flowEnabled, true);
      assert.deepStrictEqual(await store.counts(), {
        nodes: 2,
        servers: 2,
        adapters: 2,
        configFiles: 0,
      });
    });
  });

  await t.step(
    "old-client onStartup without application and server registers the node only",
    async () => {
      await withStore(factory, async (store) => {
        await store.onStartup(startupRows(startup({ application: "", server: "", adapters: [] })));
        const snap = await store.snapshot();
        assert.deepStrictEqual(snap.nodes.map((n) => n.nodeName), ["10.0.0.1"]);
        assert.deepStrictEqual(snap.servers, []);
      });
    },
  );

  await t.step("keepAlive refreshes the heartbeat and sets the state", async () => {
    await withStore(factory, async (store, { clock }) => {
      await store.onStartup(startupRows(startup()));
      await store.onStartup(startupRows(startup({ server: "Other" })));
      await store.onStartup(startupRows(startup({ nodeName: "10.0.0.2" })));
      clock.advance(30_000);
      assert.deepStrictEqual(
        await store.keepAlive(keepAliveRows({
          nodeName: "10.0.0.1",
          state: "active",
          application: "App",
          server: "Server",
        })),
        { node: true, servers: 1 },
      );
      let snap = await store.snapshot();
      assert.deepStrictEqual(snap.nodes.map((n) => n.lastHeartbeat), [
        clock.now(),
        clock.now() - 30_000,
      ]);
      assert.deepStrictEqual(snap.servers.map((s) => [s.nodeName, s.server, s.presentState]), [
        ["10.0.0.1", "Other", "activating"],
        ["10.0.0.1", "Server", "active"],
        ["10.0.0.2", "Server", "activating"],
      ]);
      // Old client: no names, every server on the node.
      assert.deepStrictEqual(
        await store.keepAlive(keepAliveRows({ nodeName: "10.0.0.1", state: "deactivating" })),
        {
          node: true,
          servers: 2,
        },
      );
      // Empty state means active, as in the original.
      assert.deepStrictEqual(
        await store.keepAlive(keepAliveRows({ nodeName: "10.0.0.2", state: "" })),
        {
          node: true,
          servers: 1,
        },
      );
      snap = await store.snapshot();
      assert.deepStrictEqual(snap.servers.map((s) => s.presentState), [
        "deactivating",
        "deactivating",
        "active",
      ]);
      assert.deepStrictEqual(snap.nodes.map((n) => n.presentState), ["active", "active"]);
      await store.keepAlive(keepAliveRows({ nodeName: "10.0.0.2", state: "destroyed" }));
      assert.deepStrictEqual((await store.snapshot()).servers[2].presentState, "destroyed");
      assert.deepStrictEqual(
        await store.keepAlive(keepAliveRows({ nodeName: "10.9.9.9", state: "active" })),
        {
          node: false,
          servers: 0,
        },
      );
      assert.deepStrictEqual((await store.counts()).nodes, 2);
    });
  });

  await t.step(
    "onPrestop removes the server, its adapters and its node-level config files",
    async () => {
      await withStore(factory, async (store, { fixture }) => {
        await store.onStartup(startupRows(startup()));
        await store.onStartup(startupRows(startup({ server: "Other" })));
        await store.onStartup(startupRows(startup({ nodeName: "10.0.0.2" })));
        await fixture.addConfigFile("10.0.0.1", "App.Server", "a.conf");
        await fixture.addConfigFile("10.0.0.1", "App.Other", "a.conf");
        await fixture.addConfigFile("10.0.0.2", "App.Server", "a.conf");
        assert.deepStrictEqual(
          await store.onPrestop(
            prestopTarget({ nodeName: "10.0.0.1", application: "App", server: "Server" }),
          ),
          { servers: 1, adapters: 1, node: false },
        );
        const snap = await store.snapshot();
        assert.deepStrictEqual(snap.nodes.map((n) => n.nodeName), ["10.0.0.1", "10.0.0.2"]);
        assert.deepStrictEqual(snap.servers.map((s) => `${s.server}@${s.nodeName}`), [
          "Other@10.0.0.1",
          "Server@10.0.0.2",
        ]);
        assert.deepStrictEqual(await store.counts(), {
          nodes: 2,
          servers: 2,
          adapters: 2,
          configFiles: 2,
        });
        assert.deepStrictEqual(
          await store.onPrestop(
            prestopTarget({ nodeName: "10.0.0.1", application: "App", server: "Server" }),
          ),
          { servers: 0, adapters: 0, node: false },
        );
      });
    },
  );

  await t.step("old-client onPrestop without names removes the whole node", async () => {
    await withStore(factory, async (store, { fixture }) => {
      await store.onStartup(startupRows(startup()));
      await store.onStartup(startupRows(startup({ server: "Other" })));
      await store.onStartup(startupRows(startup({ nodeName: "10.0.0.2" })));
      await fixture.addConfigFile("10.0.0.1", "App.Server", "a.conf");
      await fixture.addConfigFile("10.0.0.2", "App.Server", "a.conf");
      assert.deepStrictEqual(await store.onPrestop(prestopTarget({ nodeName: "10.0.0.1" })), {
        servers: 2,
        adapters: 2,
        node: true,
      });
      const snap = await store.snapshot();
      assert.deepStrictEqual(snap.nodes.map((n) => n.nodeName), ["10.0.0.2"]);
      assert.deepStrictEqual(snap.servers.map((s) => s.nodeName), ["10.0.0.2"]);
      assert.deepStrictEqual(await store.counts(), {
        nodes: 1,
        servers: 1,
        adapters: 1,
        configFiles: 1,
      });
    });
  });

  await t.step("registerMetrics stores the port (0 is the original's 9325)", async () => {
    await withStore(factory, async (store) => {
      await store.onStartup(startupRows(startup({ setId: "s.a.g" })));
      await store.onStartup(startupRows(startup({ server: "Other" })));
      const req = { nodeName: "10.0.0.1", application: "App", server: "Server" };
      assert.deepStrictEqual(
        await store.registerMetrics(metricsRow({ ...req, metricsPort: 9100 })),
        true,
      );
      assert.deepStrictEqual(
        await store.registerMetrics(metricsRow({ ...req, server: "Other", metricsPort: 0 })),
        true,
      );
      assert.deepStrictEqual(
        await store.registerMetrics(metricsRow({ ...req, server: "None", metricsPort: 1 })),
        false,
      );
      const snap = await store.snapshot();
      assert.deepStrictEqual(snap.servers.map((s) => [s.server, s.metricsPort, s.setId]), [
        ["Other", 9325, ""],
        ["Server", 9100, "s.a.g"],
      ]);
      // A new onStartup keeps the registered port.
      await store.onStartup(startupRows(startup({ setId: "s.a.g" })));
      assert.deepStrictEqual((await store.snapshot()).servers[1].metricsPort, 9100);
    });
  });

  await t.step(
    "invalid requests raise RangeError naming field and value, writing nothing",
    async () => {
      await withStore(factory, async (store, { clock }) => {
        await store.onStartup(startupRows(startup()));
        const before = await store.snapshot();
        clock.advance(10_000);
        await assertRange(
          () => store.onStartup(startupRows(startup({ state: "running" }))),
          "state",
          '"running"',
        );
        await assertRange(
          () =>
            store.onStartup(startupRows(startup({
              adapters: [
                { servant: "App.Server.Obj", endpoint: "tcp -h 10.0.0.1 -p 1" },
                { servant: "App.Server.Bad", endpoint: "" },
              ],
            }))),
          "adapters[1].endpoint",
        );
        await assertRange(
          () =>
            store.onStartup(startupRows(startup({
              adapters: [{ servant: "App.Server.Obj", endpoint: "e", threadNum: -1 }],
            }))),
          "adapters[0].threadNum",
          "-1",
        );
        await assertRange(
          () => store.onStartup(startupRows(startup({ setId: "a.b" }))),
          "setId",
          '"a.b"',
        );
        await assertRange(
          () => store.onStartup(startupRows(startup({ server: "" }))),
          "server",
          '""',
        );
        await assertRange(
          () => store.onStartup(startupRows(startup({ nodeName: "" }))),
          "nodeName",
        );
        await assertRange(
          () => store.onStartup(startupRows(startup({ nodeName: "n".repeat(51) }))),
          "nodeName",
        );
        await assertRange(
          () => store.onStartup(startupRows(startup({ application: "A.B" }))),
          "application",
        );
        await assertRange(
          () =>
            store.keepAlive(keepAliveRows({
              nodeName: "10.0.0.1",
              state: "up",
              application: "App",
              server: "Server",
            })),
          "state",
          '"up"',
        );
        await assertRange(
          () => store.onPrestop(prestopTarget({ nodeName: "10.0.0.1", application: "App" })),
          "server",
        );
        await assertRange(
          () =>
            store.registerMetrics(metricsRow({
              nodeName: "10.0.0.1",
              application: "App",
              server: "Server",
              metricsPort: 70000,
            })),
          "metricsPort",
          "70000",
        );
        await assertRange(
          () => store.clean(cleanCutoff({ before: new Date(NaN), dryRun: true })),
          "before",
        );
        const after = await store.snapshot();
        assert.deepStrictEqual({ ...after, takenAt: 0 }, { ...before, takenAt: 0 });
      });
    },
  );

  await t.step("a failure inside the transaction leaves nothing behind", async () => {
    await withStore(factory, async (store, { fixture }) => {
      await fixture.failAdapterInserts();
      await assert.rejects(
        () =>
          store.onStartup(startupRows(startup({
            adapters: [
              { servant: "App.Server.Obj", endpoint: "tcp -h 10.0.0.1 -p 1" },
              { servant: "App.Server.Two", endpoint: "tcp -h fail -p 2" },
            ],
          }))),
        /forced failure/,
      );
      assert.deepStrictEqual(await store.counts(), {
        nodes: 0,
        servers: 0,
        adapters: 0,
        configFiles: 0,
      });
      await store.onStartup(startupRows(startup()));
      assert.deepStrictEqual((await store.counts()).adapters, 1);
    });
  });

  await t.step("clean: dry run lists stale nodes, real run removes them", async () => {
    await withStore(factory, async (store, { fixture, clock }) => {
      await store.onStartup(startupRows(startup({ nodeName: "10.0.0.1" })));
      await store.onStartup(startupRows(startup({ nodeName: "10.0.0.1", server: "Other" })));
      await fixture.addConfigFile("10.0.0.1", "App.Server", "x.conf");
      clock.advance(3_600_000);
      await store.onStartup(startupRows(startup({ nodeName: "10.0.0.2" })));
      await fixture.addConfigFile("10.0.0.2", "App.Server", "x.conf");
      const before = new Date(clock.now() - 1800_000);
      const expected = {
        nodes: ["10.0.0.1"],
        servers: [
          { application: "App", server: "Other", nodeName: "10.0.0.1" },
          { application: "App", server: "Server", nodeName: "10.0.0.1" },
        ],
        adapters: 2,
        configFiles: 1,
      };
      assert.deepStrictEqual(await store.clean(cleanCutoff({ before, dryRun: true })), {
        dryRun: true,
        ...expected,
      });
      assert.deepStrictEqual(await store.counts(), {
        nodes: 2,
        servers: 3,
        adapters: 3,
        configFiles: 2,
      });
      assert.deepStrictEqual(await store.clean(cleanCutoff({ before, dryRun: false })), {
        dryRun: false,
        ...expected,
      });
      assert.deepStrictEqual(await store.counts(), {
        nodes: 1,
        servers: 1,
        adapters: 1,
        configFiles: 1,
      });
      assert.deepStrictEqual((await store.snapshot()).nodes.map((n) => n.nodeName), ["10.0.0.2"]);
      assert.deepStrictEqual((await store.clean(cleanCutoff({ before, dryRun: false }))).nodes, []);
    });
  });

  await t.step("registrations survive close and reopen", async () => {
    const fixture = await factory();
    const clock = testClock();
    try {
      const first = await fixture.open(clock.now);
      await first.onStartup(startupRows(startup({ setId: "a.b.c", disableFlow: true })));
      await first.registerMetrics(metricsRow({
        nodeName: "10.0.0.1",
        application: "App",
        server: "Server",
        metricsPort: 9000,
      }));
      const written = await first.snapshot();
      await first.close();
      await assert.rejects(() => first.counts(), /closed/);
      const second = await fixture.open(clock.now);
      try {
        assert.deepStrictEqual(await second.snapshot(), written);
      } finally {
        await second.close();
      }
    } finally {
      await fixture.cleanup();
    }
  });
}

function sqliteFactory(): () => Promise<StoreFixture> {
  return async () => {
    const dir = await Deno.makeTempDir({ prefix: "tars-store-" });
    const path = join(dir, "nested", "registry.db");
    const raw = (sql: string, params: string[] = []) => {
      const db = new DatabaseSync(path);
      try {
        db.prepare(sql).run(...params);
      } finally {
        db.close();
      }
    };
    return {
      open: (now) => openStore(`sqlite:${path}`, { now }),
      addConfigFile(host, serverName, filename) {
        raw("INSERT INTO t_config_files (server_name, host, filename) VALUES (?, ?, ?)", [
          serverName,
          host,
          filename,
        ]);
        return Promise.resolve();
      },
      failAdapterInserts() {
        raw(`CREATE TRIGGER fail_adapter BEFORE INSERT ON t_adapter_conf
          WHEN NEW.endpoint LIKE '%fail%' BEGIN SELECT RAISE(ABORT, 'forced failure'); END`);
        return Promise.resolve();
      },
      cleanup: () => Deno.remove(dir, { recursive: true }),
    };
  };
}

function mysqlFactory(server: MariadbServer): () => Promise<StoreFixture> {
  let next = 0;
  return async () => {
    const database = `contract_${++next}`;
    const url = await server.createDatabase(database);
    return {
      open: (now) => openStore(url, { now, initDb: true }),
      async addConfigFile(host, serverName, filename) {
        await server.rootQuery(
          database,
          "INSERT INTO t_config_files (server_name, host, filename) VALUES (?, ?, ?)",
          [serverName, host, filename],
        );
      },
      async failAdapterInserts() {
        await server.rootQuery(
          database,
          `CREATE TRIGGER fail_adapter BEFORE INSERT ON t_adapter_conf FOR EACH ROW
            BEGIN IF NEW.endpoint LIKE '%fail%' THEN
              SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'forced failure';
            END IF; END`,
        );
      },
      async cleanup() {
        await server.rootQuery("mysql", `DROP DATABASE \`${database}\``);
      },
    };
  };
}

Deno.test("store contract: SQLite", async (t) => {
  await storeContract(t, sqliteFactory());
});

const MYSQL_TEST = "store contract: MySQL (private MariaDB)";
Deno.test(MYSQL_TEST, { ignore: skipWhen(MYSQL_TEST, mariadbMissing(Deno.env)) }, async (t) => {
  const server = await startMariadb({
    searchPath: mariadbSearchPath(Deno.env.get("PATH")),
  });
  try {
    await storeContract(t, mysqlFactory(server));
    await mysqlOnly(t, server);
  } finally {
    await server.stop();
  }
});

async function mysqlOnly(t: Deno.TestContext, server: MariadbServer) {
  const clock = testClock();

  await t.step("sessions run in strict SQL mode", async () => {
    const conn = await mysql.createConnection(server.url);
    try {
      const [rows] = await conn.query("SELECT @@SESSION.sql_mode AS mode");
      includes((rows as { mode: string }[])[0].mode, "STRICT_ALL_TABLES");
    } finally {
      await conn.end();
    }
  });

  await t.step("concurrent registrations all succeed (deadlock victims run again)", async () => {
    const url = await server.createDatabase("concurrent");
    const store = await openStore(url, { now: clock.now, initDb: true });
    try {
      const pods = Array.from({ length: 300 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
      await Promise.all(pods.map((nodeName, i) =>
        store.onStartup(startupRows(startup({
          nodeName,
          server: `S${i % 10}`,
          adapters: [{ servant: `App.S${i % 10}.Obj`, endpoint: `tcp -h ${nodeName} -p 1` }],
        })))
      ));
      const counts = await store.counts();
      assert.deepStrictEqual([counts.nodes, counts.servers, counts.adapters], [300, 300, 300]);
    } finally {
      await store.close();
    }
  });

  await t.step("writes the framework's columns with valid values", async () => {
    const url = await server.createDatabase("columns");
    const store = await openStore(url, { now: clock.now, initDb: true });
    try {
      const ipv6 = "fd00:1234:5678:9abc::17";
      await store.onStartup(
        startupRows(startup({ nodeName: ipv6, setId: "sz.a.g", disableFlow: true })),
      );
      await store.keepAlive(keepAliveRows({ nodeName: ipv6, state: "deactivating" }));
      const [node] = await server.rootQuery(
        "columns",
        "SELECT node_obj, endpoint_ip, present_state, setting_state, last_heartbeat FROM t_node_info",
      ) as Record<string, unknown>[];
      assert.deepStrictEqual(node.node_obj, `tars.tarsnode.NodeObj@tcp -h ${ipv6} -p 0`);
      assert.deepStrictEqual(node.endpoint_ip, "");
      assert.deepStrictEqual([node.present_state, node.setting_state], ["active", "active"]);
      const [row] = await server.rootQuery(
        "columns",
        `SELECT present_state, setting_state, enable_set, set_name, set_area, set_group,
          grid_flag, flow_state, server_type, patch_version FROM t_server_conf`,
      ) as Record<string, unknown>[];
      assert.deepStrictEqual(row, {
        present_state: "deactivating",
        setting_state: "active",
        enable_set: "Y",
        set_name: "sz",
        set_area: "a",
        set_group: "g",
        grid_flag: "NO_FLOW",
        flow_state: "inactive",
        server_type: "tars_cpp",
        patch_version: "v1",
      });
      assert.deepStrictEqual((store as MysqlStore).usesFlowState, true);
      // The web console turns traffic off through flow_state alone.
      await store.onStartup(startupRows(startup({ nodeName: "10.0.0.9" })));
      await server.rootQuery(
        "columns",
        "UPDATE t_server_conf SET flow_state = 'inactive' WHERE node_name = '10.0.0.9'",
      );
      const snap = await store.snapshot();
      assert.deepStrictEqual(snap.servers.map((s) => [s.nodeName, s.flowEnabled]), [
        ["10.0.0.9", false],
        [ipv6, false],
      ]);
    } finally {
      await store.close();
    }
  });

  await t.step(
    "an older db_tars gains metrics_port; an existing column does not fail",
    async () => {
      await server.createDatabase("legacy");
      await server.rootQuery(
        "legacy",
        `CREATE TABLE t_node_info (id int AUTO_INCREMENT PRIMARY KEY,
        node_name varchar(128) DEFAULT '', node_obj varchar(128) DEFAULT '',
        endpoint_ip varchar(16) DEFAULT '', endpoint_port int DEFAULT 0,
        last_reg_time datetime DEFAULT '1970-01-01 00:08:00',
        last_heartbeat datetime DEFAULT '1970-01-01 00:08:00',
        setting_state enum('active','inactive') DEFAULT 'inactive',
        present_state enum('active','inactive') DEFAULT 'inactive', UNIQUE KEY (node_name))`,
      );
      await server.rootQuery(
        "legacy",
        `CREATE TABLE t_server_conf (id int AUTO_INCREMENT PRIMARY KEY,
        application varchar(128) DEFAULT '', server_name varchar(128) DEFAULT '',
        node_name varchar(50) NOT NULL DEFAULT '',
        registry_timestamp timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
        setting_state enum('active','inactive') NOT NULL DEFAULT 'inactive',
        present_state enum('active','inactive','activating','deactivating','destroyed')
          NOT NULL DEFAULT 'inactive',
        patch_version varchar(128) NOT NULL DEFAULT '',
        patch_time datetime NOT NULL DEFAULT '2021-01-01 00:00:00', posttime datetime,
        server_type enum('tars_cpp','not_tars','tars_java','tars_nodejs','tars_php','tars_go'),
        enable_set char(1) NOT NULL DEFAULT 'N', set_name varchar(16), set_area varchar(16),
        set_group varchar(64), grid_flag varchar(16) NOT NULL DEFAULT 'NORMAL',
        UNIQUE KEY (application, server_name, node_name))`,
      );
      await server.rootQuery(
        "legacy",
        `CREATE TABLE t_adapter_conf (id int AUTO_INCREMENT PRIMARY KEY,
        application varchar(50) DEFAULT '', server_name varchar(128) DEFAULT '',
        node_name varchar(50) DEFAULT '', adapter_name varchar(100) DEFAULT '',
        registry_timestamp timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
        thread_num int DEFAULT 1, endpoint varchar(128) DEFAULT '',
        max_connections int DEFAULT 1000, allow_ip varchar(255) NOT NULL DEFAULT '',
        servant varchar(128) DEFAULT '', queuecap int, queuetimeout int, posttime datetime,
        protocol varchar(64) DEFAULT 'tars',
        UNIQUE KEY (application, server_name, node_name, adapter_name))`,
      );
      await server.rootQuery(
        "legacy",
        `CREATE TABLE t_config_files (id int AUTO_INCREMENT PRIMARY KEY,
        server_name varchar(128) DEFAULT '', host varchar(20) NOT NULL DEFAULT '',
        filename varchar(128), config longtext, level int DEFAULT 2)`,
      );
      const url = server.urlFor("legacy");
      const first = await openStore(url, { now: clock.now });
      try {
        assert.deepStrictEqual((first as MysqlStore).usesFlowState, false);
        await first.onStartup(startupRows(startup({ disableFlow: true })));
        assert.deepStrictEqual(
          await first.registerMetrics(metricsRow({
            nodeName: "10.0.0.1",
            application: "App",
            server: "Server",
            metricsPort: 9100,
          })),
          true,
        );
      } finally {
        await first.close();
      }
      const second = await openStore(url, { now: clock.now });
      try {
        const [server1] = (await second.snapshot()).servers;
        assert.deepStrictEqual([server1.metricsPort, server1.flowEnabled], [9100, false]);
      } finally {
        await second.close();
      }
      const columns = await server.rootQuery(
        "legacy",
        `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = 'legacy' AND TABLE_NAME = 't_server_conf' AND
        COLUMN_NAME IN ('metrics_port', 'flow_state')`,
      ) as { c: string }[];
      assert.deepStrictEqual(columns.map((c) => c.c), ["metrics_port"]);
    },
  );

  await t.step("a database without the tables asks for --init-db", async () => {
    const url = await server.createDatabase("empty");
    await assert.rejects(() => openStore(url, { now: clock.now }), /--init-db/);
    const store = await openStore(url, { now: clock.now, initDb: true });
    await store.close();
    const again = await openStore(url, { now: clock.now, initDb: true });
    await again.close();
  });

  await t.step("two stores on one database see each other's writes", async () => {
    await openStore(server.url, { now: clock.now, initDb: true }).then((s) => s.close());
    const a = await openStore(server.url, { now: clock.now });
    const b = await openStore(server.urlFor("db_tars", { socket: true }), { now: clock.now });
    try {
      await a.onStartup(startupRows(startup({ nodeName: "10.1.0.1" })));
      assert.deepStrictEqual((await b.snapshot()).servers.map((s) => s.nodeName), ["10.1.0.1"]);
      await b.keepAlive(keepAliveRows({ nodeName: "10.1.0.1", state: "inactive" }));
      await b.onStartup(startupRows(startup({ nodeName: "10.1.0.2" })));
      const seen = await a.snapshot();
      assert.deepStrictEqual(seen.servers.map((s) => [s.nodeName, s.presentState]), [
        ["10.1.0.1", "inactive"],
        ["10.1.0.2", "activating"],
      ]);
      await a.onPrestop(
        prestopTarget({ nodeName: "10.1.0.2", application: "App", server: "Server" }),
      );
      assert.deepStrictEqual((await b.counts()).servers, 1);
    } finally {
      await a.close();
      await b.close();
    }
  });
}
