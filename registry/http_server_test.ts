import assert from "node:assert/strict";
import { startHttpServer } from "./http_server.ts";
import { delay } from "../lib/timers.ts";

const handler = (req: Request) => {
  const path = new URL(req.url).pathname;
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response("Use GET\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  if (path === "/healthz") return new Response("ok\n");
  return new Response("Not found\n", { status: 404 });
};

/** Sends raw bytes on one connection and reads until `done` matches what came back, or EOF. */
async function exchange(
  port: number,
  requests: string[],
  done: (text: string) => boolean = () => false,
): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    for (const r of requests) await conn.write(new TextEncoder().encode(r));
    let text = "";
    const buf = new Uint8Array(4096);
    const deadline = performance.now() + 3000;
    while (!done(text) && performance.now() < deadline) {
      const n = await Promise.race([conn.read(buf), delay(3000).then(() => null)]);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    return text;
  } finally {
    conn.close();
  }
}

Deno.test("registry HTTP server", async (t) => {
  const server = startHttpServer({ host: "127.0.0.1", port: 0 }, handler, {
    log: () => {},
    idleTimeout: 300,
  });
  const port = server.address.port;
  try {
    await t.step("fetch gets answers, as clients and probes do", async () => {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(ok.status, 200);
      assert.equal(await ok.text(), "ok\n");
      const missing = await fetch(`http://127.0.0.1:${port}/nope`);
      assert.equal(missing.status, 404);
      await missing.body?.cancel();
      const post = await fetch(`http://127.0.0.1:${port}/healthz`, { method: "POST" });
      assert.equal(post.status, 405);
      assert.equal(post.headers.get("allow"), "GET, HEAD");
      await post.body?.cancel();
    });

    await t.step("two requests on one kept-alive connection; HEAD has no body", async () => {
      const text = await exchange(port, [
        "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nHEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n",
      ], (t) => (t.match(/HTTP\/1\.1 200 OK/g) ?? []).length === 2 && t.endsWith("\r\n\r\n"));
      const answers = text.split("HTTP/1.1 ").slice(1);
      assert.equal(answers.length, 2, text);
      assert.match(answers[0], /content-length: 3\r\n\r\nok\n$/);
      assert.match(answers[1], /content-length: 3\r\n\r\n$/);
    });

    await t.step("Connection: close, a body, a huge head: answered and closed", async () => {
      assert.match(
        await exchange(port, ["GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"]),
        /^HTTP\/1\.1 200 OK\r\n.*connection: close\r\n\r\nok\n$/s,
      );
      assert.match(
        await exchange(port, ["POST /x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"]),
        /^HTTP\/1\.1 400 Bad Request\r\n/,
      );
      assert.match(
        await exchange(port, [`GET / HTTP/1.1\r\nX: ${"a".repeat(20_000)}`]),
        /^HTTP\/1\.1 431 /,
      );
      assert.match(await exchange(port, ["NONSENSE\r\n\r\n"]), /^HTTP\/1\.1 400 /);
    });

    await t.step("an idle connection is closed after the idle timeout", async () => {
      const started = performance.now();
      assert.equal(await exchange(port, []), "");
      const took = performance.now() - started;
      assert.ok(took >= 250 && took < 2000, `closed after ${took} ms`);
    });
  } finally {
    await server.stop();
  }
});
