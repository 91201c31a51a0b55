/**
 * The registry process on a bad day: out of file descriptors (a child under `ulimit -n`),
 * clients that hold memory (unfinished frames, replies never read; RSS from /proc), a hung
 * MariaDB (the private test server stopped with SIGSTOP) and a database that is down when the
 * registry starts. Each time it must keep serving what it can, say in /healthz what it cannot, and
 * come back by itself. Everything is on loopback with ports the processes pick.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TarsCallError } from "../protocol/call_error.ts";
import { TarsClient } from "../protocol/client.ts";
import { encodeFields } from "../protocol/codec/codec.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { REGISTRY_OBJ, RegistryF, RegistryRet } from "../protocol/interfaces/registry_f.ts";
import { encodeRequestFrame, PACKET_NORMAL, TARS_VERSION } from "../protocol/packets.ts";
import { type RegistryProcess, startRegistryProcess } from "../local/mod.ts";
import { delay } from "../lib/timers.ts";
import { eventually } from "./support/eventually.ts";
import { freePort } from "./support/free_port.ts";
import { mariadbMissing, mariadbSearchPath, startMariadb } from "./support/mariadb.ts";
import { skipWhen } from "./support/skip.ts";

/** Resident set size of a process in KiB (`VmRSS` of /proc/PID/status). */
async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)![1]);
}

