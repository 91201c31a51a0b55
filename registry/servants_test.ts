import assert from "node:assert/strict";
import { TarsCallError, TarsCode } from "../protocol/call_error.ts";
import { defineInterface, param } from "../protocol/interface.ts";
import { string } from "../protocol/codec/types.ts";
import type { CallContext, ServantImpl } from "../protocol/server.ts";
import { RegistryMetrics } from "./metrics.ts";
import { adminServant, instrument, registryServant } from "./servants.ts";
import { ValidationError } from "./validate.ts";
import { RegistryService } from "./registry_service.ts";
import { SqliteStore } from "./store/sqlite_store.ts";
import { RegistryRet } from "../protocol/interfaces/registry_f.ts";
import { parseAddressRange } from "../lib/ip_address.ts";
import { callFailure as failure } from "../tests/support/call_failure.ts";

const Probe = defineInterface("Probe", {
  call: { params: [param("what", string)], ret: string },
});

/** A servant whose one method fails as `what` says, wrapped as the registry wraps its servants. */
function wrapped() {
  const logged: string[] = [];
  const metrics = new RegistryMetrics();
  const impl: ServantImpl<typeof Probe> = {
    call: ({ what }) => {
      if (what === "caller") throw new ValidationError('Invalid nodeName "": it is required');
      if (what === "bug") throw new RangeError("index 7 is out of range");
      if (what === "code") throw new TarsCallError(-7, "took too long");
      if (what === "later") return Promise.reject(new TypeError("store went away"));
      return { ret: `ok ${what}` };
    },
  };
  const servant = instrument(impl, { metrics, log: (line) => logged.push(line) });
  const call = (what: string) => servant.call({ what }, {} as CallContext);
  return { call, logged, metrics };
}

Deno.test("registry servants answer failures by kind", async (t) => {
  await t.step("a caller's mistake: its message, nothing logged", async () => {
    const { call, logged, metrics } = wrapped();
    const error = await failure(() => call("caller"));
    assert.equal(error.code, TarsCode.UNKNOWN);
    assert.equal(error.message, 'call: Invalid nodeName "": it is required');
    assert.deepEqual(logged, []);
    assert.equal(metrics.calls("call"), 1);
  });

  await t.step(
    "a bug, even a RangeError: logged with its stack, answered as internal",
    async () => {
      const { call, logged } = wrapped();
      const error = await failure(() => call("bug"));
      assert.equal(error.code, TarsCode.UNKNOWN);
      assert.match(
        error.message,
        /^call: internal error of the registry \(index 7 is out of range\)/,
      );
      assert.equal(logged.length, 1);
      assert.match(logged[0], /^call failed: RangeError: index 7 is out of range\n\s+at /);
    },
  );

  await t.step("an asynchronous failure is answered the same way", async () => {
    const { call, logged } = wrapped();
    assert.match((await failure(() => call("later"))).message, /internal error/);
    assert.match(logged[0], /TypeError: store went away/);
  });

  await t.step("a TarsCallError keeps its code; success stays synchronous", async () => {
    const { call, logged } = wrapped();
    assert.equal((await failure(() => call("code"))).code, -7);
    assert.deepEqual(logged, []);
    assert.deepEqual(call("x"), { ret: "ok x" });
  });
});

