/**
 * What the supervisor's runner (supervisor.ts) works with once genconf ran: the pod's handles,
 * opened by run_supervisor.ts (types only).
 *
 * @module
 */
import type { ServerInfo } from "../genconf/mod.ts";
import type { EndpointCheckResult } from "./checks.ts";
import type { NotifyReporter } from "./notify_reporter.ts";
import type { RegistryLink } from "./registry_link.ts";
import type { RunningService } from "./service_process.ts";
import type { LogLine } from "./supervisor_log.ts";

/** The service's admin interface as the supervisor uses it. */
export interface AdminChannel {
  notify(command: string): Promise<string>;
  shutdown(): Promise<void>;
}

/** The pod's handles. */
export interface Pod {
  readonly info: ServerInfo;
  readonly link: RegistryLink;
  readonly reporter: NotifyReporter;
  /** Sends an admin command (`AdminF`) to the service's AdminObj. */
  readonly admin: AdminChannel;
  /** Starts the service (service_process.ts `startService` bound to the paths). */
  readonly startService: () => RunningService;
  /** Checks that every endpoint accepts a TCP connection, retrying within the retry timeout. */
  readonly checkEndpoints: (
    endpoints: readonly string[],
    signal: AbortSignal,
  ) => Promise<EndpointCheckResult>;
  /** Whether one endpoint accepts a connection right now (waiting until the ports close). */
  readonly isListening: (endpoint: string) => Promise<boolean>;
  /** Runs the before-check script; undefined when `TARS_BEFORE_CHECK_SCRIPT` is unset. */
  readonly runBeforeCheck?: (signal: AbortSignal) => Promise<{ ok: boolean; detail: string }>;
  /** The tail of `log/start.log`, printed to the container's stdout when the service exits. */
  readonly startLogTail: () => Promise<string[]>;
  /** `log/supervisor.log`. */
  readonly log: LogLine;
  /** Where the pod's node object is served (registered with onStartup); none when it is not. */
  readonly nodeEndpoint?: string;
  /** Closes the connections (the node object's too); calls in flight fail. */
  closeConnections(): Promise<void>;
  /** Writes out and closes `log/supervisor.log`. */
  closeLog(): Promise<void>;
}