/** One HTTP connection kept alive, opened while the registry can still accept it. */
async function keptAliveHttp(port: number) {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const buf = new Uint8Array(65536);
  let pending = "";
  return {
    /** GET `path` on this connection: status and body. */
    async get(path: string): Promise<{ status: number; body: string }> {
      await conn.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: registry\r\n\r\n`));
      for (;;) {
        const head = pending.indexOf("\r\n\r\n");
        if (head >= 0) {
          const length = Number(/content-length: (\d+)/i.exec(pending.slice(0, head))?.[1] ?? 0);
          if (pending.length >= head + 4 + length) {
            const status = Number(pending.slice(9, 12));
            const body = pending.slice(head + 4, head + 4 + length);
            pending = pending.slice(head + 4 + length);
            return { status, body };
          }
        }
        const n = await conn.read(buf);
        if (n === null) throw new Error("The registry closed the kept-alive HTTP connection");
        pending += new TextDecoder().decode(buf.subarray(0, n));
      }
    },
    close: () => conn.close(),
  };
}

/** Active `host:port` endpoints of an object through the registry at `port`. */
async function active(client: TarsClient, port: number, id: string): Promise<string[]> {
  const query = client.proxy(QueryF, `${QUERY_OBJ}@tcp -h 127.0.0.1 -p ${port} -t 5000`);
  return (await query.findObjectById4Any({ id })).activeEp.map((e) => `${e.host}:${e.port}`);
}

function closeAll(conns: Deno.Conn[]): void {
  for (const conn of conns.splice(0)) {
    try {
      conn.close();
    } catch {
      // Closed by the registry already.
    }
  }
}

Deno.test("faults: out of file descriptors, the listeners back off, say so in /healthz and come back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "registry-faults-" });
  const client = new TarsClient({ log: () => {}, timeout: 5000 });
  const conns: Deno.Conn[] = [];
  let registry: RegistryProcess | undefined;
  try {
    // About 29 descriptors are in use at rest: some 35 connections exhaust 64.
    registry = await startRegistryProcess(["--store", `sqlite:${join(dir, "r.db")}`], {
      fileLimit: 64,
    });
    const r = registry;
    // Past Deno's own lazy start-up work, which needs descriptors of its own.
    await delay(1000);
    const health = await keptAliveHttp(r.metricsPort);
    assert.deepEqual(await health.get("/healthz"), { status: 200, body: "ok\n" });

    for (let i = 0; i < 60; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: r.port }));
    }
    // The TARS listener reaches the limit first: were the HTTP connections opened at once, the
    // HTTP listener could accept them all while the TARS one still works through its backlog.
    await eventually(10_000, "/healthz 503 naming the TARS listener", async () => {
      const { status, body } = await health.get("/healthz");
      return status === 503 &&
        /cannot accept connections on tcp -h 127\.0\.0\.1 -p \d+: Too many open files/.test(body);
    });
    for (let i = 0; i < 5; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: r.metricsPort }));
    }
    await eventually(10_000, "/healthz 503 naming both listeners", async () => {
      const { status, body } = await health.get("/healthz");
      return status === 503 &&
        /cannot accept connections on tcp -h 127\.0\.0\.1 -p \d+: Too many open files/
          .test(body) &&
        /cannot accept connections on http 127\.0\.0\.1:\d+: Too many open files/
          .test(body);
    });
    // Several back-off rounds of at most 1 s later: still one line per listener and burst.
    await delay(2500);
    const failures = r.child.stderr.filter((l) => /accepting a connection failed/.test(l));
    assert.equal(failures.length, 2, failures.join("\n"));
    assert.equal(r.child.exited, false);

    closeAll(conns);
    await eventually(15_000, "/healthz 200 again", async () => {
      return (await health.get("/healthz")).status === 200;
    });
    health.close();
    assert.ok(
      r.child.stderr.filter((l) => /accepting connections again after \d+ failed/.test(l))
        .length >= 2,
      r.child.stderr.join("\n"),
    );
    assert.deepEqual(await active(client, r.port, QUERY_OBJ), [`127.0.0.1:${r.port}`]);
    const fresh = await fetch(`http://127.0.0.1:${r.metricsPort}/healthz`);
    assert.equal(await fresh.text(), "ok\n");
  } finally {
    closeAll(conns);
    await client.close();
    await registry?.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

/** The findObjectById request frame of `id`, `count` times with distinct request ids. */
function lookups(id: string, count: number): Uint8Array {
  const args = encodeFields(QueryF.compiled.get("findObjectById")!.args, { id });
  const frames = Array.from({ length: count }, (_, i) =>
    encodeRequestFrame({
      version: TARS_VERSION,
      packetType: PACKET_NORMAL,
      messageType: 0,
      requestId: i + 1,
      servantName: QUERY_OBJ,
      funcName: "findObjectById",
      buffer: args,
      timeout: 3000,
      context: new Map(),
      status: new Map(),
    }).slice());
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let off = 0;
  for (const f of frames) {
    out.set(f, off);
    off += f.length;
  }
  return out;
}

/** Whether the registry keeps `conn` open for `ms` (a read gets nothing, not its end). */
async function stillOpen(conn: Deno.Conn, ms: number): Promise<boolean> {
  const read = conn.read(new Uint8Array(1)).then((n) => n !== null, () => false);
  return await Promise.race([read, delay(ms).then(() => true)]);
}

/** Writes `data` in pieces; resolves to false when the registry closed the connection first. */
async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<boolean> {
  try {
    for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
    return true;
  } catch {
    return false;
  }
}

Deno.test("faults: memory stays within the budget and is given back", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "registry-faults-" });
  const client = new TarsClient({ log: () => {}, timeout: 5000 });
  const conns: Deno.Conn[] = [];
  let registry: RegistryProcess | undefined;
  const budget = 64 * 1024 * 1024;
  try {
    registry = await startRegistryProcess([
      "--store",
      `sqlite:${join(dir, "r.db")}`,
      "--max-buffered",
      "64MiB",
    ]);
    const r = registry;
    for (let i = 0; i < 20; i++) await active(client, r.port, QUERY_OBJ);
    await delay(1000);
    const before = await rssKiB(r.child.pid);
    const figures: string[] = [`before ${Math.round(before / 1024)} MiB`];

    await t.step("100 connections of 9 MiB of an unfinished frame each", async () => {
      let peak = before;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          peak = Math.max(peak, await rssKiB(r.child.pid));
          await delay(50);
        }
      })();
      const head = new Uint8Array(4);
      new DataView(head.buffer).setUint32(0, 10_000_000);
      const piece = new Uint8Array(9 * 1024 * 1024);
      const sending = await Promise.all(Array.from({ length: 100 }, async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: r.port });
        conns.push(conn);
        await (await writeAll(conn, head) && writeAll(conn, piece));
        return conn;
      }));
      // Others are still served while those are held.
      assert.deepEqual(await active(client, r.port, QUERY_OBJ), [`127.0.0.1:${r.port}`]);
      // What the registry did not close holds at most the budget: 7 connections of 9 MiB.
      const open = await Promise.all(sending.map((conn) => stillOpen(conn, 2000)));
      sampling = false;
      await sampler;
      const closed = open.filter((o) => !o).length;
      figures.push(`peak ${Math.round(peak / 1024)} MiB, ${closed} of 100 closed`);
      assert.ok(closed >= 90, `only ${closed} connections were closed`);
      assert.ok(
        (peak - before) * 1024 < 4 * budget,
        `RSS grew by ${Math.round((peak - before) / 1024)} MiB for a budget of 64 MiB`,
      );
      assert.ok(r.child.stderr.some((l) => /passed the buffer limit of 67108864 bytes/.test(l)));
      closeAll(conns);
      const ms = await eventually(30_000, "RSS back within 1.5x", async () => {
        return await rssKiB(r.child.pid) <= 1.5 * before;
      }, { interval: 500 });
      figures.push(
        `back to ${Math.round((await rssKiB(r.child.pid)) / 1024)} MiB in ${Math.round(ms)} ms`,
      );
    });

    await t.step("clients that send lookups and never read the replies", async () => {
      // 50 endpoints: each reply is some 20 times its request, 60 MB for the 40,000 of a client.
      const registration = client.proxy(RegistryF, `${REGISTRY_OBJ}@tcp -h 127.0.0.1 -p ${r.port}`);
      for (let i = 1; i <= 50; i++) await registration.onStartup(pod(`10.9.0.${i}`));
      await delay(500);
      const start = await rssKiB(r.child.pid);
      const batch = lookups("App.Srv.Obj", 40_000);
      await Promise.all(Array.from({ length: 5 }, async () => {
        const conn = await Deno.connect({ hostname: "127.0.0.1", port: r.port });
        conns.push(conn);
        // The registry stops reading each once 1 MiB of replies waits: the writes stall.
        await Promise.race([writeAll(conn, batch), delay(3000)]);
      }));
      // Still connected, not reading: once the sockets are full, the registry holds about 1 MiB
      // for each (it stops reading them there), and it answers others.
      let metrics = "";
      let held = 0;
      await eventually(10_000, "1 MiB of replies held for each non-reader", async () => {
        metrics = await (await fetch(`http://127.0.0.1:${r.metricsPort}/metrics`)).text();
        held = Number(/^tarsregistry_buffered_bytes (\d+)$/m.exec(metrics)?.[1]);
        return held >= 5 * 1024 * 1024;
      });
      // Theirs and the connection of this test's own client.
      assert.equal(Number(/^tarsregistry_connections (\d+)$/m.exec(metrics)?.[1]), 6);
      assert.ok(held <= 5 * 1.1 * 1024 * 1024, `${held} bytes held for 5 non-readers`);
      assert.deepEqual(await active(client, r.port, QUERY_OBJ), [`127.0.0.1:${r.port}`]);
      const connected = await rssKiB(r.child.pid);
      // What is held stays within the budget.
      assert.ok(
        (connected - start) * 1024 < 2 * budget,
        `RSS grew by ${Math.round((connected - start) / 1024)} MiB for 5 clients that do not read`,
      );
      closeAll(conns);
      await eventually(5000, "nothing held once they closed", async () => {
        const text = await (await fetch(`http://127.0.0.1:${r.metricsPort}/metrics`)).text();
        return /^tarsregistry_buffered_bytes 0$/m.test(text);
      });
      // Replies leave through output chunks reused and released outside the C heap: nothing of
      // the traffic stays behind in the allocator once they are gone.
      const ms = await eventually(30_000, "RSS back within 1.5x", async () => {
        return await rssKiB(r.child.pid) <= 1.5 * before;
      }, { interval: 500 });
      figures.push(
        `non-readers: ${Math.round(held / 1024)} KiB held, RSS ${Math.round(start / 1024)} -> ` +
          `${Math.round(connected / 1024)} MiB connected, back to ` +
          `${Math.round((await rssKiB(r.child.pid)) / 1024)} MiB in ${Math.round(ms)} ms`,
      );
    });
    console.log(`registry memory: ${figures.join("; ")}`);
  } finally {
    closeAll(conns);
    await client.close();
    await registry?.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

/** A pod registration of App.Srv on `nodeName`. */
function pod(nodeName: string) {
  return {
    req: {
      nodeName,
      application: "App",
      server: "Srv",
      adapters: [{ servant: "App.Srv.Obj", endpoint: `tcp -h ${nodeName} -p 9000` }],
      State: "active",
    },
  };
}

/** The TARS code `call` fails with, and how long it took. */
async function failure(
  call: Promise<unknown>,
): Promise<{ code: number; ms: number; message: string }> {
  const started = performance.now();
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof TarsCallError, String(error));
    return { code: error.code, ms: performance.now() - started, message: error.message };
  }
  assert.fail("the call did not fail");
}

