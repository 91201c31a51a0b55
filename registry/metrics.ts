/**
 * The registry's Prometheus metrics: calls, errors and latency per servant method, and gauges of
 * its view and its connections sampled when `/metrics` is read.
 *
 * @module
 */
import { AdminReg } from "../protocol/interfaces/admin_reg.ts";

/** Upper bounds (seconds) of the call latency histogram buckets. */
const BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];

interface MethodStats {
  calls: number;
  errors: number;
  sum: number;
  buckets: number[];
}

/** Sizes of the registry's view, sampled when metrics are rendered. */
export interface RegistryGauges {
  readonly nodes: number;
  readonly servers: number;
  readonly endpoints: number;
  readonly activeEndpoints: number;
  /** Whether self-preservation holds (registry/self_preservation.ts). */
  readonly selfPreservation: boolean;
  /** Nodes whose heartbeats stopped, as the last node check counted them. */
  readonly stoppedNodes: number;
  /** Overdue nodes self-preservation holds (answered as before, not expired). */
  readonly heldNodes: number;
}

/** What the TARS listener holds, sampled when metrics are rendered. */
export interface ConnectionGauges {
  /** Open client connections. */
  readonly connections: number;
  /** Bytes they hold in unfinished requests and unsent replies (bounded by --max-buffered). */
  readonly buffered: number;
}

const KIND: Record<string, string> = {
  onStartup: "registration",
  onPrestop: "deregistration",
  keepAlive: "heartbeat",
  registerMetrics: "metrics_registration",
  getMetricsAdapters: "metrics_query",
  notify: "admin",
  // The admin registry's calls (AdminReg: the web console's).
  ...Object.fromEntries([...AdminReg.compiled.keys()].map((name) => [name, "console"])),
};

/** Counts calls, errors and latency per servant method, rendered as Prometheus text. */
export class RegistryMetrics {
  readonly #methods = new Map<string, MethodStats>();

  /** Records one call of `method` that took `seconds`. */
  observe(method: string, seconds: number, ok: boolean): void {
    let stats = this.#methods.get(method);
    if (!stats) {
      stats = { calls: 0, errors: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
      this.#methods.set(method, stats);
    }
    stats.calls++;
    if (!ok) stats.errors++;
    stats.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) stats.buckets[i]++;
  }

  /** Calls recorded for a method so far. */
  calls(method: string): number {
    return this.#methods.get(method)?.calls ?? 0;
  }

  /** The Prometheus text exposition of every counter and the given gauges. */
  render(gauges: RegistryGauges, connections?: ConnectionGauges): string {
    const lines: string[] = [];
    const family = (name: string, type: string, help: string) =>
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    family("tarsregistry_calls_total", "counter", "Registry calls by method and kind.");
    for (const [m, s] of this.#methods) {
      const kind = KIND[m] ?? "lookup";
      lines.push(`tarsregistry_calls_total{method="${m}",kind="${kind}"} ${s.calls}`);
    }
    family("tarsregistry_call_errors_total", "counter", "Registry calls that failed.");
    for (const [m, s] of this.#methods) {
      lines.push(`tarsregistry_call_errors_total{method="${m}"} ${s.errors}`);
    }
    family("tarsregistry_call_duration_seconds", "histogram", "Registry call latency.");
    for (const [m, s] of this.#methods) {
      BUCKETS.forEach((le, i) =>
        lines.push(
          `tarsregistry_call_duration_seconds_bucket{method="${m}",le="${le}"} ${s.buckets[i]}`,
        )
      );
      lines.push(
        `tarsregistry_call_duration_seconds_bucket{method="${m}",le="+Inf"} ${s.calls}`,
        `tarsregistry_call_duration_seconds_sum{method="${m}"} ${s.sum}`,
        `tarsregistry_call_duration_seconds_count{method="${m}"} ${s.calls}`,
      );
    }
    family("tarsregistry_nodes", "gauge", "Registered nodes (pods).");
    lines.push(`tarsregistry_nodes ${gauges.nodes}`);
    family("tarsregistry_servers", "gauge", "Registered servers.");
    lines.push(`tarsregistry_servers ${gauges.servers}`);
    family("tarsregistry_endpoints", "gauge", "Registered endpoints by activity.");
    lines.push(
      `tarsregistry_endpoints{active="true"} ${gauges.activeEndpoints}`,
      `tarsregistry_endpoints{active="false"} ${gauges.endpoints - gauges.activeEndpoints}`,
    );
    family(
      "tarsregistry_self_preservation",
      "gauge",
      "1 while more than --expiry-protect-rate of the nodes' heartbeats stopped at once and none expires.",
    );
    lines.push(`tarsregistry_self_preservation ${gauges.selfPreservation ? 1 : 0}`);
    family(
      "tarsregistry_nodes_stopped",
      "gauge",
      "Nodes whose heartbeats stopped (silent for half of --node-timeout), at the last node check.",
    );
    lines.push(`tarsregistry_nodes_stopped ${gauges.stoppedNodes}`);
    family(
      "tarsregistry_nodes_held",
      "gauge",
      "Overdue nodes that self-preservation answers as before instead of expiring them.",
    );
    lines.push(`tarsregistry_nodes_held ${gauges.heldNodes}`);
    if (connections) {
      family("tarsregistry_connections", "gauge", "Open TARS client connections.");
      lines.push(`tarsregistry_connections ${connections.connections}`);
      family(
        "tarsregistry_buffered_bytes",
        "gauge",
        "Bytes the TARS connections hold in unfinished requests and unsent replies.",
      );
      lines.push(`tarsregistry_buffered_bytes ${connections.buffered}`);
    }
    return lines.join("\n") + "\n";
  }
}
