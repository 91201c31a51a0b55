/**
 * tarsregistry on the TARS framework's `db_tars` next to the web console and the C++ registry,
 * on a private MariaDB: `--init-db` makes the published schema and is a no-op the second time;
 * times are the database's `NOW()` in the session's time zone; an operator's setting state
 * survives a pod's re-registration; the node check writes the C++ registry's timeout states within
 * one reload; and a console start (TarsWeb's `sync({alter:true})`) while the registry runs breaks
 * no write, no reload and no `/healthz`.
 */
import assert from "node:assert/strict";
import { TarsClient } from "../protocol/client.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { OnStartupReq, REGISTRY_OBJ, RegistryF } from "../protocol/interfaces/registry_f.ts";
import { ADMIN_REG_OBJ } from "../protocol/interfaces/admin_reg.ts";
import type { StructInput } from "../protocol/codec/mod.ts";
import { readRegistryConfig, RegistryService, startRegistry } from "../registry/mod.ts";
import { createMysqlSchema, openStore, parseMysqlUrl } from "../registry/store/mod.ts";
import { keepAliveRows, metricsRow, startupRows } from "../registry/validate.ts";
import { eventually } from "./support/eventually.ts";
import { fakeClock } from "./support/fake_clock.ts";
import {
  mariadbMissing,
  mariadbSearchPath,
  type MariadbServer,
  startMariadb,
} from "./support/mariadb.ts";
import { skipWhen } from "./support/skip.ts";
import { readSnapshot } from "./support/store_snapshot.ts";

/**
 * The tables of TarsFramework's published `deploy/framework/sql/db_tars.sql` (the version with
 * `flow_state` and `label`), in its order.
 */
const FRAMEWORK_TABLES = [
  "t_adapter_conf",
  "t_ats_cases",
  "t_ats_interfaces",
  "t_config_files",
  "t_config_history_files",
  "t_config_references",
  "t_group_priority",
  "t_machine_tars_info",
  "t_node_info",
  "t_profile_template",
  "t_registry_info",
  "t_server_conf",
  "t_server_group_relation",
  "t_server_group_rule",
  "t_server_patchs",
  "t_task",
  "t_task_item",
  "t_web_release_conf",
];

/** Every table's definition and content checksum, by name. */
async function tablesOf(server: MariadbServer, database: string): Promise<Map<string, string>> {
  const rows = await server.rootQuery(database, "SHOW TABLES") as Record<string, string>[];
  const tables = new Map<string, string>();
  for (const table of rows.map((row) => Object.values(row)[0]).sort()) {
    const [created] = await server.rootQuery(database, `SHOW CREATE TABLE ${table}`) as Record<
      string,
      string
    >[];
    const [sum] = await server.rootQuery(database, `CHECKSUM TABLE ${table}`) as Record<
      string,
      unknown
    >[];
    tables.set(table, `${created["Create Table"]}\nchecksum ${sum.Checksum}`);
  }
  return tables;
}

function startup(nodeName: string, extra: Record<string, unknown> = {}) {
  return {
    nodeName,
    application: "Db",
    server: "Pod",
    adapters: [{ servant: "Db.Pod.Obj", endpoint: `tcp -h ${nodeName} -p 18000 -t 3000` }],
    state: "active",
    version: "v1",
    ...extra,
  };
}

type StartupInput = StructInput<typeof OnStartupReq.fields>;

/** The same pod as {@linkcode startup}, as an `onStartupReq` on the wire. */
function wirePod(nodeName: string, extra: Partial<StartupInput> = {}): StartupInput {
  return {
    nodeName,
    application: "Db",
    server: "Pod",
    adapters: [{ servant: "Db.Pod.Obj", endpoint: `tcp -h ${nodeName} -p 18000 -t 3000` }],
    State: "active",
    Version: "v1",
    ...extra,
  };
}

