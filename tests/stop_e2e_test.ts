/**
 * The supervisor's stop budget and the ports it registers, end to end: a real registry, pods of
 * the example service under the kubelet stand-in, and SIGTERM sent straight to the supervisor
 * (no preStop hook, so the supervisor runs the whole stop itself) at start-up, during
 * registration, during a slow check round, with a service that ignores SIGTERM and keeps its
 * ports, and with one that never became active. Each must exit 0 within TARS_PRESTOP_WAITTIME +
 * TARS_STOP_GRACE + 2 s, and act on the signal within 100 ms. Then a merge file that moves an
 * endpoint and adds an adapter, with the pod registered and ready (through the HTTP probe) on the
 * merged ports.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TarsClient } from "../protocol/client.ts";
import { QueryF } from "../protocol/interfaces/query_f.ts";
import { HELLO_OBJ, HelloF } from "../examples/simple/hello_f.ts";
import {
  type Pod,
  type PodOptions,
  type RegistryProcess,
  startPod,
  startRegistryProcess,
} from "../local/mod.ts";
import { delay } from "../lib/timers.ts";
import { eventually } from "./support/eventually.ts";
import { freePort } from "./support/free_port.ts";

const READY_MS = 30_000;
const WAIT_MS = 1000;
const GRACE_MS = 2000;
/** TARS_PRESTOP_WAITTIME + TARS_STOP_GRACE + 2 s. */
const BUDGET_MS = WAIT_MS + GRACE_MS + 2000;
/** How soon a SIGTERM must be acted on. */
const ACT_MS = 100;
const STOP_ENV = { TARS_PRESTOP_WAITTIME: `${WAIT_MS}ms`, TARS_STOP_GRACE: `${GRACE_MS}ms` };

/** The lines of the pod's log/supervisor.log. */
async function supervisorLog(pod: Pod): Promise<string[]> {
  const text = await Deno.readTextFile(join(pod.tarsPath, "log", "supervisor.log")).catch(() => "");
  return text.split("\n");
}

