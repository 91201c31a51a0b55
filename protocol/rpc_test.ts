import assert from "node:assert/strict";
import { int32, list, string } from "./codec/mod.ts";
import { TarsCallError, TarsCode } from "./call_error.ts";
import { TarsClient } from "./client.ts";
import { defineInterface, out, param } from "./interface.ts";
import { type EndpointFValue, QUERY_OBJ, QueryF } from "./mod.ts";
import { encodeRequestFrame, PACKET_NORMAL, TARS_VERSION } from "./packets.ts";
import { type CallContext, TarsServer } from "./server.ts";
import { eventually } from "../tests/support/eventually.ts";

const Echo = defineInterface("Echo", {
  echo: { params: [param("text", string)], ret: string },
  add: { params: [param("a", int32), param("b", int32), out("sum", int32)], ret: int32 },
  slow: { params: [param("ms", int32)], ret: int32 },
  fail: { params: [param("code", int32)] },
  note: { params: [param("text", string)] },
  names: { params: [], ret: list(string) },
});

const quiet = () => {};

function startEcho(options?: { seen?: string[]; port?: number; maxConnections?: number }) {
  const server = new TarsServer({ log: quiet, maxConnections: options?.maxConnections });
  const timers = new Set<ReturnType<typeof setTimeout>>();
  server.addServant("Test.Echo.EchoObj", Echo, {
    echo: ({ text }) => ({ ret: text }),
    add: ({ a, b }) => ({ ret: 0, sum: a + b }),
    slow: ({ ms }) =>
      new Promise((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve({ ret: ms });
        }, ms);
        timers.add(t);
      }),
    fail: ({ code }) => {
      if (code === 0) throw new Error("plain failure");
      throw new TarsCallError(code, `asked to fail with ${code}`);
    },
    note: ({ text }) => {
      options?.seen?.push(text);
    },
    names: (_args: Record<string, never>, ctx: CallContext) => ({ ret: [ctx.servant, ctx.func] }),
  });
  const addr = server.listen(`tcp -h 127.0.0.1 -p ${options?.port ?? 0}`);
  const obj = `Test.Echo.EchoObj@tcp -h 127.0.0.1 -p ${addr.port}`;
  return {
    server,
    addr,
    obj,
    async stop() {
      await server.stop({ timeout: 2000 });
      for (const t of timers) clearTimeout(t);
    },
  };
}

async function rawCall(port: number, frame: Uint8Array): Promise<Uint8Array | null> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(frame);
    const buf = new Uint8Array(4096);
    const n = await conn.read(buf);
    return n === null ? null : buf.slice(0, n);
  } finally {
    conn.close();
  }
}

