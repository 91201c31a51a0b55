/**
 * The client with replicas over real sockets: a hung replica (a listener that accepts and never
 * answers, as a process stopped with SIGSTOP does) beside one that works, for a failover proxy and
 * for the locator.
 */
import assert from "node:assert/strict";
import { string } from "./codec/mod.ts";
import { TarsCallError, TarsCode } from "./call_error.ts";
import { TarsClient } from "./client.ts";
import { defineInterface, param } from "./interface.ts";
import type { EndpointFValue } from "./interfaces/endpoint_f.ts";
import { QUERY_OBJ, QueryF } from "./interfaces/query_f.ts";
import { TarsServer } from "./server.ts";
import { eventually } from "../tests/support/eventually.ts";
import { nameThatTriesFirst } from "../tests/support/failover_order.ts";

const Echo = defineInterface("Echo", {
  echo: { params: [param("text", string)], ret: string },
});
const ECHO = "Test.Echo.EchoObj";

/** Accepts connections and answers nothing: every call to it times out. */
function startHung() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  let closedByClient = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      // Read only to see the client close it.
      (async () => {
        const buf = new Uint8Array(65536);
        try {
          while (await conn.read(buf) !== null) { /* nothing is answered */ }
        } catch { /* closed here */ }
        closedByClient++;
      })();
    }
  })().catch(() => {});
  return {
    endpoint: `tcp -h 127.0.0.1 -p ${listener.addr.port}`,
    key: `127.0.0.1:${listener.addr.port}`,
    get accepted() {
      return conns.length;
    },
    get closedByClient() {
      return closedByClient;
    },
    async stop() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed by the client */ }
      }
      await accepting;
    },
  };
}

/** Echo greeting as `name`, and QueryF answering `answer()` for every object. */
function startReplica(name: string, answer: () => EndpointFValue[] = () => []) {
  const server = new TarsServer({ log: () => {} });
  let lookups = 0;
  server.addServant(ECHO, Echo, { echo: ({ text }) => ({ ret: `${text} from ${name}` }) });
  const lists = () => ({ ret: 0, activeEp: answer(), inactiveEp: [] });
  server.addServant(QUERY_OBJ, QueryF, {
    findObjectById: () => ({ ret: answer() }),
    findObjectById4Any: lists,
    findObjectById4All: lists,
    findObjectByIdInSameGroup: () => (lookups++, lists()),
    findObjectByIdInSameStation: lists,
    findObjectByIdInSameSet: lists,
  });
  const { port } = server.listen("tcp -h 127.0.0.1 -p 0");
  return {
    endpoint: `tcp -h 127.0.0.1 -p ${port}`,
    entry: { host: "127.0.0.1", port, timeout: 3000, istcp: 1, grid: 0 } as EndpointFValue,
    get lookups() {
      return lookups;
    },
    stop: () => server.stop({ timeout: 1000 }),
  };
}

