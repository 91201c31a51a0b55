import assert from "node:assert/strict";
import { findAll } from "./lookup.ts";
import { RegistryState } from "./registry_state.ts";
import { ReplicaReads } from "./replica_reads.ts";
import { KeySumBuilder } from "./store/key_sums.ts";
import type {
  ChangeMark,
  ChangeSink,
  KeySums,
  LoadResult,
  LoadSink,
  NodeRecord,
  RegistryStore,
  ServerRecord,
} from "./store/types.ts";
import { startupRows } from "./validate.ts";
import { RECORD_OBJ, serverRecord as server } from "../tests/support/registry_records.ts";

const TIMEOUT = 60_000;
const FULL = 300_000;
const KEY_SUMS = 30_000;
const OBJ = RECORD_OBJ;

/**
 * A shared store in memory, as other replicas write it: its rows, the nodes whose servers changed
 * since the last read, and the reads it was asked for. `during` runs inside the next read, after
 * its records were handed over.
 */
class SharedStore implements Pick<RegistryStore, "load" | "readChanges"> {
  readonly nodes = new Map<string, NodeRecord>();
  readonly servers = new Map<string, ServerRecord>();
  /** Rows memory makes nothing of (an adapter row of no server): counted in the sums only. */
  strayAdapters = 0;
  readonly reads: string[] = [];
  during: (() => void) | undefined;
  #touched = new Set<string>();
  #heartbeats = new Set<string>();
  #marks = 0;

  constructor(readonly clock: { now: number }) {}

  /** Another replica's registration (or re-registration) of a pod. */
  register(nodeName: string, record = server(nodeName)): void {
    this.nodes.set(nodeName, {
      nodeName,
      presentState: "active",
      lastHeartbeat: this.clock.now,
      nodeObj: "",
    });
    this.servers.set(`${record.application}.${record.server}@${nodeName}`, record);
    this.#touched.add(nodeName);
    this.#heartbeats.add(nodeName);
  }

  /** Another replica's removal of a pod's server (its node stays). */
  remove(nodeName: string): void {
    this.servers.delete(`App.Srv@${nodeName}`);
    this.#touched.add(nodeName);
  }

  /** A deletion no change read sees (a tool's DELETE of a whole node). */
  deleteSilently(nodeName: string): void {
    this.nodes.delete(nodeName);
    for (const [key, s] of this.servers) if (s.nodeName === nodeName) this.servers.delete(key);
  }

  load(sink: LoadSink, options: { sums?: boolean } = {}): Promise<LoadResult> {
    this.reads.push(options.sums ? "load with sums" : "load");
    for (const n of this.nodes.values()) sink.node(structuredClone(n));
    for (const s of this.servers.values()) sink.server(structuredClone(s));
    return this.#settle(options.sums);
  }

