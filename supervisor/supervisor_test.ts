import assert from "node:assert/strict";
import { join } from "node:path";
import type {
  KeepAliveReqValue,
  OnPrestopReqValue,
  OnStartupReqValue,
} from "../protocol/interfaces/registry_f.ts";
import type { RunningService, ServiceExit } from "./service_process.ts";
import { type LifecycleSettings, readSettings } from "../lib/settings.ts";
import { readStateFile, stateFilePath } from "./state_file.ts";
import { runSupervisor, type SupervisorDeps } from "./supervisor.ts";
import { NotRegisteredError } from "./registry_link.ts";
import { eventually } from "../tests/support/eventually.ts";
import { fakeServerInfo } from "../tests/support/server_info.ts";

interface FakeService extends RunningService {
  exit(exit?: ServiceExit): void;
  readonly stopped: boolean;
}

function fakeService(pid: number): FakeService {
  let resolve!: (exit: ServiceExit) => void;
  const exited = new Promise<ServiceExit>((r) => resolve = r);
  let stopped = false;
  return {
    pid,
    exited,
    logClosed: exited.then(() => undefined),
    signal() {},
    stop() {
      stopped = true;
      resolve({ code: 0, signal: "SIGTERM" });
      return exited;
    },
    exit(exit = { code: 1, signal: null }) {
      resolve(exit);
    },
    get stopped() {
      return stopped;
    },
  };
}

interface Harness {
  readonly deps: SupervisorDeps;
  readonly settings: LifecycleSettings;
  readonly tarsPath: string;
  readonly calls: string[];
  /** The pid each registry call carried: `onStartup 0`, `keepAlive 1000`. */
  readonly pids: string[];
  readonly services: FakeService[];
  readonly reports: string[];
  readonly lines: string[];
  registryUp: boolean;
  endpointsUp: boolean;
  /** The registry answers heartbeats "not registered" until the pod registers again. */
  forgotPod: boolean;
}

async function harness(env: Record<string, string> = {}): Promise<Harness> {
  const tarsPath = await Deno.makeTempDir({ prefix: "supervisor_test_" });
  const settings = readSettings(
    {
      TARS_PATH: tarsPath,
      TARS_CHECK_INTERVAL: "20ms",
      TARS_REPORT_INTERVAL: "1s",
      TARS_PRESTOP_WAITTIME: "0s",
      ...env,
    },
    "supervisor",
    { cwd: "/" },
  );
  const info = fakeServerInfo(tarsPath);
  const h: Harness = {
    tarsPath,
    settings,
    calls: [],
    pids: [],
    services: [],
    reports: [],
    lines: [],
    registryUp: true,
    endpointsUp: true,
    forgotPod: false,
    deps: undefined as unknown as SupervisorDeps,
  };
  const registry = (name: string) => {
    if (!h.registryUp) throw new Error("connection refused");
    h.calls.push(name);
  };
  (h as { deps: SupervisorDeps }).deps = {
    info,
    settings,
    link: {
      onStartup: (req: OnStartupReqValue) => {
        registry(`onStartup ${req.State} ${req.disableFlow}`);
        h.pids.push(`onStartup ${req.processId}`);
        h.forgotPod = false;
        return Promise.resolve();
      },
      keepAlive: (req: KeepAliveReqValue) => {
        registry(`keepAlive ${req.state}${h.forgotPod ? " (not registered)" : ""}`);
        h.pids.push(`keepAlive ${req.processId}`);
        if (!h.forgotPod) return Promise.resolve();
        return Promise.reject(new NotRegisteredError("Registry keepAlive: not registered"));
      },
      onPrestop: (_req: OnPrestopReqValue) => Promise.resolve(registry("onPrestop")),
    },
    reporter: {
      report: (level, message) => {
        h.reports.push(`${level} ${message}`);
        return Promise.resolve();
      },
    },
    admin: {
      notify: (command) => {
        h.calls.push(`notify ${command}`);
        return Promise.resolve("ok");
      },
      shutdown: () => {
        h.calls.push("shutdown");
        return Promise.resolve();
      },
    },
    startService: () => {
      const service = fakeService(1000 + h.services.length);
      h.services.push(service);
      return service;
    },
    checkEndpoints: () =>
      Promise.resolve(h.endpointsUp ? { ok: true } : { ok: false, failure: "refused" }),
    isListening: () => Promise.resolve(false),
    startLogTail: () => Promise.resolve(["last line of start.log"]),
    log: (line) => h.lines.push(line),
    out: (line) => h.lines.push(`out: ${line}`),
  };
  return h;
}

/** Waits (at most 5 s) until `test` holds. */
function until(what: string, test: () => boolean | Promise<boolean>): Promise<number> {
  return eventually(5000, what, test, { interval: 10 });
}

async function stateOf(h: Harness): Promise<string | undefined> {
  return (await readStateFile(stateFilePath(h.tarsPath)))?.state;
}

