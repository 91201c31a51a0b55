/**
 * The lookups against the C++ tarsregistry's own answers. `registry/testdata/cpp_registry` holds
 * a `db_tars` scenario (IDC groups, priorities, stations, sets, standby servers, endpoint options)
 * and the answers TarsFramework v3.0.17's registry gave to every QueryF method about it, asked
 * from ten caller addresses (its README says how they were recorded and why each is what it is).
 * This registry, on each store, loaded with the same SQL and asked over TCP from the same
 * addresses, must give every answer field for field: the return code, and each active and
 * inactive endpoint with all its fields. Only the order of the endpoints in a list is not
 * compared: the C++ registry answers them in its table's row order, which no client relies on.
 * Then the scenario's second round: group rules, priorities and a server's grouping changed in
 * the database, and a node silent, as the answers after the C++ registry's next full load show.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { TarsClient } from "../protocol/client.ts";
import type { EndpointFValue } from "../protocol/interfaces/endpoint_f.ts";
import { QueryF } from "../protocol/interfaces/query_f.ts";
import { type RegistryProcess, startRegistryProcess } from "../local/registry_process.ts";
import { createMysqlSchema, parseMysqlUrl, SqliteStore } from "../registry/store/mod.ts";
import { boundNetwork } from "./support/bound_network.ts";
import { eventually } from "./support/eventually.ts";
import { mariadbMissing, mariadbSearchPath, startMariadb } from "./support/mariadb.ts";
import { skipWhen } from "./support/skip.ts";

const DIR = new URL("../registry/testdata/cpp_registry/", import.meta.url);

/** One recorded call and the C++ registry's answer (endpoints as arrays of `endpointFields`). */
interface Recorded {
  readonly caller: string;
  readonly method: keyof typeof QueryF.methods;
  readonly args: { id: string; sStation?: string; setId?: string };
  readonly ret: number | null;
  readonly activeEp: unknown[][];
  readonly inactiveEp: unknown[][] | null;
}

interface Fixture {
  readonly endpointFields: (keyof EndpointFValue)[];
  readonly callers: string[];
  readonly rounds: { readonly name: string; readonly answers: Recorded[] }[];
}

const fixture: Fixture = JSON.parse(await Deno.readTextFile(new URL("answers.json", DIR)));
const scenario = await Deno.readTextFile(new URL("scenario.sql", DIR));
const round2 = await Deno.readTextFile(new URL("round2.sql", DIR));

/**
 * What the C++ registry's node check wrote after round 2 stopped node 127.0.6.1's heartbeats
 * (its README): this registry's node check writes the same, but only after `--node-timeout`.
 */
const NODE_CHECK = `
UPDATE t_server_conf SET present_state = 'inactive', process_id = 0 WHERE node_name = '127.0.6.1';
UPDATE t_node_info SET present_state = 'inactive' WHERE node_name = '127.0.6.1';`;

/** A list of endpoints in a form compared without order. */
function unordered(list: readonly unknown[][] | null): string[] | null {
  return list === null ? null : list.map((ep) => JSON.stringify(ep)).sort();
}

/** An answer of ours in the fixture's form. */
function recordedForm(
  answer: { ret: number | null; activeEp: EndpointFValue[]; inactiveEp: EndpointFValue[] | null },
): { ret: number | null; activeEp: string[] | null; inactiveEp: string[] | null } {
  const asArrays = (list: EndpointFValue[]) =>
    list.map((ep) => fixture.endpointFields.map((field) => ep[field]));
  return {
    ret: answer.ret,
    activeEp: unordered(asArrays(answer.activeEp)),
    inactiveEp: answer.inactiveEp === null ? null : unordered(asArrays(answer.inactiveEp)),
  };
}

/** Asks `query` the recorded call. */
async function ask(query: ReturnType<typeof proxyOf>, call: Recorded) {
  const { id, sStation = "", setId = "" } = call.args;
  switch (call.method) {
    case "findObjectById": {
      const { ret } = await query.findObjectById({ id });
      return recordedForm({ ret: null, activeEp: ret, inactiveEp: null });
    }
    case "findObjectById4Any":
      return recordedForm(await query.findObjectById4Any({ id }));
    case "findObjectById4All":
      return recordedForm(await query.findObjectById4All({ id }));
    case "findObjectByIdInSameGroup":
      return recordedForm(await query.findObjectByIdInSameGroup({ id }));
    case "findObjectByIdInSameStation":
      return recordedForm(await query.findObjectByIdInSameStation({ id, sStation }));
    case "findObjectByIdInSameSet":
      return recordedForm(await query.findObjectByIdInSameSet({ id, setId }));
  }
}

function proxyOf(client: TarsClient, registry: RegistryProcess) {
  return client.proxy(QueryF, registry.locator);
}