  readChanges(
    mark: ChangeMark,
    sink: ChangeSink,
    options: { sums?: boolean } = {},
  ): Promise<LoadResult> {
    assert.equal(mark.at, String(this.#marks), "a change read starts at the last read's mark");
    this.reads.push(options.sums ? "changes with sums" : "changes");
    for (const nodeName of this.#heartbeats) {
      const node = this.nodes.get(nodeName);
      if (node) sink.node(structuredClone(node));
    }
    for (const nodeName of this.#touched) {
      const on = [...this.servers.values()].filter((s) => s.nodeName === nodeName);
      sink.serversOn(nodeName, structuredClone(on));
    }
    return this.#settle(options.sums);
  }

  #settle(sums: boolean | undefined): Promise<LoadResult> {
    this.#touched = new Set();
    this.#heartbeats = new Set();
    const during = this.during;
    this.during = undefined;
    during?.();
    return Promise.resolve({
      takenAt: this.clock.now,
      mark: { at: String(++this.#marks) },
      ...(sums ? { sums: this.#sums() } : {}),
    });
  }

  #sums(): KeySums {
    const nodes = new KeySumBuilder();
    const servers = new KeySumBuilder();
    const adapters = new KeySumBuilder();
    for (const n of this.nodes.keys()) nodes.add(1, n);
    for (const s of this.servers.values()) {
      servers.add(1, s.application, s.server, s.nodeName);
      for (const a of s.adapters) {
        adapters.add(1, s.application, s.server, s.nodeName, a.adapterName);
      }
    }
    for (let i = 0; i < this.strayAdapters; i++) adapters.add(1, "Gone", "Gone", "x", `a${i}`);
    return { nodes: nodes.sum, servers: servers.sum, adapters: adapters.sum };
  }
}

/** A state read from a shared store of `pods` pods by replica reads on a clock of its own. */
async function replica(pods: number) {
  const clock = { now: 1_000_000 };
  const store = new SharedStore(clock);
  for (let i = 1; i <= pods; i++) store.register(`10.0.0.${i}`);
  const state = new RegistryState({ nodeTimeout: TIMEOUT });
  const log: string[] = [];
  const reads = new ReplicaReads(store, state, {
    now: () => clock.now,
    fullReloadInterval: FULL,
    keySumInterval: KEY_SUMS,
    log: (line) => log.push(line),
  });
  await reads.readAll();
  const active = () =>
    findAll(state, OBJ, { now: clock.now, nodeTimeout: TIMEOUT }).activeEp
      .map((e) => e.host).sort();
  return { clock, store, state, reads, log, active };
}

Deno.test("replica reads: a change read brings in what other replicas wrote", async (t) => {
  const r = await replica(2);
  assert.deepEqual(r.store.reads, ["load with sums"]);

  await t.step("a new pod, a changed one and a removed one, node by node", async () => {
    r.clock.now += 10_000;
    r.store.register("10.0.0.3");
    r.store.register("10.0.0.1", server("10.0.0.1", { presentState: "inactive" }));
    r.store.remove("10.0.0.2");
    await r.reads.catchUp();
    assert.deepEqual(r.store.reads.at(-1), "changes");
    assert.deepEqual(r.active(), ["10.0.0.3"]);
    assert.equal(r.state.serverCount, 2);
    assert.deepEqual(r.state.serversOn("10.0.0.2"), []);
    assert.equal(r.state.nodes.get("10.0.0.3")?.lastHeartbeat, r.clock.now);
    assert.deepEqual(r.log, []);
  });

  await t.step("the key sums when due: memory agrees, no full read", async () => {
    r.clock.now += KEY_SUMS;
    await r.reads.catchUp();
    assert.deepEqual(r.store.reads.at(-1), "changes with sums");
    r.clock.now += 10_000;
    await r.reads.catchUp();
    assert.deepEqual(r.store.reads.at(-1), "changes", "the sums agreed: not due again yet");
    assert.deepEqual(r.log, []);
  });

  await t.step("an adapter that does not parse is skipped and said", async () => {
    r.clock.now += 10_000;
    const bad = server("10.0.0.4");
    bad.adapters[0].endpoint = "tcp -h";
    r.store.register("10.0.0.4", bad);
    await r.reads.catchUp();
    assert.equal(r.log.length, 1);
    assert.match(r.log[0], /^Skipping App\.Srv\.Obj of App\.Srv on 10\.0\.0\.4: /);
    assert.deepEqual(r.active(), ["10.0.0.3"]);
  });
});

Deno.test("replica reads: the whole store read again", async (t) => {
  await t.step("a deletion shows in the key sums: read whole, and said", async () => {
    const r = await replica(3);
    r.store.deleteSilently("10.0.0.2");
    r.clock.now += 10_000;
    await r.reads.catchUp();
    assert.deepEqual(r.active(), ["10.0.0.1", "10.0.0.2", "10.0.0.3"], "not seen yet");
    r.clock.now += KEY_SUMS;
    await r.reads.catchUp();
    assert.deepEqual(r.store.reads, [
      "load with sums",
      "changes",
      "changes with sums",
      "load with sums",
    ]);
    assert.deepEqual(r.active(), ["10.0.0.1", "10.0.0.3"]);
    assert.deepEqual([...r.state.nodes.keys()].sort(), ["10.0.0.1", "10.0.0.3"]);
    assert.match(r.log.join("\n"), /differ from memory .*: reading it whole/);
  });

  await t.step("rows the store has and memory makes nothing of are no difference", async () => {
    const r = await replica(1);
    r.store.strayAdapters = 2;
    await r.reads.readAll();
    r.clock.now += KEY_SUMS;
    await r.reads.catchUp();
    assert.deepEqual(r.store.reads.slice(-1), ["changes with sums"]);
    assert.deepEqual(r.log, []);
  });

  await t.step("every full reload interval", async () => {
    const r = await replica(1);
    r.clock.now += FULL - 1;
    await r.reads.catchUp();
    r.clock.now += 1;
    await r.reads.catchUp();
    assert.deepEqual(r.store.reads.slice(1), ["changes with sums", "load with sums"]);
    assert.deepEqual(r.log, []);
  });

  await t.step(
    "registrations here keep the sums from being compared: whole at 1.5 intervals",
    async () => {
      const r = await replica(1);
      let pod = 10;
      const registerHere = () => {
        const rows = startupRows({
          nodeName: `10.0.1.${pod++}`,
          application: "App",
          server: "Srv",
        });
        r.reads.apply((state) => state.applyStartup(rows, r.clock.now), { changesRows: true });
      };
      r.clock.now += KEY_SUMS;
      r.store.during = registerHere;
      await r.reads.catchUp();
      assert.deepEqual(r.store.reads.at(-1), "changes with sums");
      r.clock.now += KEY_SUMS / 2;
      r.store.during = registerHere;
      await r.reads.catchUp();
      assert.deepEqual(r.store.reads.at(-1), "load with sums");
      assert.match(r.log.join("\n"), /^Registrations and removals here kept .*: reading it whole$/);
    },
  );
});

Deno.test("replica reads: the writes applied during a read", async (t) => {
  await t.step("are applied again after it: the read was older", async () => {
    const r = await replica(1);
    const rows = startupRows({
      nodeName: "10.0.0.9",
      application: "App",
      server: "Srv",
      adapters: [{ servant: OBJ, endpoint: "tcp -h 10.0.0.9 -p 9000" }],
    });
    r.store.during = () =>
      r.reads.apply((state) => state.applyStartup(rows, r.clock.now), { changesRows: true });
    await r.reads.readAll();
    assert.deepEqual(r.active(), ["10.0.0.1", "10.0.0.9"]);
    assert.deepEqual(r.log, []);
  });

  await t.step("a read asked for while one runs is none", async () => {
    const r = await replica(1);
    let inner: Promise<void> | undefined;
    r.store.during = () => (inner = r.reads.readAll());
    await r.reads.readAll();
    await inner;
    assert.deepEqual(r.store.reads, ["load with sums", "load with sums"]);
  });

  await t.step("what a store hands over after the read was given up is dropped", async () => {
    const r = await replica(1);
    let late: ChangeSink | undefined;
    const giveUp: Pick<RegistryStore, "load" | "readChanges"> = {
      load: (sink, options) => r.store.load(sink, options),
      readChanges: (_mark, sink) => {
        late = sink;
        return Promise.reject(new Error("reading what changed: the store did not answer"));
      },
    };
    const reads = new ReplicaReads(giveUp, r.state, {
      now: () => r.clock.now,
      log: (line) => r.log.push(line),
    });
    await reads.readAll();
    r.clock.now += 10_000;
    await assert.rejects(reads.catchUp(), /did not answer/);
    late!.serversOn("10.0.0.1", []);
    late!.node({ nodeName: "10.0.0.5", presentState: "active", lastHeartbeat: 0, nodeObj: "" });
    assert.deepEqual(r.active(), ["10.0.0.1"]);
    assert.equal(r.state.nodes.has("10.0.0.5"), false);
  });

  await t.step("a store this process alone writes is read once, at start", async () => {
    const clock = { now: 1_000_000 };
    const shared = new SharedStore(clock);
    shared.register("10.0.0.1");
    const state = new RegistryState({ nodeTimeout: TIMEOUT });
    const reads = new ReplicaReads({ load: (sink) => shared.load(sink) }, state, {
      now: () => clock.now,
      log: () => {},
    });
    await reads.readAll();
    clock.now += FULL;
    await reads.catchUp();
    assert.deepEqual(shared.reads, ["load"]);
    assert.equal(state.serverCount, 1);
  });
});