const TEST = "db_tars: the framework's schema, times and states, beside the console";
Deno.test({
  name: TEST,
  ignore: skipWhen(TEST, mariadbMissing(Deno.env)),
  async fn(t) {
    const server = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
    try {
      await t.step("--init-db creates every table of the published schema", async () => {
        const url = await server.createDatabase("fresh");
        await createMysqlSchema(parseMysqlUrl(url));
        const tables = [...(await tablesOf(server, "fresh")).keys()];
        assert.deepEqual(
          tables,
          [...FRAMEWORK_TABLES, "t_tarsregistry_server", "t_tarsregistry_task"].sort(),
        );
        const [template] = await server.rootQuery(
          "fresh",
          "SELECT template_name, parents_name, profile FROM t_profile_template",
        ) as Record<string, string>[];
        assert.deepEqual([template.template_name, template.parents_name], [
          "tars.default",
          "tars.default",
        ]);
        assert.match(template.profile, /locator=\$\{locator\}/);
        // The 3.x C++ registry selects both in getServers.
        const columns = await server.rootQuery(
          "fresh",
          `SELECT COLUMN_NAME AS c FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'fresh'
            AND TABLE_NAME = 't_server_conf' AND COLUMN_NAME IN ('run_type', 'base_image_id')`,
        ) as { c: string }[];
        assert.deepEqual(columns.map((c) => c.c).sort(), ["base_image_id", "run_type"]);
      });

      await t.step("--init-db again, and on a database in use, changes nothing there", async () => {
        const url = server.urlFor("fresh");
        // In use: the console edited the template, pods registered.
        await server.rootQuery(
          "fresh",
          "UPDATE t_profile_template SET profile = '<tars>edited</tars>', lastuser = 'ops'",
        );
        const store = await openStore(url, { now: Date.now });
        await store.onStartup(startupRows(startup("10.8.0.1")));
        await store.close();
        const before = await tablesOf(server, "fresh");
        await createMysqlSchema(parseMysqlUrl(url));
        await createMysqlSchema(parseMysqlUrl(url));
        assert.deepEqual(await tablesOf(server, "fresh"), before);
      });

      await t.step("a user who may not create tables runs where the own table exists", async () => {
        await server.createDatabase("bare");
        await server.rootQuery("mysql", "CREATE USER 'limited'@'%' IDENTIFIED BY 'pw'");
        for (const database of ["fresh", "bare"]) {
          await server.rootQuery(
            "mysql",
            `GRANT SELECT, INSERT, UPDATE, DELETE ON ${database}.* TO 'limited'@'%'`,
          );
        }
        const urlOf = (database: string) =>
          server.urlFor(database).replace(/^mysql:\/\/[^@]*@/, "mysql://limited:pw@");
        const store = await openStore(urlOf("fresh"), { now: Date.now });
        await store.onStartup(startupRows(startup("10.8.0.2")));
        await store.close();
        // Framework tables, no own table, and no right to create it: the error says what to do.
        for (const table of ["t_node_info", "t_server_conf", "t_adapter_conf", "t_config_files"]) {
          await server.rootQuery("bare", `CREATE TABLE ${table} LIKE fresh.${table}`);
        }
        await assert.rejects(
          () => openStore(urlOf("bare"), { now: Date.now }),
          /Cannot create the registry's own table t_tarsregistry_server in database bare as user "limited": .*start it once with --init-db/,
        );
      });

      await t.step("times equal the database's NOW() in a +08:00 session time zone", async () => {
        await server.rootQuery("mysql", "SET GLOBAL time_zone = '+08:00'");
        try {
          const url = await server.createDatabase("zone");
          const store = await openStore(url, { now: Date.now, initDb: true });
          try {
            await store.onStartup(startupRows(startup("10.8.1.1", { tarscliVersion: "0.1.0" })));
            await store.keepAlive(keepAliveRows({ nodeName: "10.8.1.1", state: "active" }));
            await store.registerMetrics(
              metricsRow({
                nodeName: "10.8.1.1",
                application: "Db",
                server: "Pod",
                metricsPort: 1,
              }),
            );
            await store.announceRegistry({
              locatorId: "10.8.1.9:17890",
              servants: [{ servant: QUERY_OBJ, endpoint: "tcp -h 10.8.1.9 -p 17890" }],
              version: "0.1.0",
            });
            const [row] = await server.rootQuery(
              "zone",
              `SELECT @@session.time_zone AS zone,
                TIMESTAMPDIFF(SECOND, n.last_heartbeat, NOW()) AS heartbeat,
                TIMESTAMPDIFF(SECOND, n.last_reg_time, NOW()) AS registered,
                TIMESTAMPDIFF(SECOND, s.patch_time, NOW()) AS patched,
                TIMESTAMPDIFF(SECOND, s.posttime, NOW()) AS posted,
                TIMESTAMPDIFF(SECOND, s.registry_timestamp, NOW()) AS stamped,
                TIMESTAMPDIFF(SECOND, r.last_heartbeat, NOW()) AS registry
              FROM t_node_info n JOIN t_server_conf s USING (node_name), t_registry_info r`,
            ) as Record<string, string | number>[];
            assert.equal(row.zone, "+08:00");
            for (const column of ["heartbeat", "registered", "patched", "posted", "stamped"]) {
              assert.ok(Math.abs(Number(row[column])) <= 1, `${column}: ${row[column]} s`);
            }
            assert.ok(Math.abs(Number(row.registry)) <= 1, `registry: ${row.registry} s`);
            // Ages are measured against the database's clock: this heartbeat is new.
            const [node] = (await readSnapshot(store)).nodes;
            assert.ok(Math.abs(Date.now() - node.lastHeartbeat) < 2000, String(node.lastHeartbeat));
          } finally {
            await store.close();
          }
        } finally {
          await server.rootQuery("mysql", "SET GLOBAL time_zone = 'SYSTEM'");
        }
      });

      await t.step(
        "an operator's setting_state='inactive' survives a re-registration, endpoints inactive",
        async () => {
          const url = await server.createDatabase("operator");
          const store = await openStore(url, { now: Date.now, initDb: true });
          try {
            const service = await RegistryService.open(store, {
              now: Date.now,
              nodeTimeout: 250_000,
              log: () => {},
            });
            await service.onStartup(startup("10.8.2.1"));
            assert.equal(service.find("Db.Pod.Obj").activeEp.length, 1);
            // The console stops the server.
            await server.rootQuery(
              "operator",
              "UPDATE t_server_conf SET setting_state = 'inactive' WHERE node_name = '10.8.2.1'",
            );
            await service.refresh();
            assert.equal(service.find("Db.Pod.Obj").inactiveEp.length, 1);
            // The pod restarts and registers again.
            await service.onStartup(startup("10.8.2.1"));
            assert.deepEqual(service.find("Db.Pod.Obj").activeEp, []);
            await service.refresh();
            assert.deepEqual(service.find("Db.Pod.Obj").activeEp, []);
            const [row] = await server.rootQuery(
              "operator",
              "SELECT setting_state, present_state FROM t_server_conf",
            ) as Record<string, string>[];
            assert.deepEqual(row, { setting_state: "inactive", present_state: "active" });
          } finally {
            await store.close();
          }
        },
      );

      await t.step(
        "the timeout states are written within one reload after --node-timeout",
        async () => {
          const url = await server.createDatabase("timeout");
          const clock = fakeClock(Date.UTC(2026, 0, 1, 12));
          const store = await openStore(url, { now: clock.now, initDb: true, pinClock: true });
          try {
            const service = await RegistryService.open(store, {
              now: clock.now,
              nodeTimeout: 250_000,
              log: () => {},
            });
            await service.onStartup(startup("10.8.3.1", { processId: 77 }));
            await service.onStartup(startup("10.8.3.2", { processId: 78 }));
            const rows = async () =>
              await server.rootQuery(
                "timeout",
                `SELECT n.node_name AS node, n.present_state AS node_state,
                s.present_state AS server_state, s.setting_state, s.process_id
              FROM t_node_info n JOIN t_server_conf s USING (node_name) ORDER BY node`,
              ) as Record<string, unknown>[];
            clock.advance(240_000);
            await service.keepAlive({ nodeName: "10.8.3.2", state: "active" });
            clock.advance(20_000);
            await service.refresh();
            assert.deepEqual(await rows(), [
              {
                node: "10.8.3.1",
                node_state: "inactive",
                server_state: "inactive",
                setting_state: "active",
                process_id: 0,
              },
              {
                node: "10.8.3.2",
                node_state: "active",
                server_state: "active",
                setting_state: "active",
                process_id: 78,
              },
            ]);
            assert.deepEqual(service.find("Db.Pod.Obj").activeEp.map((e) => e.host), ["10.8.3.2"]);
            // A heartbeat makes it active again.
            await service.keepAlive({
              nodeName: "10.8.3.1",
              state: "active",
              application: "Db",
              server: "Pod",
              processId: 79,
            });
            assert.deepEqual((await rows())[0], {
              node: "10.8.3.1",
              node_state: "active",
              server_state: "active",
              setting_state: "active",
              process_id: 79,
            });
          } finally {
            await store.close();
          }
        },
      );

      await t.step(
        "a console start while the registry runs breaks no write, reload or /healthz",
        async (step) => {
          await consoleStart(step, server);
        },
      );
    } finally {
      await server.stop();
    }
  },
});

