/**
 * The pod lifecycle end to end: a real registry process, pods of the example service (a TARS
 * service on the official @tars/rpc framework, examples/simple) run by `tarscli supervisor` under
 * the kubelet stand-in (readiness probe `tarscli hzcheck`, preStop `tarscli prestop`, SIGTERM,
 * grace period, SIGKILL), and clients that find the service through the registry. Every pod has a
 * loopback address of its own (127.0.0.x), as pods have their own IPs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readServerInfo, type ServerInfo } from "../genconf/mod.ts";
import { TarsClient } from "../protocol/client.ts";
import { ADMIN_OBJ, AdminF } from "../protocol/interfaces/admin_f.ts";
import { QueryF } from "../protocol/interfaces/query_f.ts";
import { parseEndpoint } from "../protocol/endpoint.ts";
import { HELLO_OBJ, HelloF } from "../examples/simple/hello_f.ts";
import {
  type Pod,
  type PodOptions,
  type RegistryProcess,
  servicePid,
  startPod,
  startRegistryProcess,
} from "../local/mod.ts";
import { delay } from "../lib/timers.ts";
import { callContinuously } from "./support/call_continuously.ts";
import { eventually } from "./support/eventually.ts";
import { freePort } from "./support/free_port.ts";
import { rootMissing, skipWhen } from "./support/skip.ts";

/** Bound on a pod becoming ready (genconf, registration, Node start-up, a check interval). */
const READY_MS = 30_000;

/** Active and inactive `host:port` lists of the example's servant in the registry. */
async function lookup(client: TarsClient, locator: string) {
  const answer = await client.proxy(QueryF, locator).findObjectById4Any({ id: HELLO_OBJ });
  const hp = (eps: { host: string; port: number }[]) =>
    eps.map((e) => `${e.host}:${e.port}`).sort();
  return { active: hp(answer.activeEp), inactive: hp(answer.inactiveEp) };
}

/** `host:port` of the pod's HelloObj endpoint, from the server info genconf wrote. */
async function helloEndpoint(pod: Pod): Promise<string> {
  const { host, port } = parseEndpoint((await info(pod)).adapters[0].endpoint);
  return `${host}:${port}`;
}

function info(pod: Pod): Promise<ServerInfo> {
  return readServerInfo(pod.tarsPath);
}

/** The lines of the pod's log/supervisor.log. */
async function supervisorLog(pod: Pod): Promise<string[]> {
  const text = await Deno.readTextFile(join(pod.tarsPath, "log", "supervisor.log")).catch(() => "");
  return text.split("\n");
}

/** Starts pods and a registry for one test and stops all of them at its end. */
function scope() {
  const pods: Pod[] = [];
  const registries: RegistryProcess[] = [];
  const client = new TarsClient({ timeout: 3000, log: () => {} });
  return {
    client,
    async pod(options: PodOptions): Promise<Pod> {
      const pod = await startPod(options);
      pods.push(pod);
      return pod;
    },
    async registry(args: string[], port?: number): Promise<RegistryProcess> {
      const registry = await startRegistryProcess(args, { port });
      registries.push(registry);
      return registry;
    },
    async close() {
      await client.close();
      for (const pod of pods) await pod.cleanup();
      for (const registry of registries) await registry.kill();
    },
  };
}

