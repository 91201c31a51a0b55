/**
 * Request validation shared by the stores: turns registry requests into the exact
 * column values both stores write, or throws a RangeError naming the field and value
 * before anything is written. Lengths are the narrowest db_tars column widths, so a
 * value accepted here is valid under MySQL strict mode.
 */

import {
  type CleanOptions,
  DEFAULT_METRICS_PORT,
  type KeepAliveRequest,
  type MetricsRequest,
  PRESENT_STATES,
  type PresentState,
  type PrestopRequest,
  type StartupRequest,
} from "./types.ts";

/** Column widths of db_tars that bound request strings. */
export const COLUMN_LIMITS = {
  nodeName: 50,
  application: 50,
  server: 128,
  adapterName: 100,
  servant: 128,
  endpoint: 128,
  protocol: 64,
  version: 128,
  setName: 16,
  setArea: 16,
  setGroup: 64,
} as const;

const INT32_MAX = 2147483647;

/** One adapter row ready to write. */
export interface AdapterRow {
  /** `App.Server.ObjAdapter`. */
  adapterName: string;
  /** `App.Server.Obj`. */
  servant: string;
  /** Endpoint string. */
  endpoint: string;
  /** Protocol name. */
  protocol: string;
  /** Handler threads. */
  threadNum: number;
  /** Maximum connections. */
  maxConns: number;
  /** Queue capacity. */
  queueCap: number;
  /** Queue timeout in ms. */
  queueTimeout: number;
}

/** A validated `onStartup`; `server` is null in the old-client (node only) form. */
export interface StartupRows {
  /** Node name. */
  nodeName: string;
  /** Server row, or null when only the node is registered. */
  server: {
    application: string;
    server: string;
    presentState: PresentState;
    version: string;
    enableSet: "Y" | "N";
    setName: string;
    setArea: string;
    setGroup: string;
    gridFlag: "NORMAL" | "NO_FLOW";
    flowState: "active" | "inactive";
    adapters: AdapterRow[];
  } | null;
}

/** A validated target: one server, or every server on the node when `application` is null. */
export interface ServerTarget {
  /** Node name. */
  nodeName: string;
  /** Application, or null for the whole node. */
  application: string | null;
  /** Server, or null for the whole node. */
  server: string | null;
}

/** A validated `keepAlive`. */
export interface KeepAliveRows extends ServerTarget {
  /** State to set. */
  presentState: PresentState;
}

/** A validated `registerMetrics`. */
export interface MetricsRow {
  /** Node name. */
  nodeName: string;
  /** Application. */
  application: string;
  /** Server. */
  server: string;
  /** Port to store. */
  metricsPort: number;
}

/** How a string field is checked. */
interface TextRule {
  field: string;
  max: number;
  required?: boolean;
}

function text(value: unknown, { field, max, required = false }: TextRule): string {
  if (value === undefined || value === null) value = "";
  if (typeof value !== "string") {
    throw new RangeError(`Invalid ${field} ${JSON.stringify(value)}: pass a string`);
  }
  if (required && value === "") {
    throw new RangeError(`Invalid ${field} "": it is required, pass a non-empty value`);
  }
  if (value.length > max) {
    throw new RangeError(
      `Invalid ${field} ${JSON.stringify(value)}: it is longer than ${max} characters`,
    );
  }
  return value;
}

function name(value: unknown, rule: TextRule): string {
  const field = rule.field;
  const result = text(value, rule);
  if (/[\s.]/.test(result)) {
    throw new RangeError(
      `Invalid ${field} ${JSON.stringify(result)}: use a name without dots or spaces`,
    );
  }
  return result;
}

function count(value: unknown, { field, fallback }: { field: string; fallback: number }): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > INT32_MAX) {
    throw new RangeError(
      `Invalid ${field} ${JSON.stringify(value)}: use an integer from 0 to ${INT32_MAX}`,
    );
  }
  return value;
}

