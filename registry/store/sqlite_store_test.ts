import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { join } from "node:path";
import { SqliteStore } from "./sqlite_store.ts";

const WRITER = new URL("./testdata/write_registrations.ts", import.meta.url);

async function tempDir(): Promise<string> {
  return await Deno.makeTempDir({ prefix: "tars-sqlite-" });
}

Deno.test("SQLite store", async (t) => {
  await t.step("creates the file and its directory in WAL mode", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "a", "b", "registry.db");
      const store = SqliteStore.open(path, { now: () => 0 });
      await store.close();
      const db = new DatabaseSync(path);
      try {
        const row = db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
        assert.equal(row.journal_mode, "wal");
      } finally {
        db.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step("refuses a database with a newer schema", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "registry.db");
      const db = new DatabaseSync(path);
      db.exec("PRAGMA user_version = 99");
      db.close();
      assert.throws(() => SqliteStore.open(path, { now: () => 0 }), /schema version 99/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step("registrations acknowledged before a kill -9 are all there", async () => {
    const dir = await tempDir();
    try {
      const path = join(dir, "registry.db");
      const count = 300;
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-read", "--allow-write", WRITER.pathname, path, String(count)],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const decoder = new TextDecoder();
      let output = "";
      const reader = child.stdout.getReader();
      while (!output.includes(`written ${count}`)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`The writer exited before registering: ${output}`);
        output += decoder.decode(value);
      }
      // Let it heartbeat for a moment so the kill lands in the middle of writes.
      await new Promise((resolve) => setTimeout(resolve, 200));
      child.kill("SIGKILL");
      const status = await child.status;
      assert.equal(status.signal, "SIGKILL");
      await reader.cancel();
      const store = SqliteStore.open(path, { now: () => 0 });
      try {
        const snap = await store.snapshot();
        assert.equal(snap.servers.length, count);
        assert.equal(snap.nodes.length, count);
        assert.ok(snap.servers.every((s) => s.adapters.length === 1));
      } finally {
        await store.close();
      }
      const db = new DatabaseSync(path);
      try {
        const row = db.prepare("PRAGMA integrity_check").get() as { integrity_check: string };
        assert.equal(row.integrity_check, "ok");
      } finally {
        db.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step("keepAlive runs at thousands of calls per second", async () => {
    const dir = await tempDir();
    try {
      const store = SqliteStore.open(join(dir, "registry.db"), { now: Date.now });
      try {
        const nodes = 200;
        for (let i = 0; i < nodes; i++) {
          await store.onStartup({ nodeName: `10.9.0.${i}`, application: "A", server: "S" });
        }
        const calls = 3000;
        const started = performance.now();
        for (let i = 0; i < calls; i++) {
          await store.keepAlive({
            nodeName: `10.9.0.${i % nodes}`,
            state: "active",
            application: "A",
            server: "S",
          });
        }
        const perSecond = Math.round(calls / ((performance.now() - started) / 1000));
        console.log(`SQLite keepAlive: ${perSecond} calls/s (synchronous=FULL, WAL)`);
        assert.ok(perSecond > 500, `keepAlive too slow: ${perSecond} calls/s`);
      } finally {
        await store.close();
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
