import { parseArgs } from "node:util";
import { parseDuration, UsageError } from "../lib/mod.ts";
import { parseEndpoint } from "../protocol/endpoint.ts";
import { mysqlUrlFromDsn, mysqlUrlFromParts } from "./store/open_store.ts";

/** Everything the registry needs to start, resolved once from flags and environment. */
export interface RegistryConfig {
  /** Endpoint it serves QueryObj, Registry and AdminObj on. */
  readonly endpoint: string;
  /** `sqlite:PATH` or `mysql://…`. */
  readonly store: string;
  /** Host and port of the HTTP metrics, targets and health endpoint. */
  readonly metrics: { readonly host: string; readonly port: number };
  /** Address it registers for itself. */
  readonly advertise: string;
  /** Heartbeat age (ms) after which a node's endpoints are inactive. */
  readonly nodeTimeout: number;
  /** How often (ms) it re-reads the store for other replicas' writes. */
  readonly reloadInterval: number;
  /** How often (ms) it sends its own heartbeat. */
  readonly heartbeatInterval: number;
  /** Create the db_tars tables first (MySQL). */
  readonly initDb: boolean;
}

/** Usage text of `tarsregistry` / `tarscli registry`. */
export const REGISTRY_USAGE = `Usage: tarsregistry [options]
  --endpoint 'tcp -h HOST -p PORT'  where QueryObj, Registry and AdminObj listen
                                    (default: tcp -h 0.0.0.0 -p 17890)
  --store SPEC                      sqlite:PATH or mysql://USER:PASS@HOST:PORT/db_tars
                                    (default: TARS_REGISTRY_STORE, DB_DSN, DB_HOST…,
                                    else sqlite:$TARS_PATH/data/tarsregistry.db)
  --metrics HOST:PORT               HTTP /metrics, /targets, /healthz (default 0.0.0.0:9325)
  --advertise HOST                  address registered for itself (default: POD_IP, else
                                    the endpoint host, 127.0.0.1 for 0.0.0.0)
  --node-timeout DURATION           heartbeat age that makes a pod inactive (default 250s)
  --reload-interval DURATION        re-read the store this often (default 10s)
  --init-db                         create the db_tars tables when missing (MySQL)
  --help                            this text`;

function duration(flag: string, text: string): number {
  try {
    return parseDuration(text, { bareUnit: "s" });
  } catch (error) {
    throw new UsageError(`${flag}: ${(error as Error).message}`);
  }
}

function storeFromEnv(env: Readonly<Record<string, string | undefined>>): string {
  if (env.TARS_REGISTRY_STORE) return env.TARS_REGISTRY_STORE;
  if (env.DB_DSN) return mysqlUrlFromDsn(env.DB_DSN);
  if (env.DB_HOST) {
    return mysqlUrlFromParts({
      host: env.DB_HOST,
      port: env.DB_PORT,
      user: env.DB_USER ?? "root",
      password: env.DB_PASS,
    });
  }
  return `sqlite:${env.TARS_PATH || "/tars"}/data/tarsregistry.db`;
}

/** Resolves the registry's settings from its arguments and environment; bad input is a UsageError. */
export function readRegistryConfig(
  args: string[],
  env: Readonly<Record<string, string | undefined>>,
): RegistryConfig | "help" {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        endpoint: { type: "string", default: "tcp -h 0.0.0.0 -p 17890" },
        store: { type: "string" },
        metrics: { type: "string", default: "0.0.0.0:9325" },
        advertise: { type: "string" },
        "node-timeout": { type: "string", default: "250s" },
        "reload-interval": { type: "string", default: "10s" },
        "init-db": { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; run with --help for the options`);
  }
  if (values.help) return "help";
  let host: string;
  try {
    const ep = parseEndpoint(values.endpoint);
    if (ep.transport !== "tcp") throw new SyntaxError(`only tcp can be served`);
    host = ep.host;
  } catch (error) {
    throw new UsageError(`--endpoint: ${(error as Error).message}`);
  }
  const m = /^(.*):(\d+)$/.exec(values.metrics);
  if (!m || Number(m[2]) > 65535) {
    throw new UsageError(`--metrics "${values.metrics}": write HOST:PORT, e.g. 0.0.0.0:9325`);
  }
  let store: string;
  try {
    store = values.store ?? storeFromEnv(env);
  } catch (error) {
    throw new UsageError(`Store settings: ${(error as Error).message}`);
  }
  const wildcard = host === "0.0.0.0" || host === "::";
  const nodeTimeout = duration("--node-timeout", values["node-timeout"]);
  return {
    endpoint: values.endpoint,
    store,
    metrics: { host: m[1].replace(/^\[|\]$/g, "") || "0.0.0.0", port: Number(m[2]) },
    advertise: values.advertise ?? env.POD_IP ?? (wildcard ? "127.0.0.1" : host),
    nodeTimeout,
    reloadInterval: duration("--reload-interval", values["reload-interval"]),
    // Often enough that a short --node-timeout never shows the registry itself as inactive.
    heartbeatInterval: Math.min(10_000, Math.max(100, nodeTimeout / 3)),
    initDb: values["init-db"],
  };
}
