/**
 * What a MySQL-backed replica reads of what others wrote, on a private MariaDB: the key sums the
 * database computes equal those computed from the records it loads (so a replica that is up to
 * date sees no difference), and a change read gives exactly the heartbeats and the servers of the
 * nodes that changed since the last read, a server removed elsewhere as missing from its node.
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
import { KeySumBuilder } from "./key_sums.ts";
import { MysqlStore } from "./mysql_store.ts";
import type { ChangeMark, NodeRecord, ServerRecord } from "./types.ts";

const NAME = "MySQL store: key sums and change reads";

function pod(nodeName: string, server = "Pod") {
  return startupRows({
    nodeName,
    application: "Reads",
    server,
    adapters: [
      { servant: `Reads.${server}.Obj`, endpoint: `tcp -h ${nodeName} -p 7000` },
      { servant: `Reads.${server}.Admin`, endpoint: `tcp -h ${nodeName} -p 7001` },
    ],
  });
}

/** Loads everything; the database's sums and those of the records loaded. */
async function loadSums(store: MysqlStore) {
  const nodes = new KeySumBuilder();
  const servers = new KeySumBuilder();
  const adapters = new KeySumBuilder();
  const result = await store.load({
    node: (n) => nodes.add(1, n.nodeName),
    server: (s) => {
      servers.add(1, s.application, s.server, s.nodeName);
      for (const a of s.adapters) {
        adapters.add(1, s.application, s.server, s.nodeName, a.adapterName);
      }
    },
  }, { sums: true });
  return {
    result,
    memory: { nodes: nodes.sum, servers: servers.sum, adapters: adapters.sum },
  };
}

/** A change read since `mark`: the nodes and servers it gave. */
async function changes(store: MysqlStore, mark: ChangeMark) {
  const nodes: NodeRecord[] = [];
  const servers = new Map<string, ServerRecord[]>();
  const result = await store.readChanges(mark, {
    node: (n) => nodes.push(n),
    serversOn: (nodeName, list) => servers.set(nodeName, list),
  });
  return { result, nodes: nodes.map((n) => n.nodeName).sort(), servers };
}

Deno.test({
  name: NAME,
  ignore: skipWhen(NAME, mariadbMissing(Deno.env)),
  async fn(t) {
    const mariadb: MariadbServer = await startMariadb({
      searchPath: mariadbSearchPath(Deno.env.get("PATH")),
    });
    let clock = Date.parse("2026-01-01T00:00:00Z");
    const store = await MysqlStore.open(mariadb.url, {
      now: () => clock,
      initDb: true,
      pinClock: true,
    });
    try {
      await t.step("the database's key sums equal those of the records loaded", async () => {
        for (let i = 0; i < 20; i++) await store.onStartup(pod(`10.4.0.${i}`));
        await store.onStartup(pod("10.4.1.1", "Sérveur-服务"));
        // A framework row with NULL names, and an adapter of no server (stamped at the store's
        // pinned time, as the other rows).
        const stamp = [clock / 1000];
        await mariadb.rootQuery(
          "db_tars",
          `INSERT INTO t_server_conf (application, server_name, node_name, registry_timestamp)
            VALUES (NULL, NULL, '10.4.2.1', FROM_UNIXTIME(?))`,
          stamp,
        );
        await mariadb.rootQuery(
          "db_tars",
          `INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name,
              registry_timestamp)
            VALUES ('Gone', 'Gone', '10.4.3.1', 'Gone.Gone.ObjAdapter', FROM_UNIXTIME(?))`,
          stamp,
        );
        const { result, memory } = await loadSums(store);
        assert.deepEqual(result.sums?.nodes, memory.nodes);
        assert.deepEqual(result.sums?.servers, memory.servers);
        // The orphan adapter is the database's only, and the sums say so.
        assert.equal(result.sums!.adapters.count, memory.adapters.count + 1);
        const orphan = new KeySumBuilder();
        orphan.add(1, "Gone", "Gone", "10.4.3.1", "Gone.Gone.ObjAdapter");
        assert.equal((result.sums!.adapters.xor ^ memory.adapters.xor) >>> 0, orphan.sum.xor);
      });

      await t.step(
        "a change read gives what changed since the mark, and nothing else",
        async () => {
          const { result: first } = await loadSums(store);
          clock += 20_000;
          // The overlaps: the heartbeats (5 s) and the servers (60 s) of the registrations of
          // the first step, made at the time of the mark, are read again.
          const quiet = await changes(store, first.mark!);
          assert.equal(quiet.nodes.length, 21);
          assert.ok(quiet.servers.has("10.4.0.0") && quiet.servers.has("10.4.2.1"));
          // The next read looks back 60 s from quiet's mark; the one after it from a minute
          // later: nothing changed since.
          clock += 61_000;
          const settled = await changes(store, quiet.result.mark!);
          assert.ok(settled.servers.has("10.4.0.0"));
          clock += 1_000;
          const later = await changes(store, settled.result.mark!);
          assert.deepEqual(later.nodes, []);
          assert.deepEqual([...later.servers.keys()], [], "no server changed within the overlap");
          clock += 1_000;
          await store.keepAlive(keepAliveRows({ nodeName: "10.4.0.1", state: "active" }));
          await store.keepAlive(keepAliveRows({
            nodeName: "10.4.0.2",
            state: "deactivating",
            application: "Reads",
            server: "Pod",
          }));
          await store.onPrestop(prestopTarget({
            nodeName: "10.4.1.1",
            application: "Reads",
            server: "Sérveur-服务",
          }));
          await store.onStartup(pod("10.4.0.3", "Second"));
          clock += 1_000;
          const read = await changes(store, later.result.mark!);
          // Heartbeats: the two keepAlives and the registration.
          assert.deepEqual(read.nodes, ["10.4.0.1", "10.4.0.2", "10.4.0.3"]);
          // Servers: of the nodes where a server or an adapter changed.
          assert.deepEqual([...read.servers.keys()].sort(), ["10.4.0.2", "10.4.0.3"]);
          assert.deepEqual(read.servers.get("10.4.0.2")!.map((s) => s.presentState), [
            "deactivating",
          ]);
          assert.deepEqual(read.servers.get("10.4.0.3")!.map((s) => s.server).sort(), [
            "Pod",
            "Second",
          ]);
          assert.ok(read.servers.get("10.4.0.3")!.every((s) => s.adapters.length === 2));
        },
      );
    } finally {
      await store.close();
      await mariadb.stop();
    }
  },
});