Deno.test("client failover: a hung replica costs a call its share of the timeout, once", async (t) => {
  const hung = startHung();
  const good = startReplica("good");
  const logged: string[] = [];
  const goodKey = good.endpoint.replace(/tcp -h (\S+) -p (\d+)/, "$1:$2");
  const client = new TarsClient({
    spreadBy: nameThatTriesFirst(hung.key, [hung.key, goodKey]),
    log: (line) => logged.push(line),
  });
  const proxy = client.proxy(Echo, `${ECHO}@${hung.endpoint}:${good.endpoint}`, {
    timeout: 1000,
    failover: {},
  });
  try {
    await t.step(
      "the first call waits half its timeout on the hung one, then is answered",
      async () => {
        const started = performance.now();
        assert.equal((await proxy.echo({ text: "hello" })).ret, "hello from good");
        const took = performance.now() - started;
        assert.ok(took >= 490, `${took.toFixed(0)} ms`);
        assert.equal(logged.length, 1, logged.join("\n"));
        assert.match(
          logged[0],
          new RegExp(`^Test\\.Echo\\.EchoObj\\.echo to ${hung.key} failed, so it goes last for `),
        );
        // Nothing came back on it: closed, so a later try connects again.
        await eventually(1000, "the hung connection closed", () => hung.closedByClient === 1);
      },
    );

    await t.step("the next calls go to the one that answers first", async () => {
      for (let i = 0; i < 20; i++) {
        assert.equal((await proxy.echo({ text: "x" })).ret, "x from good");
      }
      assert.equal(hung.accepted, 1, "the hung replica rests");
    });

    await t.step("none answering: a TarsCallError naming each replica", async () => {
      await good.stop();
      await assert.rejects(proxy.echo({ text: "y" }, { timeout: 400 }), (error) => {
        assert.ok(error instanceof TarsCallError);
        // The last try's code: the hung one's timeout or the stopped one's refusal.
        assert.ok(
          [TarsCode.INVOKE_TIMEOUT, TarsCode.PROXY_CONNECT_ERR].includes(error.code as -7 | -8),
          error.message,
        );
        assert.match(error.message, /^Test\.Echo\.EchoObj\.echo: no endpoint answered: /);
        assert.ok(error.message.includes(`${hung.key}: `), error.message);
        assert.ok(error.message.includes(`${goodKey}: `), error.message);
        return true;
      });
    });
  } finally {
    await client.close();
    await hung.stop();
    await good.stop();
  }
});

Deno.test("client failover: the locator refreshes behind the calls, past a hung registry", async (t) => {
  const hung = startHung();
  const echoA = startReplica("a");
  const echoB = startReplica("b");
  let answer = [echoA.entry];
  const registry = startReplica("registry", () => answer);
  const registryKey = registry.endpoint.replace(/tcp -h (\S+) -p (\d+)/, "$1:$2");
  const client = new TarsClient({
    locator: `${QUERY_OBJ}@${hung.endpoint}:${registry.endpoint}`,
    refreshInterval: 200,
    timeout: 1000,
    spreadBy: nameThatTriesFirst(hung.key, [hung.key, registryKey]),
    log: () => {},
  });
  const proxy = client.proxy(Echo, ECHO);
  try {
    await t.step(
      "the first lookup goes on to the registry that answers, within the call",
      async () => {
        assert.equal((await proxy.echo({ text: "first" })).ret, "first from a");
        assert.equal(registry.lookups, 1);
        assert.equal(hung.accepted, 1);
      },
    );

    await t.step("a due answer: the call is answered while the lookup waits", async () => {
      answer = [echoB.entry];
      // Past the refresh interval and the hung registry's quarantine (at most 1 s).
      await new Promise((resolve) => setTimeout(resolve, 1100));
      const lookupsBefore = registry.lookups;
      assert.equal((await proxy.echo({ text: "due" })).ret, "due from a");
      // The lookup it started waits its 500 ms on the hung registry (on a new connection).
      await eventually(400, "the lookup at the hung registry", () => hung.accepted === 2);
      assert.equal(registry.lookups, lookupsBefore, "the call was answered meanwhile");
      await eventually(
        2000,
        "the new answer",
        async () => (await proxy.echo({ text: "new" })).ret === "new from b",
      );
      assert.equal(registry.lookups, lookupsBefore + 1);
    });

    await t.step(
      "an answer none of whose endpoints takes the call: it waits for a new one",
      async () => {
        answer = [echoA.entry];
        await echoB.stop();
        // Long enough for the client to see its connection to b end.
        await new Promise((resolve) => setTimeout(resolve, 300));
        // b refuses the connection (nothing was sent): the call waits for a lookup.
        assert.equal((await proxy.echo({ text: "moved" }, { timeout: 3000 })).ret, "moved from a");
      },
    );
  } finally {
    await client.close();
    await hung.stop();
    for (const server of [echoA, echoB, registry]) await server.stop();
  }
});
