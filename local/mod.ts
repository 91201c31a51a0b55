/**
 * Running tarscli and tarsregistry on this machine as Kubernetes would, for the demo
 * (`examples/demo.ts`), the end-to-end tests and the benches; no product code imports it.
 *
 * - `child.ts`: a child process with its output kept line by line, bounded waits on a line, and a
 *   stop that escalates to SIGKILL.
 * - `registry_process.ts`: `registry/main.ts` as its own process on loopback.
 * - `kubelet.ts`: a kubelet stand-in running one pod of examples/simple under
 *   `tarscli supervisor`, with its readiness probe and its termination (preStop, SIGTERM, SIGKILL).
 * - `terminal.ts`: what the demo and the example command share as terminal programs: Ctrl-C as an
 *   AbortSignal and its exit code, bounded waits that end with it.
 *
 * @module
 */
export {
  type Child,
  readLines,
  runChild,
  type RunResult,
  spawnChild,
  type SpawnChildOptions,
  type StopOutcome,
  tail,
} from "./child.ts";
export {
  EXAMPLE_POD_FILES,
  type Pod,
  type PodOptions,
  type ProbeResult,
  servicePid,
  startPod,
  type Termination,
} from "./kubelet.ts";
export {
  type RegistryProcess,
  type RegistryProcessOptions,
  startRegistryProcess,
  startTaskFlags,
} from "./registry_process.ts";
export {
  INTERRUPTED_EXIT_CODE,
  runInTerminal,
  type TerminalOptions,
  waitFor,
  type WaitForOptions,
} from "./terminal.ts";
