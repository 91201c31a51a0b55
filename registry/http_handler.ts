/**
 * What the registry answers over HTTP (`--metrics`): `/metrics`, `/targets`, `/healthz` and
 * `/readyz`, from the sources it is given; http_server.ts listens.
 *
 * `/readyz` says whether this replica can do its work: the probes of its Kubernetes Deployment
 * ask it. `/healthz` says that, and also what is wrong around it that it works through
 * (self-preservation: many pods' heartbeats stopped at once), for people and alerts: a probe on
 * it would take every replica out of the Service just when the pods need them to come back.
 *
 * @module
 */
import type { ConnectionGauges, RegistryMetrics } from "./metrics.ts";
import type { RegistryService } from "./registry_service.ts";

/** What the HTTP endpoint reads. */
export interface HttpSources {
  /** The service, once the store is loaded; undefined while the registry starts. */
  readonly service: () => RegistryService | undefined;
  readonly metrics: RegistryMetrics;
  /** What the TARS listener holds; undefined before it listens. */
  readonly connections: () => ConnectionGauges | undefined;
  /**
   * Why the registry cannot do its work right now (starting, the store failing or stalled, a
   * listener that cannot accept): one line each, none when it is healthy.
   */
  readonly problems: () => string[];
  /**
   * What is wrong around the registry while it goes on working (self-preservation holds the
   * nodes): in `/healthz`, not in `/readyz`.
   */
  readonly warnings: () => string[];
}

const STARTING = "starting: the store is not loaded yet\n";

/**
 * The registry's HTTP endpoint: `/metrics` (Prometheus text), `/targets` (Prometheus HTTP
 * service discovery, the same groups as getMetricsAdapters), `/healthz` (200 `ok`, or 503 with
 * the problems and warnings) and `/readyz` (the same for the problems alone).
 */
export function createHttpHandler(sources: HttpSources): (req: Request) => Response {
  return (req) => {
    const path = new URL(req.url).pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("Use GET\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    const service = sources.service();
    switch (path) {
      case "/metrics":
        if (!service) return new Response(STARTING, { status: 503 });
        return new Response(sources.metrics.render(service.gauges(), sources.connections()), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      case "/targets":
        if (!service) return new Response(STARTING, { status: 503 });
        return Response.json(
          service.metricsTargets().map((g) => ({
            targets: g.targets,
            labels: Object.fromEntries(g.labels),
          })),
        );
      case "/healthz":
        return reasons([...sources.problems(), ...sources.warnings()]);
      case "/readyz":
        return reasons(sources.problems());
      default:
        return new Response("Not found: try /metrics, /targets, /healthz or /readyz\n", {
          status: 404,
        });
    }
  };
}

/** 200 `ok` without reasons, else 503 with one line each. */
function reasons(lines: string[]): Response {
  return lines.length > 0
    ? new Response(lines.map((line) => `${line}\n`).join(""), { status: 503 })
    : new Response("ok\n");
}