Deno.test("rpc: client and server", async (t) => {
  const seen: string[] = [];
  const echo = startEcho({ seen });
  const client = new TarsClient({ log: quiet });
  const proxy = client.proxy(Echo, echo.obj);
  try {
    await t.step("a call returns the value and out-parameters", async () => {
      assert.deepEqual(await proxy.echo({ text: "héllo" }), { ret: "héllo" });
      assert.deepEqual(await proxy.add({ a: 40, b: 2 }), { ret: 0, sum: 42 });
      assert.deepEqual(await proxy.names({}), { ret: ["Test.Echo.EchoObj", "names"] });
    });

    await t.step("many calls in flight share one connection", async () => {
      const results = await Promise.all(
        Array.from({ length: 500 }, (_, i) => proxy.add({ a: i, b: i })),
      );
      results.forEach((r, i) => assert.equal(r.sum, 2 * i));
      assert.equal(echo.server.connections, 1);
    });

    await t.step("a servant error carries its code and message", async () => {
      await assert.rejects(proxy.fail({ code: -9 }), (e: TarsCallError) => {
        assert.equal(e.code, -9);
        assert.match(e.message, /asked to fail with -9/);
        return true;
      });
      await assert.rejects(proxy.fail({ code: 0 }), (e: TarsCallError) => {
        assert.equal(e.code, TarsCode.UNKNOWN);
        assert.match(e.message, /plain failure/);
        return true;
      });
    });

    await t.step("an unknown servant answers -4, an unknown function -3", async () => {
      const other = client.proxy(Echo, echo.obj.replace("EchoObj", "NoObj"));
      await assert.rejects(other.echo({ text: "x" }), { code: TarsCode.NO_SERVANT });
      const Wider = defineInterface("Echo", { missing: { params: [] } });
      await assert.rejects(client.proxy(Wider, echo.obj).missing({}), { code: TarsCode.NO_FUNC });
    });

    await t.step("tars_ping answers 0", async () => {
      const Ping = defineInterface("Ping", { tars_ping: { params: [] } });
      assert.deepEqual(await client.proxy(Ping, echo.obj).tars_ping({}), {});
    });

    await t.step("arguments that do not decode answer -1", async () => {
      const Bad = defineInterface("Echo", { echo: { params: [param("text", int32)] } });
      await assert.rejects(client.proxy(Bad, echo.obj).echo({ text: 5 }), (e: TarsCallError) => {
        assert.equal(e.code, TarsCode.SERVER_DECODE_ERR);
        assert.match(e.message, /do not decode/);
        return true;
      });
    });

    await t.step("a call past its timeout fails with -7", async () => {
      const started = performance.now();
      await assert.rejects(proxy.slow({ ms: 1000 }, { timeout: 100 }), (e: TarsCallError) => {
        assert.equal(e.code, TarsCode.INVOKE_TIMEOUT);
        assert.match(e.message, /timed out/);
        return true;
      });
      assert.ok(performance.now() - started < 900);
    });

    await t.step("one-way calls get no reply and still run", async () => {
      await proxy.$oneway.note({ text: "one-way" });
      for (let i = 0; i < 100 && !seen.includes("one-way"); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.deepEqual(seen, ["one-way"]);
    });

    await t.step("a bad packet closes only its own connection", async () => {
      const bad = new Uint8Array([0, 0, 0, 9, 0xff, 0xff, 0xff, 0xff, 0xff]);
      assert.equal(await rawCall(echo.addr.port, bad), null);
      const tooShort = new Uint8Array([0, 0, 0, 2]);
      assert.equal(await rawCall(echo.addr.port, tooShort), null);
      assert.deepEqual(await proxy.echo({ text: "still here" }), { ret: "still here" });
    });

    await t.step("a raw request without context and status maps is answered", async () => {
      const frame = encodeRequestFrame({
        version: TARS_VERSION,
        packetType: PACKET_NORMAL,
        messageType: 0,
        requestId: 7,
        servantName: "Test.Echo.EchoObj",
        funcName: "tars_ping",
        buffer: new Uint8Array(0),
        timeout: 1000,
      });
      const reply = await rawCall(echo.addr.port, frame);
      assert.ok(reply && reply.length > 8);
    });
  } finally {
    await client.close();
    await echo.stop();
  }
});

Deno.test("rpc: endpoints, failover and back-off", async (t) => {
  const a = startEcho();
  const b = startEcho();
  const client = new TarsClient({ log: quiet });
  try {
    await t.step("calls go round-robin over the endpoints", async () => {
      const both = `${a.obj}:${b.obj.slice(b.obj.indexOf("@") + 1)}`;
      const proxy = client.proxy(Echo, both);
      for (let i = 0; i < 10; i++) await proxy.echo({ text: "x" });
      assert.equal(a.server.connections, 1);
      assert.equal(b.server.connections, 1);
    });

    await t.step("a dead endpoint is skipped without losing calls", async () => {
      const dead = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const deadPort = (dead.addr as Deno.NetAddr).port;
      dead.close();
      const proxy = client.proxy(
        Echo,
        `${a.obj}:tcp -h 127.0.0.1 -p ${deadPort}`,
      );
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => proxy.echo({ text: String(i) })),
      );
      assert.deepEqual(results.map((r) => r.ret), Array.from({ length: 20 }, (_, i) => String(i)));
    });

    await t.step("a server that comes back is reconnected", async () => {
      const port = b.addr.port;
      const proxy = client.proxy(Echo, `Test.Echo.EchoObj@tcp -h 127.0.0.1 -p ${port}`);
      await proxy.echo({ text: "before" });
      await b.stop();
      await assert.rejects(proxy.echo({ text: "down" }, { timeout: 500 }), TarsCallError);
      const again = startEcho({ port });
      try {
        let answer: string | undefined;
        for (let i = 0; i < 100 && answer === undefined; i++) {
          answer = await proxy.echo({ text: "after" }).then((r) => r.ret, () => undefined);
          if (answer === undefined) await new Promise((r) => setTimeout(r, 50));
        }
        assert.equal(answer, "after");
      } finally {
        await again.stop();
      }
    });
  } finally {
    await client.close();
    await a.stop();
    await b.stop();
  }
});

