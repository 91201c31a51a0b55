/**
 * Two registry replicas on one host (one address, two ports) on one MariaDB: two nodes, each
 * answered for the registry's objects, each renewing and removing only its own rows.
 */
import assert from "node:assert/strict";
import { TarsClient } from "../protocol/client.ts";
import { ADMIN_REG_OBJ } from "../protocol/interfaces/admin_reg.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { REGISTRY_OBJ } from "../protocol/interfaces/registry_f.ts";
import { type RegistryProcess, startRegistryProcess } from "../local/mod.ts";
import { eventually } from "./support/eventually.ts";
import { mariadbMissing, mariadbSearchPath, startMariadb } from "./support/mariadb.ts";
import { skipWhen } from "./support/skip.ts";

const NAME = "replicas on one host: two nodes, both answered, each keeps only its own rows alive";

/** The registry's objects, each with the lists of `host:port` lookups answer. */
async function registryObjects(client: TarsClient, port: number) {
  const query = client.proxy(QueryF, `${QUERY_OBJ}@tcp -h 127.0.0.1 -p ${port} -t 5000`);
  const answers: Record<string, { active: string[]; inactive: string[] }> = {};
  for (const id of [QUERY_OBJ, REGISTRY_OBJ, ADMIN_REG_OBJ]) {
    const r = await query.findObjectById4Any({ id });
    const hp = (eps: { host: string; port: number }[]) =>
      eps.map((e) => `${e.host}:${e.port}`).sort();
    answers[id] = { active: hp(r.activeEp), inactive: hp(r.inactiveEp) };
  }
  return answers;
}

/** The same lists for each of the three objects. */
function every(active: string[], inactive: string[] = []) {
  const lists = { active: [...active].sort(), inactive: [...inactive].sort() };
  return { [QUERY_OBJ]: lists, [REGISTRY_OBJ]: lists, [ADMIN_REG_OBJ]: lists };
}

Deno.test({
  name: NAME,
  ignore: skipWhen(NAME, mariadbMissing(Deno.env)),
  async fn(t) {
    const mariadb = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
    const client = new TarsClient({ log: () => {}, timeout: 5000 });
    const running: RegistryProcess[] = [];
    // Heartbeats every second; a replica that stops is inactive 3 s later.
    const flags = (init: string[] = []) => [
      "--store",
      mariadb.url,
      ...init,
      "--advertise",
      "127.0.0.1",
      "--node-timeout",
      "3s",
      "--reload-interval",
      "500ms",
    ];
    const sql = (query: string) => mariadb.rootQuery("db_tars", query) as Promise<unknown[]>;
    try {
      let a = await startRegistryProcess(flags(["--init-db"]));
      running.push(a);
      const b = await startRegistryProcess(flags());
      running.push(b);
      const ea = `127.0.0.1:${a.port}`;
      const eb = `127.0.0.1:${b.port}`;

      await t.step("both are answered for QueryObj, Registry and AdminRegObj by both", async () => {
        for (const port of [a.port, b.port]) {
          await eventually(
            5000,
            `both replicas through ${port}`,
            async () =>
              JSON.stringify(await registryObjects(client, port)) ===
                JSON.stringify(every([ea, eb])),
          );
        }
      });

      await t.step("the rows: a node, servers and registry info per replica", async () => {
        assert.deepEqual(
          await sql("SELECT node_name, endpoint_ip FROM t_node_info ORDER BY node_name"),
          [ea, eb].sort().map((node_name) => ({ node_name, endpoint_ip: "127.0.0.1" })),
        );
        assert.deepEqual(
          await sql(
            "SELECT server_name, node_name FROM t_server_conf ORDER BY node_name, server_name",
          ),
          [ea, eb].sort().flatMap((node_name) => [
            { server_name: "tarsAdminRegistry", node_name },
            { server_name: "tarsregistry", node_name },
          ]),
        );
        // locator_id as the C++ registry writes it, which the console splits into host and port.
        assert.deepEqual(
          await sql(
            "SELECT DISTINCT locator_id FROM t_registry_info WHERE servant = " +
              `'${QUERY_OBJ}' ORDER BY locator_id`,
          ),
          [ea, eb].sort().map((locator_id) => ({ locator_id })),
        );
      });

      await t.step("kill -9 of A: B's rows stay active, A's go inactive", async () => {
        await a.kill();
        await eventually(
          8000,
          "A inactive through B",
          async () =>
            JSON.stringify(await registryObjects(client, b.port)) ===
              JSON.stringify(every([eb], [ea])),
        );
        // B's node check marks A's node inactive in the store; B's own stays active.
        const states = [{ node_name: ea, present_state: "inactive" }, {
          node_name: eb,
          present_state: "active",
        }].sort((x, y) => x.node_name.localeCompare(y.node_name));
        await eventually(
          3000,
          "A's node inactive in the store",
          async () =>
            JSON.stringify(
              await sql("SELECT node_name, present_state FROM t_node_info ORDER BY node_name"),
            ) === JSON.stringify(states),
        );
      });

      await t.step("A restarted on its port is answered active at once", async () => {
        a = await startRegistryProcess(flags(), { port: a.port });
        running.push(a);
        assert.deepEqual(await registryObjects(client, a.port), every([ea, eb]));
        await eventually(
          3000,
          "A active through B",
          async () =>
            JSON.stringify(await registryObjects(client, b.port)) ===
              JSON.stringify(every([ea, eb])),
        );
      });

      await t.step("SIGTERM of B removes B's rows only", async () => {
        assert.equal((await b.terminate()).code, 0);
        await eventually(
          5000,
          "B gone through A",
          async () =>
            JSON.stringify(await registryObjects(client, a.port)) ===
              JSON.stringify(every([ea])),
        );
        assert.deepEqual(await sql("SELECT node_name FROM t_node_info"), [{ node_name: ea }]);
        assert.deepEqual(
          await sql("SELECT DISTINCT locator_id FROM t_registry_info"),
          [{ locator_id: ea }],
        );
      });
    } finally {
      await client.close();
      for (const r of running) await r.kill();
      await mariadb.stop();
    }
  },
});
