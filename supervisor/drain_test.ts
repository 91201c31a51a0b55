import assert from "node:assert/strict";
import { readSettings } from "../lib/settings.ts";
import { ADMIN_OBJ, AdminF, TarsClient, TarsCode } from "../protocol/mod.ts";
import { createObjectResolver } from "./object_resolver.ts";
import { drainMarkerPath, runDrain } from "./drain.ts";
import { createRegistryLink } from "./registry_link.ts";
import { keepAliveRequest, prestopRequest } from "./registry_link.ts";
import { readStateFile, stateFilePath } from "./state_file.ts";
import { type FakeTars, startFakeTars } from "./test_fakes.ts";
import { nameThatTriesFirst } from "../tests/support/failover_order.ts";
import { fakeServerInfo } from "../tests/support/server_info.ts";

const NOW = 1_700_000_000_000;

async function setUp(
  options: { linkTimeout?: number; locator?: string; replica?: FakeTars } = {},
) {
  const fake = startFakeTars();
  const keys = [fake, ...options.replica ? [options.replica] : []].map((f) =>
    `127.0.0.1:${f.port}`
  );
  if (options.replica) fake.replicas.push(options.replica.port);
  // With a second replica, the fake of the service is tried first.
  const client = new TarsClient({ log: () => {}, spreadBy: nameThatTriesFirst(keys[0], keys) });
  const tarsPath = await Deno.makeTempDir();
  const info = fakeServerInfo(tarsPath, { local: fake.local });
  const settings = readSettings(
    { TARS_PATH: tarsPath, TARS_PRESTOP_WAITTIME: "80s" },
    "prestop",
    { cwd: "/" },
  );
  const resolver = createObjectResolver({
    client,
    locator: options.locator ?? fake.locator,
    dataDir: info.paths.data,
  });
  const link = createRegistryLink(resolver, { client, timeout: options.linkTimeout });
  const admin = client.proxy(AdminF, `${ADMIN_OBJ}@${fake.local}`, { timeout: 10_000 });
  const lines: string[] = [];
  const slept: { ms: number; callsBefore: string[] }[] = [];
  const deps = {
    info,
    settings,
    link,
    admin: async (command: string) => (await admin.notify({ command })).ret,
    log: (line: string) => lines.push(line),
    now: () => NOW,
    sleep: (ms: number) => {
      slept.push({ ms, callsBefore: fake.calls.map((c) => c.method) });
      return Promise.resolve();
    },
  };
  return {
    fake,
    info,
    tarsPath,
    deps,
    lines,
    slept,
    async close() {
      await client.close();
      await fake.stop();
      await Deno.remove(tarsPath, { recursive: true });
    },
  };
}

