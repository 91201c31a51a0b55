/**
 * RPC interop with the official Node implementation (`@tars/rpc` 2.0.15): its client calls our
 * server (directly, over simple TUP, and through our QueryF locator), and our client calls its
 * server. Both sides serve `Interop.Echo` from `tests/peers/interop.tars`.
 */
import assert from "node:assert/strict";
import {
  bool,
  bytes,
  double,
  int32,
  int64,
  list,
  map,
  opt,
  req,
  string,
  struct,
  type StructValue,
} from "../protocol/codec/mod.ts";
import { TarsCallError, TarsCode } from "../protocol/call_error.ts";
import { TarsClient } from "../protocol/client.ts";
import { defineInterface, out, param } from "../protocol/interface.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { type CallContext, TarsServer } from "../protocol/server.ts";

const PEERS = new URL("./peers/", import.meta.url);
const SERVANT = "Test.Interop.EchoObj";
/** Bound on every wait for a Node peer (start, a whole client run). */
const PEER_TIMEOUT_MS = 20_000;

const Item = struct("Interop.Item", {
  id: req(0, int32),
  name: opt(1, string),
  score: opt(2, double),
  blob: opt(3, bytes),
});

const Bag = struct("Interop.Bag", {
  title: req(0, string),
  items: opt(1, list(Item)),
  counts: opt(2, map(string, int32)),
  big: opt(3, int64),
  flag: opt(4, bool),
});

const Echo = defineInterface("Interop.Echo", {
  echo: { params: [param("text", string)], ret: string },
  add: { params: [param("a", int32), param("b", int32), out("sum", int32)], ret: int32 },
  mirror: { params: [param("bag", Bag), out("back", Bag)], ret: int32 },
  note: { params: [param("text", string)] },
  notes: { params: [], ret: list(string) },
  fail: { params: [param("code", int32), param("why", string)], ret: int32 },
  addLong: { params: [param("a", int64), param("b", int64)], ret: int64 },
});

type BagValue = StructValue<typeof Bag.fields>;

/** What `mirror` answers, on both sides: every field changed in a way a test can check. */
function mirrorBag(bag: BagValue): BagValue {
  return {
    title: `${bag.title}!`,
    items: bag.items.toReversed().map((item) => ({
      id: item.id + 1,
      name: item.name.toUpperCase(),
      score: item.score * 2,
      blob: item.blob.toReversed(),
    })),
    counts: new Map([...bag.counts].map(([k, v]) => [k, v + 1])),
    big: bag.big + 1n,
    flag: !bag.flag,
  };
}

const sampleBag: BagValue = {
  title: "bag",
  items: [
    { id: 1, name: "one", score: 0.25, blob: Uint8Array.of(0, 1, 255) },
    { id: -70000, name: "Zwei ß", score: -1.5, blob: new Uint8Array(0) },
  ],
  counts: new Map([["a", 1], ["b", -2], ["long", 100000]]),
  big: -9007199254740993n,
  flag: true,
};

const mirroredSample: BagValue = {
  title: "bag!",
  items: [
    { id: -69999, name: "ZWEI SS", score: -3, blob: new Uint8Array(0) },
    { id: 2, name: "ONE", score: 0.5, blob: Uint8Array.of(255, 1, 0) },
  ],
  counts: new Map([["a", 2], ["b", -1], ["long", 100001]]),
  big: -9007199254740992n,
  flag: false,
};

/** Our Echo server with a servant that records the notes it gets. */
function startOurEcho() {
  const notes: string[] = [];
  const server = new TarsServer({ log: () => {} });
  server.addServant(SERVANT, Echo, {
    echo: ({ text }) => ({ ret: text }),
    add: ({ a, b }) => ({ ret: 0, sum: a + b }),
    mirror: ({ bag }) => ({ ret: bag.items.length, back: mirrorBag(bag) }),
    note: ({ text }) => void notes.push(text),
    notes: () => ({ ret: notes }),
    fail: ({ code, why }) => {
      throw new TarsCallError(code, why);
    },
    addLong: ({ a, b }) => ({ ret: a + b }),
  });
  const addr = server.listen("tcp -h 127.0.0.1 -p 0");
  return { server, port: addr.port, notes };
}