/** Checks a reported state; empty means `active` as in the original. */
export function presentState(field: string, value: unknown): PresentState {
  if (value === undefined || value === null || value === "") return "active";
  if (typeof value === "string" && (PRESENT_STATES as readonly string[]).includes(value)) {
    return value as PresentState;
  }
  throw new RangeError(
    `Invalid ${field} ${JSON.stringify(value)}: use one of ${PRESENT_STATES.join(", ")}`,
  );
}

function setParts(value: unknown): [string, string, string] | null {
  const setId = text(value, { field: "setId", max: 100 });
  if (setId === "") return null;
  const parts = setId.split(".");
  if (parts.length !== 3 || parts.some((part) => part === "" || /\s/.test(part))) {
    throw new RangeError(
      `Invalid setId ${JSON.stringify(setId)}: use "name.area.group" or an empty set id`,
    );
  }
  const [setName, setArea, setGroup] = parts;
  text(setName, { field: "setId name", max: COLUMN_LIMITS.setName, required: true });
  text(setArea, { field: "setId area", max: COLUMN_LIMITS.setArea, required: true });
  text(setGroup, { field: "setId group", max: COLUMN_LIMITS.setGroup, required: true });
  return [setName, setArea, setGroup];
}

function adapterRow(
  spec: unknown,
  { index, prefix }: { index: number; prefix: string },
): AdapterRow {
  const field = `adapters[${index}]`;
  if (typeof spec !== "object" || spec === null) {
    throw new RangeError(`Invalid ${field} ${JSON.stringify(spec)}: pass an adapter object`);
  }
  const adapter = spec as Record<string, unknown>;
  let servant = text(adapter.servant, {
    field: `${field}.servant`,
    max: COLUMN_LIMITS.servant,
    required: true,
  });
  if (!servant.includes(".")) servant = `${prefix}.${servant}`;
  if (!/^[^.\s]+\.[^.\s]+\.[^.\s]+$/.test(servant)) {
    throw new RangeError(
      `Invalid ${field}.servant ${JSON.stringify(servant)}: use "App.Server.Obj"`,
    );
  }
  const adapterName = text(`${servant}Adapter`, {
    field: `${field}.servant`,
    max: COLUMN_LIMITS.adapterName,
    required: true,
  });
  const protocol = text(adapter.protocol, {
    field: `${field}.protocol`,
    max: COLUMN_LIMITS.protocol,
  });
  return {
    adapterName,
    servant,
    endpoint: text(adapter.endpoint, {
      field: `${field}.endpoint`,
      max: COLUMN_LIMITS.endpoint,
      required: true,
    }).trim(),
    protocol: protocol === "" ? "tars" : protocol,
    threadNum: count(adapter.threadNum, { field: `${field}.threadNum`, fallback: 5 }),
    maxConns: count(adapter.maxConns, { field: `${field}.maxConns`, fallback: 200000 }),
    queueCap: count(adapter.queueCap, { field: `${field}.queueCap`, fallback: 10000 }),
    queueTimeout: count(adapter.queueTimeout, { field: `${field}.queueTimeout`, fallback: 60000 }),
  };
}

