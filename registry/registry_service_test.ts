import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { runAdminCommand } from "./admin_commands.ts";
import { RegistryService } from "./registry_service.ts";
import { SqliteStore } from "./store/sqlite_store.ts";
import type { StartupRequest } from "./validate.ts";
import { fakeClock } from "../tests/support/fake_clock.ts";
import { readSnapshot } from "../tests/support/store_snapshot.ts";

const OBJ = "Test.Hello.HelloObj";

function pod(nodeName: string, extra?: Partial<StartupRequest>): StartupRequest {
  return {
    nodeName,
    application: "Test",
    server: "Hello",
    adapters: [{ servant: OBJ, endpoint: `tcp -h ${nodeName} -p 10000 -t 30000` }],
    state: "active",
    ...extra,
  };
}

async function open(options?: { nodeTimeout?: number }) {
  const dir = await Deno.makeTempDir({ prefix: "registry_service_test_" });
  const clock = fakeClock(Date.UTC(2026, 10, 23, 12));
  const now = clock.now;
  const store = await SqliteStore.open(`${dir}/registry.db`, { now });
  const service = await RegistryService.open(store, {
    now,
    log: () => {},
    nodeTimeout: 250_000,
    ...options,
  });
  return {
    service,
    store,
    clock,
    dir,
    async close() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const hosts = (eps: readonly { host: string }[]) => eps.map((e) => e.host).sort();

/** Admin options that allow every command. */
function admin(r: { clock: { now: () => number } }) {
  return { now: r.clock.now, mayChange: () => {} };
}

Deno.test("registry service: lookups follow states, traffic and heartbeats", async (t) => {
  const r = await open({ nodeTimeout: 250_000 });
  try {
    await t.step("an unknown object has empty lists", () => {
      assert.deepEqual(r.service.find("No.Such.Obj"), { ret: 0, activeEp: [], inactiveEp: [] });
    });

    await t.step("a registered active pod is active, with its endpoint fields", async () => {
      await r.service.onStartup(pod("10.0.0.1"));
      const answer = r.service.find(OBJ);
      assert.equal(answer.activeEp.length, 1);
      assert.deepEqual(answer.activeEp[0], {
        host: "10.0.0.1",
        port: 10000,
        timeout: 30000,
        istcp: 1,
        grid: 0,
        groupworkid: -1,
        grouprealid: -1,
        setId: "",
        qos: 0,
        bakFlag: 0,
        weight: -1,
        weightType: 0,
        authType: 0,
        nodeName: "10.0.0.1",
      });
      assert.deepEqual(answer.inactiveEp, []);
    });

    await t.step("activating and traffic-off pods are inactive", async () => {
      await r.service.onStartup(pod("10.0.0.2", { state: "activating" }));
      await r.service.onStartup(pod("10.0.0.3", { disableFlow: true }));
      const answer = r.service.find(OBJ);
      assert.deepEqual(hosts(answer.activeEp), ["10.0.0.1"]);
      assert.deepEqual(hosts(answer.inactiveEp), ["10.0.0.2", "10.0.0.3"]);
    });

    await t.step("a heartbeat with a state moves the pod", async () => {
      await r.service.keepAlive({ nodeName: "10.0.0.2", state: "active" });
      assert.deepEqual(hosts(r.service.find(OBJ).activeEp), ["10.0.0.1", "10.0.0.2"]);
      await r.service.keepAlive({
        nodeName: "10.0.0.1",
        state: "deactivating",
        application: "Test",
        server: "Hello",
      });
      assert.deepEqual(hosts(r.service.find(OBJ).activeEp), ["10.0.0.2"]);
    });

    await t.step("a node without heartbeat past the timeout is inactive, not deleted", async () => {
      r.clock.advance(200_000);
      await r.service.keepAlive({ nodeName: "10.0.0.1", state: "active" });
      r.clock.advance(100_000);
      const answer = r.service.find(OBJ);
      assert.deepEqual(hosts(answer.activeEp), ["10.0.0.1"]);
      assert.deepEqual(hosts(answer.inactiveEp), ["10.0.0.2", "10.0.0.3"]);
      await r.service.keepAlive({ nodeName: "10.0.0.2", state: "active" });
      assert.deepEqual(hosts(r.service.find(OBJ).activeEp), ["10.0.0.1", "10.0.0.2"]);
    });

    await t.step("prestop removes the pod from every list", async () => {
      await r.service.onPrestop({ nodeName: "10.0.0.1", application: "Test", server: "Hello" });
      const answer = r.service.find(OBJ);
      assert.deepEqual(hosts([...answer.activeEp, ...answer.inactiveEp]), [
        "10.0.0.2",
        "10.0.0.3",
      ]);
    });

    await t.step("memory matches the store after a reload", async () => {
      const before = r.service.find(OBJ);
      await r.service.reload();
      assert.deepEqual(r.service.find(OBJ), before);
    });
  } finally {
    await r.close();
  }
});

Deno.test("registry service: bad requests change nothing", async (t) => {
  const r = await open();
  try {
    await r.service.onStartup(pod("10.0.0.1"));
    const before = r.service.find(OBJ);
    const counts = await r.service.counts();
    const cases: [string, Promise<unknown>, RegExp][] = [
      [
        "a bad endpoint string",
        r.service.onStartup(pod("10.0.0.9", {
          adapters: [{ servant: OBJ, endpoint: "tcp -h 10.0.0.9 -p many" }],
        })),
        /-p needs a number/,
      ],
      ["an unknown state", r.service.onStartup(pod("10.0.0.9", { state: "running" })), /state/],
      ["a missing node name", r.service.onStartup(pod("")), /nodeName/],
      [
        "a heartbeat with an unknown state",
        r.service.keepAlive({ nodeName: "10.0.0.1", state: "sleeping" }),
        /state/,
      ],
      [
        "a prestop naming only the application",
        r.service.onPrestop({ nodeName: "10.0.0.1", application: "Test" }),
        /server/,
      ],
      // A NUL would make two names one in memory (keys join names with it).
      [
        "a node name with a NUL",
        r.service.onStartup(pod("10.0.0.1\u0000x")),
        /Invalid nodeName "10\.0\.0\.1\\u0000x": it holds a control character/,
      ],
      [
        "an application with a line feed",
        r.service.onStartup(pod("10.0.0.9", { application: "Te\nst" })),
        /Invalid application .*control character/,
      ],
      [
        "a servant with a control character",
        r.service.onStartup(pod("10.0.0.9", {
          adapters: [{ servant: "Test.Hello.Obj\u0001", endpoint: "tcp -h 10.0.0.9 -p 1" }],
        })),
        /Invalid adapters\[0\]\.servant .*control character/,
      ],
      [
        "a set with a control character",
        r.service.onStartup(pod("10.0.0.9", { setId: "a.b.\u007f" })),
        /Invalid setId .*control character/,
      ],
      [
        "a heartbeat for a server with a DEL",
        r.service.keepAlive({
          nodeName: "10.0.0.1",
          state: "active",
          application: "Test",
          server: "Hello\u007f",
        }),
        /Invalid server .*control character/,
      ],
      [
        "a node endpoint that does not parse",
        r.service.onStartup(pod("10.0.0.9", { nodeEndpoint: "tcp -h 10.0.0.9" })),
        /Invalid nodeEndpoint "tcp -h 10\.0\.0\.9": .*-p PORT is missing; send tcp -h POD_IP/,
      ],
      [
        "a udp node endpoint",
        r.service.onStartup(pod("10.0.0.9", { nodeEndpoint: "udp -h 10.0.0.9 -p 5" })),
        /Invalid nodeEndpoint .*: it is not a tcp endpoint/,
      ],
      [
        "a node endpoint on port 0",
        r.service.onStartup(pod("10.0.0.9", { nodeEndpoint: "tcp -h 10.0.0.9 -p 0" })),
        /Invalid nodeEndpoint .*: port 0/,
      ],
      [
        "a node endpoint too long for t_node_info.node_obj",
        r.service.onStartup(pod("10.0.0.9", {
          nodeEndpoint: `tcp -h 10.0.0.9 -p 5 -t 60000 ${"-x ".repeat(40)}`,
        })),
        /Invalid nodeEndpoint .*: it is longer than 106 characters/,
      ],
    ];
    for (const [name, call, message] of cases) {
      await t.step(name, async () => {
        await assert.rejects(call, message);
        assert.deepEqual(r.service.find(OBJ), before);
        assert.deepEqual(await r.service.counts(), counts);
      });
    }
  } finally {
    await r.close();
  }
});

Deno.test("registry service: the pods' node objects", async (t) => {
  const r = await open({ nodeTimeout: 250_000 });
  const NODE_OBJ = "tars.tarsnode.NodeObj";
  const nodeEndpoint = (host: string) => `tcp -h ${host} -p 15999 -t 60000`;
  try {
    await r.service.onStartup(pod("10.0.0.1", { nodeEndpoint: nodeEndpoint("10.0.0.1") }));
    await r.service.onStartup(pod("10.0.0.2", { nodeEndpoint: nodeEndpoint("10.0.0.2") }));
    await r.service.onStartup(pod("10.0.0.3"));

    await t.step("a node's object for the admin registry, by node name", () => {
      const node = r.service.nodeObject("10.0.0.1");
      assert.equal(node?.objectName, `${NODE_OBJ}@${nodeEndpoint("10.0.0.1")}`);
      assert.deepEqual([node?.endpoint.host, node?.endpoint.port, node?.active], [
        "10.0.0.1",
        15999,
        true,
      ]);
      assert.equal(r.service.nodeObject("10.0.0.3"), undefined, "serves none");
      assert.equal(r.service.nodeObject("10.9.9.9"), undefined, "unknown");
    });

    await t.step("lookups of tars.tarsnode.NodeObj answer every node that serves one", () => {
      const answer = r.service.find(NODE_OBJ);
      assert.deepEqual(hosts(answer.activeEp), ["10.0.0.1", "10.0.0.2"]);
      assert.deepEqual(answer.activeEp.map((ep) => ep.port), [15999, 15999]);
      assert.deepEqual(r.service.findInSet(NODE_OBJ, "a.b.c", "127.0.0.1"), answer);
    });

    await t.step("a node without heartbeat is inactive, and so is its object", async () => {
      r.clock.advance(200_000);
      await r.service.keepAlive({ nodeName: "10.0.0.2", state: "active" });
      r.clock.advance(100_000);
      const answer = r.service.find(NODE_OBJ);
      assert.deepEqual(hosts(answer.activeEp), ["10.0.0.2"]);
      assert.deepEqual(hosts(answer.inactiveEp), ["10.0.0.1"]);
      assert.equal(r.service.nodeObject("10.0.0.1")?.active, false);
      // The node check expires it in the store; a reload keeps the object.
      await r.service.refresh();
      await r.service.reload();
      assert.deepEqual(hosts(r.service.find(NODE_OBJ).inactiveEp), ["10.0.0.1"]);
    });

    await t.step("a re-registration without it, or the pod's prestop, removes it", async () => {
      await r.service.onStartup(pod("10.0.0.2"));
      await r.service.onPrestop({ nodeName: "10.0.0.1", application: "Test", server: "Hello" });
      assert.deepEqual(r.service.find(NODE_OBJ), { ret: 0, activeEp: [], inactiveEp: [] });
      await r.service.reload();
      assert.deepEqual(r.service.find(NODE_OBJ), { ret: 0, activeEp: [], inactiveEp: [] });
    });
  } finally {
    await r.close();
  }
});

Deno.test("registry service: set routing", async (t) => {
  const r = await open();
  try {
    await r.service.onStartup(pod("10.0.1.1", { setId: "app.sz.1" }));
    await r.service.onStartup(pod("10.0.1.2", { setId: "app.sz.2" }));
    await r.service.onStartup(pod("10.0.1.9", { setId: "app.sz.*" }));
    await r.service.onStartup(pod("10.0.2.1", { setId: "app.sh.1" }));

    await t.step("an exact set comes first", () => {
      const answer = r.service.findInSet(OBJ, "app.sz.1", "127.0.0.1");
      assert.equal(answer.ret, 0);
      assert.deepEqual(hosts(answer.activeEp), ["10.0.1.1"]);
      assert.equal(answer.activeEp[0].setId, "app.sz.1");
    });

    await t.step("a group without servers falls back to the * group", () => {
      assert.deepEqual(hosts(r.service.findInSet(OBJ, "app.sz.7", "127.0.0.1").activeEp), [
        "10.0.1.9",
      ]);
    });

    await t.step("group * takes every group of the area", () => {
      assert.deepEqual(hosts(r.service.findInSet(OBJ, "app.sz.*", "127.0.0.1").activeEp), [
        "10.0.1.1",
        "10.0.1.2",
        "10.0.1.9",
      ]);
    });

    await t.step("an area without servers answers -1", () => {
      assert.equal(r.service.findInSet(OBJ, "app.gz.1", "127.0.0.1").ret, -1);
    });

    await t.step("a malformed set id answers -1", () => {
      for (const bad of ["app.sz", "app", "*.sz.1", "app.*.1", "a.b.c.d", "app..1"]) {
        assert.equal(r.service.findInSet(OBJ, bad, "127.0.0.1").ret, -1, bad);
      }
    });

    await t.step("a set name no server uses falls back to the group answer", () => {
      const answer = r.service.findInSet(OBJ, "other.sz.1", "127.0.0.1");
      assert.equal(answer.ret, 0);
      assert.equal(answer.activeEp.length, 4);
    });
  } finally {
    await r.close();
  }
});

Deno.test("registry service: metrics targets, clean and status", async (t) => {
  const r = await open();
  try {
    await r.service.onStartup(pod("10.0.0.1"));
    await r.service.onStartup(pod("10.0.0.2", { serverType: "tars_go" }));
    await r.service.onStartup(pod("10.0.0.3", { setId: "app.sz.1" }));
    await r.service.onStartup({
      ...pod("10.0.0.4"),
      application: "Other",
      server: "World",
      adapters: [{ servant: "Other.World.HelloObj", endpoint: "tcp -h 10.0.0.4 -p 10000" }],
    });

    await t.step("targets group by application, server and set", async () => {
      for (const nodeName of ["10.0.0.1", "10.0.0.2", "10.0.0.3"]) {
        assert.ok(
          await r.service.registerMetrics({
            nodeName,
            application: "Test",
            server: "Hello",
            metricsPort: 9100,
          }),
        );
      }
      const groups = r.service.metricsTargets().map((g) => ({
        targets: g.targets.sort(),
        labels: Object.fromEntries(g.labels),
      }));
      assert.deepEqual(groups.sort((a, b) => a.labels.set.localeCompare(b.labels.set)), [
        {
          targets: ["10.0.0.1:9100", "10.0.0.2:9100"],
          labels: { application: "Test", server: "Hello", set: "" },
        },
        {
          targets: ["10.0.0.3:9100"],
          labels: { application: "Test", server: "Hello", set: "app.sz.1" },
        },
      ]);
      const filtered = r.service.metricsTargets(new Map([["set", "app.sz.1"]]));
      assert.deepEqual(filtered.map((g) => g.targets), [["10.0.0.3:9100"]]);
    });

    await t.step("status lists counts", async () => {
      const status = await runAdminCommand(r.service, "status", admin(r));
      assert.match(status, /nodes=4 servers=4 adapters=4/);
      assert.match(status, /active_endpoints=4 inactive_endpoints=0 store=sqlite/);
    });

    await t.step("servers lists each server with its states and endpoints", async () => {
      await r.service.keepAlive({ nodeName: "10.0.0.2", state: "inactive", processId: 42 });
      const all = await runAdminCommand(r.service, "servers", admin(r));
      assert.equal(
        all.split("\n")[0],
        "Other.World on 10.0.0.4: active " +
          "(present active, setting active, traffic on, type tars_cpp, heartbeat 0 s ago)",
      );
      const hello = await runAdminCommand(r.service, "servers Test.Hello", admin(r));
      assert.deepEqual(hello.split("\n"), [
        "Test.Hello on 10.0.0.1: active " +
        "(present active, setting active, traffic on, type tars_cpp, heartbeat 0 s ago)",
        `  ${OBJ} tcp -h 10.0.0.1 -p 10000 -t 30000`,
        "Test.Hello on 10.0.0.2: inactive " +
        "(present inactive, setting active, traffic on, type tars_go, pid 42, heartbeat 0 s ago)",
        `  ${OBJ} tcp -h 10.0.0.2 -p 10000 -t 30000`,
        "Test.Hello on 10.0.0.3: active " +
        "(present active, setting active, traffic on, set app.sz.1, type tars_cpp, " +
        "heartbeat 0 s ago)",
        `  ${OBJ} tcp -h 10.0.0.3 -p 10000 -t 30000`,
      ]);
      assert.equal(
        await runAdminCommand(r.service, "servers Nope", admin(r)),
        "No server Nope is registered.",
      );
      await r.service.keepAlive({ nodeName: "10.0.0.2", state: "active" });
    });

    await t.step("clean is a dry run unless told n, and removes stale nodes", async () => {
      r.clock.advance(2 * 24 * 3600_000);
      await r.service.keepAlive({ nodeName: "10.0.0.1", state: "active" });
      const dry = await runAdminCommand(r.service, "clean", admin(r));
      assert.match(dry, /Would remove 3 node/);
      assert.match(dry, /Dry run/);
      // 10.0.0.2 and 10.0.0.3 serve OBJ; 10.0.0.4 serves Other.World's own servant.
      assert.equal(r.service.find(OBJ).inactiveEp.length, 2);
      const real = await runAdminCommand(r.service, "clean n", admin(r));
      assert.match(real, /Removed 3 node/);
      assert.deepEqual(hosts(r.service.find(OBJ).activeEp), ["10.0.0.1"]);
      assert.deepEqual(r.service.find(OBJ).inactiveEp, []);
      assert.equal((await r.service.counts()).nodes, 1);
    });

    await t.step("clean takes a date and time, and refuses a bad one", async () => {
      const out = await runAdminCommand(r.service, "clean y 2020-01-01 10:00:00", admin(r));
      assert.match(out, /since 2020-01-01T10:00:00.000Z/);
      await assert.rejects(
        runAdminCommand(r.service, "clean y 2020-13-45", admin(r)),
        /Bad time "2020-13-45"/,
      );
    });

    await t.step("clean refuses a time later than now minus --node-timeout", async () => {
      const later = new Date(r.clock.now() - 200_000).toISOString().slice(0, 19).replace("T", " ");
      await assert.rejects(
        runAdminCommand(r.service, `clean n ${later}`, admin(r)),
        /later than now minus --node-timeout .*never cleaned: give an earlier time/,
      );
      await assert.rejects(
        runAdminCommand(r.service, "clean n 2999-01-01", admin(r)),
        /Invalid time 2999-01-01T00:00:00\.000Z: it is later than now minus --node-timeout/,
      );
      assert.equal((await r.service.counts()).nodes, 1);
    });

    await t.step("a node with a heartbeat within --node-timeout is never removed", async () => {
      await r.service.onStartup(pod("10.0.0.9"));
      r.clock.advance(249_500);
      const limit = new Date(r.clock.now() - 250_000).toISOString().slice(0, 19).replace("T", " ");
      const out = await runAdminCommand(r.service, `clean n ${limit}`, admin(r));
      assert.doesNotMatch(out, /10\.0\.0\.9/);
      assert.ok(hosts(r.service.find(OBJ).activeEp).includes("10.0.0.9"));
    });

    await t.step("clean asks whether the caller may change anything first", async () => {
      const refusals: string[] = [];
      const refuse = (action: string) => {
        refusals.push(action);
        throw new Error(`${action} refused`);
      };
      await assert.rejects(
        runAdminCommand(r.service, "clean n 2020-01-01", { now: r.clock.now, mayChange: refuse }),
        /clean refused/,
      );
      assert.match(
        await runAdminCommand(r.service, "status", { now: r.clock.now, mayChange: refuse }),
        /nodes=/,
      );
      assert.deepEqual(refusals, ["clean"]);
    });

    await t.step("unknown commands are answered as TarsGo does", async () => {
      assert.equal(
        await runAdminCommand(r.service, "tars.viewstatus", admin(r)),
        "tars.viewstatus not support now!",
      );
    });
  } finally {
    await r.close();
  }
});

Deno.test("registry service: the framework's states", async (t) => {
  const r = await open({ nodeTimeout: 250_000 });
  const states = () =>
    r.service.servers().map(({ server: s, active }) =>
      `${s.nodeName} ${s.presentState} ${s.settingState} pid ${s.processId} ${
        active ? "active" : "inactive"
      }`
    );
  try {
    await t.step(
      "the node check marks silent pods inactive in the store and in memory",
      async () => {
        await r.service.onStartup(pod("10.0.0.1", { processId: 11 }));
        await r.service.onStartup(pod("10.0.0.2", { processId: 12 }));
        r.clock.advance(200_000);
        await r.service.keepAlive({ nodeName: "10.0.0.2", state: "active" });
        r.clock.advance(100_000);
        await r.service.refresh();
        assert.deepEqual(states(), [
          "10.0.0.1 inactive active pid 0 inactive",
          "10.0.0.2 active active pid 12 active",
        ]);
        const snap = await readSnapshot(r.store);
        assert.deepEqual(snap.nodes.map((n) => n.presentState), ["inactive", "active"]);
        assert.deepEqual(snap.servers.map((s) => [s.presentState, s.processId]), [
          ["inactive", 0],
          ["active", 12],
        ]);
      },
    );

    await t.step("a heartbeat makes the pod active again", async () => {
      await r.service.keepAlive({
        nodeName: "10.0.0.1",
        state: "active",
        application: "Test",
        server: "Hello",
        processId: 13,
      });
      assert.deepEqual(states()[0], "10.0.0.1 active active pid 13 active");
      assert.deepEqual(hosts(r.service.find(OBJ).activeEp), ["10.0.0.1", "10.0.0.2"]);
    });

    await t.step("an operator's inactive setting survives the pod's re-registration", async () => {
      const db = new DatabaseSync(`${r.dir}/registry.db`);
      try {
        db.prepare("UPDATE t_server_conf SET setting_state = 'inactive' WHERE node_name = ?")
          .run("10.0.0.2");
      } finally {
        db.close();
      }
      await r.service.reload();
      await r.service.onStartup(pod("10.0.0.2"));
      assert.deepEqual(states()[1], "10.0.0.2 active inactive pid 12 inactive");
      assert.deepEqual(hosts(r.service.find(OBJ).inactiveEp), ["10.0.0.2"]);
      await r.service.reload();
      assert.deepEqual(hosts(r.service.find(OBJ).inactiveEp), ["10.0.0.2"]);
    });

    await t.step("the last server's prestop takes its node along", async () => {
      await r.service.onPrestop({ nodeName: "10.0.0.1", application: "Test", server: "Hello" });
      assert.deepEqual((await r.service.counts()).nodes, 1);
      assert.deepEqual(r.service.gauges().nodes, 1);
    });
  } finally {
    await r.close();
  }
});

Deno.test("registry service: writes during a reload are kept", async () => {
  const r = await open();
  try {
    await r.service.onStartup(pod("10.0.0.1"));
    // The reload reads the store as it was before the write landed, as with a slow shared
    // database: it gives no 10.0.0.2, and the write is applied again after it.
    const before = await readSnapshot(r.store);
    const original = r.store.load.bind(r.store);
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    r.store.load = async (sink) => {
      await gate;
      for (const node of before.nodes) sink.node(node);
      for (const server of before.servers) sink.server(server);
      return { takenAt: before.takenAt };
    };
    const reloading = r.service.reload();
    await r.service.onStartup(pod("10.0.0.2"));
    release();
    await reloading;
    r.store.load = original;
    assert.deepEqual(hosts(r.service.find(OBJ).activeEp), ["10.0.0.1", "10.0.0.2"]);
  } finally {
    await r.close();
  }
});

Deno.test("registry service: an operator's stop and traffic switch, in lookups", async (t) => {
  const r = await open();
  const key = { application: "Test", server: "Hello", nodeName: "10.0.0.1" };
  const active = () => hosts(r.service.find(OBJ).activeEp);
  try {
    await r.service.onStartup(pod("10.0.0.1"));
    await r.service.onStartup(pod("10.0.0.2"));

    await t.step("a stopped server is inactive, and stays so when its pod registers", async () => {
      assert.equal(await r.service.setSettingState(key, "inactive"), true);
      assert.deepEqual(active(), ["10.0.0.2"]);
      await r.service.onStartup(pod("10.0.0.1"));
      assert.deepEqual(active(), ["10.0.0.2"]);
      assert.equal(await r.service.setSettingState(key, "active"), true);
      assert.deepEqual(active(), ["10.0.0.1", "10.0.0.2"]);
      assert.equal(
        await r.service.setSettingState({ ...key, nodeName: "10.9.9.9" }, "active"),
        false,
      );
    });

    await t.step(
      "the traffic switch outlives a re-registration; TARS_DISABLE_FLOW wins",
      async () => {
        const flow = { application: "Test", server: "Hello", nodeNames: ["10.0.0.1"] };
        assert.equal(await r.service.setFlowState({ ...flow, active: false }), 1);
        assert.deepEqual(active(), ["10.0.0.2"]);
        await r.service.onStartup(pod("10.0.0.1"));
        assert.deepEqual(active(), ["10.0.0.2"]);
        await r.service.setFlowState({ ...flow, active: true });
        assert.deepEqual(active(), ["10.0.0.1", "10.0.0.2"]);
        await r.service.onStartup(pod("10.0.0.1", { disableFlow: true }));
        assert.deepEqual(active(), ["10.0.0.2"]);
      },
    );

    await t.step("memory and the store agree", async () => {
      const before = r.service.servers().map((v) => [v.server.nodeName, v.active]);
      await r.service.reload();
      assert.deepEqual(r.service.servers().map((v) => [v.server.nodeName, v.active]), before);
    });

    await t.step("a bad switch is refused before anything is written", async () => {
      await assert.rejects(
        () =>
          r.service.setFlowState({
            application: "Test",
            server: "Hello",
            nodeNames: [],
            active: true,
          }),
        /name at least one node/,
      );
    });
  } finally {
    await r.close();
  }
});

Deno.test("registry service: pods in zones (TARS_GROUP) are found by their zone", async (t) => {
  const r = await open();
  const ask = (caller: string) => hosts(r.service.findForCaller(OBJ, caller).activeEp);
  try {
    await t.step("without groups every caller gets every endpoint", async () => {
      await r.service.onStartup(pod("10.0.1.1"));
      await r.service.onStartup(pod("10.0.2.1"));
      assert.deepEqual(ask("10.0.1.1"), ["10.0.1.1", "10.0.2.1"]);
      assert.equal(r.service.findForCaller(OBJ, "10.0.1.1"), r.service.find(OBJ));
    });

    await t.step("a pod's group is added to the group table once, with no address", async () => {
      await r.service.onStartup(pod("10.0.1.1", { group: "zone-a" }));
      await r.service.onStartup(pod("10.0.1.2", { group: "zone-a" }));
      await r.service.onStartup(pod("10.0.2.1", { group: " zone-b " }));
      const rows = await r.store.readGroupRules();
      assert.deepEqual(rows.rules.map((g) => [g.groupName, g.allowIpRule]), [
        ["zone-a", ""],
        ["zone-b", ""],
      ]);
    });

    await t.step("a pod calls its own zone's pods; a stranger gets every endpoint", () => {
      assert.deepEqual(ask("10.0.1.1"), ["10.0.1.1", "10.0.1.2"]);
      assert.deepEqual(ask("10.0.1.2"), ["10.0.1.1", "10.0.1.2"]);
      assert.deepEqual(ask("10.0.2.1"), ["10.0.2.1"]);
      assert.deepEqual(ask("10.9.9.9"), ["10.0.1.1", "10.0.1.2", "10.0.2.1"]);
      const [endpoint] = r.service.findForCaller(OBJ, "10.0.2.1").activeEp;
      assert.equal(endpoint.groupworkid, endpoint.grouprealid);
      assert.notEqual(endpoint.groupworkid, -1);
    });

    await t.step("with its zone's pods gone, a zone falls back to the other pods", async () => {
      await r.service.keepAlive({
        nodeName: "10.0.2.1",
        application: "Test",
        server: "Hello",
        state: "inactive",
      });
      assert.deepEqual(ask("10.0.2.1"), ["10.0.1.1", "10.0.1.2"]);
      await r.service.keepAlive({
        nodeName: "10.0.2.1",
        application: "Test",
        server: "Hello",
        state: "active",
      });
      assert.deepEqual(ask("10.0.2.1"), ["10.0.2.1"]);
    });

    await t.step("a re-registration naming no group keeps the pod's group", async () => {
      await r.service.onStartup(pod("10.0.2.1"));
      assert.deepEqual(ask("10.0.2.1"), ["10.0.2.1"]);
      const server = (await readSnapshot(r.store)).servers.find((s) => s.nodeName === "10.0.2.1");
      assert.deepEqual([server?.groupName, server?.groupEnabled], ["zone-b", true]);
    });

    await t.step("an address rule wins over the pod's own group", async () => {
      const db = new DatabaseSync(`${r.dir}/registry.db`);
      try {
        db.exec(`INSERT INTO t_server_group_rule (group_name, allow_ip_rule)
          VALUES ('office', '10.0.2.*')`);
      } finally {
        db.close();
      }
      await r.service.refresh();
      // 10.0.2.1 is now in group "office", where no endpoint works: every endpoint answers.
      assert.deepEqual(ask("10.0.2.1"), ["10.0.1.1", "10.0.1.2", "10.0.2.1"]);
      assert.deepEqual(ask("10.0.1.1"), ["10.0.1.1", "10.0.1.2"]);
    });
  } finally {
    await r.close();
  }
});