const HUNG_TEST = "faults: a hung MariaDB answers writes within the deadline, busy beyond the cap";
Deno.test({
  name: HUNG_TEST,
  ignore: skipWhen(HUNG_TEST, mariadbMissing(Deno.env)),
  async fn(t) {
    const mariadb = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
    const client = new TarsClient({ log: () => {}, timeout: 5000 });
    let registry: RegistryProcess | undefined;
    try {
      registry = await startRegistryProcess([
        "--store",
        mariadb.url,
        "--init-db",
        "--store-timeout",
        "1s",
        "--max-pending-writes",
        "5",
        "--reload-interval",
        "1h",
      ]);
      const r = registry;
      const registration = client.proxy(RegistryF, `${REGISTRY_OBJ}@tcp -h 127.0.0.1 -p ${r.port}`);
      const health = () => fetch(`http://127.0.0.1:${r.metricsPort}/healthz`);
      await registration.onStartup(pod("10.1.0.1"));
      assert.equal((await health()).status, 200);
      Deno.kill(mariadb.pid, "SIGSTOP");

      await t.step(
        "a write is answered at the deadline; memory and lookups unchanged",
        async () => {
          const { code, ms, message } = await failure(registration.onStartup(pod("10.1.0.2")));
          assert.equal(code, RegistryRet.STORE_TIMEOUT, message);
          assert.ok(ms >= 900 && ms < 2000, `answered after ${ms} ms`);
          assert.deepEqual(await active(client, r.port, "App.Srv.Obj"), ["10.1.0.1:9000"]);
          const answer = await health();
          assert.equal(answer.status, 503);
          assert.match(
            await answer.text(),
            /store writes stall: onStartup got no answer within 1000 ms/,
          );
        },
      );

      await t.step("beyond --max-pending-writes a write is refused at once", async () => {
        const calls = Array.from(
          { length: 8 },
          (_, i) => failure(registration.onStartup(pod(`10.1.1.${i}`))),
        );
        const results = await Promise.all(calls);
        const busy = results.filter((r) => r.code === RegistryRet.BUSY);
        assert.ok(busy.length >= 4, JSON.stringify(results));
        assert.ok(busy.every((b) => b.ms < 500), JSON.stringify(busy));
        assert.match(
          busy[0].message,
          /registry busy: \d+ writes wait for the store \(--max-pending-writes 5\)/,
        );
        assert.ok(
          results.every((r) => r.code === RegistryRet.BUSY || r.code === RegistryRet.STORE_TIMEOUT),
        );
      });

      await t.step("the database back: writes work and /healthz is 200 again", async () => {
        Deno.kill(mariadb.pid, "SIGCONT");
        await eventually(10_000, "a write going through", async () => {
          try {
            await registration.onStartup(pod("10.1.0.3"));
            return true;
          } catch {
            return false;
          }
        });
        assert.ok((await active(client, r.port, "App.Srv.Obj")).includes("10.1.0.3:9000"));
        assert.equal((await health()).status, 200);
      });
    } finally {
      Deno.kill(mariadb.pid, "SIGCONT");
      await client.close();
      await registry?.kill();
      await mariadb.stop();
    }
  },
});