Deno.test("rpc: graceful stop finishes calls in flight", async () => {
  const echo = startEcho();
  const client = new TarsClient({ log: quiet });
  try {
    const proxy = client.proxy(Echo, echo.obj);
    const pending = proxy.slow({ ms: 200 });
    await new Promise((r) => setTimeout(r, 50));
    const stopping = echo.server.stop({ timeout: 2000 });
    assert.deepEqual(await pending, { ret: 200 });
    await stopping;
    await assert.rejects(
      Deno.connect({ hostname: "127.0.0.1", port: echo.addr.port }).then((c) => c.close()),
    );
  } finally {
    await client.close();
    await echo.stop();
  }
});

Deno.test("rpc: connections above the cap are closed", async () => {
  const echo = startEcho({ maxConnections: 1 });
  const first = new TarsClient({ log: quiet });
  const second = new TarsClient({ log: quiet });
  try {
    await first.proxy(Echo, echo.obj).echo({ text: "one" });
    await assert.rejects(
      second.proxy(Echo, echo.obj).echo({ text: "two" }, { timeout: 1000 }),
      TarsCallError,
    );
    assert.equal(echo.server.connections, 1);
  } finally {
    await first.close();
    await second.close();
    await echo.stop();
  }
});

Deno.test("rpc: names resolve through a locator", async (t) => {
  const echo = startEcho();
  let lookups = 0;
  let answer: EndpointFValue[] = [];
  const registry = new TarsServer({ log: quiet });
  const lists = () => ({ ret: 0, activeEp: answer, inactiveEp: [] });
  registry.addServant(QUERY_OBJ, QueryF, {
    findObjectById: () => ({ ret: answer }),
    findObjectById4Any: lists,
    findObjectById4All: lists,
    findObjectByIdInSameGroup: () => (lookups++, lists()),
    findObjectByIdInSameStation: lists,
    findObjectByIdInSameSet: () => (lookups++, lists()),
  });
  const reg = registry.listen("tcp -h 127.0.0.1 -p 0");
  let now = 0;
  const client = new TarsClient({
    log: quiet,
    locator: `${QUERY_OBJ}@tcp -h 127.0.0.1 -p ${reg.port}`,
    now: () => now,
    refreshInterval: 60_000,
  });
  try {
    await t.step("an unknown object fails with a clear error", async () => {
      const proxy = client.proxy(Echo, "Test.Echo.EchoObj");
      await assert.rejects(proxy.echo({ text: "x" }), /no active tcp endpoint/);
    });

    await t.step("a registered object is found and its answer cached", async () => {
      answer = [{
        host: "127.0.0.1",
        port: echo.addr.port,
        timeout: 3000,
        istcp: 1,
        grid: 0,
        groupworkid: 0,
        grouprealid: 0,
        setId: "",
        qos: 0,
        bakFlag: 0,
        weight: 0,
        weightType: 0,
        authType: 0,
        nodeName: "",
      }];
      now += 10_001;
      lookups = 0;
      const proxy = client.proxy(Echo, "Test.Echo.EchoObj");
      assert.deepEqual(await proxy.echo({ text: "found" }), { ret: "found" });
      await proxy.echo({ text: "cached" });
      assert.equal(lookups, 1);
      now += 60_001;
      // Due: the call goes on with the answer it has and the lookup runs behind it.
      await proxy.echo({ text: "refreshed" });
      await eventually(1000, "the lookup behind the call", () => lookups === 2);
    });

    await t.step("a set id asks findObjectByIdInSameSet", async () => {
      lookups = 0;
      const proxy = client.proxy(Echo, "Test.Echo.EchoObj", { setId: "app.sz.1" });
      await proxy.echo({ text: "set" });
      assert.equal(lookups, 1);
    });
  } finally {
    await client.close();
    await registry.stop();
    await echo.stop();
  }
});
