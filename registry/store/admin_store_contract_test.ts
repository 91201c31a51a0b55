/**
 * The admin registry's part of the store contract (admin_types.ts), run against SQLite and a real
 * MariaDB (strict SQL mode): setting states, the traffic switch across re-registrations, tasks
 * and what the console reads.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import {
  mariadbMissing,
  mariadbSearchPath,
  type MariadbServer,
  startMariadb,
} from "../../tests/support/mariadb.ts";
import { skipWhen } from "../../tests/support/skip.ts";
import { fakeClock } from "../../tests/support/fake_clock.ts";
import { openStore } from "./open_store.ts";
import type { RegistryStore } from "./types.ts";
import type { TaskRows } from "./admin_types.ts";
import { formatDatetime } from "./datetime.ts";
import { type StartupRequest, startupRows } from "../validate.ts";
import { readSnapshot } from "../../tests/support/store_snapshot.ts";

/** A database the steps open stores on. */
interface Fixture {
  /** Opens a store on the fixture's database (another one on the same database, too). */
  open(now: () => number): Promise<RegistryStore>;
  /** Runs one statement on the database, as another tool would. */
  exec(sql: string, params?: (string | number)[]): Promise<void>;
  /** Removes the database. */
  cleanup(): Promise<void>;
}

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function pod(overrides: Partial<StartupRequest> = {}): StartupRequest {
  return {
    nodeName: "10.0.0.1",
    application: "App",
    server: "Server",
    adapters: [{ servant: "App.Server.Obj", endpoint: "tcp -h 10.0.0.1 -p 13000" }],
    state: "active",
    ...overrides,
  };
}

function task(overrides: Partial<TaskRows> = {}): TaskRows {
  return {
    taskNo: "task-1",
    serial: true,
    userName: "admin",
    numbering: 2,
    items: ["10.0.0.1", "10.0.0.2"].map((nodeName, i) => ({
      itemNo: `item-${i + 1}`,
      application: "App",
      server: "Server",
      nodeName,
      setName: "",
      command: "restart",
      parameters: i === 0 ? "" : "bak_flag=0&note=a%26b",
      status: 0,
    })),
    ...overrides,
  };
}

async function flowOf(store: RegistryStore, nodeName = "10.0.0.1"): Promise<boolean> {
  const server = (await readSnapshot(store)).servers.find((s) => s.nodeName === nodeName);
  assert.ok(server, `no server on ${nodeName}`);
  return server.flowEnabled;
}

