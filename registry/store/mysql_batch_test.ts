/**
 * The MySQL store's group commit (mysql_batch.ts) on a private MariaDB: the pods' calls queued
 * together share one transaction, take effect in the order they came, and a failing one leaves
 * nothing of itself while the others commit.
 */
import assert from "node:assert/strict";
import {
  mariadbMissing,
  mariadbSearchPath,
  type MariadbServer,
  startMariadb,
} from "../../tests/support/mariadb.ts";
import { skipWhen } from "../../tests/support/skip.ts";
import { keepAliveRows, prestopTarget, startupRows } from "../validate.ts";
import { MysqlStore } from "./mysql_store.ts";

const NAME = "MySQL store: the pods' calls are group-committed";

const node = (i: number) => `10.5.${i >> 8}.${i & 255}`;

function pod(i: number) {
  return startupRows({
    nodeName: node(i),
    application: "Batch",
    server: "Pod",
    adapters: [{ servant: "Batch.Pod.Obj", endpoint: `tcp -h ${node(i)} -p 7000` }],
  });
}

/** Transactions the server committed so far (`Com_commit`, every session). */
async function commits(mariadb: MariadbServer): Promise<number> {
  const rows = await mariadb.rootQuery("db_tars", "SHOW GLOBAL STATUS LIKE 'Com_commit'") as {
    Value: string;
  }[];
  return Number(rows[0].Value);
}

async function nodes(mariadb: MariadbServer): Promise<string[]> {
  const rows = await mariadb.rootQuery(
    "db_tars",
    "SELECT node_name FROM t_node_info WHERE node_name LIKE '10.5.%' ORDER BY node_name",
  ) as { node_name: string }[];
  return rows.map((row) => row.node_name);
}

Deno.test({
  name: NAME,
  ignore: skipWhen(NAME, mariadbMissing(Deno.env)),
  async fn(t) {
    const mariadb = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
    let store: MysqlStore | undefined;
    try {
      store = await MysqlStore.open(mariadb.url, { now: Date.now, initDb: true });
      const s = store;

      await t.step("calls that come together commit together, each after the commit", async () => {
        const before = await commits(mariadb);
        await Promise.all(Array.from({ length: 64 }, (_, i) => s.onStartup(pod(i))));
        const used = await commits(mariadb) - before;
        assert.equal((await nodes(mariadb)).length, 64);
        assert.ok(used < 8, `64 registrations took ${used} commits`);
      });

      await t.step("in the order they came: a heartbeat after its registration", async () => {
        const results = await Promise.all([
          s.onStartup(pod(100)),
          s.keepAlive(keepAliveRows({
            nodeName: node(100),
            state: "inactive",
            application: "Batch",
            server: "Pod",
          })),
          s.onPrestop(prestopTarget({ nodeName: node(0), application: "Batch", server: "Pod" })),
        ]);
        assert.deepEqual(results.slice(1), [
          { node: true, servers: 1 },
          { servers: 1, adapters: 1, node: true },
        ]);
        const rows = await mariadb.rootQuery(
          "db_tars",
          "SELECT present_state FROM t_server_conf WHERE node_name = ?",
          [node(100)],
        ) as { present_state: string }[];
        assert.deepEqual(rows, [{ present_state: "inactive" }]);
        assert.ok(!(await nodes(mariadb)).includes(node(0)));
      });

      await t.step("a failing call leaves nothing of itself; the others commit", async () => {
        // Its node and server rows are written first, then its adapter fails.
        await mariadb.rootQuery(
          "db_tars",
          `CREATE TRIGGER fail_adapter BEFORE INSERT ON t_adapter_conf FOR EACH ROW
            IF NEW.node_name = '${node(201)}' THEN
              SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'forced failure';
            END IF`,
        );
        const results = await Promise.allSettled([200, 201, 202].map((i) => s.onStartup(pod(i))));
        assert.deepEqual(results.map((r) => r.status), ["fulfilled", "rejected", "fulfilled"]);
        assert.match(String((results[1] as PromiseRejectedResult).reason), /forced failure/);
        const stored = await nodes(mariadb);
        assert.ok(stored.includes(node(200)) && stored.includes(node(202)));
        assert.ok(!stored.includes(node(201)), "the failing registration left its node row");
        const servers = await mariadb.rootQuery(
          "db_tars",
          "SELECT count(*) AS n FROM t_server_conf WHERE node_name = ?",
          [node(201)],
        ) as { n: number }[];
        assert.equal(Number(servers[0].n), 0);
      });

      await t.step("close lets queued calls finish and refuses later ones", async () => {
        const queued = s.onStartup(pod(300));
        await s.close();
        await queued;
        assert.ok((await nodes(mariadb)).includes(node(300)));
        await assert.rejects(s.onStartup(pod(301)), /closed/);
      });
    } finally {
      await store?.close();
      await mariadb.stop();
    }
  },
});