/** Validates `onStartup`; empty application and server register the node only. */
export function startupRows(req: StartupRequest): StartupRows {
  const nodeName = text(req.nodeName, {
    field: "nodeName",
    max: COLUMN_LIMITS.nodeName,
    required: true,
  });
  const application = name(req.application, {
    field: "application",
    max: COLUMN_LIMITS.application,
  });
  const server = name(req.server, { field: "server", max: COLUMN_LIMITS.server });
  const state = presentState("state", req.state);
  const parts = setParts(req.setId);
  const version = text(req.version, { field: "version", max: COLUMN_LIMITS.version });
  const specs = req.adapters ?? [];
  if (!Array.isArray(specs)) {
    throw new RangeError(`Invalid adapters ${JSON.stringify(specs)}: pass a list`);
  }
  if (application === "" && server === "") {
    if (specs.length > 0) {
      throw new RangeError(
        `Invalid application "": adapters need an application and a server name`,
      );
    }
    return { nodeName, server: null };
  }
  if (application === "" || server === "") {
    const missing = application === "" ? "application" : "server";
    throw new RangeError(
      `Invalid ${missing} "": give both application and server, or neither (node only)`,
    );
  }
  const adapters = specs.map((spec, index) =>
    adapterRow(spec, { index, prefix: `${application}.${server}` })
  );
  const names = new Set(adapters.map((adapter) => adapter.adapterName));
  if (names.size !== adapters.length) {
    throw new RangeError(`Invalid adapters: each servant may appear only once`);
  }
  return {
    nodeName,
    server: {
      application,
      server,
      presentState: state,
      version,
      enableSet: parts ? "Y" : "N",
      setName: parts?.[0] ?? "",
      setArea: parts?.[1] ?? "",
      setGroup: parts?.[2] ?? "",
      gridFlag: req.disableFlow ? "NO_FLOW" : "NORMAL",
      flowState: req.disableFlow ? "inactive" : "active",
      adapters,
    },
  };
}

function target(req: { nodeName: string; application?: string; server?: string }): ServerTarget {
  const nodeName = text(req.nodeName, {
    field: "nodeName",
    max: COLUMN_LIMITS.nodeName,
    required: true,
  });
  const application = name(req.application, {
    field: "application",
    max: COLUMN_LIMITS.application,
  });
  const server = name(req.server, { field: "server", max: COLUMN_LIMITS.server });
  if (application === "" || server === "") return { nodeName, application: null, server: null };
  return { nodeName, application, server };
}

/** Validates `keepAlive`; an empty application or server targets every server on the node. */
export function keepAliveRows(req: KeepAliveRequest): KeepAliveRows {
  return { ...target(req), presentState: presentState("state", req.state) };
}

/** Validates `onPrestop`; empty application and server target the whole node. */
export function prestopTarget(req: PrestopRequest): ServerTarget {
  const result = target(req);
  if (result.application === null && (req.application || req.server)) {
    const missing = req.application ? "server" : "application";
    throw new RangeError(
      `Invalid ${missing} "": give both application and server, or neither (whole node)`,
    );
  }
  return result;
}

/** Validates `registerMetrics`; port 0 becomes {@link DEFAULT_METRICS_PORT}. */
export function metricsRow(req: MetricsRequest): MetricsRow {
  const port = req.metricsPort;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Invalid metricsPort ${JSON.stringify(port)}: use a port from 1 to 65535`);
  }
  return {
    nodeName: text(req.nodeName, {
      field: "nodeName",
      max: COLUMN_LIMITS.nodeName,
      required: true,
    }),
    application: name(req.application, {
      field: "application",
      max: COLUMN_LIMITS.application,
      required: true,
    }),
    server: name(req.server, { field: "server", max: COLUMN_LIMITS.server, required: true }),
    metricsPort: port === 0 ? DEFAULT_METRICS_PORT : port,
  };
}

/** Joins set parts into a set id, or returns empty when the set is off. */
export function setIdOf(enableSet: string, parts: [string, string, string]): string {
  if (enableSet !== "Y" && enableSet !== "y") return "";
  if (parts.some((part) => part === "")) return "";
  return parts.join(".");
}

/** Checks `clean` options and returns the cutoff in epoch ms. */
export function cutoff(options: CleanOptions): number {
  const before = options.before;
  if (!(before instanceof Date) || Number.isNaN(before.getTime())) {
    throw new RangeError(`Invalid before ${String(before)}: pass a valid Date`);
  }
  if (typeof options.dryRun !== "boolean") {
    throw new RangeError(`Invalid dryRun ${String(options.dryRun)}: pass true or false`);
  }
  return before.getTime();
}