/** A registry service on a fresh SQLite file, with its Registry and Admin servants. */
async function registryServants() {
  const dir = await Deno.makeTempDir({ prefix: "servants_test_" });
  const store = await SqliteStore.open(`${dir}/registry.db`, { now: Date.now });
  const service = await RegistryService.open(store, {
    now: Date.now,
    log: () => {},
    nodeTimeout: 250_000,
  });
  const trust = { adminAllow: [parseAddressRange("127.0.0.1/32")], trustNodeNames: false };
  let shutdowns = 0;
  return {
    service,
    registry: registryServant(service, { trust }),
    admin: adminServant(service, {
      now: Date.now,
      pid: 1,
      shutdown: () => shutdowns++,
      trust,
    }),
    shutdowns: () => shutdowns,
    from: (host: string) => ({ remote: { host, port: 40000 } }) as CallContext,
    async close() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** A decoded onStartupReq of App.Srv on `nodeName`, its endpoint on `host` (default the node). */
const podReq = (nodeName: string, host = nodeName) => ({
  nodeName,
  application: "App",
  server: "Srv",
  setID: "",
  adapters: [{
    servant: "App.Srv.Obj",
    endpoint: `tcp -h ${host} -p 9000`,
    protocol: "tars",
    maxConns: 0,
    threadNum: 0,
    queueCap: 0,
    queueTimeout: 0,
  }],
  disableFlow: false,
  State: "active",
  Version: "",
  serverType: "",
  processId: -1,
  tarscliVersion: "",
  group: "",
  nodeEndpoint: "",
  token: "",
});

/** A decoded keepAliveReq; without application and server it is the node-only form. */
const beat = (nodeName: string, state: string, application = "", server = "") => ({
  req: { nodeName, state, application, server, processId: -1 },
});

Deno.test("registry servants: unknown pods are told to register", async (t) => {
  const r = await registryServants();
  const pod = r.from("10.1.0.5");
  try {
    await t.step(
      "a heartbeat naming an unknown server: NOT_REGISTERED, call onStartup",
      async () => {
        const error = await failure(() =>
          r.registry.keepAlive(beat("10.1.0.5", "active", "App", "Srv"), pod)
        );
        assert.equal(error.code, RegistryRet.NOT_REGISTERED);
        assert.match(
          error.message,
          /App\.Srv on 10\.1\.0\.5 is not registered here.*call onStartup/,
        );
      },
    );

    await t.step(
      "the original Go tarscli's node-only heartbeat is answered 0 as before",
      async () => {
        await r.registry.keepAlive(beat("10.1.0.5", "active"), pod);
      },
    );

    await t.step("registerMetrics for an unknown server: NOT_REGISTERED", async () => {
      const error = await failure(() =>
        r.registry.registerMetrics({
          req: { nodeName: "10.1.0.5", application: "App", server: "Srv", metricsPort: 9100 },
        }, pod)
      );
      assert.equal(error.code, RegistryRet.NOT_REGISTERED);
      assert.match(
        error.message,
        /no server App\.Srv is registered on 10\.1\.0\.5; call onStartup/,
      );
    });

    await t.step("once registered, both are answered 0", async () => {
      await r.registry.onStartup({ req: podReq("10.1.0.5") }, pod);
      await r.registry.keepAlive(beat("10.1.0.5", "active", "App", "Srv"), pod);
      await r.registry.registerMetrics({
        req: { nodeName: "10.1.0.5", application: "App", server: "Srv", metricsPort: 9100 },
      }, pod);
    });
  } finally {
    await r.close();
  }
});

Deno.test("registry servants: a peer speaks for itself; admin writes from --admin-allow", async (t) => {
  const r = await registryServants();
  try {
    await t.step(
      "another node's registration, heartbeat, removal: refused, nothing written",
      async () => {
        await r.registry.onStartup({ req: podReq("10.1.0.6") }, r.from("127.0.0.1"));
        const stranger = r.from("10.1.0.5");
        const calls = [
          () => r.registry.onStartup({ req: podReq("10.1.0.7") }, stranger),
          () => r.registry.keepAlive(beat("10.1.0.6", "inactive"), stranger),
          () =>
            r.registry.onPrestop({
              req: { nodeName: "10.1.0.6", application: "", server: "" },
            }, stranger),
          () =>
            r.registry.registerMetrics({
              req: { nodeName: "10.1.0.6", application: "App", server: "Srv", metricsPort: 1 },
            }, stranger),
          () => r.registry.onStartup({ req: podReq("10.1.0.5", "10.1.0.6") }, stranger),
          // Its own adapters, but a node object on another address.
          () =>
            r.registry.onStartup({
              req: { ...podReq("10.1.0.5"), nodeEndpoint: "tcp -h 10.1.0.6 -p 15999 -t 60000" },
            }, stranger),
        ];
        for (const call of calls) {
          const error = await failure(call);
          assert.equal(error.code, RegistryRet.REFUSED);
          assert.match(error.message, /--admin-allow/);
        }
        const found = r.service.find("App.Srv.Obj");
        assert.deepEqual(found.activeEp.map((e) => e.host), ["10.1.0.6"]);
        assert.equal((await r.service.counts()).nodes, 1);
      },
    );

    await t.step("a pod registers its node object on its own address", async () => {
      const req = { ...podReq("10.1.0.5"), nodeEndpoint: "tcp -h 10.1.0.5 -p 15999 -t 60000" };
      await r.registry.onStartup({ req }, r.from("10.1.0.5"));
      assert.equal(
        r.service.nodeObject("10.1.0.5")?.objectName,
        "tars.tarsnode.NodeObj@tcp -h 10.1.0.5 -p 15999 -t 60000",
      );
      await r.registry.onPrestop({
        req: { nodeName: "10.1.0.5", application: "App", server: "Srv" },
      }, r.from("10.1.0.5"));
    });

    await t.step("clean and shutdown only from --admin-allow; status from anyone", async () => {
      const stranger = r.from("10.1.0.5");
      for (
        const call of [
          () => r.admin.notify({ command: "clean n 2020-01-01" }, stranger),
          () => r.admin.notify({ command: "clean" }, stranger),
          () => r.admin.shutdown({}, stranger),
        ]
      ) assert.equal((await failure(call)).code, RegistryRet.REFUSED);
      assert.equal(r.shutdowns(), 0);
      assert.match((await r.admin.notify({ command: "status" }, stranger)).ret, /^nodes=1 /);
      assert.match((await r.admin.notify({ command: "servers" }, stranger)).ret, /App\.Srv/);
      await r.admin.shutdown({}, r.from("127.0.0.1"));
      assert.equal(r.shutdowns(), 1);
    });
  } finally {
    await r.close();
  }
});
