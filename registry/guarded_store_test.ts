import assert from "node:assert/strict";
import { TarsCallError } from "../protocol/call_error.ts";
import { RegistryRet } from "../protocol/interfaces/registry_f.ts";
import { GuardedStore } from "./guarded_store.ts";
import { RegistryService } from "./registry_service.ts";
import { SqliteStore } from "./store/sqlite_store.ts";
import type { RegistryStore } from "./store/mod.ts";
import { keepAliveRows, startupRows } from "./validate.ts";

/** A SQLite store whose writes can be made to hang (until released) or fail, and its reads hang. */
async function faultyStore() {
  const dir = await Deno.makeTempDir({ prefix: "guarded_store_test_" });
  const real = await SqliteStore.open(`${dir}/registry.db`, { now: Date.now });
  const held: (() => void)[] = [];
  const faults = { hang: false, fail: undefined as string | undefined, hangReads: false };
  const gate = async () => {
    if (faults.fail) throw new Error(faults.fail);
    if (faults.hang) await new Promise<void>((resolve) => held.push(resolve));
  };
  const gateRead = async () => {
    if (faults.hangReads) await new Promise<void>((resolve) => held.push(resolve));
  };
  const store: RegistryStore = {
    kind: "sqlite",
    onStartup: async (rows) => (await gate(), real.onStartup(rows)),
    keepAlive: async (rows) => (await gate(), real.keepAlive(rows)),
    onPrestop: async (target) => (await gate(), real.onPrestop(target)),
    registerMetrics: async (row) => (await gate(), real.registerMetrics(row)),
    clean: async (cutoff) => (await gate(), real.clean(cutoff)),
    expireNodes: (timeout, options) => real.expireNodes(timeout, options),
    readGroupRules: () => real.readGroupRules(),
    announceRegistry: (rows) => real.announceRegistry(rows),
    withdrawRegistry: (locatorId) => real.withdrawRegistry(locatorId),
    load: async (sink) => (await gateRead(), real.load(sink)),
    counts: async () => (await gateRead(), real.counts()),
    close: () => real.close(),
    setSettingState: async (key, state) => (await gate(), real.setSettingState(key, state)),
    setFlowState: async (rows) => (await gate(), real.setFlowState(rows)),
    nodeVersion: async (nodeName) => (await gateRead(), real.nodeVersion(nodeName)),
    profileTemplate: (name) => real.profileTemplate(name),
    serverProfile: (key) => real.serverProfile(key),
    addTask: async (task) => (await gate(), real.addTask(task)),
    changeTaskItem: async (change) => (await gate(), real.changeTaskItem(change)),
    task: async (taskNo) => (await gateRead(), real.task(taskNo)),
    taskHistory: async (filter) => (await gateRead(), real.taskHistory(filter)),
  };
  return {
    store,
    faults,
    /** Lets every hung call go on. */
    release() {
      for (const go of held.splice(0)) go();
    },
    async close() {
      await real.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const pod = (nodeName: string) => ({
  nodeName,
  application: "App",
  server: "Srv",
  adapters: [{ servant: "App.Srv.Obj", endpoint: `tcp -h ${nodeName} -p 9000` }],
});

async function code(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (error) {
    assert.ok(error instanceof TarsCallError, String(error));
    return { code: error.code, message: error.message };
  }
  assert.fail("the call did not fail");
}

Deno.test("guarded store: a hung store cannot hang callers", async (t) => {
  const faulty = await faultyStore();
  const store = new GuardedStore(faulty.store, { timeout: 200, maxPendingWrites: 3 });
  const service = await RegistryService.open(store, {
    now: Date.now,
    nodeTimeout: 250_000,
    log: () => {},
  });
  try {
    await t.step(
      "a write past the deadline fails with STORE_TIMEOUT, memory unchanged",
      async () => {
        faulty.faults.hang = true;
        const started = performance.now();
        const error = await code(service.onStartup(pod("10.0.0.1")));
        const took = performance.now() - started;
        assert.equal(error.code, RegistryRet.STORE_TIMEOUT);
        assert.match(error.message, /^onStartup: the store did not answer within 200 ms/);
        assert.ok(took >= 195 && took < 1000, `answered after ${took} ms`);
        assert.deepEqual(service.find("App.Srv.Obj").activeEp, []);
        assert.match(store.writeFailure ?? "", /store writes stall: onStartup got no answer/);
      },
    );

    await t.step("at most --max-pending-writes wait; the next is refused as busy", async () => {
      // One is still hung from the step before.
      const waiting = [service.onStartup(pod("10.0.0.2")), service.onStartup(pod("10.0.0.3"))];
      for (const w of waiting) w.catch(() => {});
      assert.equal(store.pendingWrites, 3);
      const started = performance.now();
      const busy = await code(service.keepAlive({ nodeName: "10.0.0.4", state: "active" }));
      assert.ok(performance.now() - started < 50);
      assert.equal(busy.code, RegistryRet.BUSY);
      assert.match(
        busy.message,
        /registry busy: 3 writes wait for the store \(--max-pending-writes 3\)/,
      );
      for (const w of waiting) assert.equal((await code(w)).code, RegistryRet.STORE_TIMEOUT);
    });

    await t.step("a write that succeeds again clears the failure", async () => {
      faulty.faults.hang = false;
      faulty.release();
      await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(store.pendingWrites, 0);
      await service.onStartup(pod("10.0.0.5"));
      assert.equal(store.writeFailure, undefined);
      assert.deepEqual(service.find("App.Srv.Obj").activeEp.map((e) => e.host), ["10.0.0.5"]);
    });

    await t.step("a failing write is reported until one succeeds", async () => {
      faulty.faults.fail = "disk I/O error";
      await assert.rejects(service.onStartup(pod("10.0.0.6")), /disk I\/O error/);
      assert.equal(store.writeFailure, "store writes fail: onStartup: disk I/O error");
      faulty.faults.fail = undefined;
      await service.keepAlive({ nodeName: "10.0.0.5", state: "active" });
      assert.equal(store.writeFailure, undefined);
    });
  } finally {
    faulty.release();
    await store.close();
    await faulty.close();
  }
});

Deno.test("guarded store: writes and reads wait in caps of their own", async (t) => {
  const faulty = await faultyStore();
  const store = new GuardedStore(faulty.store, {
    timeout: 200,
    maxPendingWrites: 2,
    maxPendingReads: 2,
  });
  const rows = (nodeName: string) => startupRows(pod(nodeName));
  const history = { application: "App", server: "Srv", command: "restart" };
  try {
    await t.step(
      "with as many writes waiting as --max-pending-writes, reads are answered",
      async () => {
        faulty.faults.hang = true;
        const writes = [store.onStartup(rows("10.0.0.1")), store.onStartup(rows("10.0.0.2"))];
        for (const w of writes) w.catch(() => {});
        assert.equal(store.pendingWrites, 2);
        assert.equal((await code(store.onStartup(rows("10.0.0.3")))).code, RegistryRet.BUSY);
        assert.equal(await store.task("1"), undefined);
        assert.deepEqual(await store.taskHistory(history), []);
        assert.equal((await store.counts()).nodes, 0);
        assert.equal(store.pendingReads, 0);
        for (const w of writes) assert.equal((await code(w)).code, RegistryRet.STORE_TIMEOUT);
        faulty.faults.hang = false;
        faulty.release();
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(store.pendingWrites, 0);
      },
    );

    await t.step(
      "reads past their own cap are refused at once; writes still go through",
      async () => {
        faulty.faults.hangReads = true;
        const reads = [store.task("1"), store.taskHistory(history)];
        for (const r of reads) r.catch(() => {});
        assert.equal(store.pendingReads, 2);
        const started = performance.now();
        const busy = await code(store.nodeVersion("10.0.0.1"));
        assert.ok(performance.now() - started < 50);
        assert.equal(busy.code, RegistryRet.BUSY);
        assert.equal(
          busy.message,
          "reading a node: registry busy: 2 reads wait for the store (at most 2); nothing was " +
            "read, try again later",
        );
        const load = await code(store.load({ node: () => {}, server: () => {} }));
        assert.equal(load.code, RegistryRet.BUSY);
        await store.onStartup(rows("10.0.0.4"));
        await store.keepAlive(keepAliveRows({ nodeName: "10.0.0.4", state: "active" }));
        assert.equal(store.writeFailure, undefined);
        for (const r of reads) assert.equal((await code(r)).code, RegistryRet.STORE_TIMEOUT);
        faulty.faults.hangReads = false;
        faulty.release();
        await new Promise((resolve) => setTimeout(resolve, 20));
        assert.equal(store.pendingReads, 0);
        assert.equal((await store.counts()).nodes, 3);
      },
    );
  } finally {
    faulty.release();
    await store.close();
    await faulty.close();
  }
});