const DOWN_TEST = "faults: started while the database is down, the registry waits for it";
Deno.test({
  name: DOWN_TEST,
  ignore: skipWhen(DOWN_TEST, mariadbMissing(Deno.env)),
  async fn(t) {
    const dbPort = freePort();
    const tarsPort = freePort();
    const client = new TarsClient({ log: () => {}, timeout: 5000 });
    let registry: RegistryProcess | undefined;
    let mariadb: Awaited<ReturnType<typeof startMariadb>> | undefined;
    try {
      registry = await startRegistryProcess(
        ["--store", `mysql://tars:t%40rs%3Apw%2F1@127.0.0.1:${dbPort}/db_tars`, "--init-db"],
        { port: tarsPort, until: "http" },
      );
      const r = registry;
      await t.step(
        "it retries with a back-off, says why in /healthz, and the TARS port is shut",
        async () => {
          await r.child.waitForLine(/Opening the store failed: .*; trying again in 2 s/, 10_000);
          assert.ok(
            r.child.stderr.some((l) => /Opening the store failed: .*trying again in 1 s/.test(l)),
          );
          const answer = await fetch(`http://127.0.0.1:${r.metricsPort}/healthz`);
          assert.equal(answer.status, 503);
          assert.match(await answer.text(), /^starting: the store cannot be opened or loaded: /);
          await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port: tarsPort }));
          assert.equal(r.child.exited, false);
        },
      );

      await t.step("the database comes up: it loads, opens the TARS port and answers", async () => {
        mariadb = await startMariadb({
          searchPath: mariadbSearchPath(Deno.env.get("PATH")),
          port: dbPort,
        });
        await r.child.waitForLine(/^tarsregistry listening on tcp -h 127\.0\.0\.1 -p \d+/, 40_000);
        assert.deepEqual(await active(client, tarsPort, QUERY_OBJ), [`127.0.0.1:${tarsPort}`]);
        assert.equal((await fetch(`http://127.0.0.1:${r.metricsPort}/healthz`)).status, 200);
      });
    } finally {
      await client.close();
      await registry?.kill();
      await mariadb?.stop();
    }
  },
});

Deno.test("faults: SIGTERM while it waits for its store stops it at once", async () => {
  const registry = await startRegistryProcess(
    ["--store", `mysql://tars:pw@127.0.0.1:${freePort()}/db_tars`],
    { until: "http" },
  );
  try {
    await registry.child.waitForLine(/Opening the store failed/, 10_000);
    const started = performance.now();
    const status = await registry.terminate();
    assert.equal(status.code, 0);
    assert.ok(performance.now() - started < 5000);
    assert.ok(registry.stdout.includes("tarsregistry stopped before its store was loaded"));
  } finally {
    await registry.kill();
  }
});