Deno.test("runSupervisor", async (t) => {
  await t.step("registers, starts, reports active, and stops through prestop", async () => {
    const h = await harness();
    const stop = new AbortController();
    const running = runSupervisor(h.deps, { stop: stop.signal });
    await until("active", async () => (await stateOf(h)) === "active");
    await until("keepAlive active", () => h.calls.includes("keepAlive active"));
    assert.equal(h.calls[0], "onStartup activating false");
    assert.equal(h.services.length, 1);
    stop.abort();
    await running;
    assert.deepEqual(h.calls.slice(h.calls.indexOf("keepAlive active") + 1), [
      "keepAlive deactivating",
      "notify prestop",
      "onPrestop",
      "shutdown",
    ]);
    assert.ok(h.services[0].stopped);
    assert.equal(await stateOf(h), "deactivating");
  });

  await t.step("reports the service's pid: 0 before it starts, then its own", async () => {
    const h = await harness();
    const stop = new AbortController();
    const running = runSupervisor(h.deps, { stop: stop.signal });
    await until("keepAlive active", () => h.calls.includes("keepAlive active"));
    stop.abort();
    await running;
    assert.deepEqual(h.pids.slice(0, 2), ["onStartup 0", "keepAlive 1000"]);
    // The prestop heartbeat does not know the pid (tarscli prestop runs it too): -1 keeps it.
    assert.deepEqual(h.pids.at(-1), "keepAlive -1");
  });

  await t.step("waits for the registry before starting the service", async () => {
    const h = await harness();
    h.registryUp = false;
    const stop = new AbortController();
    const running = runSupervisor(h.deps, { stop: stop.signal, registerRetryDelay: 20 });
    await until("retries logged", () => h.lines.filter((l) => l.includes("retrying")).length >= 2);
    assert.equal(h.services.length, 0);
    assert.equal(await stateOf(h), "activating");
    h.registryUp = true;
    await until("active", async () => (await stateOf(h)) === "active");
    stop.abort();
    await running;
  });

  await t.step("keeps writing the state file while the registry is down", async () => {
    const h = await harness();
    const stop = new AbortController();
    const running = runSupervisor(h.deps, { stop: stop.signal });
    await until("active", async () => (await stateOf(h)) === "active");
    h.registryUp = false;
    const before = (await readStateFile(stateFilePath(h.tarsPath)))!.writtenAt;
    await until(
      "a newer state file",
      async () => (await readStateFile(stateFilePath(h.tarsPath)))!.writtenAt > before,
    );
    assert.equal(await stateOf(h), "active");
    h.registryUp = true;
    stop.abort();
    await running;
  });

  await t.step("after a failed heartbeat the next contact registers the pod again", async () => {
    const h = await harness({ TARS_REPORT_INTERVAL: "40ms" });
    const stop = new AbortController();
    const running = runSupervisor(h.deps, { stop: stop.signal });
    await until("keepAlive active", () => h.calls.includes("keepAlive active"));
    h.registryUp = false;
    await until("a failed keepAlive", () => h.lines.some((l) => /keepAlive active failed/.test(l)));
    await until("a failed onStartup", () => h.lines.some((l) => /onStartup active failed/.test(l)));
    h.registryUp = true;
    await until("registered again", () => h.calls.includes("onStartup active false"));
    const again = h.calls.indexOf("onStartup active false");
    await until("heartbeats after it", () => h.calls.slice(again).includes("keepAlive active"));
    stop.abort();
    await running;
  });

  await t.step("a heartbeat answered 'not registered' registers the pod at once", async () => {
    // A report interval far longer than the test: only the answer can cause the registration.
    const h = await harness({ TARS_REPORT_INTERVAL: "1h" });
    const stop = new AbortController();
    const running = runSupervisor(h.deps, { stop: stop.signal });
    await until("keepAlive active", () => h.calls.includes("keepAlive active"));
    h.forgotPod = true;
    h.endpointsUp = false;
    await until("registered again", () => h.calls.includes("onStartup inactive false"));
    const answered = h.calls.indexOf("keepAlive inactive (not registered)");
    assert.ok(answered > 0, h.calls.join(", "));
    // The very next call, with the present state; no failure, no wait for a report interval.
    assert.equal(h.calls[answered + 1], "onStartup inactive false");
    assert.ok(h.lines.some((l) => /it does not know this pod; registering it again/.test(l)));
    assert.ok(!h.lines.some((l) => /failed/.test(l)), h.lines.join("\n"));
    stop.abort();
    await running;
  });

  await t.step("once prestop ran, a 'not registered' answer registers nothing", async () => {
    const h = await harness({ TARS_REPORT_INTERVAL: "40ms" });
    const stop = new AbortController();
    const running = runSupervisor(h.deps, { stop: stop.signal });
    await until("keepAlive active", () => h.calls.includes("keepAlive active"));
    await Deno.writeTextFile(join(h.tarsPath, "data", "prestop"), "");
    await until("keepAlive deactivating", () => h.calls.includes("keepAlive deactivating"));
    h.forgotPod = true;
    const from = h.calls.length;
    await until(
      "two answered heartbeats",
      () => h.calls.slice(from).filter((c) => /not registered/.test(c)).length >= 2,
    );
    assert.ok(!h.calls.slice(from).some((c) => c.startsWith("onStartup")), h.calls.join(", "));
    h.forgotPod = false;
    stop.abort();
    await running;
  });

  await t.step("once prestop ran, a failed heartbeat does not register the pod again", async () => {
    const h = await harness({ TARS_REPORT_INTERVAL: "40ms" });
    const stop = new AbortController();
    const running = runSupervisor(h.deps, { stop: stop.signal });
    await until("keepAlive active", () => h.calls.includes("keepAlive active"));
    await Deno.writeTextFile(join(h.tarsPath, "data", "prestop"), "");
    await until("keepAlive deactivating", () => h.calls.includes("keepAlive deactivating"));
    h.registryUp = false;
    await until(
      "a failed keepAlive",
      () => h.lines.some((l) => /keepAlive deactivating failed/.test(l)),
    );
    h.registryUp = true;
    const from = h.calls.length;
    await until("heartbeats again", () => h.calls.slice(from).includes("keepAlive deactivating"));
    assert.ok(!h.calls.slice(from).some((c) => c.startsWith("onStartup")), h.calls.join(", "));
    stop.abort();
    await running;
  });

  await t.step("restarts at once, then with a back-off, and reports each down", async () => {
    const h = await harness();
    const stop = new AbortController();
    const running = runSupervisor(h.deps, {
      stop: stop.signal,
      restartDelay: 300,
      stableAfter: 60_000,
    });
    await until("active", async () => (await stateOf(h)) === "active");
    h.services[0].exit();
    await until("second start", () => h.services.length === 2);
    assert.ok(h.calls.includes("keepAlive inactive"));
    assert.ok(h.reports.some((r) => r.startsWith("warn [warn] server down")));
    assert.ok(h.lines.includes("out: last line of start.log"));
    const exitedAt = Date.now();
    h.services[1].exit();
    await until("third start", () => h.services.length === 3);
    assert.ok(Date.now() - exitedAt >= 250, "the second restart waits for the back-off");
    assert.equal(h.reports.filter((r) => r.includes("restart")).length, 2);
    stop.abort();
    await running;
  });

  await t.step(
    "an exit after TARS_ACTIVATING_TIMEOUT without being active is an [alarm]",
    async () => {
      const h = await harness({ TARS_ACTIVATING_TIMEOUT: "100ms" });
      h.endpointsUp = false;
      const stop = new AbortController();
      const running = runSupervisor(h.deps, { stop: stop.signal });
      await until("inactive", async () => (await stateOf(h)) === "inactive");
      h.services[0].exit();
      await until("a report", () => h.reports.length > 0);
      assert.equal(h.reports[0], "error [alarm] down, server is inactive");
      stop.abort();
      await running;
    },
  );

  await t.step("data/stop suspends restarts", async () => {
    const h = await harness();
    const stop = new AbortController();
    const running = runSupervisor(h.deps, { stop: stop.signal });
    await until("active", async () => (await stateOf(h)) === "active");
    await Deno.writeTextFile(join(h.tarsPath, "data", "stop"), "");
    h.services[0].exit();
    await until("inactive", async () => (await stateOf(h)) === "inactive");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(h.services.length, 1);
    await Deno.remove(join(h.tarsPath, "data", "stop"));
    await until("restart", () => h.services.length === 2);
    stop.abort();
    await running;
  });

  await t.step("failing checks keep activating, then inactive after the timeout", async () => {
    const h = await harness({ TARS_ACTIVATING_TIMEOUT: "150ms" });
    h.endpointsUp = false;
    const stop = new AbortController();
    const running = runSupervisor(h.deps, { stop: stop.signal });
    await until("activating written", async () => (await stateOf(h)) === "activating");
    await until("inactive", async () => (await stateOf(h)) === "inactive");
    h.endpointsUp = true;
    await until("active", async () => (await stateOf(h)) === "active");
    stop.abort();
    await running;
  });

  await t.step("a prestop hook makes the state deactivating and is not repeated", async () => {
    const h = await harness();
    const stop = new AbortController();
    const running = runSupervisor(h.deps, { stop: stop.signal });
    await until("active", async () => (await stateOf(h)) === "active");
    await Deno.writeTextFile(join(h.tarsPath, "data", "prestop"), "");
    await until("deactivating", async () => (await stateOf(h)) === "deactivating");
    stop.abort();
    await running;
    assert.ok(!h.calls.includes("onPrestop"), "the hook's prestop is not run again");
    assert.ok(h.calls.includes("shutdown"));
  });

  await t.step("traffic off is passed to onStartup", async () => {
    const h = await harness({ TARS_DISABLE_FLOW: "1" });
    const stop = new AbortController();
    const running = runSupervisor(h.deps, { stop: stop.signal });
    await until("registered", () => h.calls.length > 0);
    assert.equal(h.calls[0], "onStartup activating true");
    stop.abort();
    await running;
  });
});
