import assert from "node:assert/strict";
import { type ProbeServer, startProbeServer } from "./probe_server.ts";
import { stateFilePath, writeStateFile } from "./state_file.ts";

/** One raw HTTP/1.1 request; the whole answer. */
async function request(port: number, text: string, hostname = "127.0.0.1"): Promise<string> {
  const conn = await Deno.connect({ hostname, port });
  try {
    await conn.write(new TextEncoder().encode(text));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(4096);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      chunks.push(buf.slice(0, n));
    }
    return new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
  } finally {
    conn.close();
  }
}

const GET = "GET /ready HTTP/1.1\r\nHost: pod\r\nUser-Agent: kube-probe/1.31\r\n\r\n";

Deno.test("probe server", async (t) => {
  const tarsPath = await Deno.makeTempDir({ prefix: "probe_server_" });
  const statePath = stateFilePath(tarsPath);
  const lines: string[] = [];
  let server: ProbeServer | undefined;
  try {
    server = await startProbeServer({
      port: 0,
      statePath,
      reportInterval: 30_000,
      log: (line) => lines.push(line),
    });
    const port = server.port;

    await t.step("no state file yet: 503 with hzcheck's reason", async () => {
      const answer = await request(port, GET);
      assert.match(answer, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
      assert.ok(
        answer.endsWith(`not ready: no state file at ${statePath} (supervisor not started?)\n`),
      );
    });

    await t.step("activating, with the reason from the state file: 503", async () => {
      await writeStateFile(statePath, {
        state: "activating",
        writtenAt: Date.now(),
        reason: "waiting for the registry: refused",
      });
      const answer = await request(port, GET);
      assert.match(answer, /^HTTP\/1\.1 503 /);
      assert.match(answer, /content-length: \d+\r\n/);
      assert.ok(
        answer.endsWith("\r\n\r\nnot ready: activating (waiting for the registry: refused)\n"),
      );
    });

    await t.step("active and deactivating: 200; a stale file: 503", async () => {
      await writeStateFile(statePath, { state: "active", writtenAt: Date.now() });
      assert.match(await request(port, GET), /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nready\n$/);
      await writeStateFile(statePath, { state: "deactivating", writtenAt: Date.now() });
      assert.match(await request(port, GET), /^HTTP\/1\.1 200 OK\r\n/);
      await writeStateFile(statePath, { state: "active", writtenAt: Date.now() - 95_000 });
      assert.match(await request(port, GET), /503[^]*supervisor not alive: state 95 s old\n$/);
    });

    await t.step("HEAD has no body; another path is 404, another method 405", async () => {
      await writeStateFile(statePath, { state: "active", writtenAt: Date.now() });
      const head = await request(port, "HEAD /ready HTTP/1.1\r\n\r\n");
      assert.match(head, /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 6\r\n[^]*\r\n\r\n$/);
      assert.match(await request(port, "GET /healthz HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 404 /);
      assert.match(await request(port, "POST /ready HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 405 /);
      assert.match(await request(port, "GET /ready?x=1 HTTP/1.1\r\n\r\n"), /^HTTP\/1\.1 200 /);
    });

    await t.step("a request head over 4 KiB is closed unanswered", async () => {
      const big = `GET /ready HTTP/1.1\r\nX: ${"a".repeat(5000)}\r\n\r\n`;
      assert.equal(await request(port, big).catch(() => ""), "");
    });

    await t.step("it listens on every address: IPv4 and IPv6 loopback", async () => {
      assert.match(await request(port, GET, "127.0.0.1"), /^HTTP\/1\.1 200 /);
      assert.match(await request(port, GET, "::1"), /^HTTP\/1\.1 200 /);
    });
  } finally {
    await server?.close();
    await Deno.remove(tarsPath, { recursive: true });
  }
  assert.deepEqual(lines, []);
});
