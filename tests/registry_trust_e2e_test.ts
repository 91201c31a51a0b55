/**
 * Who may change what, end to end: a registry process and clients whose connections leave from
 * other loopback addresses (127.0.0.66 is a pod, 127.0.0.77 a stranger), as pods have addresses
 * of their own. A peer speaks only for its own address; the admin commands that change or stop
 * anything answer only --admin-allow; --trust-node-names lifts the first rule. And the registry's
 * own registration, removed from its store behind its back, comes back by its next heartbeat.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TarsClient } from "../protocol/client.ts";
import { ADMIN_OBJ, AdminF } from "../protocol/interfaces/admin_f.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { REGISTRY_OBJ, RegistryF, RegistryRet } from "../protocol/interfaces/registry_f.ts";
import { denoNetwork } from "../protocol/transport.ts";
import { SqliteStore } from "../registry/store/mod.ts";
import { type RegistryProcess, startRegistryProcess } from "../local/mod.ts";
import { connectFrom } from "./support/bound_network.ts";
import { eventually } from "./support/eventually.ts";
import { readSnapshot } from "./support/store_snapshot.ts";
import { callFailure } from "./support/call_failure.ts";

/** A client whose connections leave from `address`. */
function clientFrom(address: string): TarsClient {
  return new TarsClient({
    log: () => {},
    timeout: 5000,
    network: { ...denoNetwork, connect: (target) => connectFrom(address, target) },
  });
}

function proxies(client: TarsClient, port: number) {
  const at = `@tcp -h 127.0.0.1 -p ${port} -t 5000`;
  return {
    query: client.proxy(QueryF, QUERY_OBJ + at),
    registry: client.proxy(RegistryF, REGISTRY_OBJ + at),
    admin: client.proxy(AdminF, ADMIN_OBJ + at),
  };
}

/** A registration of App.Srv on `nodeName` with one endpoint on `host` (default the node). */
function pod(nodeName: string, host = nodeName) {
  return {
    req: {
      nodeName,
      application: "App",
      server: "Srv",
      adapters: [{ servant: "App.Srv.Obj", endpoint: `tcp -h ${host} -p 9000` }],
      State: "active",
    },
  };
}

async function refused(call: Promise<unknown>, ...parts: RegExp[]): Promise<void> {
  const caught = await callFailure(call);
  assert.equal(caught.code, RegistryRet.REFUSED, caught.message);
  for (const part of parts) assert.match(caught.message, part);
}

async function activeHosts(p: ReturnType<typeof proxies>): Promise<string[]> {
  return (await p.query.findObjectById4Any({ id: "App.Srv.Obj" })).activeEp.map((e) => e.host)
    .sort();
}

