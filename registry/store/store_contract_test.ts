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
import { DEFAULT_DDL_PATH } from "./mysql_schema.ts";
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
import { readSnapshot } from "../../tests/support/store_snapshot.ts";

/** A database a suite step can open (and reopen) stores on. */
interface StoreFixture {
  /** Opens a store on the fixture's database with the given clock. */
  open(now: () => number): Promise<RegistryStore>;
  /** Inserts a node-level config file row, as the config service would. */
  addConfigFile(host: string, serverName: string, filename: string): Promise<void>;
  /** Makes adapter inserts whose endpoint contains "fail" raise inside the transaction. */
  failAdapterInserts(): Promise<void>;
  /** Sets a server's setting state, as an operator does in the console. */
  setSettingState(nodeName: string, server: string, state: "active" | "inactive"): Promise<void>;
  /** The `t_registry_info` rows as `locator servant endpoint state version`, sorted. */
  registryInfo(): Promise<string[]>;
  /** The node's `tars_version`. */
  nodeVersion(nodeName: string): Promise<string>;
  /** The node's `endpoint_ip`. */
  nodeAddress(nodeName: string): Promise<string>;
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

/** A registration of App.Server (or the server the overrides name) with its servant `Obj`. */
function startup(overrides: Partial<StartupRequest> = {}): StartupRequest {
  const application = overrides.application ?? "App";
  const server = overrides.server ?? "Server";
  return {
    nodeName: "10.0.0.1",
    application,
    server,
    setId: "",
    adapters: [{
      servant: `${application}.${server}.Obj`,
      endpoint: "tcp -h 10.0.0.1 -p 13000 -t 30000",
    }],
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
      const snap = await readSnapshot(store);
      assert.deepStrictEqual(snap.takenAt, clock.now());
      assert.deepStrictEqual(snap.nodes, [
        {
          nodeName: "10.0.0.1",
          presentState: "active",
          lastHeartbeat: clock.now(),
          nodeObj: "tars.tarsnode.NodeObj@tcp -h 10.0.0.1 -p 0",
        },
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
        processId: 0,
        serverType: "tars_cpp",
        metricsPort: 0,
        groupName: "",
        groupEnabled: false,
        bakFlag: 0,
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
      const snap = await readSnapshot(store);
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

  await t.step("onStartup keeps the pod's node object; one without it, K8STARS's", async () => {
    await withStore(factory, async (store) => {
      const nodeEndpoint = "tcp -h 10.0.0.1 -p 15999 -t 60000";
      await store.onStartup(startupRows(startup({ nodeEndpoint })));
      const nodeObj = async () => (await readSnapshot(store)).nodes.map((n) => n.nodeObj);
      assert.deepStrictEqual(await nodeObj(), [`tars.tarsnode.NodeObj@${nodeEndpoint}`]);
      await store.keepAlive(keepAliveRows({ nodeName: "10.0.0.1", state: "active" }));
      assert.deepStrictEqual(await nodeObj(), [`tars.tarsnode.NodeObj@${nodeEndpoint}`]);
      await store.onStartup(startupRows(startup()));
      assert.deepStrictEqual(await nodeObj(), ["tars.tarsnode.NodeObj@tcp -h 10.0.0.1 -p 0"]);
    });
  });

  await t.step(
    "old-client onStartup without application and server registers the node only",
    async () => {
      await withStore(factory, async (store) => {
        await store.onStartup(startupRows(startup({ application: "", server: "", adapters: [] })));
        const snap = await readSnapshot(store);
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
      let snap = await readSnapshot(store);
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
      snap = await readSnapshot(store);
      assert.deepStrictEqual(snap.servers.map((s) => s.presentState), [
        "deactivating",
        "deactivating",
        "active",
      ]);
      assert.deepStrictEqual(snap.nodes.map((n) => n.presentState), ["active", "active"]);
      await store.keepAlive(keepAliveRows({ nodeName: "10.0.0.2", state: "destroyed" }));
      assert.deepStrictEqual((await readSnapshot(store)).servers[2].presentState, "destroyed");
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
        const snap = await readSnapshot(store);
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

  await t.step("onPrestop of a node's last server removes the node too", async () => {
    await withStore(factory, async (store) => {
      await store.onStartup(startupRows(startup()));
      await store.onStartup(startupRows(startup({ server: "Other" })));
      const prestop = (server: string) =>
        store.onPrestop(prestopTarget({ nodeName: "10.0.0.1", application: "App", server }));
      assert.deepStrictEqual(await prestop("Server"), { servers: 1, adapters: 1, node: false });
      assert.deepStrictEqual(await prestop("Other"), { servers: 1, adapters: 1, node: true });
      assert.deepStrictEqual(await store.counts(), {
        nodes: 0,
        servers: 0,
        adapters: 0,
        configFiles: 0,
      });
    });
  });

  await t.step(
    "server type, pid and tarscli version: stored when sent, kept when not",
    async () => {
      await withStore(factory, async (store, { fixture }) => {
        const mine = async () => (await readSnapshot(store)).servers[0];
        await store.onStartup(startupRows(startup({
          serverType: "tars_nodejs",
          processId: 0,
          tarscliVersion: "0.1.0",
        })));
        assert.deepStrictEqual([(await mine()).serverType, (await mine()).processId], [
          "tars_nodejs",
          0,
        ]);
        assert.deepStrictEqual(await fixture.nodeVersion("10.0.0.1"), "0.1.0");
        const beat = (processId?: number) =>
          store.keepAlive(keepAliveRows({
            nodeName: "10.0.0.1",
            state: "active",
            application: "App",
            server: "Server",
            processId,
          }));
        await beat(4321);
        assert.deepStrictEqual((await mine()).processId, 4321);
        // -1 and absent (an original client) keep it.
        await beat(-1);
        await beat();
        assert.deepStrictEqual((await mine()).processId, 4321);
        // An original client's onStartup sends none of them: all three are kept.
        await store.onStartup(startupRows(startup()));
        assert.deepStrictEqual([(await mine()).serverType, (await mine()).processId], [
          "tars_nodejs",
          4321,
        ]);
        assert.deepStrictEqual(await fixture.nodeVersion("10.0.0.1"), "0.1.0");
        await store.onStartup(startupRows(startup({ serverType: "tars_go", processId: 9 })));
        assert.deepStrictEqual([(await mine()).serverType, (await mine()).processId], [
          "tars_go",
          9,
        ]);
        // A new server without a type is tars_cpp, as the framework's default.
        await store.onStartup(startupRows(startup({ server: "Plain" })));
        assert.deepStrictEqual((await readSnapshot(store)).servers[0].serverType, "tars_cpp");
      });
    },
  );

  await t.step("an operator's setting state survives a pod's re-registration", async () => {
    await withStore(factory, async (store, { fixture }) => {
      await store.onStartup(startupRows(startup({ state: "active" })));
      await fixture.setSettingState("10.0.0.1", "Server", "inactive");
      await store.onStartup(startupRows(startup({ state: "active" })));
      await store.keepAlive(keepAliveRows({
        nodeName: "10.0.0.1",
        state: "active",
        application: "App",
        server: "Server",
      }));
      const [server] = (await readSnapshot(store)).servers;
      assert.deepStrictEqual([server.settingState, server.presentState], ["inactive", "active"]);
      await fixture.setSettingState("10.0.0.1", "Server", "active");
      await store.onStartup(startupRows(startup({ state: "active" })));
      assert.deepStrictEqual((await readSnapshot(store)).servers[0].settingState, "active");
    });
  });

  await t.step("a pod's group: its server's grouping, and a group row added once", async () => {
    await withStore(factory, async (store) => {
      assert.deepStrictEqual(await store.readGroupRules(), { rules: [], priorities: [] });
      await store.onStartup(startupRows(startup({ state: "active", group: "zone-a" })));
      await store.onStartup(startupRows(startup({ nodeName: "10.0.0.2", group: "zone-a" })));
      await store.onStartup(startupRows(startup({ nodeName: "10.0.0.3" })));
      const grouping = async () =>
        (await readSnapshot(store)).servers.map((s) => [s.nodeName, s.groupName, s.groupEnabled]);
      assert.deepStrictEqual(await grouping(), [
        ["10.0.0.1", "zone-a", true],
        ["10.0.0.2", "zone-a", true],
        ["10.0.0.3", "", false],
      ]);
      const { rules } = await store.readGroupRules();
      assert.deepStrictEqual(rules.map((r) => [r.groupName, r.allowIpRule]), [["zone-a", ""]]);
      assert.ok(rules[0].groupId > 0, `a group id of the table's: ${rules[0].groupId}`);
      // A re-registration that names no group keeps the server's grouping.
      await store.onStartup(startupRows(startup({ state: "active" })));
      assert.deepStrictEqual((await grouping())[0], ["10.0.0.1", "zone-a", true]);
      await store.onStartup(startupRows(startup({ group: "zone-b" })));
      assert.deepStrictEqual((await grouping())[0], ["10.0.0.1", "zone-b", true]);
      assert.deepStrictEqual(
        (await store.readGroupRules()).rules.map((r) => r.groupName),
        ["zone-a", "zone-b"],
      );
    });
  });

  await t.step(
    "a node check that holds the nodes (self-preservation) changes none, but registry rows",
    async () => {
      await withStore(factory, async (store, { fixture, clock }) => {
        await store.onStartup(startupRows(startup({ state: "active", processId: 7 })));
        await store.announceRegistry({
          locatorId: "10.0.0.9:17890",
          servants: [{ servant: "tars.tarsregistry.QueryObj", endpoint: "tcp -h 10.0.0.9 -p 1" }],
          version: "0.1.0",
        });
        const rows = async () => {
          const { nodes, servers } = await readSnapshot(store);
          return { nodes, servers };
        };
        const before = await rows();
        clock.advance(300_000);
        assert.deepStrictEqual(await store.expireNodes(250_000, { holdNodes: true }), {
          nodes: [],
        });
        assert.deepStrictEqual(await rows(), before);
        assert.deepStrictEqual(await fixture.registryInfo(), [
          "10.0.0.9:17890 tars.tarsregistry.QueryObj tcp -h 10.0.0.9 -p 1 inactive 0.1.0",
        ]);
        // Not held: the same check expires them.
        assert.deepStrictEqual(await store.expireNodes(250_000), { nodes: ["10.0.0.1"] });
      });
    },
  );

  await t.step(
    "the node check marks silent nodes and their servers inactive (pid 0), as the C++ registry",
    async () => {
      await withStore(factory, async (store, { clock }) => {
        await store.onStartup(startupRows(startup({ state: "active", processId: 7 })));
        await store.onStartup(startupRows(startup({ server: "Other", state: "active" })));
        clock.advance(100_000);
        await store.onStartup(startupRows(startup({ nodeName: "10.0.0.2", state: "active" })));
        assert.deepStrictEqual(await store.expireNodes(250_000), { nodes: [] });
        clock.advance(200_000);
        assert.deepStrictEqual(await store.expireNodes(250_000), { nodes: ["10.0.0.1"] });
        const snap = await readSnapshot(store);
        assert.deepStrictEqual(snap.nodes.map((n) => [n.nodeName, n.presentState]), [
          ["10.0.0.1", "inactive"],
          ["10.0.0.2", "active"],
        ]);
        assert.deepStrictEqual(
          snap.servers.map((
            s,
          ) => [s.nodeName, s.server, s.presentState, s.settingState, s.processId]),
          [
            ["10.0.0.1", "Other", "inactive", "active", 0],
            ["10.0.0.1", "Server", "inactive", "active", 0],
            ["10.0.0.2", "Server", "active", "active", 0],
          ],
        );
        // Nothing left to change: the next check reports nothing, and rows stay.
        assert.deepStrictEqual(await store.expireNodes(250_000), { nodes: [] });
        assert.deepStrictEqual((await store.counts()).servers, 3);
        // A heartbeat makes the node and the reported server active again.
        await store.keepAlive(keepAliveRows({
          nodeName: "10.0.0.1",
          state: "active",
          application: "App",
          server: "Server",
        }));
        const after = await readSnapshot(store);
        assert.deepStrictEqual(after.nodes[0].presentState, "active");
        assert.deepStrictEqual(after.servers.map((s) => s.presentState), [
          "inactive",
          "active",
          "active",
        ]);
      });
    },
  );

  await t.step(
    "two replicas on one host are two nodes, each with its own rows; the host their address",
    async () => {
      await withStore(factory, async (store, { fixture, clock }) => {
        const replica = (nodeName: string, port: number) =>
          startupRows({
            nodeName,
            application: "tars",
            server: "tarsregistry",
            adapters: [{
              servant: "tars.tarsregistry.QueryObj",
              endpoint: `tcp -h 10.0.0.9 -p ${port}`,
            }],
          });
        await store.onStartup(replica("10.0.0.9:17890", 17890));
        await store.onStartup(replica("10.0.0.9:17891", 17891));
        // A pod on that host's address is a third node.
        await store.onStartup(startupRows(startup({ nodeName: "10.0.0.9", adapters: [] })));
        const snap = await readSnapshot(store);
        assert.deepStrictEqual(snap.nodes.map((n) => [n.nodeName, n.nodeObj]), [
          ["10.0.0.9", "tars.tarsnode.NodeObj@tcp -h 10.0.0.9 -p 0"],
          ["10.0.0.9:17890", "tars.tarsnode.NodeObj@tcp -h 10.0.0.9 -p 0"],
          ["10.0.0.9:17891", "tars.tarsnode.NodeObj@tcp -h 10.0.0.9 -p 0"],
        ]);
        for (const node of snap.nodes) {
          assert.equal(await fixture.nodeAddress(node.nodeName), "10.0.0.9");
        }
        assert.deepStrictEqual(
          snap.servers.filter((s) => s.server === "tarsregistry").map((s) => [
            s.nodeName,
            s.adapters.map((a) => a.endpoint),
          ]),
          [["10.0.0.9:17890", ["tcp -h 10.0.0.9 -p 17890"]], [
            "10.0.0.9:17891",
            ["tcp -h 10.0.0.9 -p 17891"],
          ]],
        );
        // One heartbeat renews its own node only; the other's expires, then leaves alone.
        clock.advance(200_000);
        await store.keepAlive(keepAliveRows({ nodeName: "10.0.0.9:17891", state: "active" }));
        clock.advance(100_000);
        assert.deepStrictEqual((await store.expireNodes(250_000)).nodes, [
          "10.0.0.9",
          "10.0.0.9:17890",
        ]);
        await store.onPrestop(prestopTarget({ nodeName: "10.0.0.9:17890" }));
        const left = await readSnapshot(store);
        assert.deepStrictEqual(left.nodes.map((n) => [n.nodeName, n.presentState]), [
          ["10.0.0.9", "inactive"],
          ["10.0.0.9:17891", "active"],
        ]);
        assert.deepStrictEqual(
          left.servers.filter((s) => s.server === "tarsregistry").map((s) => s.nodeName),
          ["10.0.0.9:17891"],
        );
      });
    },
  );

  await t.step("the registry's own objects: announced, timed out, withdrawn", async () => {
    await withStore(factory, async (store, { fixture, clock }) => {
      const objects = (locatorId: string, version: string) => ({
        locatorId,
        servants: [
          { servant: "tars.tarsregistry.QueryObj", endpoint: "tcp -h 10.0.0.9 -p 17890" },
          { servant: "tars.tarsregistry.Registry", endpoint: "tcp -h 10.0.0.9 -p 17890" },
        ],
        version,
      });
      await store.announceRegistry(objects("10.0.0.9:17890", "0.1.0"));
      await store.announceRegistry(objects("10.0.0.9:17890", "0.1.1"));
      await store.announceRegistry(objects("10.0.0.8:17890", "0.1.0"));
      assert.deepStrictEqual(await fixture.registryInfo(), [
        "10.0.0.8:17890 tars.tarsregistry.QueryObj tcp -h 10.0.0.9 -p 17890 active 0.1.0",
        "10.0.0.8:17890 tars.tarsregistry.Registry tcp -h 10.0.0.9 -p 17890 active 0.1.0",
        "10.0.0.9:17890 tars.tarsregistry.QueryObj tcp -h 10.0.0.9 -p 17890 active 0.1.1",
        "10.0.0.9:17890 tars.tarsregistry.Registry tcp -h 10.0.0.9 -p 17890 active 0.1.1",
      ]);
      clock.advance(300_000);
      await store.announceRegistry(objects("10.0.0.9:17890", "0.1.1"));
      await store.expireNodes(250_000);
      await store.withdrawRegistry("10.0.0.9:17890");
      assert.deepStrictEqual(await fixture.registryInfo(), [
        "10.0.0.8:17890 tars.tarsregistry.QueryObj tcp -h 10.0.0.9 -p 17890 inactive 0.1.0",
        "10.0.0.8:17890 tars.tarsregistry.Registry tcp -h 10.0.0.9 -p 17890 inactive 0.1.0",
      ]);
    });
  });

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
      const snap = await readSnapshot(store);
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
      const snap = await readSnapshot(store);
      assert.deepStrictEqual(snap.servers.map((s) => [s.server, s.metricsPort, s.setId]), [
        ["Other", 9325, ""],
        ["Server", 9100, "s.a.g"],
      ]);
      // A new onStartup keeps the registered port.
      await store.onStartup(startupRows(startup({ setId: "s.a.g" })));
      assert.deepStrictEqual((await readSnapshot(store)).servers[1].metricsPort, 9100);
    });
  });

  await t.step(
    "invalid requests raise RangeError naming field and value, writing nothing",
    async () => {
      await withStore(factory, async (store, { clock }) => {
        await store.onStartup(startupRows(startup()));
        const before = await readSnapshot(store);
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
          () => store.onStartup(startupRows(startup({ serverType: "tars_rust" }))),
          "serverType",
          '"tars_rust"',
        );
        await assertRange(
          () => store.onStartup(startupRows(startup({ processId: -2 }))),
          "processId",
          "-2",
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
        const after = await readSnapshot(store);
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
      assert.deepStrictEqual((await readSnapshot(store)).nodes.map((n) => n.nodeName), [
        "10.0.0.2",
      ]);
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
      const written = await readSnapshot(first);
      await first.close();
      await assert.rejects(() => first.counts(), /closed/);
      const second = await fixture.open(clock.now);
      try {
        assert.deepStrictEqual(await readSnapshot(second), written);
      } finally {
        await second.close();
      }
    } finally {
      await fixture.cleanup();
    }
  });
}

const REGISTRY_INFO_SQL = "SELECT locator_id, servant, endpoint, present_state, tars_version " +
  "FROM t_registry_info";

function registryInfoLines(rows: Record<string, unknown>[]): string[] {
  return rows.map((r) =>
    `${r.locator_id} ${r.servant} ${r.endpoint} ${r.present_state} ${r.tars_version}`
  ).sort();
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
    const rows = (sql: string, params: string[] = []) => {
      const db = new DatabaseSync(path);
      try {
        return db.prepare(sql).all(...params) as Record<string, unknown>[];
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
      setSettingState(nodeName, server, state) {
        raw("UPDATE t_server_conf SET setting_state = ? WHERE node_name = ? AND server_name = ?", [
          state,
          nodeName,
          server,
        ]);
        return Promise.resolve();
      },
      registryInfo: () => Promise.resolve(registryInfoLines(rows(REGISTRY_INFO_SQL))),
      nodeVersion: (nodeName) =>
        Promise.resolve(
          String(
            rows("SELECT tars_version FROM t_node_info WHERE node_name = ?", [nodeName])[0]
              ?.tars_version,
          ),
        ),
      nodeAddress: (nodeName) =>
        Promise.resolve(
          String(
            rows("SELECT endpoint_ip FROM t_node_info WHERE node_name = ?", [nodeName])[0]
              ?.endpoint_ip,
          ),
        ),
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
      open: (now) => openStore(url, { now, initDb: true, pinClock: true }),
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
      async setSettingState(nodeName, serverName, state) {
        await server.rootQuery(
          database,
          "UPDATE t_server_conf SET setting_state = ? WHERE node_name = ? AND server_name = ?",
          [state, nodeName, serverName],
        );
      },
      async registryInfo() {
        return registryInfoLines(
          await server.rootQuery(database, REGISTRY_INFO_SQL) as Record<string, unknown>[],
        );
      },
      async nodeVersion(nodeName) {
        const [row] = await server.rootQuery(
          database,
          "SELECT tars_version FROM t_node_info WHERE node_name = ?",
          [nodeName],
        ) as { tars_version: string }[];
        return String(row?.tars_version);
      },
      async nodeAddress(nodeName) {
        const [row] = await server.rootQuery(
          database,
          "SELECT endpoint_ip FROM t_node_info WHERE node_name = ?",
          [nodeName],
        ) as { endpoint_ip: string }[];
        return String(row?.endpoint_ip);
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

  await t.step("writes the framework's columns as the framework does", async () => {
    const url = await server.createDatabase("columns");
    const store = await openStore(url, { now: clock.now, initDb: true, pinClock: true });
    try {
      const ipv6 = "fd00:1234:5678:9abc::17";
      await store.onStartup(startupRows(startup({
        nodeName: ipv6,
        setId: "sz.a.g",
        disableFlow: true,
        serverType: "tars_java",
        processId: 0,
        tarscliVersion: "0.1.0",
      })));
      await store.keepAlive(keepAliveRows({ nodeName: ipv6, state: "deactivating" }));
      const [node] = await server.rootQuery(
        "columns",
        `SELECT node_obj, endpoint_ip, endpoint_port, present_state, setting_state, tars_version,
          CAST(last_heartbeat AS CHAR) AS last_heartbeat,
          CAST(last_reg_time AS CHAR) AS last_reg_time FROM t_node_info`,
      ) as Record<string, unknown>[];
      // The store's clock in the database's time zone: what its NOW() gave.
      const local = async (ms: number) =>
        ((await server.rootQuery("columns", "SELECT CAST(FROM_UNIXTIME(?) AS CHAR) AS t", [
          ms / 1000,
        ])) as { t: string }[])[0].t;
      const now = await local(clock.now());
      assert.deepStrictEqual(node, {
        node_obj: `tars.tarsnode.NodeObj@tcp -h ${ipv6} -p 0`,
        endpoint_ip: ipv6,
        endpoint_port: 0,
        present_state: "active",
        setting_state: "active",
        tars_version: "0.1.0",
        last_heartbeat: now,
        last_reg_time: now,
      });
      const [row] = await server.rootQuery(
        "columns",
        `SELECT present_state, setting_state, enable_set, set_name, set_area, set_group,
          grid_flag, flow_state, server_type, patch_version, template_name, process_id,
          CAST(patch_time AS CHAR) AS patch_time, CAST(posttime AS CHAR) AS posttime,
          CAST(registry_timestamp AS CHAR) AS registry_timestamp FROM t_server_conf`,
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
        server_type: "tars_java",
        patch_version: "v1",
        template_name: "tars.default",
        process_id: 0,
        patch_time: now,
        posttime: now,
        registry_timestamp: now,
      });
      assert.deepStrictEqual((store as MysqlStore).usesFlowState, true);
      // A pod with a node object: node_obj and endpoint_port as tarsnode's registration writes
      // them, which the console's node list and the C++ admin registry read.
      await store.onStartup(startupRows(startup({
        nodeName: "10.0.0.8",
        nodeEndpoint: "tcp -h 10.0.0.8 -p 15999 -t 60000",
      })));
      assert.deepStrictEqual(
        await server.rootQuery(
          "columns",
          "SELECT node_obj, endpoint_port FROM t_node_info WHERE node_name = '10.0.0.8'",
        ),
        [{
          node_obj: "tars.tarsnode.NodeObj@tcp -h 10.0.0.8 -p 15999 -t 60000",
          endpoint_port: 15999,
        }],
      );
      await store.onPrestop(prestopTarget({ nodeName: "10.0.0.8" }));
      // The web console turns traffic off through flow_state alone.
      await store.onStartup(startupRows(startup({ nodeName: "10.0.0.9" })));
      await server.rootQuery(
        "columns",
        "UPDATE t_server_conf SET flow_state = 'inactive' WHERE node_name = '10.0.0.9'",
      );
      const snap = await readSnapshot(store);
      assert.deepStrictEqual(snap.servers.map((s) => [s.nodeName, s.flowEnabled]), [
        ["10.0.0.9", false],
        [ipv6, false],
      ]);
      // patch_time moves with the version only; registry_timestamp with every change.
      clock.advance(60_000);
      await store.onStartup(startupRows(startup({ nodeName: "10.0.0.9" })));
      clock.advance(60_000);
      await store.onStartup(startupRows(startup({ nodeName: "10.0.0.9", version: "v2" })));
      const [times] = await server.rootQuery(
        "columns",
        `SELECT CAST(patch_time AS CHAR) AS patch_time, CAST(posttime AS CHAR) AS posttime,
          CAST(registry_timestamp AS CHAR) AS registry_timestamp FROM t_server_conf
          WHERE node_name = '10.0.0.9'`,
      ) as Record<string, unknown>[];
      assert.deepStrictEqual(times, {
        patch_time: await local(clock.now()),
        posttime: now,
        registry_timestamp: await local(clock.now()),
      });
    } finally {
      await store.close();
    }
    // At the next start: the console's traffic switch of a server this registry registered
    // stays; a server K8STARS registered with traffic off (grid_flag only) gets it in flow_state.
    await server.rootQuery(
      "columns",
      "UPDATE t_server_conf SET flow_state = 'active' WHERE node_name = 'fd00:1234:5678:9abc::17'",
    );
    await server.rootQuery(
      "columns",
      `INSERT INTO t_server_conf (application, server_name, node_name, setting_state,
        present_state, grid_flag) VALUES ('K8s', 'Old', '10.0.0.8', 'active', 'active', 'NO_FLOW')`,
    );
    const again = await openStore(url, { now: clock.now, pinClock: true });
    try {
      const flows = (await readSnapshot(again)).servers.map((s) => [s.nodeName, s.flowEnabled]);
      // 10.0.0.9 registered again (traffic on) after the console switched it off: still off.
      assert.deepStrictEqual(flows, [
        ["10.0.0.9", false],
        ["fd00:1234:5678:9abc::17", true],
        ["10.0.0.8", false],
      ]);
    } finally {
      await again.close();
    }
  });

  await t.step(
    "a database K8STARS wrote is read and carried over, and its tables are not changed",
    async () => {
      await server.createDatabase("k8stars");
      // The framework's schema of the K8STARS days (no flow_state), plus the one column the
      // K8STARS registry added to it.
      const ddl = (await Deno.readTextFile(DEFAULT_DDL_PATH))
        .replace(/^\s*flow_state [^\n]*\n/m, "")
        .replace(/^\s*run_type [^\n]*\n/m, "")
        .replace(/^\s*base_image_id [^\n]*\n/m, "");
      for (const statement of ddl.split(/;\n/).filter((s) => /CREATE TABLE/.test(s))) {
        await server.rootQuery("k8stars", statement);
      }
      await server.rootQuery(
        "k8stars",
        "ALTER TABLE t_server_conf ADD metrics_port int(11) DEFAULT 0",
      );
      // What the K8STARS registry wrote for two pods (one with traffic off).
      await server.rootQuery(
        "k8stars",
        `INSERT INTO t_node_info (node_name, node_obj, endpoint_ip, endpoint_port, last_reg_time,
          last_heartbeat, setting_state, present_state) VALUES
          ('10.3.0.1', 'tars.tarsnode.NodeObj@tcp -h 10.3.0.1 -p 0', '10.3.0.1', 0, NOW(), NOW(),
            'active', 'active'),
          ('10.3.0.2', 'tars.tarsnode.NodeObj@tcp -h 10.3.0.2 -p 0', '10.3.0.2', 0, NOW(), NOW(),
            'active', 'active')`,
      );
      await server.rootQuery(
        "k8stars",
        `INSERT INTO t_server_conf (application, server_name, node_name, patch_version,
          present_state, enable_set, grid_flag, server_type, setting_state, registry_timestamp,
          patch_time, posttime, metrics_port) VALUES
          ('K8s', 'Old', '10.3.0.1', 'v0', 'active', 'N', 'NORMAL', 'tars_cpp', 'active', NOW(),
            NOW(), NOW(), 9100),
          ('K8s', 'Old', '10.3.0.2', 'v0', 'active', 'N', 'NO_FLOW', 'tars_cpp', 'active', NOW(),
            NOW(), NOW(), 0)`,
      );
      await server.rootQuery(
        "k8stars",
        `INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant,
          endpoint, protocol) VALUES
          ('K8s', 'Old', '10.3.0.1', 'K8s.Old.ObjAdapter', 'K8s.Old.Obj', 'tcp -h 10.3.0.1 -p 1', 'tars'),
          ('K8s', 'Old', '10.3.0.2', 'K8s.Old.ObjAdapter', 'K8s.Old.Obj', 'tcp -h 10.3.0.2 -p 1', 'tars')`,
      );
      const schema = () => createTables(server, "k8stars");
      const before = await schema();
      const url = server.urlFor("k8stars");
      const store = await openStore(url, { now: Date.now });
      try {
        const servers = (await readSnapshot(store)).servers;
        assert.deepStrictEqual(
          servers.map((s) => [s.nodeName, s.metricsPort, s.flowEnabled, s.version]),
          [["10.3.0.1", 9100, true, "v0"], ["10.3.0.2", 0, false, "v0"]],
        );
        assert.deepStrictEqual((store as MysqlStore).usesFlowState, false);
        // Writes go on, K8STARS's columns included (a K8STARS registry beside it reads them).
        await store.onStartup(startupRows(startup({ nodeName: "10.3.0.3", disableFlow: true })));
        assert.deepStrictEqual(
          await store.registerMetrics(metricsRow({
            nodeName: "10.3.0.3",
            application: "App",
            server: "Server",
            metricsPort: 9102,
          })),
          true,
        );
        const [row] = await server.rootQuery(
          "k8stars",
          "SELECT grid_flag, metrics_port FROM t_server_conf WHERE node_name = '10.3.0.3'",
        ) as Record<string, unknown>[];
        assert.deepStrictEqual(row, { grid_flag: "NO_FLOW", metrics_port: 9102 });
        // Only the registry's own tables were added.
        const after = await schema();
        assert.deepStrictEqual(
          Object.keys(after).filter((t) => !(t in before)).sort(),
          ["t_tarsregistry_server", "t_tarsregistry_task"],
        );
        for (const table of Object.keys(before)) assert.equal(after[table], before[table], table);
        // A console start drops both K8STARS columns: what they said is kept.
        await server.rootQuery(
          "k8stars",
          "ALTER TABLE t_server_conf DROP COLUMN metrics_port, DROP COLUMN grid_flag",
        );
        const kept = (await readSnapshot(store)).servers;
        assert.deepStrictEqual(
          kept.map((s) => [s.nodeName, s.metricsPort, s.flowEnabled]),
          [["10.3.0.3", 9102, false], ["10.3.0.1", 9100, true], ["10.3.0.2", 0, false]],
        );
      } finally {
        await store.close();
      }
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
      assert.deepStrictEqual((await readSnapshot(b)).servers.map((s) => s.nodeName), ["10.1.0.1"]);
      await b.keepAlive(keepAliveRows({ nodeName: "10.1.0.1", state: "inactive" }));
      await b.onStartup(startupRows(startup({ nodeName: "10.1.0.2" })));
      const seen = await readSnapshot(a);
      assert.deepStrictEqual(seen.servers.map((s) => [s.nodeName, s.presentState]), [
        ["10.1.0.1", "inactive"],
        ["10.1.0.2", "activating"],
      ]);
      await a.onPrestop(
        prestopTarget({ nodeName: "10.1.0.2", application: "App", server: "Server" }),
      );
      assert.deepStrictEqual((await b.counts()).servers, 1);
      // Pods naming one new group on both at once: one group, the same on both.
      await Promise.all([
        ...["10.1.1.1", "10.1.1.2", "10.1.1.3"].map((n) =>
          a.onStartup(startupRows(startup({ nodeName: n, group: "zone-x" })))
        ),
        ...["10.1.2.1", "10.1.2.2", "10.1.2.3"].map((n) =>
          b.onStartup(startupRows(startup({ nodeName: n, group: "zone-x" })))
        ),
      ]);
      const groupsOf = async (store: RegistryStore) =>
        (await store.readGroupRules()).rules.map((r) => [r.groupId, r.groupName]);
      const groups = await groupsOf(a);
      assert.deepStrictEqual(groups.map(([, name]) => name), ["zone-x"]);
      assert.deepStrictEqual(await groupsOf(b), groups);
    } finally {
      await a.close();
      await b.close();
    }
  });
}

/** `SHOW CREATE TABLE` of every table of `database`, by name. */
async function createTables(
  server: MariadbServer,
  database: string,
): Promise<Record<string, string>> {
  const tables = await server.rootQuery(database, "SHOW TABLES") as Record<string, string>[];
  const result: Record<string, string> = {};
  for (const row of tables) {
    const table = Object.values(row)[0];
    const [created] = await server.rootQuery(database, `SHOW CREATE TABLE \`${table}\``) as Record<
      string,
      string
    >[];
    result[table] = created["Create Table"].replace(/ AUTO_INCREMENT=\d+/, "");
  }
  return result;
}
