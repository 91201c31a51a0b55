import type { RegistryMetrics } from "./metrics.ts";
import type { RegistryService } from "./registry_service.ts";

/** What the health check reports: whether the last reload from the store worked. */
export interface HealthSource {
  /** The error of the last failed reload, or undefined when it worked. */
  readonly lastReloadError: () => Error | undefined;
}

/**
 * The registry's HTTP endpoint: `/metrics` (Prometheus text), `/targets` (Prometheus HTTP
 * service discovery, the same groups as getMetricsAdapters) and `/healthz`.
 */
export function createHttpHandler(
  service: RegistryService,
  options: { metrics: RegistryMetrics; health: HealthSource },
): (req: Request) => Response {
  return (req) => {
    const path = new URL(req.url).pathname;
    if (req.method !== "GET" && req.method !== "HEAD") {
      return new Response("Use GET\n", { status: 405, headers: { allow: "GET, HEAD" } });
    }
    switch (path) {
      case "/metrics":
        return new Response(options.metrics.render(service.gauges()), {
          headers: { "content-type": "text/plain; version=0.0.4; charset=utf-8" },
        });
      case "/targets":
        return Response.json(
          service.metricsTargets().map((g) => ({
            targets: g.targets,
            labels: Object.fromEntries(g.labels),
          })),
        );
      case "/healthz": {
        const error = options.health.lastReloadError();
        return error
          ? new Response(`store unreachable: ${error.message}\n`, { status: 503 })
          : new Response("ok\n");
      }
      default:
        return new Response("Not found: try /metrics, /targets or /healthz\n", { status: 404 });
    }
  };
}