/** A client per caller address, each asking the registry from its own address. */
function callers(registry: RegistryProcess) {
  const clients = new Map<string, TarsClient>();
  const queries = new Map<string, ReturnType<typeof proxyOf>>();
  for (const caller of fixture.callers) {
    const client = new TarsClient({ log: () => {}, timeout: 5000, network: boundNetwork(caller) });
    clients.set(caller, client);
    queries.set(caller, proxyOf(client, registry));
  }
  return {
    query: (caller: string) => queries.get(caller)!,
    close: () => Promise.all([...clients.values()].map((c) => c.close())),
  };
}

/** The calls of round `name` whose answers differ from the C++ registry's, described. */
async function differences(
  asked: ReturnType<typeof callers>,
  name: string,
): Promise<string[]> {
  const round = fixture.rounds.find((r) => r.name === name)!;
  const found: string[] = [];
  for (const call of round.answers) {
    const ours = await ask(asked.query(call.caller), call);
    const theirs = {
      ret: call.ret,
      activeEp: unordered(call.activeEp),
      inactiveEp: unordered(call.inactiveEp),
    };
    try {
      assert.deepEqual(ours, theirs);
    } catch {
      found.push(
        `${call.method}(${JSON.stringify(call.args)}) from ${call.caller}:\n  ours   ` +
          `${JSON.stringify(ours)}\n  theirs ${JSON.stringify(theirs)}`,
      );
    }
  }
  return found;
}

/** Fails naming the first few answers that differ, and how many. */
function assertSame(found: string[], round: string): void {
  if (found.length === 0) return;
  assert.fail(
    `${found.length} of the C++ registry's ${round} answers differ; the first:\n` +
      found.slice(0, 8).join("\n"),
  );
}

const ROUND1_ANSWERS = fixture.rounds.find((r) => r.name === "round1")!.answers.length;

/** Round 1, then round 2 once `apply` wrote it and a reload read it. */
async function bothRounds(
  t: Deno.TestContext,
  registry: RegistryProcess,
  apply: () => Promise<void>,
): Promise<void> {
  const asked = callers(registry);
  try {
    await t.step(
      `round 1: all ${ROUND1_ANSWERS} answers as the C++ registry gave them`,
      async () => {
        assertSame(await differences(asked, "round1"), "round1");
      },
    );
    await t.step("round 2: rules, priorities and grouping changed, read at a reload", async () => {
      await apply();
      // Caller 127.0.8.10 is in the new group 7 only once the rules are read again.
      const probe = fixture.rounds.find((r) => r.name === "round2-full")!.answers.find((a) =>
        a.caller === "127.0.8.10" && a.method === "findObjectByIdInSameGroup" &&
        a.args.id === "Demo.HelloServer.HelloObj"
      )!;
      await eventually(15_000, "the registry reads round 2", async () => {
        const ours = await ask(asked.query(probe.caller), probe);
        return JSON.stringify(ours.activeEp) === JSON.stringify(unordered(probe.activeEp));
      });
      assertSame(await differences(asked, "round2-full"), "round2-full");
    });
  } finally {
    await asked.close();
  }
}

/** The statements of an SQL script, one by one (each ends a line with `;`). */
function statements(sql: string): string[] {
  return sql.split(/;\s*$/m)
    .map((s) => s.split("\n").filter((line) => !line.trim().startsWith("--")).join("\n").trim())
    .filter((s) => s !== "");
}

Deno.test("C++ registry parity: SQLite", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "cpp-parity-" });
  const path = `${dir}/registry.db`;
  // The schema the registry makes, then the scenario written as an operator would, with sqlite3.
  await SqliteStore.open(path, { now: Date.now }).close();
  const sqlite = (sql: string) => {
    const db = new DatabaseSync(path);
    try {
      db.exec(
        sql.replaceAll("CURRENT_TIMESTAMP", String(Date.now()))
          .replaceAll("'2000-01-01 00:00:00'", "946684800000"),
      );
    } finally {
      db.close();
    }
  };
  sqlite(scenario);
  const registry = await startRegistryProcess([
    "--store",
    `sqlite:${path}`,
    "--reload-interval",
    "1s",
  ]);
  try {
    await bothRounds(t, registry, () => Promise.resolve(sqlite(round2 + NODE_CHECK)));
  } finally {
    await registry.terminate();
    await Deno.remove(dir, { recursive: true });
  }
});

const MYSQL = "C++ registry parity: MySQL (private MariaDB)";
Deno.test({
  name: MYSQL,
  ignore: skipWhen(MYSQL, mariadbMissing(Deno.env)),
  async fn(t) {
    const server = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
    let registry: RegistryProcess | undefined;
    try {
      const url = await server.createDatabase("parity");
      await createMysqlSchema(parseMysqlUrl(url));
      const run = async (sql: string) => {
        for (const statement of statements(sql)) await server.rootQuery("parity", statement);
      };
      await run(scenario);
      registry = await startRegistryProcess(["--store", url, "--reload-interval", "1s"]);
      await bothRounds(t, registry, () => run(round2 + NODE_CHECK));
    } finally {
      await registry?.terminate();
      await server.stop();
    }
  },
});
