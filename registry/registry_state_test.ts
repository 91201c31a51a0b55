import assert from "node:assert/strict";
import { findAll } from "./lookup.ts";
import { RegistryState } from "./registry_state.ts";
import { KeySumBuilder } from "./store/key_sums.ts";
import {
  nodeRecord as node,
  RECORD_OBJ,
  serverRecord as server,
} from "../tests/support/registry_records.ts";
import { keepAliveRows, prestopTarget, startupRows } from "./validate.ts";

const TIMEOUT = 60_000;
const OBJ = RECORD_OBJ;

/** The key sums of the state computed afresh, as a store would. */
function freshSums(state: RegistryState) {
  const nodes = new KeySumBuilder();
  const servers = new KeySumBuilder();
  const adapters = new KeySumBuilder();
  for (const name of state.nodes.keys()) nodes.add(1, name);
  for (const s of state.allServers()) {
    servers.add(1, s.application, s.server, s.nodeName);
    for (const a of s.adapters) adapters.add(1, s.application, s.server, s.nodeName, a.adapterName);
  }
  return { nodes: nodes.sum, servers: servers.sum, adapters: adapters.sum };
}

/** A state loaded with nodes 10.0.0.1 … n, each serving OBJ, heartbeats at `now`. */
function loaded(n: number, now: number): RegistryState {
  const state = new RegistryState({ nodeTimeout: TIMEOUT });
  const sweep = state.sweep(now);
  for (let i = 1; i <= n; i++) {
    sweep.node(node(`10.0.0.${i}`, now));
    sweep.server(server(`10.0.0.${i}`));
  }
  assert.deepEqual(sweep.finish(), []);
  return state;
}

const hosts = (eps: readonly { host: string }[]) => eps.map((e) => e.host).sort();

