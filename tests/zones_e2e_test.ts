/**
 * Zone-aware routing end to end: pods of the example service under `tarscli supervisor` and the
 * kubelet stand-in in two zones (`TARS_GROUP`), and a client pod in each zone (a pod registered
 * with its zone, whose client calls from the pod's address, as a container of that pod would)
 * calling the service through the registry with the project's client and its default lookup
 * (`findObjectByIdInSameGroup`, the TarsCpp and TarsGo default). Each zone's calls land on its
 * own pods; with one zone's pods gone, its client's calls move to the other zone (the C++ rules'
 * last step: every endpoint), and come back to the zone when a pod returns there.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TarsClient } from "../protocol/client.ts";
import { REGISTRY_OBJ, RegistryF } from "../protocol/interfaces/registry_f.ts";
import { HELLO_OBJ, HelloF } from "../examples/simple/hello_f.ts";
import { type Pod, type RegistryProcess, startPod, startRegistryProcess } from "../local/mod.ts";
import { boundNetwork } from "./support/bound_network.ts";
import { eventually } from "./support/eventually.ts";

/** Bound on a pod becoming ready (genconf, registration, Node start-up, a check interval). */
const READY_MS = 30_000;
/** Calls each round makes: enough that a pod the client may reach is reached. */
const CALLS = 40;

const ZONES = {
  "zone-a": { pods: [["a1", "127.0.30.1"], ["a2", "127.0.30.2"]], client: "127.0.30.9" },
  "zone-b": { pods: [["b1", "127.0.40.1"]], client: "127.0.40.9" },
} as const;
type Zone = keyof typeof ZONES;

/** A client pod of `zone`: registered with its zone by its address, calling from it. */
async function clientPod(zone: Zone, locator: string) {
  const address = ZONES[zone].client;
  const client = new TarsClient({
    locator,
    refreshInterval: 300,
    timeout: 5000,
    log: () => {},
    network: boundNetwork(address),
  });
  // What the client pod's supervisor sends: a server with no servant of its own, in its zone.
  await client.proxy(RegistryF, `${REGISTRY_OBJ}@${locator.split("@")[1]}`).onStartup({
    req: { nodeName: address, application: "Zone", server: "Caller", State: "active", group: zone },
  });
  const hello = client.proxy(HelloF, HELLO_OBJ);
  return {
    /** Which pods answered `CALLS` calls, and how often. */
    async answeredBy(): Promise<Record<string, number>> {
      const counts: Record<string, number> = {};
      for (let i = 0; i < CALLS; i++) {
        const { greeting } = await hello.sayHello({ name: zone });
        const pod = /from (\S+)$/.exec(greeting)?.[1] ?? greeting;
        counts[pod] = (counts[pod] ?? 0) + 1;
      }
      return counts;
    },
    close: () => client.close(),
  };
}

/** Waits until the calls of `client` are answered by exactly the pods `want`. */
async function landOn(
  client: Awaited<ReturnType<typeof clientPod>>,
  want: string[],
  what: string,
): Promise<Record<string, number>> {
  let seen: Record<string, number> = {};
  await eventually(15_000, `${what} (last answered by ${JSON.stringify(seen)})`, async () => {
    seen = await client.answeredBy();
    return JSON.stringify(Object.keys(seen).sort()) === JSON.stringify(want);
  });
  return seen;
}

Deno.test("zones: pods call their own zone's pods first, and fall back", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "zones_" });
  const pods = new Map<string, Pod>();
  const clients: Awaited<ReturnType<typeof clientPod>>[] = [];
  let registry: RegistryProcess | undefined;
  const start = async (zone: Zone, name: string, podIp: string) => {
    const pod = await startPod({
      name,
      podIp,
      locator: registry!.locator,
      env: { TARS_GROUP: zone },
    });
    pods.set(name, pod);
    return pod;
  };
  try {
    registry = await startRegistryProcess([
      "--store",
      `sqlite:${join(dir, "r.db")}`,
      "--reload-interval",
      "1s",
    ]);
    for (const [zone, { pods: list }] of Object.entries(ZONES)) {
      for (const [name, podIp] of list) await start(zone as Zone, name, podIp);
    }
    for (const pod of pods.values()) await pod.waitReady(READY_MS);
    const a = await clientPod("zone-a", registry.locator);
    const b = await clientPod("zone-b", registry.locator);
    clients.push(a, b);

    await t.step("each zone's calls land on its own pods", async () => {
      const inA = await landOn(a, ["a1", "a2"], "zone-a's calls on a1 and a2");
      assert.ok(inA.a1 > 0 && inA.a2 > 0, JSON.stringify(inA));
      await landOn(b, ["b1"], "zone-b's calls on b1");
    });

    await t.step("with zone-b's pod gone, zone-b's calls go to zone-a's pods", async () => {
      const gone = await pods.get("b1")!.terminate();
      assert.equal(gone.status.code, 0);
      await landOn(b, ["a1", "a2"], "zone-b's calls on zone-a's pods");
      await landOn(a, ["a1", "a2"], "zone-a's calls still on its own pods");
    });

    await t.step("a pod back in zone-b takes zone-b's calls again", async () => {
      await pods.get("b1")!.cleanup();
      pods.delete("b1");
      const back = await start("zone-b", "b1-new", "127.0.40.1");
      await back.waitReady(READY_MS);
      await landOn(b, ["b1-new"], "zone-b's calls on its new pod");
      await landOn(a, ["a1", "a2"], "zone-a's calls on its own pods");
    });
  } finally {
    await Promise.all(clients.map((c) => c.close()));
    // Every pod's processes and directory go, whichever cleanup fails.
    await Promise.allSettled([...pods.values()].map((pod) => pod.cleanup()));
    await registry?.terminate();
    await Deno.remove(dir, { recursive: true });
  }
});
