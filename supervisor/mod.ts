/**
 * The lifecycle of a TARS service in its pod: `tarscli supervisor` (a state machine and its
 * runner: genconf in a child, register, start, check, report, restart, stop through the drain; the
 * HTTP readiness probe), the exec readiness probe `tarscli hzcheck`, the preStop hook
 * `tarscli prestop` and `tarscli notify`.
 *
 * Imported directly, each by the command table when its command runs (each keeps a small module
 * graph, which the module-graph tests in this folder guard):
 * - `command.ts`: `tarscli supervisor` (its signal listeners, then `run_supervisor.ts`).
 * - `hzcheck.ts`: `tarscli hzcheck`.
 * - `prestop_command.ts`: `tarscli prestop`.
 * - `notify_command.ts`: `tarscli notify`.
 *
 * Through this module: the state file the supervisor writes and the probe reads, for tools that
 * watch a pod (the lifecycle bench).
 *
 * @module
 */
export {
  readStateFile,
  SERVICE_STATES,
  type ServiceState,
  stateFilePath,
  type StateRecord,
  writeStateFile,
} from "./state_file.ts";