Deno.test("trust: a peer speaks for its own address, admin writes need --admin-allow", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "registry-trust-" });
  const admin = new TarsClient({ log: () => {}, timeout: 5000 });
  const podClient = clientFrom("127.0.0.66");
  const stranger = clientFrom("127.0.0.77");
  let registry: RegistryProcess | undefined;
  try {
    registry = await startRegistryProcess(["--store", `sqlite:${join(dir, "r.db")}`]);
    const port = registry.port;
    const a = proxies(admin, port);
    const p = proxies(podClient, port);
    const s = proxies(stranger, port);
    await a.registry.onStartup(pod("10.1.0.1"));

    await t.step("a pod registers, heartbeats and leaves as itself", async () => {
      await p.registry.onStartup(pod("127.0.0.66"));
      assert.deepEqual(await activeHosts(p), ["10.1.0.1", "127.0.0.66"]);
      await p.registry.keepAlive({
        req: { nodeName: "127.0.0.66", state: "active", application: "App", server: "Srv" },
      });
      await p.registry.registerMetrics({
        req: { nodeName: "127.0.0.66", application: "App", server: "Srv", metricsPort: 9100 },
      });
      await p.registry.onPrestop({
        req: { nodeName: "127.0.0.66", application: "App", server: "Srv" },
      });
      assert.deepEqual(await activeHosts(p), ["10.1.0.1"]);
    });

    await t.step(
      "nobody else's node, nor an endpoint elsewhere: refused, nothing written",
      async () => {
        const before = (await a.admin.notify({ command: "status" })).ret;
        const rule = /may speak only for its own node, not for "10\.1\.0\.1"/;
        const flags = /--admin-allow .*--trust-node-names/;
        await refused(s.registry.onStartup(pod("10.1.0.1")), /: onStartup refused: /, rule, flags);
        await refused(
          s.registry.keepAlive({ req: { nodeName: "10.1.0.1", state: "inactive" } }),
          rule,
        );
        await refused(s.registry.onPrestop({ req: { nodeName: "10.1.0.1" } }), rule);
        await refused(
          s.registry.registerMetrics({
            req: { nodeName: "10.1.0.1", application: "App", server: "Srv", metricsPort: 1 },
          }),
          rule,
        );
        // Traffic hijack: its own node, another address's endpoint.
        await refused(
          s.registry.onStartup(pod("127.0.0.77", "10.1.0.1")),
          /the endpoint "tcp -h 10\.1\.0\.1 -p 9000" is not on 127\.0\.0\.77/,
        );
        assert.equal((await a.admin.notify({ command: "status" })).ret, before);
        assert.deepEqual(await activeHosts(s), ["10.1.0.1"]);
      },
    );

    await t.step(
      "clean and shutdown refused elsewhere; status and servers answer all",
      async () => {
        const notAdmin = /127\.0\.0\.77 is not in --admin-allow \(127\.0\.0\.1\/32,::1\/128\)/;
        await refused(
          s.admin.notify({ command: "clean n 2020-01-01" }),
          /: clean refused: /,
          notAdmin,
        );
        await refused(s.admin.shutdown({}), notAdmin);
        assert.match((await s.admin.notify({ command: "status" })).ret, /^nodes=\d+ servers=3 /);
        assert.match(
          (await s.admin.notify({ command: "servers App" })).ret,
          /App\.Srv on 10\.1\.0\.1/,
        );
        // Still running, still answering.
        assert.deepEqual(await activeHosts(s), ["10.1.0.1"]);
        assert.equal(registry!.child.exited, false);
      },
    );
  } finally {
    for (const c of [admin, podClient, stranger]) await c.close();
    await registry?.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trust: --admin-allow widens, --trust-node-names lifts the own-address rule", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "registry-trust-" });
  const console77 = clientFrom("127.0.0.77");
  const registries: RegistryProcess[] = [];
  try {
    await t.step("an address in --admin-allow may clean and speak for any node", async () => {
      const r = await startRegistryProcess([
        "--store",
        `sqlite:${join(dir, "a.db")}`,
        "--admin-allow",
        "127.0.0.1/32,127.0.0.64/28",
      ]);
      registries.push(r);
      const c = proxies(console77, r.port);
      await c.registry.onStartup(pod("10.2.0.1"));
      assert.match((await c.admin.notify({ command: "clean n 2020-01-01" })).ret, /^Removed 0/);
    });

    await t.step("--trust-node-names: any peer for any node, and it says so at start", async () => {
      const r = await startRegistryProcess([
        "--store",
        `sqlite:${join(dir, "b.db")}`,
        "--trust-node-names",
      ]);
      registries.push(r);
      await r.child.waitForLine(/--trust-node-names is on: every peer may register/, 5000);
      const c = proxies(console77, r.port);
      await c.registry.onStartup(pod("10.2.0.2"));
      assert.deepEqual(await activeHosts(c), ["10.2.0.2"]);
      // The admin writes stay with --admin-allow.
      await refused(c.admin.notify({ command: "clean n 2020-01-01" }), /--admin-allow/);
    });
  } finally {
    await console77.close();
    for (const r of registries) await r.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("its own registration, removed from the store behind its back, comes back", async () => {
  const dir = await Deno.makeTempDir({ prefix: "registry-trust-" });
  const db = join(dir, "r.db");
  const client = new TarsClient({ log: () => {}, timeout: 5000 });
  let registry: RegistryProcess | undefined;
  const ownRows = async () => {
    const store = SqliteStore.open(db, { now: Date.now });
    try {
      return (await readSnapshot(store)).servers.filter((s) => s.server === "tarsregistry").length;
    } finally {
      await store.close();
    }
  };
  try {
    // A heartbeat every second.
    registry = await startRegistryProcess(["--store", `sqlite:${db}`, "--node-timeout", "3s"]);
    assert.equal(await ownRows(), 1);
    const store = SqliteStore.open(db, { now: Date.now });
    try {
      await store.onPrestop({
        nodeName: `127.0.0.1:${registry.port}`,
        application: null,
        server: null,
      });
    } finally {
      await store.close();
    }
    assert.equal(await ownRows(), 0);
    await eventually(5000, "its registration back in the store", async () => await ownRows() === 1);
    await registry.child.waitForLine(/Its own registration is gone from the store/, 1000);
    const query = client.proxy(QueryF, `${QUERY_OBJ}@tcp -h 127.0.0.1 -p ${registry.port}`);
    const { activeEp } = await query.findObjectById4Any({ id: QUERY_OBJ });
    assert.deepEqual(activeEp.map((e) => `${e.host}:${e.port}`), [`127.0.0.1:${registry.port}`]);
  } finally {
    await client.close();
    await registry?.kill();
    await Deno.remove(dir, { recursive: true });
  }
});