/** Our registry: QueryF answering every lookup with one endpoint, recording how it was asked. */
function startOurRegistry(echoPort: number) {
  const asked: { func: string; id: string; nodeName: string | undefined }[] = [];
  const endpoint = { host: "127.0.0.1", port: echoPort, timeout: 3000, istcp: 1, grid: 0 };
  const answer = (func: string) => (args: { id: string }, ctx: CallContext) => {
    asked.push({ func, id: args.id, nodeName: ctx.context.get("node_name") });
    return { ret: 0, activeEp: [endpoint], inactiveEp: [] };
  };
  const server = new TarsServer({ log: () => {} });
  server.addServant(QUERY_OBJ, QueryF, {
    findObjectById: (args, ctx) => ({ ret: answer("findObjectById")(args, ctx).activeEp }),
    findObjectById4Any: answer("findObjectById4Any"),
    findObjectById4All: answer("findObjectById4All"),
    findObjectByIdInSameGroup: answer("findObjectByIdInSameGroup"),
    findObjectByIdInSameStation: answer("findObjectByIdInSameStation"),
    findObjectByIdInSameSet: answer("findObjectByIdInSameSet"),
  });
  const addr = server.listen("tcp -h 127.0.0.1 -p 0");
  return { server, port: addr.port, asked };
}

