/**
 * `npm run example` (`deno task example [LOCATOR]`): the example service (examples/simple) as a
 * pod registered with a registry that already runs, by default the one `npm start` runs, until
 * Ctrl-C. It asks the registry first and starts nothing when none answers; then runs the pod as
 * the demo does (`tarscli supervisor` in a temp `TARS_PATH`, the kubelet stand-in probing it),
 * printing the supervisor's log, calls the service once it is ready, and waits. Ctrl-C stops the
 * pod as Kubernetes does (preStop `tarscli prestop`, then SIGTERM), so it leaves the registry, and
 * removes its directory; the exit code is then 130.
 *
 * @module
 */
import { TarsCallError } from "../protocol/call_error.ts";
import { TarsClient } from "../protocol/client.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { runInTerminal, startPod, waitFor } from "../local/mod.ts";
import { DEFAULT_LOCATOR, greet } from "./simple/client.ts";
import { HELLO_OBJ } from "./simple/hello_f.ts";

/** The pod's own address, as a pod has its own IP (the registry keys a node by it). */
export const EXAMPLE_POD_IP = "127.0.0.2";
/** POD_NAME: the service puts it in its greeting. */
export const EXAMPLE_POD_NAME = "hello-example";
/** The bound on the pod becoming ready. */
const READY_TIMEOUT = 60_000;
/** How often the readiness probe (`tarscli hzcheck`, a process each time) runs, ms. */
const PROBE_PERIOD = 1000;

/** What the example needs from outside, so the test can run it against its own registry. */
export interface ExampleOptions {
  /** The registry's QueryObj with its endpoint. */
  readonly locator: string;
  /** Prints one line. */
  readonly say: (line: string) => void;
  /** Ctrl-C: the pod is stopped and removed, then runExample ends. */
  readonly signal: AbortSignal;
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

/** What the example says when no registry answers at `locator` (`reason`), and what to do. */
export function noRegistryMessage(locator: string, reason: string): string {
  const fix = locator === DEFAULT_LOCATOR
    ? "start the registry in another terminal with `npm start`, wait for its 'tarsregistry " +
      "listening' line, then run `npm run example` again"
    : "start that registry, or give the locator of one that runs";
  return `No registry answers at ${locator} (${reason}), so nothing was started: ${fix}`;
}

/** Throws, saying how to start one, unless a registry answers a lookup at `locator`. */
async function askRegistry(locator: string): Promise<void> {
  const client = new TarsClient({ timeout: 3000, log: () => {} });
  try {
    await client.proxy(QueryF, locator).findObjectById({ id: QUERY_OBJ });
  } catch (error) {
    if (!(error instanceof TarsCallError)) throw error;
    throw new Error(noRegistryMessage(locator, error.message), { cause: error });
  } finally {
    await client.close();
  }
}

/**
 * Runs the example pod against the registry at `options.locator` until `options.signal` aborts;
 * resolves once the pod is stopped and its directory removed. Rejects, having started nothing,
 * when no registry answers; when the pod fails to start, after stopping it.
 */
export async function runExample(options: ExampleOptions): Promise<void> {
  const { locator, say, signal } = options;
  say(`Asking the registry at ${locator}...`);
  await askRegistry(locator);
  say("It answers. Starting a pod: tarscli supervisor runs the example service (examples/simple,");
  say(`a TARS service on the official Node framework) with POD_IP=${EXAMPLE_POD_IP}.`);
  const pod = await startPod({
    name: EXAMPLE_POD_NAME,
    podIp: EXAMPLE_POD_IP,
    locator,
    probePeriod: PROBE_PERIOD,
    onLine: (line) => say(`  ${line}`),
    detached: true,
  });
  say(`Its TARS_PATH is ${pod.tarsPath} (removed when it stops).`);
  try {
    await waitFor("the pod to become ready", () => {
      if (pod.supervisor.exited) throw new Error("the supervisor exited; its log is above");
      return pod.ready ? true : undefined;
    }, { timeout: READY_TIMEOUT, signal });
    const greeting = await greet(locator, "example");
    say(`Ready: ${HELLO_OBJ} is registered and answers "${greeting}".`);
    say("The service's own output goes to log/start.log in its TARS_PATH (the supervisor prints");
    say("the end of it when the service exits). Call it from another terminal:");
    const other = locator === DEFAULT_LOCATOR ? "" : ` '${locator}'`;
    say(`  npx deno run --allow-net examples/simple/client.ts${other}`);
    say("Ctrl-C stops the pod as Kubernetes does: preStop (tarscli prestop), then SIGTERM.");
    await aborted(signal);
  } finally {
    if (!pod.supervisor.exited) {
      say("Stopping the pod: tarscli prestop takes it out of traffic and waits");
      say("TARS_PRESTOP_WAITTIME (2 s here), then SIGTERM stops the supervisor and the service.");
      const end = await pod.terminate();
      for (const line of end.prestop.stdout.split("\n").filter(Boolean)) say(`  ${line}`);
    }
    await pod.cleanup();
    say("Stopped: every process of the pod ended, and its TARS_PATH is removed.");
  }
}

if (import.meta.main) {
  const [locator = DEFAULT_LOCATOR] = Deno.args;
  await runInTerminal(
    (signal) => runExample({ locator, say: (line) => console.log(line), signal }),
    {
      interrupted: "Ctrl-C: stopping the example pod.",
      failed: "The example did not run",
    },
  );
}
