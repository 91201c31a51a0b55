/**
 * The runner with a fake pod (registry, service, checks) on a fake clock: the effects reach the
 * outside, the answers come back as events, and signals act in whatever is running. The machine's
 * own paths are in machine_test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { type LifecycleSettings, readSettings } from "../lib/settings.ts";
import type { RunningService, ServiceExit } from "./service_process.ts";
import { readStateFile, stateFilePath } from "./state_file.ts";
import type { Pod } from "./pod.ts";
import { startSupervisor, type Supervisor } from "./supervisor.ts";
import { NotRegisteredError } from "./registry_link.ts";
import type { NodeControl } from "./node_servant.ts";
import { eventually } from "../tests/support/eventually.ts";
import { type FakeClock, fakeClock } from "../tests/support/fake_clock.ts";
import { fakeServerInfo } from "../tests/support/server_info.ts";

interface FakeService extends RunningService {
  exit(exit?: ServiceExit): void;
  readonly stops: { stopPath?: string; grace: number }[];
}

function fakeService(pid: number): FakeService {
  let resolve!: (exit: ServiceExit) => void;
  const exited = new Promise<ServiceExit>((r) => resolve = r);
  const stops: { stopPath?: string; grace: number }[] = [];
  return {
    pid,
    exited,
    logClosed: exited.then(() => undefined),
    signal() {},
    stop(options) {
      stops.push(options);
      resolve({ code: 0, signal: "SIGTERM" });
      return exited;
    },
    exit(exit = { code: 1, signal: null }) {
      resolve(exit);
    },
    stops,
  };
}

/** A pending answer the test settles. */
interface Hold {
  readonly promise: Promise<void>;
  release(): void;
}

function hold(): Hold {
  let release!: () => void;
  const promise = new Promise<void>((r) => release = r);
  return { promise, release };
}

interface Harness {
  readonly clock: FakeClock;
  readonly settings: LifecycleSettings;
  readonly tarsPath: string;
  readonly calls: string[];
  /** The pid each registry call carried: `onStartup 0`, `keepAlive 1000`. */
  readonly pids: string[];
  readonly services: FakeService[];
  readonly lines: string[];
  readonly supervisor: Supervisor;
  /** The signals the before-check scripts got. */
  readonly checkSignals: AbortSignal[];
  /** Set to make calls wait until released. */
  holdRegistry?: Hold;
  holdBeforeCheck?: Hold;
  genconfSignal?: AbortSignal;
  ports: boolean;
  /** The registry answers heartbeats "not registered" until the pod registers again. */
  forgotPod: boolean;
  /** The node object's way into the supervisor, as configure got it. */
  node?: NodeControl;
  /** The node endpoint each onStartup carried. */
  nodeEndpoints: string[];
}