Deno.test("lifecycle: start, ready, registered; crash and restart; traffic off; notify", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lifecycle_" });
  const s = scope();
  try {
    const registry = await s.registry(["--store", `sqlite:${join(dir, "r.db")}`]);
    const pod = await s.pod({ name: "pod-a", podIp: "127.0.0.2", locator: registry.locator });

    await t.step("the pod turns ready and its endpoint is active in the registry", async () => {
      await pod.waitReady(READY_MS);
      const endpoint = await helloEndpoint(pod);
      assert.match(endpoint, /^127\.0\.0\.2:\d+$/);
      await eventually(5000, "active in the registry", async () => {
        const view = await lookup(s.client, registry.locator);
        return view.active.includes(endpoint) && view.inactive.length === 0;
      });
    });

    await t.step("a client finds the service through the registry and calls it", async () => {
      const client = new TarsClient({ locator: registry.locator, log: () => {} });
      try {
        const answer = await client.proxy(HelloF, HELLO_OBJ).sayHello({ name: "e2e" });
        assert.deepEqual(answer, { ret: 0, greeting: "Hello e2e, from pod-a" });
      } finally {
        await client.close();
      }
    });

    await t.step(
      "tarscli notify reaches the service's AdminObj on its local endpoint",
      async () => {
        const status = await pod.exec(["notify", "tars.viewstatus"]);
        assert.equal(status.code, 0, status.stderr);
        assert.match(status.stdout, /^app: TestApp\.Hello\npid: \d+\n/);
        const level = await pod.exec(["notify", "tars.setloglevel", "WARN"]);
        assert.equal(level.stdout, "log level set to WARN");
      },
    );

    await t.step("a crashed service is restarted and the pod is ready again", async () => {
      const admin = s.client.proxy(AdminF, `${ADMIN_OBJ}@${(await info(pod)).local}`);
      const before = Number((await admin.getPid({})).ret);
      assert.equal(before, await servicePid(pod.tarsPath));
      Deno.kill(before, "SIGKILL");
      await eventually(READY_MS, "restart logged", async () => {
        const log = await supervisorLog(pod);
        return log.some((l) => /service exited: killed by SIGKILL/.test(l)) &&
          log.some((l) => /restarting the service \(restart 1\)/.test(l));
      });
      await eventually(READY_MS, "a new service process answers", async () => {
        const pid = await admin.getPid({}).then((r) => Number(r.ret), () => 0);
        return pid !== 0 && pid !== before;
      });
      await eventually(READY_MS, "active again", async () => {
        const log = await supervisorLog(pod);
        const exit = log.findIndex((l) => /service exited/.test(l));
        return log.slice(exit).some((l) => /state inactive -> active/.test(l));
      });
      const log = await supervisorLog(pod);
      const exit = log.findIndex((l) => /service exited/.test(l));
      assert.ok(
        log.slice(exit).some((l) => /state active -> inactive/.test(l)),
        "the state went inactive when the service died",
      );
      await pod.waitReady(READY_MS);
      // The tail of log/start.log went to the container's stdout when the service died.
      assert.ok(
        pod.supervisor.stdout.some((l) => /HelloObj on tcp -h 127\.0\.0\.2 /.test(l)),
        pod.supervisor.lines.join("\n"),
      );
    });

    await t.step("TARS_DISABLE_FLOW: registered and ready, but answered as inactive", async () => {
      const off = await s.pod({
        name: "pod-off",
        podIp: "127.0.0.4",
        locator: registry.locator,
        env: { TARS_DISABLE_FLOW: "1" },
      });
      await off.waitReady(READY_MS);
      const endpoint = await helloEndpoint(off);
      await eventually(5000, "inactive in the registry", async () => {
        const view = await lookup(s.client, registry.locator);
        return view.inactive.includes(endpoint);
      });
      const view = await lookup(s.client, registry.locator);
      assert.ok(!view.active.includes(endpoint), JSON.stringify(view));
      assert.deepEqual(view.active, [await helloEndpoint(pod)]);
    });

    await t.step("deleting the pod: preStop, SIGTERM, exit 0, gone from the registry", async () => {
      const endpoint = await helloEndpoint(pod);
      const end = await pod.terminate();
      assert.equal(end.prestop.code, 0, end.prestop.stderr);
      assert.match(end.prestop.stdout, /prestop: done/);
      assert.equal(end.killed, false);
      assert.equal(end.status.code, 0);
      const view = await lookup(s.client, registry.locator);
      assert.ok(!view.active.includes(endpoint) && !view.inactive.includes(endpoint));
      const log = await supervisorLog(pod);
      assert.ok(log.some((l) => /prestop had already run/.test(l)), log.join("\n"));
      assert.ok(log.some((l) => /AdminF\.shutdown sent/.test(l)));
    });
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lifecycle: the registry down at start, and down later", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lifecycle_" });
  const s = scope();
  try {
    const port = freePort();
    const locator = `tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p ${port}`;
    const pod = await s.pod({
      name: "pod-r",
      podIp: "127.0.0.5",
      locator,
      env: { TARS_REPORT_INTERVAL: "1s" },
    });

    await t.step("no registry: the pod waits, not ready, saying why", async () => {
      await eventually(READY_MS, "failed registrations", async () => {
        const log = await supervisorLog(pod);
        return log.filter((l) => /onStartup failed: .*retrying/.test(l)).length >= 2;
      });
      assert.equal(pod.ready, false);
      assert.ok(pod.probes.length > 0 && pod.probes.every((p) => !p.ok));
      // The state file stays fresh while the pod waits, and the probe says what it waits for.
      assert.match(
        pod.probes.at(-1)!.reason,
        /^not ready: activating \(waiting for the registry: /,
      );
      assert.ok(!pod.probes.some((p) => /not alive/.test(p.reason)), JSON.stringify(pod.probes));
      assert.equal(await servicePid(pod.tarsPath), 0, "the service waits for the registration");
    });

    let registry = await s.registry(["--store", `sqlite:${join(dir, "first.db")}`], port);
    await t.step("the registry comes up: the pod registers and turns ready", async () => {
      await pod.waitReady(READY_MS);
      const endpoint = await helloEndpoint(pod);
      await eventually(5000, "active in the registry", async () => {
        return (await lookup(s.client, registry.locator)).active.includes(endpoint);
      });
    });

    await t.step("the registry dies: the pod stays ready", async () => {
      await registry.kill();
      const since = Date.now();
      await eventually(10_000, "failed heartbeats", async () => {
        const log = await supervisorLog(pod);
        return log.some((l) => /registry: keepAlive active failed/.test(l));
      });
      await delay(2500);
      const after = pod.probes.filter((p) => p.at >= since);
      assert.ok(after.length >= 3, `${after.length} probes`);
      assert.ok(after.every((p) => p.ok), JSON.stringify(after.filter((p) => !p.ok)));
    });

    await t.step("a new registry with an empty store: the pod registers again", async () => {
      registry = await s.registry(["--store", `sqlite:${join(dir, "second.db")}`], port);
      const endpoint = await helloEndpoint(pod);
      await eventually(10_000, "active in the new registry", async () => {
        return (await lookup(s.client, registry.locator)).active.includes(endpoint);
      });
      assert.ok(pod.ready);
      // The supervisor logs the call after the registry answered it: the line may come later.
      await eventually(5000, "the new registration in supervisor.log", async () => {
        const log = await supervisorLog(pod);
        return log.some((l) => /registry: onStartup TestApp\.Hello on 127\.0\.0\.5 active/.test(l));
      });
    });
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lifecycle: a registry rebuilt on an empty store between two heartbeats has the pod back within one report interval", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lifecycle_" });
  const s = scope();
  try {
    const port = freePort();
    const reportInterval = 6000;
    let registry = await s.registry(["--store", `sqlite:${join(dir, "first.db")}`], port);
    const pod = await s.pod({
      name: "pod-e",
      podIp: "127.0.0.6",
      locator: registry.locator,
      env: { TARS_REPORT_INTERVAL: `${reportInterval}ms`, TARS_CHECK_INTERVAL: "200ms" },
    });
    await pod.waitReady(READY_MS);
    const endpoint = await helloEndpoint(pod);
    await eventually(5000, "active in the registry", async () => {
      return (await lookup(s.client, registry.locator)).active.includes(endpoint);
    });
    const heartbeats = async (r: RegistryProcess) => {
      const text = await (await fetch(`http://127.0.0.1:${r.metricsPort}/metrics`)).text();
      return Number(
        /^tarsregistry_calls_total\{method="keepAlive",kind="heartbeat"\} (\d+)$/m
          .exec(text)?.[1] ?? 0,
      );
    };

    await t.step("replaced right after a heartbeat, so no heartbeat fails", async () => {
      const seen = await heartbeats(registry);
      await eventually(2 * reportInterval, "the pod's next heartbeat", async () => {
        return await heartbeats(registry) > seen;
      }, { interval: 20 });
      await registry.kill();
      registry = await s.registry(["--store", `sqlite:${join(dir, "second.db")}`], port);
    });

    await t.step(
      "its next heartbeat is answered 'not registered': it registers at once",
      async () => {
        const ms = await eventually(
          reportInterval + 2000,
          "active in the new registry",
          async () => {
            return (await lookup(s.client, registry.locator)).active.includes(endpoint);
          },
        );
        assert.ok(ms <= reportInterval + 2000, `${ms} ms`);
        await eventually(5000, "the reason in supervisor.log", async () => {
          const log = await supervisorLog(pod);
          return log.some((l) =>
            /the registry does not know this pod.*registering again with onStartup/.test(l)
          );
        });
        const log = await supervisorLog(pod);
        assert.ok(!log.some((l) => /registry: keepAlive active failed/.test(l)), log.join("\n"));
        assert.ok(pod.ready);
      },
    );
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("lifecycle: a rolling replacement loses no calls", async () => {
  const dir = await Deno.makeTempDir({ prefix: "lifecycle_" });
  const s = scope();
  const stop = new AbortController();
  let load: ReturnType<typeof callContinuously> | undefined;
  try {
    const registry = await s.registry(["--store", `sqlite:${join(dir, "r.db")}`]);
    const env = { TARS_PRESTOP_WAITTIME: "2s" };
    const old = await s.pod({
      name: "pod-old",
      podIp: "127.0.0.6",
      locator: registry.locator,
      env,
    });
    await old.waitReady(READY_MS);
    await eventually(5000, "old pod active", async () => {
      return (await lookup(s.client, registry.locator)).active.length === 1;
    });

    load = callContinuously(registry.locator, { workers: 8, stop: stop.signal });
    await eventually(5000, "calls answered by the old pod", () => {
      return (load!.answeredBy.get("pod-old") ?? 0) > 50;
    });

    // The Deployment's new pod starts; once it is ready, the old one is deleted.
    const fresh = await s.pod({
      name: "pod-new",
      podIp: "127.0.0.7",
      locator: registry.locator,
      env,
    });
    await fresh.waitReady(READY_MS);
    await eventually(5000, "calls answered by the new pod", () => {
      return (load!.answeredBy.get("pod-new") ?? 0) > 50;
    });
    const end = await old.terminate();
    const oldAnswers = load.answeredBy.get("pod-old") ?? 0;
    await delay(1000);
    stop.abort();
    const result = await load.done;

    assert.deepEqual(result.failures, [], `${result.failures.length} of ${result.calls} failed`);
    assert.equal(end.status.code, 0);
    assert.equal(end.killed, false);
    assert.equal(result.answeredBy.get("pod-old"), oldAnswers, "no answer from the old pod after");
    assert.ok((result.answeredBy.get("pod-new") ?? 0) > 100);
    assert.deepEqual((await lookup(s.client, registry.locator)).active, [
      await helloEndpoint(fresh),
    ]);
    console.log(
      `rolling replacement: ${result.calls} calls, ${result.failures.length} failed; ` +
        `old pod answered ${oldAnswers}, new pod ${result.answeredBy.get("pod-new")}; ` +
        `preStop ${end.prestop.ms} ms, SIGTERM to exit ${end.stopMs} ms`,
    );
  } finally {
    stop.abort();
    await load?.done;
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

/** Zombie children of `pid`, from the host's /proc. */
async function zombiesOf(pid: number): Promise<number[]> {
  const zombies: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`).catch(() => "");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (fields[0] === "Z" && Number(fields[1]) === pid) zombies.push(Number(entry.name));
  }
  return zombies;
}

const PID1_TEST = "lifecycle: as PID 1 of its own PID namespace (unshare)";
const pid1Missing = rootMissing(Deno.uid(), "unshare --pid --mount-proc");
Deno.test(PID1_TEST, { ignore: skipWhen(PID1_TEST, pid1Missing) }, async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "lifecycle_" });
  const s = scope();
  try {
    const registry = await s.registry(["--store", `sqlite:${join(dir, "r.db")}`]);
    // The start script leaves orphans behind: each `sleep` loses its parent at once, so the
    // kernel hands it to PID 1, and it turns into a zombie of PID 1 when it ends.
    const start = [
      "#!/bin/sh",
      "for i in 1 2 3; do sh -c 'sleep 0.3 &'; done",
      'exec sh "$(dirname "$0")/start.sh"',
    ].join("\n");
    const pod = await s.pod({
      name: "pod-pid1",
      podIp: "127.0.0.8",
      locator: registry.locator,
      pid1: true,
      extraFiles: { "start_orphans.sh": start },
      start: "start_orphans.sh",
    });

    await t.step("the supervisor is PID 1 of its namespace and the pod turns ready", async () => {
      await pod.waitReady(READY_MS);
      const status = await Deno.readTextFile(`/proc/${await pod.supervisorPid()}/status`);
      assert.match(status, /^NSpid:\s+\d+\s+1$/m);
    });

    await t.step("orphaned zombies are reaped", async () => {
      await eventually(10_000, "three orphans reaped", () => {
        return pod.supervisor.lines.filter((l) => /Reaped orphaned zombie \d+ \(sleep\)/.test(l))
          .length === 3;
      });
      assert.deepEqual(await zombiesOf(await pod.supervisorPid()), []);
    });

    await t.step(
      "SIGTERM to PID 1: prestop already done, the service stopped, exit 0",
      async () => {
        const end = await pod.terminate();
        assert.equal(end.prestop.code, 0, end.prestop.stderr);
        assert.equal(end.killed, false, pod.supervisor.lines.join("\n"));
        assert.equal(end.status.code, 0);
        assert.ok(pod.supervisor.lines.some((l) => /supervisor exits/.test(l)));
      },
    );
  } finally {
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});