/** Pods and a registry for one test, all stopped at its end. */
function scope() {
  const pods: Pod[] = [];
  let registry: RegistryProcess | undefined;
  let dir: string | undefined;
  return {
    async registry(): Promise<RegistryProcess> {
      dir = await Deno.makeTempDir({ prefix: "stop_e2e_" });
      registry = await startRegistryProcess(["--store", `sqlite:${join(dir, "r.db")}`]);
      return registry;
    },
    async pod(options: PodOptions): Promise<Pod> {
      const pod = await startPod(options);
      pods.push(pod);
      return pod;
    },
    async close() {
      for (const pod of pods) await pod.cleanup();
      await registry?.kill();
      if (dir) await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Whether process `pid` has a handler for SIGTERM (bit 15 of SigCgt in its status). */
async function catchesSigterm(pid: number): Promise<boolean> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const mask = /^SigCgt:\s+([0-9a-f]+)$/m.exec(status)?.[1] ?? "0";
  return (BigInt(`0x${mask}`) & (1n << 14n)) !== 0n;
}

/**
 * SIGTERM to the supervisor (no preStop hook): checks exit 0 within the budget and that the
 * supervisor logged the stop request within {@linkcode ACT_MS}; returns the ms to exit.
 */
async function sigterm(pod: Pod, budget = BUDGET_MS): Promise<number> {
  const sentAt = Date.now();
  const end = await pod.terminate({ preStop: false });
  console.log(`${pod.name}: SIGTERM to exit ${end.stopMs} ms (budget ${budget} ms)`);
  const output = pod.supervisor.lines.join("\n");
  assert.equal(end.killed, false, `SIGKILLed by the kubelet after ${end.stopMs} ms:\n${output}`);
  assert.equal(end.status.code, 0, output);
  assert.ok(
    end.stopMs <= budget,
    `SIGTERM to exit took ${end.stopMs} ms, over the budget of ${budget} ms:\n${output}`,
  );
  const line = (await supervisorLog(pod)).find((l) => /SIGTERM: stop/.test(l));
  if (line) {
    const actedAt = Date.parse(line.slice(0, line.indexOf(" ")));
    assert.ok(
      actedAt - sentAt <= ACT_MS,
      `SIGTERM acted on ${actedAt - sentAt} ms after it was sent (at most ${ACT_MS}):\n${line}`,
    );
  }
  return end.stopMs;
}

Deno.test("stop budget: SIGTERM in every phase", async (t) => {
  const s = scope();
  try {
    const registry = await s.registry();

    await t.step(`SIGTERM 150 ms after start: exit 0 within ${BUDGET_MS} ms`, async () => {
      const pod = await s.pod({
        name: "pod-early",
        podIp: "127.0.0.31",
        locator: registry.locator,
        env: STOP_ENV,
      });
      const started = Date.now();
      await delay(150);
      // Before its first line of JavaScript runs no program can catch a signal: on a loaded
      // machine Deno's own start may take longer than 150 ms, and the SIGTERM waits for the
      // listener (the supervisor installs it before loading the rest of its modules).
      await eventually(5000, "the SIGTERM listener", () => catchesSigterm(pod.supervisor.pid));
      console.log(`pod-early: SIGTERM ${Date.now() - started} ms after start`);
      const ms = await sigterm(pod);
      assert.ok(ms <= 2000, `${ms} ms: nothing had started, nothing to wait for`);
    });

    await t.step("SIGTERM during registration: no drain wait, exit 0 within 2 s", async () => {
      const pod = await s.pod({
        name: "pod-unregistered",
        podIp: "127.0.0.32",
        locator: `tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p ${freePort()}`,
        env: { ...STOP_ENV, TARS_PRESTOP_WAITTIME: "30s" },
      });
      await eventually(READY_MS, "a failed registration", async () => {
        return (await supervisorLog(pod)).some((l) => /onStartup failed/.test(l));
      });
      const ms = await sigterm(pod, 30_000 + GRACE_MS + 2000);
      assert.ok(ms <= 2000, `${ms} ms: a pod that never served skips the 30 s drain`);
      const log = await supervisorLog(pod);
      assert.ok(log.some((l) => /never active: no drain wait/.test(l)), log.join("\n"));
    });

    await t.step(
      `SIGTERM during a check round with a slow before-check script: within ${BUDGET_MS} ms`,
      async () => {
        const pod = await s.pod({
          name: "pod-slow-check",
          podIp: "127.0.0.33",
          locator: registry.locator,
          env: {
            ...STOP_ENV,
            TARS_BEFORE_CHECK_SCRIPT: "sleep 2",
            TARS_CHECK_SCRIPT_TIMEOUT: "10s",
          },
        });
        await pod.waitReady(READY_MS);
        // The next round starts 300 ms after the last one ended and sleeps 2 s in the script.
        await delay(1000);
        await sigterm(pod);
        const log = await supervisorLog(pod);
        assert.ok(log.some((l) => /AdminF\.shutdown sent/.test(l)), log.join("\n"));
      },
    );

    await t.step(
      `a service that ignores SIGTERM and keeps its ports: SIGKILL at the grace, within ${BUDGET_MS} ms`,
      async () => {
        // Listens on every endpoint of its config, closes each connection, ignores SIGTERM.
        const service = [
          'process.on("SIGTERM", () => {});',
          'const conf = require("fs").readFileSync(process.env.TARS_PATH + "/conf/Hello.conf", "utf8");',
          "for (const m of conf.matchAll(/(?:endpoint|local)=tcp -h (\\S+) -p (\\d+)/g)) {",
          '  require("net").createServer((c) => c.destroy()).listen(Number(m[2]), m[1]);',
          "}",
        ].join("\n");
        const start = `#!/bin/sh\nexec node "$(dirname "$0")/stubborn.cjs"\n`;
        const pod = await s.pod({
          name: "pod-stubborn",
          podIp: "127.0.0.34",
          locator: registry.locator,
          env: STOP_ENV,
          extraFiles: { "start_stubborn.sh": start, "stubborn.cjs": service },
          start: "start_stubborn.sh",
        });
        await pod.waitReady(READY_MS);
        const ms = await sigterm(pod);
        assert.ok(ms >= WAIT_MS + GRACE_MS, `${ms} ms: it waited out the drain and the grace`);
        const log = await supervisorLog(pod);
        assert.ok(log.some((l) => /service exited: killed by SIGKILL/.test(l)), log.join("\n"));
      },
    );

    await t.step("a service that never became active: no drain wait, exit within 2 s", async () => {
      const pod = await s.pod({
        name: "pod-never-active",
        podIp: "127.0.0.35",
        locator: registry.locator,
        env: { ...STOP_ENV, TARS_PRESTOP_WAITTIME: "30s" },
        extraFiles: { "start_silent.sh": "#!/bin/sh\nexec sleep 600\n" },
        start: "start_silent.sh",
      });
      await eventually(READY_MS, "the service started", async () => {
        return (await supervisorLog(pod)).some((l) => /service started/.test(l));
      });
      await delay(500);
      const ms = await sigterm(pod, 30_000 + GRACE_MS + 2000);
      assert.ok(ms <= 2000, `${ms} ms: a service that never served skips the 30 s drain`);
      const log = await supervisorLog(pod);
      assert.ok(log.some((l) => /registry: onPrestop sent/.test(l)), log.join("\n"));
    });
  } finally {
    await s.close();
  }
});

Deno.test("merged ports: registered, checked and ready through GET /ready", async () => {
  const s = scope();
  const dir = await Deno.makeTempDir({ prefix: "stop_e2e_merge_" });
  const client = new TarsClient({ timeout: 3000, log: () => {} });
  try {
    const registry = await s.registry();
    const [moved, added] = [freePort(), freePort()];
    const podIp = "127.0.0.36";
    const merge = join(dir, "merge.conf");
    await Deno.writeTextFile(
      merge,
      [
        "<tars>",
        "  <application>",
        "    <server>",
        "      <TestApp.Hello.HelloObjAdapter>",
        `        endpoint=tcp -h ${podIp} -p ${moved} -t 30000`,
        "      </TestApp.Hello.HelloObjAdapter>",
        "      <TestApp.Hello.HelloAgainObjAdapter>",
        `        endpoint=tcp -h ${podIp} -p ${added} -t 30000`,
        "        servant=TestApp.Hello.HelloAgainObj",
        "      </TestApp.Hello.HelloAgainObjAdapter>",
        "    </server>",
        "  </application>",
        "</tars>",
      ].join("\n"),
    );
    const probePort = freePort();
    const pod = await s.pod({
      name: "pod-merged",
      podIp,
      locator: registry.locator,
      env: { ...STOP_ENV, TARS_MERGE_CONF: merge },
      httpProbePort: probePort,
    });
    await pod.waitReady(READY_MS);
    assert.ok(
      pod.probes.some((p) => !p.ok && /^503 not ready: /.test(p.reason)),
      JSON.stringify(pod.probes.slice(0, 5)),
    );
    const ready = await fetch(`http://${podIp}:${probePort}/ready`);
    assert.deepEqual([ready.status, await ready.text()], [200, "ready\n"]);

    // The adapter only the merge file has is registered and checked like HelloObj (the
    // example's framework listens on every adapter of its config).
    for (const [servant, port] of [[HELLO_OBJ, moved], ["TestApp.Hello.HelloAgainObj", added]]) {
      await eventually(5000, `${servant} active on ${port}`, async () => {
        const answer = await client.proxy(QueryF, registry.locator).findObjectById4Any({
          id: String(servant),
        });
        return answer.activeEp.map((e) => `${e.host}:${e.port}`).join() === `${podIp}:${port}`;
      });
    }
    const caller = new TarsClient({ locator: registry.locator, log: () => {} });
    try {
      const { greeting } = await caller.proxy(HelloF, HELLO_OBJ).sayHello({ name: "m" });
      assert.equal(greeting, "Hello m, from pod-merged");
    } finally {
      await caller.close();
    }

    const end = await pod.terminate();
    assert.equal(end.status.code, 0);
    assert.ok(end.stopMs <= GRACE_MS + 2000, `${end.stopMs} ms after the preStop hook`);
  } finally {
    await client.close();
    await s.close();
    await Deno.remove(dir, { recursive: true });
  }
});