/**
 * What TarsWeb's `sync({alter:true})` does to db_tars at its start (read from its Sequelize
 * models): columns its models lack are dropped (`grid_flag`, 3.x's `run_type`/`base_image_id`,
 * K8STARS's `metrics_port`), its own are added, and every column is changed to the model's
 * type, nullability and default.
 */
const CONSOLE_START = [
  `ALTER TABLE t_server_conf DROP COLUMN grid_flag, DROP COLUMN run_type,
    DROP COLUMN base_image_id, DROP COLUMN metrics_port,
    ADD COLUMN console_owner varchar(255) NOT NULL,
    CHANGE registry_timestamp registry_timestamp datetime(3) NOT NULL
      DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    CHANGE patch_time patch_time datetime NOT NULL DEFAULT '2021-12-22 10:35:56',
    CHANGE server_type server_type
      enum('tars_cpp','not_tars','tars_java','tars_nodejs','tars_php','tars_go') NULL DEFAULT NULL,
    ADD INDEX index_i (setting_state, server_type, application, server_name, node_name)`,
  `ALTER TABLE t_node_info CHANGE endpoint_ip endpoint_ip varchar(16) DEFAULT '',
    CHANGE modify_time modify_time datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHANGE last_heartbeat last_heartbeat datetime DEFAULT '1970-01-01 00:08:00',
    ADD COLUMN console_zone int NOT NULL,
    ADD INDEX indx_node_info (last_heartbeat)`,
  `ALTER TABLE t_adapter_conf CHANGE registry_timestamp registry_timestamp datetime(3) NOT NULL
      DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
    ADD COLUMN console_weight int NOT NULL,
    ADD INDEX index_regtime (registry_timestamp)`,
];

