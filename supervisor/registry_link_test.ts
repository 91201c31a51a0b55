import assert from "node:assert/strict";
import { registryServant, RegistryService } from "../registry/mod.ts";
import { SqliteStore } from "../registry/store/mod.ts";
import {
  type CallContext,
  REGISTRY_OBJ,
  RegistryRet,
  TarsClient,
  TarsCode,
} from "../protocol/mod.ts";
import { createObjectResolver, objectCachePath } from "./object_resolver.ts";
import {
  callRegistry,
  createRegistryLink,
  keepAliveRequest,
  NotRegisteredError,
  prestopRequest,
  startupRequest,
} from "./registry_link.ts";
import { startFakeTars } from "./test_fakes.ts";
import { VERSION } from "../lib/version_info.ts";
import { fakeServerInfo } from "../tests/support/server_info.ts";
import { readSnapshot } from "../tests/support/store_snapshot.ts";
import { parseAddressRange } from "../lib/ip_address.ts";
import { fakeClock } from "../tests/support/fake_clock.ts";
import { RunnerWork } from "./runner_work.ts";
import { nameThatTriesFirst } from "../tests/support/failover_order.ts";
import type { RegistryLink } from "./registry_link.ts";

Deno.test("registry link", async (t) => {
  const fake = startFakeTars();
  const client = new TarsClient({ log: () => {} });
  const dataDir = await Deno.makeTempDir();
  const resolver = createObjectResolver({ client, locator: fake.locator, dataDir });
  const link = createRegistryLink(resolver, { client, timeout: 500 });
  const info = fakeServerInfo(dataDir);
  const lookups = () => fake.argsOf("QueryF.findObjectById").length;
  const cacheFile = objectCachePath(dataDir, REGISTRY_OBJ);
  try {
    await t.step("the three calls reach the Registry found through the locator", async () => {
      const startup = startupRequest(info, {
        state: "activating",
        disableFlow: false,
        version: "",
        pid: 0,
      });
      await link.onStartup(startup);
      await link.keepAlive(keepAliveRequest(info, "active"));
      await link.onPrestop(prestopRequest(info));
      assert.deepEqual(
        fake.calls.filter((c) => c.method.startsWith("Registry.")).map((c) => c.method),
        ["Registry.onStartup", "Registry.keepAlive", "Registry.onPrestop"],
      );
      assert.deepEqual(fake.argsOf("Registry.onStartup")[0], startup);
      assert.equal(lookups(), 1);
    });

    await t.step("a non-zero ret names the call, and the address is looked up again", async () => {
      fake.failing.set("Registry.keepAlive", TarsCode.UNKNOWN);
      await assert.rejects(
        link.keepAlive(keepAliveRequest(info, "active")),
        /^Error: Registry keepAlive to tars\.tarsregistry\.Registry@tcp .* failed: .*asked to fail/,
      );
      await assert.rejects(Deno.stat(cacheFile), Deno.errors.NotFound);
      fake.failing.clear();
      await link.keepAlive(keepAliveRequest(info, "active"));
      assert.equal(lookups(), 2);
    });

    await t.step("'not registered': a NotRegisteredError, the address kept", async () => {
      fake.failing.set("Registry.keepAlive", RegistryRet.NOT_REGISTERED);
      const before = lookups();
      await assert.rejects(
        link.keepAlive(keepAliveRequest(info, "active")),
        (error: Error) =>
          error instanceof NotRegisteredError &&
          /the registry does not know this pod/.test(error.message),
      );
      fake.failing.clear();
      await link.keepAlive(keepAliveRequest(info, "active"));
      assert.equal(lookups(), before, "the registry's address was looked up again");
    });

    await t.step("a refusal: the registry's reason, the address kept", async () => {
      fake.failing.set("Registry.onStartup", RegistryRet.REFUSED);
      const before = lookups();
      await assert.rejects(
        link.onStartup(
          startupRequest(info, { state: "activating", disableFlow: false, version: "", pid: 0 }),
        ),
        { message: "The registry refused onStartup: Registry.onStartup asked to fail" },
      );
      fake.failing.clear();
      await link.keepAlive(keepAliveRequest(info, "active"));
      assert.equal(lookups(), before, "the registry's address was looked up again");
    });

    await t.step("a call that does not answer fails after the timeout", async () => {
      fake.hanging.add("Registry.onPrestop");
      await assert.rejects(link.onPrestop(prestopRequest(info)), /Registry onPrestop .*timeout/i);
      fake.hanging.clear();
      await assert.rejects(Deno.stat(cacheFile), Deno.errors.NotFound);
    });

    await t.step("no registry in the locator: the error names the call and says so", async () => {
      fake.registered.delete(REGISTRY_OBJ);
      await assert.rejects(
        link.onStartup(
          startupRequest(info, { state: "activating", disableFlow: true, version: "", pid: 0 }),
        ),
        /^Error: Registry onStartup failed: tars\.tarsregistry\.Registry has no active tcp endpoints/,
      );
      fake.registered.add(REGISTRY_OBJ);
    });
  } finally {
    await client.close();
    await fake.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("registry link over two replicas, one hung", async (t) => {
  const [a, b] = [startFakeTars(), startFakeTars()];
  a.replicas.push(b.port);
  b.replicas.push(a.port);
  const keys = [a, b].map((fake) => `127.0.0.1:${fake.port}`);
  const logged: string[] = [];
  // A pod whose order puts A first, looking the registry up through both.
  const client = new TarsClient({
    spreadBy: nameThatTriesFirst(keys[0], keys),
    log: (line) => logged.push(line),
  });
  const dataDir = await Deno.makeTempDir();
  const locator = `${a.locator}:tcp -h 127.0.0.1 -p ${b.port}`;
  const resolver = createObjectResolver({ client, locator, dataDir });
  const link = createRegistryLink(resolver, { client });
  const info = fakeServerInfo(dataDir);
  const heartbeats = (fake: typeof a) => fake.argsOf("Registry.keepAlive").length;
  const lookups = () => a.argsOf("QueryF.findObjectById").length;
  try {
    await t.step("a keepAlive A does not answer goes to B within the call's bound", async () => {
      a.hanging.add("Registry.keepAlive");
      await link.keepAlive(keepAliveRequest(info, "active"), { timeout: 1200 });
      assert.equal(heartbeats(a), 1);
      assert.equal(heartbeats(b), 1);
      assert.match(
        logged.join("\n"),
        /Registry\.keepAlive to 127\.0\.0\.1:\d+ failed, so it goes last/,
      );
    });

    await t.step("the next calls go to B at once, on the address cached", async () => {
      const before = lookups();
      await link.keepAlive(keepAliveRequest(info, "active"), { timeout: 1200 });
      await link.onPrestop(prestopRequest(info), { timeout: 1200 });
      assert.equal(heartbeats(a), 1, "A rests");
      assert.equal(heartbeats(b), 2);
      assert.equal(b.argsOf("Registry.onPrestop").length, 1);
      assert.equal(lookups(), before, "a call one replica answered keeps the cached address");
    });

    await t.step(
      "'not registered' from a replica is its answer: not tried on another",
      async () => {
        a.hanging.clear();
        b.failing.set("Registry.onStartup", RegistryRet.NOT_REGISTERED);
        a.failing.set("Registry.onStartup", RegistryRet.NOT_REGISTERED);
        const startup = startupRequest(info, {
          state: "active",
          disableFlow: false,
          version: "",
          pid: 0,
        });
        await assert.rejects(link.onStartup(startup), NotRegisteredError);
        assert.equal(
          a.argsOf("Registry.onStartup").length + b.argsOf("Registry.onStartup").length,
          1,
        );
      },
    );

    await t.step("a lookup A does not answer goes to B, and so does the call", async () => {
      const fresh = new TarsClient({ spreadBy: nameThatTriesFirst(keys[0], keys), log: () => {} });
      try {
        const dir = await Deno.makeTempDir({ dir: dataDir });
        const resolver = createObjectResolver({ client: fresh, locator, dataDir: dir });
        a.hanging.add("QueryF.findObjectById");
        const before = [lookups(), b.argsOf("QueryF.findObjectById").length];
        await createRegistryLink(resolver, { client: fresh }).keepAlive(
          keepAliveRequest(info, "active"),
          { timeout: 1200 },
        );
        assert.deepEqual(
          [lookups(), b.argsOf("QueryF.findObjectById").length],
          [before[0] + 1, before[1] + 1],
        );
        assert.equal(heartbeats(a), 1, "A is resting: the call goes to B first");
        assert.equal(heartbeats(b), 3);
        a.hanging.clear();
      } finally {
        await fresh.close();
      }
    });

    await t.step("a locator (one address, as a Service) that hangs: heartbeats go on", async () => {
      const clock = fakeClock(Date.now());
      const dir = await Deno.makeTempDir({ dir: dataDir });
      const resolver = createObjectResolver({
        client,
        locator: a.locator,
        dataDir: dir,
        now: clock.now,
        log: () => {},
      });
      const viaService = createRegistryLink(resolver, { client });
      await viaService.keepAlive(keepAliveRequest(info, "active"));
      a.hanging.add("QueryF.findObjectById");
      clock.advance(60_000);
      const before = heartbeats(a) + heartbeats(b);
      for (let i = 0; i < 3; i++) {
        await viaService.keepAlive(keepAliveRequest(info, "active"), { timeout: 1000 });
      }
      assert.equal(heartbeats(a) + heartbeats(b), before + 3, "no heartbeat waited for the lookup");
      a.release();
      await resolver.settled();
    });

    await t.step("no replica answering: the address is forgotten", async () => {
      a.failing.set("Registry.keepAlive", TarsCode.UNKNOWN);
      b.failing.set("Registry.keepAlive", TarsCode.UNKNOWN);
      await assert.rejects(
        link.keepAlive(keepAliveRequest(info, "active")),
        /^Error: Registry keepAlive to .* failed: tars\.tarsregistry\.Registry\.keepAlive: no endpoint answered: /,
      );
      await assert.rejects(Deno.stat(objectCachePath(dataDir, REGISTRY_OBJ)), Deno.errors.NotFound);
    });
  } finally {
    await client.close();
    await a.stop();
    await b.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});

const info = fakeServerInfo("/tars", {
  setId: "mtt.s.1",
  serverType: "tars_nodejs",
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
      startupRequest(info, {
        state: "activating",
        disableFlow: true,
        version: "v1.2",
        pid: 0,
        nodeEndpoint: "tcp -h 10.0.0.3 -p 15999 -t 60000",
        group: "zone-a",
        token: "s3cret-of-App",
      }),
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
        serverType: "tars_nodejs",
        processId: 0,
        tarscliVersion: VERSION,
        nodeEndpoint: "tcp -h 10.0.0.3 -p 15999 -t 60000",
        group: "zone-a",
        token: "s3cret-of-App",
      },
    );
    const without = { state: "active", disableFlow: false, version: "", pid: 1 } as const;
    assert.equal(startupRequest(info, without).nodeEndpoint, "", "no node object: empty");
    assert.equal(startupRequest(info, without).group, "", "no group named: empty");
    assert.equal(startupRequest(info, without).token, "", "no token: empty (sent as none)");
  });

  await t.step("keepAlive and onPrestop name this server only", () => {
    assert.deepEqual(keepAliveRequest(info, "active", { pid: 4242 }), {
      nodeName: "10.0.0.3",
      state: "active",
      application: "App",
      server: "Srv",
      processId: 4242,
    });
    // Without a pid (tarscli prestop does not know it) the registry keeps the one it has.
    assert.deepEqual(keepAliveRequest(info, "deactivating").processId, -1);
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
        const trust = { adminAllow: [parseAddressRange("127.0.0.1/32")], trustNodeNames: false };
        const servant = registryServant(service, { trust });
        // The pod speaks for itself: its connection comes from its own address.
        const ctx = { remote: { host: "10.0.0.3", port: 40000 } } as CallContext;
        const plain = fakeServerInfo("/tars");
        await servant.onStartup({
          req: startupRequest(plain, {
            state: "activating",
            disableFlow: false,
            version: "",
            pid: 0,
          }),
        }, ctx);
        assert.deepEqual(service.find("App.Srv.MainObj").activeEp, []);
        await servant.keepAlive({ req: keepAliveRequest(plain, "active", { pid: 77 }) }, ctx);
        const found = service.find("App.Srv.MainObj");
        assert.deepEqual(found.activeEp.map((e) => [e.host, e.port]), [["10.0.0.3", 13000]]);
        const [row] = (await readSnapshot(store)).servers;
        assert.deepEqual(row.adapters.map((a) => a.adapterName), [plain.adapters[0].adapter]);
        assert.deepEqual([row.processId, row.serverType], [77, "tars_cpp"]);
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

Deno.test("callRegistry: the machine's registry effects as calls and answers", async (t) => {
  const info = fakeServerInfo("/tars");
  const clock = fakeClock();
  const work = new RunnerWork({ dispatch: () => {}, log: () => {}, timer: clock.timer });
  const sent: unknown[] = [];
  const lines: string[] = [];
  /** A link whose calls record their requests and answer as `answer` says. */
  let answer: () => Promise<void> = () => Promise.resolve();
  const bounds: (number | undefined)[] = [];
  const link: RegistryLink = {
    onStartup: (req, o) => (sent.push(["onStartup", req]), bounds.push(o?.timeout), answer()),
    keepAlive: (req, o) => (sent.push(["keepAlive", req]), bounds.push(o?.timeout), answer()),
    onPrestop: (req, o) => (sent.push(["onPrestop", req]), bounds.push(o?.timeout), answer()),
  };
  const options = {
    link,
    info,
    nodeEndpoint: "tcp -h 10.0.0.3 -p 15999 -t 60000",
    disableFlow: true,
    version: "v2",
    token: "s3cret-of-App",
    group: "zone-a",
    pid: 1234,
    bounded: <T>(promise: Promise<T>, ms: number) => work.bounded(promise, ms),
    log: (line: string) => lines.push(line),
  };
  const reset = () => {
    sent.length = 0;
    lines.length = 0;
    answer = () => Promise.resolve();
  };

  await t.step("register: onStartup with the pod's request, logged", async () => {
    reset();
    const answered = await callRegistry(
      { type: "registry", call: "register", state: "activating" },
      options,
    );
    assert.deepEqual(answered, { type: "registryAnswered", call: "register", outcome: "ok" });
    assert.deepEqual(sent, [[
      "onStartup",
      startupRequest(info, {
        state: "activating",
        disableFlow: true,
        version: "v2",
        pid: 1234,
        nodeEndpoint: options.nodeEndpoint,
        group: "zone-a",
        token: "s3cret-of-App",
      }),
    ]]);
    assert.deepEqual(lines, ["registry: onStartup App.Srv on 10.0.0.3 activating (traffic off)"]);
  });

  await t.step(
    "heartbeat: keepAlive with the pid; logged only when bounded (stopping)",
    async () => {
      reset();
      const effect = { type: "registry", call: "heartbeat", state: "active" } as const;
      assert.equal((await callRegistry(effect, options)).outcome, "ok");
      assert.deepEqual(sent, [["keepAlive", keepAliveRequest(info, "active", { pid: 1234 })]]);
      assert.deepEqual(lines, []);
      await callRegistry({ ...effect, state: "deactivating", timeout: 1500 }, options);
      assert.deepEqual(lines, ["registry: keepAlive deactivating sent"]);
      // The effect's bound goes to the link, whose tries of the replicas fit in it.
      assert.deepEqual(bounds.slice(-2), [undefined, 1500]);
    },
  );

  await t.step("leave: onPrestop, logged", async () => {
    reset();
    const effect = { type: "registry", call: "leave", state: "deactivating" } as const;
    assert.equal((await callRegistry(effect, options)).outcome, "ok");
    assert.deepEqual(sent, [["onPrestop", prestopRequest(info)]]);
    assert.deepEqual(lines, ["registry: onPrestop sent: App.Srv on 10.0.0.3 removed"]);
  });

  await t.step(
    "'not registered' is unknown, any other failure failed, with the message",
    async () => {
      reset();
      const effect = { type: "registry", call: "heartbeat", state: "active" } as const;
      answer = () => Promise.reject(new NotRegisteredError("Registry keepAlive: not registered"));
      assert.deepEqual(await callRegistry(effect, options), {
        type: "registryAnswered",
        call: "heartbeat",
        outcome: "unknown",
        message: "Registry keepAlive: not registered",
      });
      answer = () => Promise.reject(new Error("Registry keepAlive failed: refused"));
      assert.deepEqual(await callRegistry(effect, options), {
        type: "registryAnswered",
        call: "heartbeat",
        outcome: "failed",
        message: "Registry keepAlive failed: refused",
      });
      assert.deepEqual(lines, []);
    },
  );

  await t.step("a call with a timeout that gets no answer fails when the timer says", async () => {
    reset();
    answer = () => new Promise<void>(() => {});
    const answered = callRegistry(
      { type: "registry", call: "leave", state: "deactivating", timeout: 1500 },
      options,
    );
    let settled = false;
    answered.then(() => settled = true);
    clock.advance(1499);
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(settled, false, "not before its timeout");
    clock.advance(1);
    assert.deepEqual(await answered, {
      type: "registryAnswered",
      call: "leave",
      outcome: "failed",
      message: "no answer within 1500 ms",
    });
    assert.deepEqual(clock.pendingTimers(), []);
  });
});