async function adminContract(t: Deno.TestContext, factory: () => Promise<Fixture>) {
  const withStore = async (body: (store: RegistryStore, fixture: Fixture) => Promise<void>) => {
    const fixture = await factory();
    try {
      const store = await fixture.open(fakeClock(NOW).now);
      try {
        await body(store, fixture);
      } finally {
        await store.close();
      }
    } finally {
      await fixture.cleanup();
    }
  };

  await t.step("setSettingState sets a registered server's state", async () => {
    await withStore(async (store) => {
      await store.onStartup(startupRows(pod()));
      const key = { application: "App", server: "Server", nodeName: "10.0.0.1" };
      assert.equal(await store.setSettingState(key, "inactive"), true);
      assert.equal((await readSnapshot(store)).servers[0].settingState, "inactive");
      assert.equal(await store.setSettingState({ ...key, nodeName: "10.9.9.9" }, "active"), false);
      // A pod's re-registration keeps it.
      await store.onStartup(startupRows(pod()));
      assert.equal((await readSnapshot(store)).servers[0].settingState, "inactive");
    });
  });

  await t.step(
    "the traffic switch: kept across re-registration, off while the pod asks it off",
    async () => {
      await withStore(async (store) => {
        await store.onStartup(startupRows(pod()));
        await store.onStartup(startupRows(pod({ nodeName: "10.0.0.2" })));
        const rows = { application: "App", server: "Server", active: false };
        assert.equal(await store.setFlowState({ ...rows, nodeNames: ["10.0.0.1", "10.0.0.9"] }), 1);
        assert.equal(await flowOf(store), false);
        assert.equal(await flowOf(store, "10.0.0.2"), true);
        await store.onStartup(startupRows(pod()));
        assert.equal(await flowOf(store), false, "kept after the pod registered again");
        await store.setFlowState({ ...rows, nodeNames: ["10.0.0.1"], active: true });
        assert.equal(await flowOf(store), true);
        // TARS_DISABLE_FLOW: the pod registers with traffic off.
        await store.onStartup(startupRows(pod({ disableFlow: true })));
        assert.equal(await flowOf(store), false);
        // A server registered anew takes the pod's flag.
        await store.onPrestop({ nodeName: "10.0.0.1", application: "App", server: "Server" });
        await store.onStartup(startupRows(pod()));
        assert.equal(await flowOf(store), true);
      });
    },
  );

  await t.step("nodeVersion and serverProfile read what is registered", async () => {
    await withStore(async (store) => {
      await store.onStartup(startupRows(pod({ tarscliVersion: "1.2.3" })));
      assert.equal(await store.nodeVersion("10.0.0.1"), "1.2.3");
      assert.equal(await store.nodeVersion("10.9.9.9"), undefined);
      const key = { application: "App", server: "Server", nodeName: "10.0.0.1" };
      assert.deepEqual(await store.serverProfile(key), { template: "tars.default", profile: "" });
      assert.equal(await store.serverProfile({ ...key, server: "Other" }), undefined);
    });
  });

  await t.step("profileTemplate reads t_profile_template", async () => {
    await withStore(async (store, fixture) => {
      await fixture.exec(
        "INSERT INTO t_profile_template (template_name, parents_name, profile) VALUES (?, ?, ?)",
        ["app.template", "tars.default", "<tars>\n</tars>\n"],
      );
      assert.deepEqual(await store.profileTemplate("app.template"), {
        parents: "tars.default",
        profile: "<tars>\n</tars>\n",
      });
      assert.equal(await store.profileTemplate("no.such"), undefined);
    });
  });

  await t.step("a task: written, its items changed, read back in order", async () => {
    await withStore(async (store) => {
      await store.addTask(task());
      const written = await store.task("task-1");
      assert.ok(written);
      assert.deepEqual(
        { ...written, items: written.items.map((i) => [i.itemNo, i.status, i.startTime]) },
        {
          taskNo: "task-1",
          serial: true,
          userName: "admin",
          createTime: written.createTime,
          numbering: 2,
          items: [["item-1", 0, ""], ["item-2", 0, ""]],
        },
      );
      assert.match(written.createTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.equal(written.items[1].parameters, "bak_flag=0&note=a%26b");
      assert.deepEqual(
        [written.items[1].nodeName, written.items[1].command],
        ["10.0.0.2", "restart"],
      );

      await store.changeTaskItem({ taskNo: "task-1", itemNo: "item-1", status: 1, stamp: "start" });
      await store.changeTaskItem({
        taskNo: "task-1",
        itemNo: "item-1",
        status: 2,
        stamp: "end",
        log: "restartServer succ",
      });
      const [first, second] = (await store.task("task-1"))!.items;
      assert.deepEqual([first.status, first.log, second.status], [2, "restartServer succ", 0]);
      assert.match(first.startTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.match(first.endTime, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      assert.equal(second.endTime, "");
      assert.equal(await store.task("task-9"), undefined);
    });
  });

  await t.step("a task keeps its console's numbering", async () => {
    await withStore(async (store) => {
      await store.addTask(task({ taskNo: "t3", numbering: 3 }));
      assert.equal((await store.task("t3"))!.numbering, 3);
    });
  });

  await t.step("taskHistory: the tasks of a server and command, newest first", async () => {
    const clock = fakeClock(NOW);
    const fixture = await factory();
    try {
      const store = await fixture.open(clock.now);
      try {
        await store.addTask(task({ taskNo: "old" }));
        clock.advance(2_000);
        await store.addTask(task({ taskNo: "new" }));
        const stop = task({ taskNo: "stop" });
        stop.items = stop.items.map((item) => ({ ...item, command: "stop" }));
        await store.addTask(stop);
        const history = await store.taskHistory({
          application: "App",
          server: "Server",
          command: "restart",
        });
        assert.deepEqual(history.map((t) => t.taskNo), ["new", "old"]);
        assert.equal(history[0].items.length, 2);
        assert.deepEqual(
          await store.taskHistory({ application: "App", server: "Other", command: "restart" }),
          [],
        );
      } finally {
        await store.close();
      }
    } finally {
      await fixture.cleanup();
    }
  });

  await t.step("a task written by one store is read by another on the same database", async () => {
    const fixture = await factory();
    try {
      const one = await fixture.open(fakeClock(NOW).now);
      const other = await fixture.open(fakeClock(NOW).now);
      try {
        await one.addTask(task({ numbering: 3 }));
        const read = await other.task("task-1");
        assert.deepEqual([read?.numbering, read?.items.length], [3, 2]);
      } finally {
        await one.close();
        await other.close();
      }
    } finally {
      await fixture.cleanup();
    }
  });
}

Deno.test("admin store contract: SQLite", async (t) => {
  await adminContract(t, async () => {
    const dir = await Deno.makeTempDir({ prefix: "tars-admin-store-" });
    const path = join(dir, "registry.db");
    return {
      open: (now) => openStore(`sqlite:${path}`, { now }),
      exec(sql, params = []) {
        const db = new DatabaseSync(path);
        try {
          db.prepare(sql).run(...params);
        } finally {
          db.close();
        }
        return Promise.resolve();
      },
      cleanup: () => Deno.remove(dir, { recursive: true }),
    };
  });
  await t.step("SQLite times are the store clock's, in the local time zone", async () => {
    const dir = await Deno.makeTempDir({ prefix: "tars-admin-store-" });
    try {
      const store = await openStore(`sqlite:${join(dir, "r.db")}`, { now: () => NOW });
      try {
        await store.addTask(task());
        assert.equal((await store.task("task-1"))!.createTime, formatDatetime(NOW));
      } finally {
        await store.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

const MYSQL_TEST = "admin store contract: MySQL (private MariaDB)";
Deno.test(MYSQL_TEST, { ignore: skipWhen(MYSQL_TEST, mariadbMissing(Deno.env)) }, async (t) => {
  const server: MariadbServer = await startMariadb({
    searchPath: mariadbSearchPath(Deno.env.get("PATH")),
  });
  let next = 0;
  try {
    await adminContract(t, async () => {
      const database = `admin_${++next}`;
      const url = await server.createDatabase(database);
      return {
        open: (now) => openStore(url, { now, initDb: true, pinClock: true }),
        async exec(sql, params = []) {
          await server.rootQuery(database, sql, params);
        },
        async cleanup() {
          await server.rootQuery("mysql", `DROP DATABASE \`${database}\``);
        },
      };
    });
    await t.step("a database without flow_state has no traffic switch to set", async () => {
      const database = "admin_no_flow";
      const url = await server.createDatabase(database);
      try {
        const store = await openStore(url, {
          now: () => NOW,
          initDb: true,
          pinClock: true,
          log: () => {},
        });
        try {
          await store.onStartup(startupRows(pod()));
          await server.rootQuery(database, "ALTER TABLE t_server_conf DROP COLUMN flow_state");
          // The store reads the columns again at its next reload.
          await readSnapshot(store);
          await assert.rejects(
            () =>
              store.setFlowState({
                application: "App",
                server: "Server",
                nodeNames: ["10.0.0.1"],
                active: false,
              }),
            /no column flow_state/,
          );
        } finally {
          await store.close();
        }
      } finally {
        await server.rootQuery("mysql", `DROP DATABASE \`${database}\``);
      }
    });
  } finally {
    await server.stop();
  }
});