async function harness(
  env: Record<string, string> = {},
  options: { holdGenconf?: Hold } = {},
): Promise<Harness> {
  const tarsPath = await Deno.makeTempDir({ prefix: "supervisor_test_" });
  const settings = readSettings(
    {
      TARS_PATH: tarsPath,
      TARS_PRESTOP_WAITTIME: "5s",
      TARS_STOP_GRACE: "4s",
      TARS_BEFORE_CHECK_SCRIPT: "true",
      ...env,
    },
    "supervisor",
    { cwd: "/" },
  );
  const info = fakeServerInfo(tarsPath);
  const clock = fakeClock(1_700_000_000_000);
  const h: Omit<Harness, "supervisor"> & { supervisor?: Supervisor } = {
    tarsPath,
    settings,
    clock,
    calls: [],
    pids: [],
    services: [],
    lines: [],
    checkSignals: [],
    ports: false,
    forgotPod: false,
    nodeEndpoints: [],
  };
  const registry = async (name: string) => {
    h.calls.push(name);
    if (h.holdRegistry) await h.holdRegistry.promise;
  };
  const pod: Pod = {
    info,
    link: {
      onStartup: (req) => {
        h.pids.push(`onStartup ${req.processId}`);
        h.nodeEndpoints.push(req.nodeEndpoint);
        h.forgotPod = false;
        return registry(`onStartup ${req.State}`);
      },
      keepAlive: async (req) => {
        h.pids.push(`keepAlive ${req.processId}`);
        await registry(`keepAlive ${req.state}`);
        if (h.forgotPod) throw new NotRegisteredError("Registry keepAlive: not registered");
      },
      onPrestop: () => registry("onPrestop"),
    },
    reporter: {
      report: (level, message) => {
        h.calls.push(`report ${level} ${message}`);
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
    checkEndpoints: () => Promise.resolve({ ok: true }),
    isListening: () => Promise.resolve(h.ports),
    runBeforeCheck: async (signal) => {
      h.checkSignals.push(signal);
      if (h.holdBeforeCheck) {
        await Promise.race([
          h.holdBeforeCheck.promise,
          new Promise((resolve) => signal.addEventListener("abort", resolve)),
        ]);
      }
      return { ok: !signal.aborted, detail: signal.aborted ? "killed" : "" };
    },
    startLogTail: () => Promise.resolve(["last line of start.log"]),
    log: (line) => h.lines.push(line),
    nodeEndpoint: NODE_ENDPOINT,
    closeConnections: () => {
      // Closing the connections fails the calls in flight.
      h.holdRegistry?.release();
      return Promise.resolve();
    },
    closeLog: () => Promise.resolve(),
  };
  h.supervisor = startSupervisor({
    settings,
    out: (line) => h.lines.push(`out: ${line}`),
    now: clock.now,
    timer: clock.timer,
    configure: async (signal, node) => {
      h.genconfSignal = signal;
      h.node = node;
      if (options.holdGenconf) {
        await Promise.race([
          options.holdGenconf.promise,
          new Promise((resolve) => signal.addEventListener("abort", resolve)),
        ]);
        if (signal.aborted) throw new Error("genconf was stopped");
      }
      return pod;
    },
  });
  return h as Harness;
}

const NODE_ENDPOINT = "tcp -h 10.0.0.3 -p 15999 -t 60000";

/** Waits (a real 5 s at most) until `test` holds: the runner's effects are real promises. */
function until(what: string, test: () => boolean | Promise<boolean>): Promise<number> {
  return eventually(5000, what, test, { interval: 2 });
}

async function stateOf(h: Harness): Promise<string | undefined> {
  return (await readStateFile(stateFilePath(h.tarsPath)))?.state;
}

Deno.test("supervisor runner: the pod's life", async (t) => {
  await t.step("registers, starts, reports active, and stops through the drain", async () => {
    const h = await harness();
    h.supervisor.dispatch({ type: "start" });
    await until("active", async () => (await stateOf(h)) === "active");
    await until("keepAlive active", () => h.calls.includes("keepAlive active"));
    assert.equal(h.calls[0], "onStartup activating");
    assert.equal(h.services.length, 1);
    const stoppedAt = h.clock.now();
    h.supervisor.dispatch({ type: "stop", signal: "SIGTERM" });
    await until("draining", () => h.calls.includes("notify prestop"));
    await until("deactivating", async () => (await stateOf(h)) === "deactivating");
    assert.ok(!h.calls.includes("onPrestop"));
    h.clock.advance(h.settings.prestopWaitTime);
    assert.equal(await h.supervisor.done, 0);
    assert.deepEqual(h.calls.slice(h.calls.indexOf("keepAlive active") + 1), [
      "keepAlive deactivating",
      "notify prestop",
      "onPrestop",
      "shutdown",
    ]);
    assert.deepEqual(h.services[0].stops, [{
      stopPath: undefined,
      grace: h.settings.stopGrace,
    }]);
    assert.equal(h.clock.now() - stoppedAt, h.settings.prestopWaitTime);
    assert.ok(h.lines.includes("out: last line of start.log"));
    const record = await readStateFile(stateFilePath(h.tarsPath));
    assert.deepEqual([record?.state, record?.reason], ["deactivating", "stop requested"]);
  });

  await t.step("a heartbeat answered 'not registered' registers the pod at once", async () => {
    const h = await harness();
    h.supervisor.dispatch({ type: "start" });
    await until("keepAlive active", () => h.calls.includes("keepAlive active"));
    h.forgotPod = true;
    const from = h.calls.length;
    const at = h.clock.now() + h.settings.reportInterval;
    h.clock.advance(h.settings.reportInterval);
    await until("registered again", () => h.calls.slice(from).includes("onStartup active"));
    // The answer, then at once (no time passed) onStartup with the present state.
    assert.deepEqual(h.calls.slice(from), ["keepAlive active", "onStartup active"]);
    assert.equal(h.clock.now(), at);
    assert.ok(h.lines.some((l) => /the registry does not know|not registered/.test(l)));
    h.supervisor.dispatch({ type: "stop", signal: "SIGTERM" });
    await until("draining", () => h.calls.includes("notify prestop"));
    h.clock.advance(h.settings.prestopWaitTime);
    assert.equal(await h.supervisor.done, 0);
  });

  await t.step("reports the service's pid: 0 before it starts, then its own", async () => {
    const h = await harness();
    h.supervisor.dispatch({ type: "start" });
    await until("keepAlive active", () => h.calls.includes("keepAlive active"));
    h.supervisor.dispatch({ type: "stop", signal: "SIGTERM" });
    await until("draining", () => h.calls.includes("notify prestop"));
    h.clock.advance(h.settings.prestopWaitTime);
    assert.equal(await h.supervisor.done, 0);
    assert.deepEqual(h.pids, ["onStartup 0", "keepAlive 1000", "keepAlive 1000"]);
  });
});

Deno.test("supervisor runner: a stop in each phase", async (t) => {
  await t.step("SIGTERM during genconf: genconf stopped, exit 0", async () => {
    const h = await harness({}, { holdGenconf: hold() });
    h.supervisor.dispatch({ type: "start" });
    await until("genconf running", () => h.genconfSignal !== undefined);
    h.supervisor.dispatch({ type: "stop", signal: "SIGTERM" });
    assert.ok(h.genconfSignal!.aborted, "genconf is stopped at once");
    assert.equal(await h.supervisor.done, 0);
    assert.deepEqual(h.calls, []);
  });

  await t.step("SIGTERM during registration: onPrestop at once, no service", async () => {
    const h = await harness();
    h.holdRegistry = hold();
    h.supervisor.dispatch({ type: "start" });
    await until("onStartup sent", () => h.calls.includes("onStartup activating"));
    h.supervisor.dispatch({ type: "stop", signal: "SIGTERM" });
    await until("onPrestop sent", () => h.calls.includes("onPrestop"));
    // Neither call answers: onPrestop is bounded by the stop's call timeout.
    h.clock.advance(1500);
    assert.equal(await h.supervisor.done, 0);
    assert.equal(h.services.length, 0);
    assert.equal(await stateOf(h), "deactivating");
    h.holdRegistry.release();
  });

  await t.step("SIGTERM during a slow before-check script: the script is stopped", async () => {
    const h = await harness();
    h.supervisor.dispatch({ type: "start" });
    await until("active", async () => (await stateOf(h)) === "active");
    h.holdBeforeCheck = hold();
    const rounds = h.checkSignals.length;
    h.clock.advance(h.settings.checkInterval);
    await until("a check round", () => h.checkSignals.length === rounds + 1);
    h.supervisor.dispatch({ type: "stop", signal: "SIGTERM" });
    assert.ok(h.checkSignals.at(-1)!.aborted, "the script is stopped at once");
    await until("draining", () => h.calls.includes("notify prestop"));
    h.clock.advance(h.settings.prestopWaitTime);
    assert.equal(await h.supervisor.done, 0);
    assert.ok(
      h.lines.some((l) => /SIGTERM: stop requested \(active\)/.test(l)),
      h.lines.join("\n"),
    );
  });
});

Deno.test("supervisor runner: restarts, the state file, the markers", async (t) => {
  await t.step("a service that exits is restarted and reported", async () => {
    const h = await harness();
    h.supervisor.dispatch({ type: "start" });
    await until("active", async () => (await stateOf(h)) === "active");
    h.services[0].exit();
    await until("second start", () => h.services.length === 2);
    assert.ok(h.calls.includes("keepAlive inactive"));
    assert.ok(h.calls.some((c) => c.startsWith("report warn [warn] server down")));
    assert.ok(h.calls.includes("report normal [notify] restart, restart 1"));
    h.services[1].exit();
    await until("inactive", async () => (await stateOf(h)) === "inactive");
    h.clock.advance(999);
    await until("no third start yet", () => h.services.length === 2);
    h.clock.advance(1);
    await until("third start after 1 s", () => h.services.length === 3);
    h.supervisor.dispatch({ type: "stop", signal: "SIGTERM" });
    await until("draining", () => h.calls.includes("notify prestop"));
    h.clock.advance(h.settings.prestopWaitTime);
    assert.equal(await h.supervisor.done, 0);
  });

  await t.step("the state file is written while the registry is unreachable", async () => {
    const h = await harness();
    h.holdRegistry = hold();
    h.supervisor.dispatch({ type: "start" });
    await until("activating", async () => (await stateOf(h)) === "activating");
    const first = (await readStateFile(stateFilePath(h.tarsPath)))!;
    h.clock.advance(h.settings.checkInterval);
    await until(
      "a newer state file",
      async () => (await readStateFile(stateFilePath(h.tarsPath)))!.writtenAt > first.writtenAt,
    );
    h.holdRegistry.release();
    h.supervisor.dispatch({ type: "stop", signal: "SIGTERM" });
    assert.equal(await h.supervisor.done, 0);
  });

  await t.step("a prestop marker from an earlier life is removed at start", async () => {
    const h = await harness();
    await Deno.mkdir(join(h.tarsPath, "data"), { recursive: true });
    await Deno.writeTextFile(join(h.tarsPath, "data", "prestop"), "old\n");
    h.supervisor.dispatch({ type: "start" });
    await until("active", async () => (await stateOf(h)) === "active");
    h.supervisor.dispatch({ type: "stop", signal: "SIGTERM" });
    await until("draining", () => h.calls.includes("notify prestop"));
    h.clock.advance(h.settings.prestopWaitTime);
    assert.equal(await h.supervisor.done, 0);
    assert.ok(h.calls.includes("onPrestop"));
  });
});

Deno.test("supervisor runner: the node object's requests", async (t) => {
  const h = await harness();
  const notAnswered = Symbol("not answered");
  /** The answer, or notAnswered when it has not come after the runner settled. */
  const peek = async <T>(promise: Promise<T>) => {
    const result = await Promise.race([
      promise,
      new Promise<typeof notAnswered>((resolve) => setTimeout(() => resolve(notAnswered), 20)),
    ]);
    return result;
  };
  /**
   * The answer of a request that waits for the runner's timers (a drain, a check round): the
   * fake clock moves on a check interval at a time until it comes, as many times as needed under
   * load, at most 100.
   */
  const driven = async <T>(promise: Promise<T>) => {
    for (let i = 0; i < 100; i++) {
      const result = await peek(promise);
      if (result !== notAnswered) return result;
      h.clock.advance(h.settings.checkInterval);
    }
    throw new Error("No answer after 100 check intervals");
  };
  try {
    h.supervisor.dispatch({ type: "start" });
    await until("active", async () => (await stateOf(h)) === "active");
    const node = h.node!;

    await t.step("onStartup carries the node endpoint", () => {
      assert.deepEqual(h.nodeEndpoints, [NODE_ENDPOINT]);
    });

    await t.step("state, pid and notify", async () => {
      assert.deepEqual(node.status(), {
        state: "active",
        reason: "every endpoint accepts connections",
        pid: 1000,
        held: false,
      });
      assert.deepEqual(await node.notify("tars.setloglevel DEBUG"), { ret: 0, result: "ok" });
      assert.ok(h.calls.includes("notify tars.setloglevel DEBUG"));
    });

    await t.step(
      "restartServer: answered after the drain, the stop and the new start",
      async () => {
        const restart = node.request("restart");
        await until("out of traffic", () => h.calls.includes("keepAlive deactivating"));
        assert.equal(await peek(restart), notAnswered);
        assert.deepEqual(await driven(restart), {
          ret: 0,
          result: "restarted: the service is active again",
        });
        assert.equal(h.services.length, 2);
        assert.deepEqual(h.services[0].stops.length, 1);
        assert.equal(node.status().pid, 1001);
        await until("back in traffic", () => h.calls.at(-1) === "keepAlive active");
      },
    );

    await t.step("stopServer: held down and inactive; notify says it is not running", async () => {
      assert.deepEqual(await driven(node.request("stop")), {
        ret: 0,
        result: "stopped (killed by SIGTERM); the service stays down",
      });
      await until("inactive", async () => (await stateOf(h)) === "inactive");
      assert.deepEqual([node.status().pid, node.status().held], [0, true]);
      h.clock.advance(5 * h.settings.checkInterval);
      await until("rounds ran", async () => (await stateOf(h)) === "inactive");
      assert.equal(h.services.length, 2, "not restarted");
      assert.deepEqual(await node.notify("tars.viewstatus"), {
        ret: -1,
        result: "the service is not running (inactive: held down by stopServer; startServer or " +
          "restartServer starts it)",
      });
    });

    await t.step("startServer: started, answered once active", async () => {
      assert.deepEqual(await driven(node.request("start")), {
        ret: 0,
        result: "started: the service is active",
      });
      assert.equal(h.services.length, 3);
      assert.equal(node.status().held, false);
    });

    await t.step("a request waiting when the pod stops is answered", async () => {
      const from = h.calls.length;
      const restart = node.request("restart");
      const prestops = () => h.calls.slice(from).filter((c) => c === "notify prestop").length;
      await until("the restart's drain", () => prestops() === 1);
      h.supervisor.dispatch({ type: "stop", signal: "SIGTERM" });
      assert.deepEqual(await restart, { ret: 1004, result: "the pod is stopping (SIGTERM)" });
      await until("the pod's own drain", () => prestops() === 2);
      h.clock.advance(h.settings.prestopWaitTime);
      assert.equal(await h.supervisor.done, 0);
      assert.deepEqual(await node.request("start"), {
        ret: 1004,
        result: "the supervisor is exiting",
      });
    });
  } finally {
    h.supervisor.dispatch({ type: "stop", signal: "SIGTERM" });
    h.clock.advance(60_000);
    await h.supervisor.done;
    await Deno.remove(h.tarsPath, { recursive: true });
  }
});