Deno.test("registry state: lookup answers are kept until what they depend on changes", async (t) => {
  const now = 1_000_000;
  const options = { now, nodeTimeout: TIMEOUT };

  await t.step("the same frozen answer while nothing changes", () => {
    const state = loaded(3, now);
    const first = findAll(state, OBJ, options);
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first.activeEp));
    assert.equal(findAll(state, OBJ, { ...options, now: now + 1000 }), first);
    assert.deepEqual(hosts(first.activeEp), ["10.0.0.1", "10.0.0.2", "10.0.0.3"]);
  });

  await t.step("a heartbeat of a live node keeps it; a state change drops it", () => {
    const state = loaded(3, now);
    const first = findAll(state, OBJ, options);
    state.applyKeepAlive(
      keepAliveRows({ nodeName: "10.0.0.1", state: "active", application: "App", server: "Srv" }),
      now + 10,
    );
    assert.equal(findAll(state, OBJ, options), first);
    state.applyKeepAlive(
      keepAliveRows({ nodeName: "10.0.0.2", state: "inactive", application: "App", server: "Srv" }),
      now + 20,
    );
    const second = findAll(state, OBJ, options);
    assert.notEqual(second, first);
    assert.deepEqual(hosts(second.inactiveEp), ["10.0.0.2"]);
  });

  await t.step("an endpoint past its heartbeat turns inactive; a heartbeat revives it", () => {
    const state = loaded(2, now);
    state.applyKeepAlive(keepAliveRows({ nodeName: "10.0.0.2", state: "active" }), now + 5000);
    const first = findAll(state, OBJ, options);
    assert.deepEqual(hosts(first.activeEp), ["10.0.0.1", "10.0.0.2"]);
    const later = { now: now + TIMEOUT + 1, nodeTimeout: TIMEOUT };
    const expired = findAll(state, OBJ, later);
    assert.deepEqual(hosts(expired.activeEp), ["10.0.0.2"]);
    assert.deepEqual(hosts(expired.inactiveEp), ["10.0.0.1"]);
    state.applyKeepAlive(keepAliveRows({ nodeName: "10.0.0.1", state: "active" }), later.now);
    assert.deepEqual(hosts(findAll(state, OBJ, later).activeEp), ["10.0.0.1", "10.0.0.2"]);
  });

  await t.step("a registration, a removal and a read of the store drop it", () => {
    const state = loaded(2, now);
    const first = findAll(state, OBJ, options);
    state.applyStartup(
      startupRows({
        nodeName: "10.0.0.9",
        application: "App",
        server: "Srv",
        adapters: [{ servant: OBJ, endpoint: "tcp -h 10.0.0.9 -p 9000" }],
      }),
      now,
    );
    const second = findAll(state, OBJ, options);
    assert.deepEqual(hosts(second.activeEp), ["10.0.0.1", "10.0.0.2", "10.0.0.9"]);
    state.applyPrestop(prestopTarget({ nodeName: "10.0.0.1" }));
    const third = findAll(state, OBJ, options);
    assert.deepEqual(hosts(third.activeEp), ["10.0.0.2", "10.0.0.9"]);
    state.replaceServers("10.0.0.2", [server("10.0.0.2", { flowEnabled: false })]);
    assert.deepEqual(hosts(findAll(state, OBJ, options).inactiveEp), ["10.0.0.2"]);
    assert.notEqual(third, first);
  });

  await t.step("the console's setting state and traffic switch drop it", () => {
    const state = loaded(2, now);
    const first = findAll(state, OBJ, options);
    state.applySettingState(
      { application: "App", server: "Srv", nodeName: "10.0.0.1" },
      "inactive",
    );
    const stopped = findAll(state, OBJ, options);
    assert.notEqual(stopped, first);
    assert.deepEqual(hosts(stopped.inactiveEp), ["10.0.0.1"]);
    state.applyFlow({ application: "App", server: "Srv", nodeNames: ["10.0.0.2"], active: false });
    assert.deepEqual(hosts(findAll(state, OBJ, options).inactiveEp), ["10.0.0.1", "10.0.0.2"]);
    state.applySettingState({ application: "App", server: "Srv", nodeName: "10.0.0.1" }, "active");
    state.applyFlow({ application: "App", server: "Srv", nodeNames: ["10.0.0.2"], active: true });
    assert.deepEqual(hosts(findAll(state, OBJ, options).activeEp), ["10.0.0.1", "10.0.0.2"]);
  });

  await t.step("an unknown object is answered empty and not kept", () => {
    const state = loaded(1, now);
    const answer = findAll(state, "No.Such.Obj", options);
    assert.deepEqual(answer, { ret: 0, activeEp: [], inactiveEp: [] });
    assert.equal(state.cachedAnswer("No.Such.Obj"), undefined);
  });
});