async function consoleStart(t: Deno.TestContext, server: MariadbServer): Promise<void> {
  const url = await server.createDatabase("console");
  await createMysqlSchema(parseMysqlUrl(url));
  // A database K8STARS used before: its registry added metrics_port.
  await server.rootQuery("console", "ALTER TABLE t_server_conf ADD metrics_port int(11) DEFAULT 0");
  const lines: string[] = [];
  const config = readRegistryConfig(
    [
      "--store",
      url,
      "--endpoint",
      "tcp -h 127.0.0.1 -p 0",
      "--metrics",
      "127.0.0.1:0",
      "--advertise",
      "127.0.0.1",
      "--reload-interval",
      "100ms",
    ],
    {},
    { cwd: "/" },
  );
  assert.ok(config !== "help");
  const registry = await startRegistry(config, {
    now: Date.now,
    log: (line) => lines.push(line),
    pid: Deno.pid,
  });
  const client = new TarsClient({ log: () => {}, timeout: 5000 });
  const at = `@tcp -h 127.0.0.1 -p ${registry.address.port} -t 5000`;
  const pods = client.proxy(RegistryF, REGISTRY_OBJ + at);
  const query = client.proxy(QueryF, QUERY_OBJ + at);
  const http = async (path: string) => {
    const response = await fetch(
      `http://127.0.0.1:${registry.metricsAddress.port}${path}`,
    );
    return { status: response.status, text: await response.text() };
  };
  const active = async () =>
    (await query.findObjectById4Any({ id: "Db.Pod.Obj" })).activeEp.map((e) => e.host).sort();
  /** Waits for a reload to show the console's traffic switch of 10.9.0.1, then checks health. */
  const reloadShows = async (flow: "active" | "inactive") => {
    await server.rootQuery(
      "console",
      "UPDATE t_server_conf SET flow_state = ? WHERE node_name = '10.9.0.1'",
      [flow],
    );
    await eventually(
      5000,
      `a reload showing traffic ${flow}`,
      async () => (await active()).includes("10.9.0.1") === (flow === "active"),
    );
    assert.deepEqual(await http("/healthz"), { status: 200, text: "ok\n" });
  };
  try {
    await t.step("before: pods registered, a metrics port, traffic off for one", async () => {
      await pods.onStartup({ req: wirePod("10.9.0.1", { serverType: "tars_go" }) });
      await pods.onStartup({ req: wirePod("10.9.0.2", { disableFlow: true }) });
      await pods.registerMetrics({
        req: { nodeName: "10.9.0.1", application: "Db", server: "Pod", metricsPort: 9100 },
      });
      assert.deepEqual(await active(), ["10.9.0.1"]);
    });

    await t.step("the console's ALTERs run between and during the pods' calls", async () => {
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 20; i++) {
        calls.push(pods.keepAlive({
          req: {
            nodeName: "10.9.0.1",
            state: "active",
            application: "Db",
            server: "Pod",
            processId: 100 + i,
          },
        }));
      }
      for (const statement of CONSOLE_START) {
        calls.push(server.rootQuery("console", statement));
        calls.push(pods.onStartup({ req: wirePod("10.9.0.3") }));
      }
      await Promise.all(calls);
      // Straight after, before any reload: an IPv6 pod (longer than the narrowed endpoint_ip),
      // a heartbeat with a pid, a metrics port, a removal.
      const ipv6 = "fd00:9::1234:5678:9abc";
      await pods.onStartup({
        req: wirePod(ipv6, { serverType: "tars_nodejs", processId: 5, tarscliVersion: "0.1.0" }),
      });
      await pods.keepAlive({
        req: { nodeName: ipv6, state: "active", application: "Db", server: "Pod", processId: 6 },
      });
      await pods.registerMetrics({
        req: { nodeName: ipv6, application: "Db", server: "Pod", metricsPort: 9101 },
      });
      await pods.onPrestop({ req: { nodeName: "10.9.0.3", application: "Db", server: "Pod" } });
      const [node] = await server.rootQuery(
        "console",
        `SELECT endpoint_ip, tars_version, present_state FROM t_node_info WHERE node_name = ?`,
        [ipv6],
      ) as Record<string, unknown>[];
      assert.deepEqual(node, { endpoint_ip: "", tars_version: "0.1.0", present_state: "active" });
      const [row] = await server.rootQuery(
        "console",
        `SELECT server_type, process_id, template_name, console_owner FROM t_server_conf
          WHERE node_name = ?`,
        [ipv6],
      ) as Record<string, unknown>[];
      assert.deepEqual(row, {
        server_type: "tars_nodejs",
        process_id: 6,
        template_name: "tars.default",
        console_owner: "",
      });
    });

    await t.step("reloads and /healthz stay fine; lookups and targets are right", async () => {
      await reloadShows("inactive");
      await reloadShows("active");
      assert.deepEqual(await active(), ["10.9.0.1", "fd00:9::1234:5678:9abc"]);
      const targets = JSON.parse((await http("/targets")).text) as { targets: string[] }[];
      assert.deepEqual(
        targets.flatMap((g) => g.targets).filter((x) => !x.startsWith("127.")).sort(),
        ["10.9.0.1:9100", "fd00:9::1234:5678:9abc:9101"],
      );
      // The change was logged once, and the value left out once.
      assert.equal(
        lines.filter((l) => l.includes("t_server_conf: dropped")).length,
        1,
        lines.join("\n"),
      );
      assert.equal(
        lines.filter((l) => l.includes("t_node_info.endpoint_ip")).length,
        1,
        lines.join("\n"),
      );
      assert.ok(!lines.some((l) => /failed/.test(l)), lines.join("\n"));
    });

    await t.step(
      "its own objects are in t_registry_info as the C++ registry writes them",
      async () => {
        const rows = await server.rootQuery(
          "console",
          "SELECT locator_id, servant, endpoint, present_state FROM t_registry_info ORDER BY servant",
        ) as Record<string, string>[];
        const endpoint = `tcp -h 127.0.0.1 -p ${registry.address.port}`;
        assert.deepEqual(rows.map((r) => [r.locator_id, r.servant, r.present_state]), [
          [`127.0.0.1:${registry.address.port}`, ADMIN_REG_OBJ, "active"],
          [`127.0.0.1:${registry.address.port}`, QUERY_OBJ, "active"],
          [`127.0.0.1:${registry.address.port}`, REGISTRY_OBJ, "active"],
        ]);
        assert.ok(rows.every((r) => r.endpoint.startsWith(endpoint)), JSON.stringify(rows));
      },
    );
  } finally {
    await client.close();
    await registry.stop();
  }
  const left = await server.rootQuery("console", "SELECT count(*) AS n FROM t_registry_info") as {
    n: number;
  }[];
  assert.equal(Number(left[0].n), 0, "a stopped registry removes its own objects");
}