/** Runs a Node peer script to completion (bounded) and gives its parsed JSON output. */
async function runNodePeer(script: string, args: string[]): Promise<Record<string, unknown>> {
  const result = await new Deno.Command("node", {
    args: ["--no-warnings", new URL(script, PEERS).pathname, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(PEER_TIMEOUT_MS),
  }).output();
  const stderr = new TextDecoder().decode(result.stderr);
  assert.equal(result.code, 0, `${script} exited with ${result.code}: ${stderr}`);
  return JSON.parse(new TextDecoder().decode(result.stdout));
}

/** A running Node peer server: its port, and `stop()` that always ends the process. */
interface NodeServer {
  readonly port: number;
  stop(): Promise<void>;
}

/** Starts `echo_server.cjs` and waits (bounded) for the port it prints. */
async function startNodeServer(): Promise<NodeServer> {
  const child = new Deno.Command("node", {
    args: ["--no-warnings", new URL("echo_server.cjs", PEERS).pathname],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stop = async () => {
    // Closing stdin asks the peer to stop; it is killed if it has not within a second.
    await child.stdin.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited just now.
      }
    }, 1000);
    await child.status;
    clearTimeout(timer);
  };
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("echo_server.cjs did not start")), PEER_TIMEOUT_MS);
    });
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await Promise.race([reader.read(), timeout]);
      if (done) throw new Error(`echo_server.cjs exited before it listened: ${text}`);
      text += value;
    }
    const port = JSON.parse(text.slice(0, text.indexOf("\n"))).port as number;
    reader.releaseLock();
    child.stdout.cancel().catch(() => {});
    return { port, stop };
  } catch (error) {
    await reader.cancel().catch(() => {});
    await stop();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("rpc interop: the @tars/rpc client calls our server", async (t) => {
  const echo = startOurEcho();
  const registry = startOurRegistry(echo.port);
  try {
    const got = await runNodePeer("echo_client.cjs", [
      `${SERVANT}@tcp -h 127.0.0.1 -p ${echo.port}`,
      `${QUERY_OBJ}@tcp -h 127.0.0.1 -p ${registry.port}`,
      SERVANT,
    ]);

    await t.step("strings, ints with out-parameters and longs come back exactly", () => {
      assert.deepEqual(got.echo, ["héllo €", "", "x".repeat(300)]);
      assert.deepEqual(got.add, { return: 0, sum: 2147483647 });
      assert.deepEqual(got.addLong, ["9007199254740994", "-9223372036854775808", "-2"]);
    });

    await t.step("a struct with a list of structs and a map goes in and out", () => {
      assert.deepEqual(got.mirror, {
        return: 2,
        back: {
          title: "bag!",
          items: [
            { id: -69999, name: "ZWEI SS", score: -3, blob: [] },
            { id: 2, name: "ONE", score: 0.5, blob: [255, 1, 0] },
          ],
          counts: { a: 2, b: -1, long: 100001 },
          big: "-9007199254740992",
          flag: false,
        },
      });
    });

    await t.step("void calls, two-way and one-way, reach the servant in order", () => {
      assert.equal(got.onewayMessage, "one way call do not need response");
      assert.deepEqual(got.notes, ["two-way", "one-way"]);
      assert.deepEqual(echo.notes, ["two-way", "one-way"]);
    });

    await t.step("servant errors and framework errors arrive with their codes", () => {
      assert.deepEqual(got.fail, [
        { code: -9, message: "overloaded on purpose" },
        { code: 1001, message: "positive code" },
      ]);
      assert.deepEqual(got.noFunction, {
        code: TarsCode.NO_FUNC,
        message: `Servant ${SERVANT} has no function missing`,
      });
      assert.deepEqual(got.noServant, {
        code: TarsCode.NO_SERVANT,
        message: "No servant Test.Interop.NoSuchObj here",
      });
    });

    await t.step("simple TUP (version 3) calls are answered", () => {
      assert.deepEqual(got.tup, {
        echo: "tup €",
        add: { return: 0, sum: -2 },
        addLong: "9223372036854775807",
      });
    });

    await t.step("a name resolves through our QueryF with findObjectByIdInSameGroup", () => {
      assert.equal(got.located, "located");
      assert.ok(registry.asked.length >= 1);
      for (const call of registry.asked) {
        assert.equal(call.func, "findObjectByIdInSameGroup");
        assert.equal(call.id, SERVANT);
        assert.ok(call.nodeName, "the lookup carries context node_name");
      }
    });
  } finally {
    await registry.server.stop({ timeout: 1000 });
    await echo.server.stop({ timeout: 1000 });
  }
});

Deno.test("rpc interop: our client calls the @tars/rpc server", async (t) => {
  const peer = await startNodeServer();
  const client = new TarsClient({ log: () => {}, timeout: 5000 });
  try {
    const proxy = client.proxy(Echo, `${SERVANT}@tcp -h 127.0.0.1 -p ${peer.port}`);

    await t.step("strings, ints with out-parameters and longs come back exactly", async () => {
      for (const text of ["héllo €", "", "y".repeat(70_000)]) {
        assert.deepEqual(await proxy.echo({ text }), { ret: text });
      }
      assert.deepEqual(await proxy.add({ a: -2147483648, b: 2147483647 }), { ret: 0, sum: -1 });
      assert.deepEqual(await proxy.addLong({ a: 9007199254740993n, b: 1n }), {
        ret: 9007199254740994n,
      });
      assert.deepEqual(await proxy.addLong({ a: -(2n ** 63n) + 1n, b: -1n }), {
        ret: -(2n ** 63n),
      });
      assert.deepEqual(await proxy.addLong({ a: 5n, b: -7n }), { ret: -2n });
    });

    await t.step("a struct with a list of structs and a map goes in and out", async () => {
      assert.deepEqual(await proxy.mirror({ bag: sampleBag }), { ret: 2, back: mirroredSample });
      assert.deepEqual(mirrorBag(sampleBag), mirroredSample);
    });

    await t.step("void calls, two-way and one-way, reach the servant in order", async () => {
      assert.deepEqual(await proxy.note({ text: "two-way" }), {});
      await proxy.$oneway.note({ text: "one-way" });
      assert.deepEqual(await proxy.notes({}), { ret: ["two-way", "one-way"] });
    });

    await t.step("its servant's error reaches us as TarsCallError with the code", async () => {
      await assert.rejects(proxy.fail({ code: -9, why: "overloaded on purpose" }), (e) => {
        assert.ok(e instanceof TarsCallError);
        assert.equal(e.code, -9);
        assert.match(e.message, /overloaded on purpose/);
        return true;
      });
      const Wider = defineInterface("Interop.Echo", { missing: { params: [] } });
      const wider = client.proxy(Wider, `${SERVANT}@tcp -h 127.0.0.1 -p ${peer.port}`);
      await assert.rejects(wider.missing({}), { code: TarsCode.NO_FUNC });
    });

    await t.step("tars_ping is answered", async () => {
      const Ping = defineInterface("Interop.Echo", { tars_ping: { params: [] } });
      const ping = client.proxy(Ping, `${SERVANT}@tcp -h 127.0.0.1 -p ${peer.port}`);
      assert.deepEqual(await ping.tars_ping({}), {});
    });
  } finally {
    await client.close();
    await peer.stop();
  }
});