Deno.test("registry state: reads of the store", async (t) => {
  const now = 1_000_000;

  await t.step("a sweep keeps an unchanged server as it is and removes what it did not see", () => {
    const state = loaded(3, now);
    const kept = state.server({ application: "App", server: "Srv", nodeName: "10.0.0.1" });
    const sweep = state.sweep(now);
    sweep.node(node("10.0.0.1", now));
    sweep.server(server("10.0.0.1"));
    sweep.node(node("10.0.0.2", now));
    sweep.server(server("10.0.0.2", { version: "2" }));
    sweep.finish();
    assert.equal(state.server({ application: "App", server: "Srv", nodeName: "10.0.0.1" }), kept);
    assert.equal(
      state.server({ application: "App", server: "Srv", nodeName: "10.0.0.2" })?.version,
      "2",
    );
    assert.deepEqual([...state.nodes.keys()].sort(), ["10.0.0.1", "10.0.0.2"]);
    assert.equal(state.serverCount, 2);
    assert.deepEqual(
      hosts(findAll(state, OBJ, { now, nodeTimeout: TIMEOUT }).activeEp),
      ["10.0.0.1", "10.0.0.2"],
    );
  });

  await t.step(
    "a node's servers replaced: the same kept as it is, the others put or removed",
    () => {
      const state = loaded(2, now);
      const key = { application: "App", server: "Srv", nodeName: "10.0.0.1" };
      const kept = state.server(key);
      const other = server("10.0.0.1", {
        server: "Other",
        adapters: [{ ...server("10.0.0.1").adapters[0], servant: "App.Other.Obj" }],
      });
      assert.deepEqual(state.replaceServers("10.0.0.1", [server("10.0.0.1"), other]), []);
      assert.equal(state.server(key), kept);
      assert.equal(state.serverCount, 3);
      const bad = server("10.0.0.1", {
        adapters: [{ ...server("10.0.0.1").adapters[0], endpoint: "tcp -h" }],
      });
      const skipped = state.replaceServers("10.0.0.1", [bad]);
      assert.deepEqual(skipped.map((s) => [s.nodeName, s.servant]), [["10.0.0.1", OBJ]]);
      assert.deepEqual(state.serversOn("10.0.0.1").map((s) => s.server), ["Srv"]);
      assert.deepEqual(hosts(findAll(state, OBJ, { now, nodeTimeout: TIMEOUT }).activeEp), [
        "10.0.0.2",
      ]);
      assert.deepEqual(
        hosts(findAll(state, "App.Other.Obj", { now, nodeTimeout: TIMEOUT }).activeEp),
        [],
      );
      state.replaceServers("10.0.0.1", []);
      assert.deepEqual(state.serversOn("10.0.0.1"), []);
      assert.ok(state.nodes.has("10.0.0.1"), "the node stays: a read gives nodes apart");
      assert.equal(state.serverCount, 1);
      assert.deepEqual(state.keySums(), freshSums(state));
    },
  );

  await t.step("the key sums follow every change", () => {
    const state = loaded(3, now);
    assert.deepEqual(state.keySums(), freshSums(state));
    state.applyStartup(startupRows({ nodeName: "10.0.0.7", application: "A", server: "S" }), now);
    state.replaceServers("10.0.0.2", [server("10.0.0.2", {
      adapters: [...server("10.0.0.2").adapters, {
        ...server("10.0.0.2").adapters[0],
        adapterName: "App.Srv.Other",
      }],
    })]);
    state.applyPrestop(prestopTarget({ nodeName: "10.0.0.1" }));
    state.replaceServers("10.0.0.3", []);
    state.removeNode("10.0.0.3");
    state.applyClean(["10.0.0.7"]);
    const sums = state.keySums();
    assert.deepEqual(sums, freshSums(state));
    assert.deepEqual([sums.nodes.count, sums.servers.count, sums.adapters.count], [1, 1, 2]);
  });
});

Deno.test("registry state: node objects follow registrations and reads of the store", () => {
  const now = 1_000_000;
  const nodeObj = (host: string, port: number) =>
    `tars.tarsnode.NodeObj@tcp -h ${host} -p ${port} -t 60000`;
  const state = loaded(2, now);
  assert.deepEqual([...state.nodeObjects()], []);
  state.putNode({ ...node("10.0.0.1", now), nodeObj: nodeObj("10.0.0.1", 19000) }, now);
  assert.equal(state.nodeObject("10.0.0.1")?.endpoint.port, 19000);
  // A registration with a new node object replaces it; K8STARS's placeholder is none.
  state.applyStartup(
    startupRows({
      nodeName: "10.0.0.1",
      application: "App",
      server: "Srv",
      nodeEndpoint: "tcp -h 10.0.0.1 -p 19001",
    }),
    now,
  );
  assert.equal(state.nodeObject("10.0.0.1")?.endpoint.port, 19001);
  state.putNode(
    { ...node("10.0.0.1", now), nodeObj: "tars.tarsnode.NodeObj@tcp -h 10.0.0.1 -p 0" },
    now,
  );
  assert.equal(state.nodeObject("10.0.0.1"), undefined);
  // A sweep that does not see the node removes its object.
  state.putNode({ ...node("10.0.0.2", now), nodeObj: nodeObj("10.0.0.2", 19000) }, now);
  const sweep = state.sweep(now);
  sweep.node(node("10.0.0.1", now));
  sweep.server(server("10.0.0.1"));
  sweep.finish();
  assert.deepEqual([...state.nodeObjects()], []);
});