Deno.test("the drain", async (t) => {
  await t.step("the sequence in order, then once per pod", async () => {
    const s = await setUp();
    try {
      assert.equal(await runDrain(s.deps), "done");
      assert.deepEqual(await readStateFile(stateFilePath(s.tarsPath)), {
        state: "deactivating",
        writtenAt: NOW,
        reason: "prestop started",
      });
      assert.equal(
        await Deno.readTextFile(drainMarkerPath(s.tarsPath)),
        `${new Date(NOW).toISOString()}\n`,
      );
      const methods = s.fake.calls.map((c) => c.method).filter((m) =>
        m !== "QueryF.findObjectById"
      );
      // keepAlive and notify go out together when the wait starts; onPrestop after it.
      assert.deepEqual(methods.slice(0, 2).sort(), ["AdminF.notify", "Registry.keepAlive"]);
      assert.deepEqual(methods.slice(2), ["Registry.onPrestop"]);
      assert.deepEqual(s.fake.argsOf("Registry.keepAlive"), [
        keepAliveRequest(s.info, "deactivating"),
      ]);
      assert.deepEqual(s.fake.argsOf("AdminF.notify"), ["prestop"]);
      assert.deepEqual(s.fake.argsOf("Registry.onPrestop"), [prestopRequest(s.info)]);
      assert.equal(s.slept.length, 1);
      assert.equal(s.slept[0].ms, 80_000);
      assert.ok(!s.slept[0].callsBefore.includes("Registry.onPrestop"));
      assert.ok(s.lines.some((l) => l.includes('answered "done: prestop"')), s.lines.join("\n"));

      const calls = s.fake.calls.length;
      s.lines.length = 0;
      assert.equal(await runDrain(s.deps), "already");
      assert.equal(s.fake.calls.length, calls);
      assert.equal(s.slept.length, 1);
      assert.match(s.lines.join("\n"), /already run in this pod/);
    } finally {
      await s.close();
    }
  });

  await t.step("failed calls are logged and the sequence goes on", async () => {
    const s = await setUp();
    try {
      s.fake.failing.set("Registry.keepAlive", TarsCode.UNKNOWN);
      s.fake.failing.set("AdminF.notify", TarsCode.NO_FUNC);
      assert.equal(await runDrain(s.deps), "done");
      assert.equal(s.slept.length, 1);
      assert.equal(s.fake.argsOf("Registry.onPrestop").length, 1);
      const text = s.lines.join("\n");
      assert.match(text, /prestop: registry keepAlive deactivating failed: .*asked to fail/);
      assert.match(text, /prestop: AdminF\.notify\("prestop"\) failed: /);
    } finally {
      await s.close();
    }
  });

  await t.step("a registry that does not answer is bounded by callTimeout", async () => {
    const s = await setUp({ linkTimeout: 60_000 });
    try {
      s.fake.hanging.add("Registry.keepAlive");
      s.fake.hanging.add("AdminF.notify");
      s.fake.hanging.add("Registry.onPrestop");
      const started = performance.now();
      assert.equal(await runDrain({ ...s.deps, callTimeout: 200 }), "done");
      assert.ok(performance.now() - started < 2000, "each call within its 200 ms");
      assert.equal(s.slept.length, 1);
      // The registry calls are given the bound and end by it themselves, or the drain ends them.
      const failures = s.lines.filter((l) => /^prestop: .* failed: .*; going on$/.test(l));
      assert.equal(failures.length, 3, s.lines.join("\n"));
    } finally {
      await s.close();
    }
  });

  await t.step(
    "a hung replica: the registry calls go to the other within callTimeout",
    async () => {
      const other = startFakeTars();
      const s = await setUp({ replica: other });
      try {
        s.fake.hanging.add("Registry.keepAlive");
        s.fake.hanging.add("Registry.onPrestop");
        assert.equal(await runDrain({ ...s.deps, callTimeout: 1000 }), "done");
        assert.deepEqual(other.argsOf("Registry.keepAlive"), [
          keepAliveRequest(s.info, "deactivating"),
        ]);
        assert.deepEqual(other.argsOf("Registry.onPrestop"), [prestopRequest(s.info)]);
        assert.equal(s.fake.argsOf("Registry.keepAlive").length, 1, "tried first, once");
        assert.equal(s.fake.argsOf("Registry.onPrestop").length, 0, "resting by then");
        const text = s.lines.join("\n");
        assert.match(text, /prestop: registry keepAlive deactivating sent/);
        assert.match(text, /prestop: registry onPrestop sent/);
      } finally {
        await s.close();
        await other.stop();
      }
    },
  );

  await t.step("an unreachable registry: state file written, wait kept", async () => {
    const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = closed.addr.port;
    closed.close();
    const s = await setUp({ locator: `tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p ${port}` });
    try {
      assert.equal(await runDrain(s.deps), "done");
      assert.equal((await readStateFile(stateFilePath(s.tarsPath)))?.state, "deactivating");
      assert.deepEqual(s.fake.argsOf("AdminF.notify"), ["prestop"]);
      assert.equal(s.slept.length, 1);
      assert.match(
        s.lines.join("\n"),
        /registry onPrestop failed: Registry onPrestop failed: Cannot look up/,
      );
    } finally {
      await s.close();
    }
  });

  await t.step("a data directory that cannot hold the marker does not stop it", async () => {
    const s = await setUp();
    try {
      await Deno.writeTextFile(`${s.tarsPath}/data`, "not a directory");
      assert.equal(await runDrain(s.deps), "done");
      assert.match(s.lines.join("\n"), /cannot create .*prestop.*going on without it/);
      assert.equal(s.fake.argsOf("Registry.onPrestop").length, 1);
    } finally {
      await s.close();
    }
  });
});
