import assert from "node:assert/strict";
import { RegistryService } from "../registry/registry_service.ts";
import { registryServant } from "../registry/servants.ts";
import { SqliteStore } from "../registry/store/sqlite_store.ts";
import type { CallContext } from "../protocol/mod.ts";
import { keepAliveRequest, prestopRequest, startupRequest } from "./registry_requests.ts";
import { fakeServerInfo } from "./test_fakes.ts";

const info = fakeServerInfo("/tars", {
  setId: "mtt.s.1",
  adapters: [
    ...fakeServerInfo("/tars").adapters,
    {
      object: "AuxObj",
      servant: "App.Srv.AuxObj",
      adapter: "App.Srv.AuxObjAdapter",
      endpoint: "tcp -h 10.0.0.3 -p 13002 -t 30000",
      maxconns: 100,
      protocol: "not_tars",
      queuecap: 7,
      queuetimeout: 8,
      threads: 9,
    },
  ],
});

Deno.test("registry requests", async (t) => {
  await t.step("onStartup carries the node, the server and one AdapterConf per adapter", () => {
    assert.deepEqual(
      startupRequest(info, { state: "activating", disableFlow: true, version: "v1.2" }),
      {
        nodeName: "10.0.0.3",
        application: "App",
        server: "Srv",
        setID: "mtt.s.1",
        adapters: [
          {
            servant: "App.Srv.MainObj",
            endpoint: "tcp -h 10.0.0.3 -p 13000 -t 30000",
            protocol: "tars",
            maxConns: 200000,
            threadNum: 5,
            queueCap: 10000,
            queueTimeout: 60000,
          },
          {
            servant: "App.Srv.AuxObj",
            endpoint: "tcp -h 10.0.0.3 -p 13002 -t 30000",
            protocol: "not_tars",
            maxConns: 100,
            threadNum: 9,
            queueCap: 7,
            queueTimeout: 8,
          },
        ],
        disableFlow: true,
        State: "activating",
        Version: "v1.2",
      },
    );
  });

  await t.step("keepAlive and onPrestop name this server only", () => {
    assert.deepEqual(keepAliveRequest(info, "deactivating"), {
      nodeName: "10.0.0.3",
      state: "deactivating",
      application: "App",
      server: "Srv",
    });
    assert.deepEqual(prestopRequest(info), {
      nodeName: "10.0.0.3",
      application: "App",
      server: "Srv",
    });
  });

  await t.step(
    "the registry's servant takes them: <servant>Adapter rows, states, removal",
    async () => {
      const dir = await Deno.makeTempDir();
      const store = await SqliteStore.open(`${dir}/registry.db`, { now: Date.now });
      try {
        const service = await RegistryService.open(store, {
          now: Date.now,
          log: () => {},
          nodeTimeout: 250_000,
        });
        const servant = registryServant(service);
        const ctx = {} as CallContext;
        const plain = fakeServerInfo("/tars");
        await servant.onStartup({
          req: startupRequest(plain, { state: "activating", disableFlow: false, version: "" }),
        }, ctx);
        assert.deepEqual(service.find("App.Srv.MainObj").activeEp, []);
        await servant.keepAlive({ req: keepAliveRequest(plain, "active") }, ctx);
        const found = service.find("App.Srv.MainObj");
        assert.deepEqual(found.activeEp.map((e) => [e.host, e.port]), [["10.0.0.3", 13000]]);
        const rows = (await store.snapshot()).servers.flatMap((s) => s.adapters);
        assert.deepEqual(rows.map((a) => a.adapterName), [plain.adapters[0].adapter]);
        await servant.keepAlive({ req: keepAliveRequest(plain, "deactivating") }, ctx);
        assert.deepEqual(service.find("App.Srv.MainObj").activeEp, []);
        await servant.onPrestop({ req: prestopRequest(plain) }, ctx);
        const gone = service.find("App.Srv.MainObj");
        assert.deepEqual([gone.activeEp, gone.inactiveEp], [[], []]);
      } finally {
        await store.close();
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
});
