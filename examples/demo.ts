/**
 * `deno task demo`: the whole flow on one machine, step by step in plain words. It starts the
 * registry on the embedded store, a pod running examples/simple under `tarscli supervisor` in a
 * temp `TARS_PATH` (with the kubelet stand-in of the tests probing it with `tarscli hzcheck`),
 * waits until it is ready, calls the service through the registry, shows the registry's view,
 * stops the pod as Kubernetes does (preStop `tarscli prestop`, then SIGTERM) and shows it gone.
 * Everything it starts is stopped and its temp directories removed, also on Ctrl-C, which ends it
 * with no further step and exit code 130.
 *
 * @module
 */
import { join } from "node:path";
import { TarsClient } from "../protocol/client.ts";
import { ADMIN_OBJ, AdminF } from "../protocol/interfaces/admin_f.ts";
import type { EndpointFValue } from "../protocol/interfaces/endpoint_f.ts";
import { QueryF } from "../protocol/interfaces/query_f.ts";
import {
  type Pod,
  type RegistryProcess,
  runInTerminal,
  startPod,
  startRegistryProcess,
  waitFor,
} from "../local/mod.ts";
import { greet } from "./simple/client.ts";
import { HELLO_OBJ } from "./simple/hello_f.ts";

/** Bound of every wait in the demo. */
const STEP_TIMEOUT = 60_000;
/** The pod's own address, as a pod has its own IP. */
const POD_IP = "127.0.0.2";

/** What the demo needs from outside, so the test can run it with its own output. */
export interface DemoOptions {
  /** Prints one line. */
  readonly say: (line: string) => void;
  /**
   * Aborts the demo (Ctrl-C): no further line is printed, the step under way ends, and everything
   * started is stopped and removed; runDemo then rejects with the signal's reason.
   */
  readonly signal?: AbortSignal;
}

/** What the demo prints for the first probe that fails: the pod is still starting. */
const FIRST_PROBE_LINE = "waiting for the pod to start";

function describe(endpoints: readonly EndpointFValue[]): string {
  return endpoints.length === 0 ? "none" : endpoints.map((e) => `${e.host}:${e.port}`).join(", ");
}

/** Runs the demo; resolves when everything it started is stopped and removed. */
export async function runDemo(options: DemoOptions): Promise<void> {
  const { signal } = options;
  // Once aborted, the demo tells nothing more: the next line throws instead, ending the step.
  const say = (line: string) => {
    signal?.throwIfAborted();
    options.say(line);
  };
  const temp = await Deno.makeTempDir({ prefix: "tars_demo_" });
  const client = new TarsClient({ timeout: 3000, log: () => {} });
  let registry: RegistryProcess | undefined;
  let pod: Pod | undefined;
  try {
    say(`1. Start tarsregistry on its embedded SQLite store (${join(temp, "registry.db")}).`);
    // Its processes are out of the terminal's reach: a Ctrl-C stops the demo, which stops them.
    registry = await startRegistryProcess(["--store", `sqlite:${join(temp, "registry.db")}`], {
      detached: true,
    });
    const { locator } = registry;
    say(`   It listens; pods and clients find it as ${locator}`);
    const admin = client.proxy(AdminF, `${ADMIN_OBJ}@tcp -h 127.0.0.1 -p ${registry.port}`);
    const query = client.proxy(QueryF, locator);
    const showRegistry = async () => {
      const view = await query.findObjectById4Any({ id: HELLO_OBJ });
      say(
        `   Lookup of ${HELLO_OBJ}: active ${describe(view.activeEp)}; ` +
          `inactive ${describe(view.inactiveEp)}`,
      );
      const servers = (await admin.notify({ command: "servers" })).ret;
      for (const line of servers.split("\n")) say(`   ${line}`);
    };
    signal?.throwIfAborted();

    say("2. Start a pod: tarscli supervisor runs the example service (examples/simple, a TARS");
    say(`   service on the official Node framework) with POD_IP=${POD_IP}.`);
    pod = await startPod({
      name: "hello-demo",
      podIp: POD_IP,
      locator,
      env: { TARS_PRESTOP_WAITTIME: "3s" },
      detached: true,
    });
    say(`   Its TARS_PATH is ${pod.tarsPath}: genconf writes conf/Hello.conf there.`);

    say("3. The readiness probe (tarscli hzcheck) runs until the pod is ready.");
    // Each new reason of a failing probe is told, the first as what it means this early (it is
    // hzcheck's "no state file at …", which reads like an error): the pod is still starting.
    let lastReason: string | undefined;
    const started = pod;
    await waitFor("the pod to become ready", () => {
      const reason = started.probes.at(-1)?.reason;
      if (reason && reason !== lastReason) {
        say(`   tarscli hzcheck: ${lastReason === undefined ? FIRST_PROBE_LINE : reason}`);
        lastReason = reason;
      }
      return started.ready ? true : undefined;
    }, { timeout: STEP_TIMEOUT, signal });
    say("   Ready: the supervisor registered the pod and every endpoint accepts connections.");

    say(`4. A client calls ${HELLO_OBJ}, finding it through the registry.`);
    say(`   The service answers: "${await greet(locator, "demo")}"`);

    say("5. The registry's view.");
    await showRegistry();

    say("6. Stop the pod as Kubernetes does: the preStop hook (tarscli prestop) takes it out of");
    say("   traffic and waits TARS_PRESTOP_WAITTIME (3 s here), then SIGTERM stops the service.");
    const end = await pod.terminate();
    for (const line of end.prestop.stdout.split("\n").filter(Boolean)) say(`   ${line}`);
    say(
      `   The supervisor exited with code ${end.status.code} ${end.stopMs} ms after SIGTERM` +
        (end.killed ? " (it had to be killed)" : "."),
    );

    say("7. The registry's view now: the pod is gone.");
    await showRegistry();
  } finally {
    await client.close();
    await pod?.cleanup();
    await registry?.terminate().catch(() => registry?.kill());
    await Deno.remove(temp, { recursive: true });
    options.say("Cleaned up: every process stopped, the temp directories removed.");
  }
}

if (import.meta.main) {
  await runInTerminal((signal) => runDemo({ say: (line) => console.log(line), signal }), {
    interrupted: "Interrupted: stopping everything the demo started.",
    failed: "The demo failed",
  });
}
