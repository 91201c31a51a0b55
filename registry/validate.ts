/**
 * The registry's requests as the service takes them, and their validation: each request is
 * checked once, here, and turned into the rows the store writes (lengths are the narrowest
 * db_tars column widths, so a value accepted here is valid under MySQL strict mode, endpoint
 * strings parse, and no text holds a control character: a NUL would make two names one in
 * memory). A bad request throws a {@linkcode ValidationError} naming the field and value
 * before anything is written; the servants answer it with its message.
 *
 * @module
 */
import { isServerType, SERVER_TYPES } from "../lib/mod.ts";
import { parseEndpoint } from "../protocol/endpoint.ts";
import { NODE_OBJ } from "../protocol/interfaces/node_f.ts";
import { nodeAddress } from "./node_name.ts";
import { isOwnServant } from "./own_servants.ts";
import {
  type AdapterRow,
  type CleanCutoff,
  COLUMN_LIMITS,
  type KeepAliveRows,
  type MetricsRow,
  PRESENT_STATES,
  type PresentState,
  type ServerKey,
  type ServerTarget,
  type ServerType,
  type StartupRows,
} from "./store/types.ts";
import type { FlowRows } from "./store/admin_types.ts";

/** A request the caller got wrong: the registry answers it with this message, and logs nothing. */
export class ValidationError extends RangeError {
  constructor(message: string) {
    super(message);
    this.name = "ValidationError";
  }
}

/** Port the original registers for metrics when a request carries port 0. */
export const DEFAULT_METRICS_PORT = 9325;

/** One adapter (servant endpoint) a service announces in `onStartup`. */
export interface AdapterSpec {
  /** Full object name `App.Server.Obj`; a bare `Obj` is qualified with the request's names. */
  servant: string;
  /** Endpoint string, e.g. `tcp -h 10.0.0.5 -p 13000 -t 30000`. */
  endpoint: string;
  /** Protocol name; default `tars`. */
  protocol?: string;
  /** Maximum connections; default 200000. */
  maxConns?: number;
  /** Handler threads; default 5. */
  threadNum?: number;
  /** Queue capacity; default 10000. */
  queueCap?: number;
  /** Queue timeout in ms; default 60000. */
  queueTimeout?: number;
}

/** `onStartupReq`: a pod announces its service and endpoints. */
export interface StartupRequest {
  /** The pod's node name (its IP). */
  nodeName: string;
  /** Application; empty together with `server` in the old-client form (node only). */
  application: string;
  /** Server; empty together with `application` in the old-client form (node only). */
  server: string;
  /** Set id `name.area.group`, or empty for no set. */
  setId?: string;
  /** The service's adapters; they replace those registered before. */
  adapters?: AdapterSpec[];
  /** True registers the service with traffic off (`NO_FLOW`). */
  disableFlow?: boolean;
  /** Reported state; default (and empty) `active`. */
  state?: string;
  /** Service version, stored as `patch_version`. */
  version?: string;
  /** Server type (`tars_cpp`, `tars_go`, …); empty or absent keeps the stored one. */
  serverType?: string;
  /** The service's pid (0: not running); -1 or absent keeps the stored one. */
  processId?: number;
  /** The sender's tarscli version, the node's `tars_version`; empty or absent keeps it. */
  tarscliVersion?: string;
  /**
   * Where the pod serves its node object (`tcp -h IP -p PORT -t 60000`); empty or absent: it
   * serves none.
   */
  nodeEndpoint?: string;
  /** The IDC group the pod is in (its zone, say); empty or absent: the store's is kept. */
  group?: string;
}

/** `keepAliveReq`: a heartbeat that also reports the service state. */
export interface KeepAliveRequest {
  /** The pod's node name. */
  nodeName: string;
  /** Reported state; empty means `active` as in the original. */
  state: string;
  /** Application; empty (or empty server) sets the state of every server on the node. */
  application?: string;
  /** Server; see `application`. */
  server?: string;
  /** The service's pid (0: not running); -1 or absent keeps the stored one. */
  processId?: number;
}

/** `onPrestopReq`: a pod is about to stop. */
export interface PrestopRequest {
  /** The pod's node name. */
  nodeName: string;
  /** Application; empty together with `server` removes everything on the node. */
  application?: string;
  /** Server; see `application`. */
  server?: string;
}

/** `RegisterMetricsReq`: where Prometheus scrapes a service. */
export interface MetricsRequest {
  /** The pod's node name. */
  nodeName: string;
  /** Application of a registered server. */
  application: string;
  /** Server name of a registered server. */
  server: string;
  /** Metrics port; 0 means {@link DEFAULT_METRICS_PORT}. */
  metricsPort: number;
}

/** What `clean` is asked. */
export interface CleanOptions {
  /** Remove nodes whose last heartbeat is older than this. */
  before: Date;
  /** True only reports what would be removed. */
  dryRun: boolean;
}

const INT32_MAX = 2147483647;

/** How a string field is checked. */
export interface TextRule {
  field: string;
  max: number;
  required?: boolean;
}

/** C0 and C1 control characters and DEL: never part of a name, an endpoint or a version. */
// deno-lint-ignore no-control-regex -- finding control characters is its purpose
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks a text field: a string (absent is empty) without control characters, non-empty when
 * `required`, at most `max` characters; throws a ValidationError naming `field`.
 */
export function text(value: unknown, { field, max, required = false }: TextRule): string {
  if (value === undefined || value === null) value = "";
  if (typeof value !== "string") {
    throw new ValidationError(`Invalid ${field} ${JSON.stringify(value)}: pass a string`);
  }
  if (CONTROL_CHARACTER.test(value)) {
    throw new ValidationError(
      `Invalid ${field} ${JSON.stringify(value)}: it holds a control character; use printable ` +
        `characters only`,
    );
  }
  if (required && value === "") {
    throw new ValidationError(`Invalid ${field} "": it is required, pass a non-empty value`);
  }
  if (value.length > max) {
    throw new ValidationError(
      `Invalid ${field} ${JSON.stringify(value)}: it is longer than ${max} characters`,
    );
  }
  return value;
}

function name(value: unknown, rule: TextRule): string {
  const field = rule.field;
  const result = text(value, rule);
  if (/[\s.]/.test(result)) {
    throw new ValidationError(
      `Invalid ${field} ${JSON.stringify(result)}: use a name without dots or spaces`,
    );
  }
  return result;
}

function count(value: unknown, { field, fallback }: { field: string; fallback: number }): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > INT32_MAX) {
    throw new ValidationError(
      `Invalid ${field} ${JSON.stringify(value)}: use an integer from 0 to ${INT32_MAX}`,
    );
  }
  return value;
}

/** A pid, or null for -1 and absent (the client does not know it: the stored one stays). */
function processId(value: unknown): number | null {
  if (value === undefined || value === null || value === -1) return null;
  return count(value, { field: "processId", fallback: 0 });
}

/** A server type, or null for empty and absent (the stored one stays). */
function serverType(value: unknown): ServerType | null {
  if (value === undefined || value === null || value === "") return null;
  if (isServerType(value)) return value;
  throw new ValidationError(
    `Invalid serverType ${JSON.stringify(value)}: use one of ${SERVER_TYPES.join(", ")}`,
  );
}

/** Checks a reported state; empty means `active` as in the original. */
export function presentState(field: string, value: unknown): PresentState {
  if (value === undefined || value === null || value === "") return "active";
  if (typeof value === "string" && (PRESENT_STATES as readonly string[]).includes(value)) {
    return value as PresentState;
  }
  throw new ValidationError(
    `Invalid ${field} ${JSON.stringify(value)}: use one of ${PRESENT_STATES.join(", ")}`,
  );
}

function setParts(value: unknown): [string, string, string] | null {
  const setId = text(value, { field: "setId", max: 100 });
  if (setId === "") return null;
  const parts = setId.split(".");
  if (parts.length !== 3 || parts.some((part) => part === "" || /\s/.test(part))) {
    throw new ValidationError(
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
    throw new ValidationError(`Invalid ${field} ${JSON.stringify(spec)}: pass an adapter object`);
  }
  const adapter = spec as Record<string, unknown>;
  let servant = text(adapter.servant, {
    field: `${field}.servant`,
    max: COLUMN_LIMITS.servant,
    required: true,
  });
  if (!servant.includes(".")) servant = `${prefix}.${servant}`;
  if (!/^[^.\s]+\.[^.\s]+\.[^.\s]+$/.test(servant)) {
    throw new ValidationError(
      `Invalid ${field}.servant ${JSON.stringify(servant)}: use "App.Server.Obj"`,
    );
  }
  if (!isOwnServant(servant, prefix)) {
    throw new ValidationError(
      `Invalid ${field}.servant ${JSON.stringify(servant)}: a server registers only its own ` +
        `servants, named ${prefix}.<name> (as TARS names every servant); register the servant ` +
        `from its own server, or name it ${prefix}.${servant.split(".")[2]}`,
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

/** The node, application and server names of a request, checked in that order. */
function serverNames(
  req: { nodeName: string; application?: string; server?: string },
  options: { required: boolean },
): { nodeName: string; application: string; server: string } {
  const { required } = options;
  return {
    nodeName: text(req.nodeName, {
      field: "nodeName",
      max: COLUMN_LIMITS.nodeName,
      required: true,
    }),
    application: name(req.application, {
      field: "application",
      max: COLUMN_LIMITS.application,
      required,
    }),
    server: name(req.server, { field: "server", max: COLUMN_LIMITS.server, required }),
  };
}

/**
 * The node row's `node_obj` and `endpoint_port` from the pod's node endpoint: `NodeObj@` and the
 * endpoint, or K8STARS's placeholder with port 0 on the node's address when there is none.
 */
function nodeObject(address: string, value: unknown): { nodeObj: string; nodePort: number } {
  const prefix = `${NODE_OBJ}@`;
  const endpoint = text(value, {
    field: "nodeEndpoint",
    max: COLUMN_LIMITS.nodeObj - prefix.length,
  }).trim();
  if (endpoint === "") return { nodeObj: `${prefix}tcp -h ${address} -p 0`, nodePort: 0 };
  let port: number;
  try {
    const parsed = parseEndpoint(endpoint);
    if (parsed.transport !== "tcp") throw new RangeError("it is not a tcp endpoint");
    port = parsed.port;
  } catch (error) {
    throw new ValidationError(
      `Invalid nodeEndpoint ${JSON.stringify(endpoint)}: ${(error as Error).message}; ` +
        "send tcp -h POD_IP -p PORT -t 60000, or nothing",
    );
  }
  if (port < 1) {
    throw new ValidationError(
      `Invalid nodeEndpoint ${JSON.stringify(endpoint)}: port ${port}; give the port the node ` +
        "object listens on",
    );
  }
  return { nodeObj: prefix + endpoint, nodePort: port };
}

/** Validates `onStartup`; empty application and server register the node only. */
export function startupRows(req: StartupRequest): StartupRows {
  const { nodeName, application, server } = serverNames(req, { required: false });
  const state = presentState("state", req.state);
  const parts = setParts(req.setId);
  const version = text(req.version, { field: "version", max: COLUMN_LIMITS.version });
  const type = serverType(req.serverType);
  const pid = processId(req.processId);
  const tarsVersion = text(req.tarscliVersion, {
    field: "tarscliVersion",
    max: COLUMN_LIMITS.tarsVersion,
  }) || null;
  const group = text(req.group, { field: "group", max: COLUMN_LIMITS.groupName }).trim() || null;
  const address = nodeAddress(nodeName);
  const node = { nodeName, address, tarsVersion, ...nodeObject(address, req.nodeEndpoint) };
  const specs = req.adapters ?? [];
  if (!Array.isArray(specs)) {
    throw new ValidationError(`Invalid adapters ${JSON.stringify(specs)}: pass a list`);
  }
  if (application === "" && server === "") {
    if (specs.length > 0) {
      throw new ValidationError(
        `Invalid application "": adapters need an application and a server name`,
      );
    }
    return { ...node, server: null };
  }
  if (application === "" || server === "") {
    const missing = application === "" ? "application" : "server";
    throw new ValidationError(
      `Invalid ${missing} "": give both application and server, or neither (node only)`,
    );
  }
  const adapters = specs.map((spec, index) =>
    adapterRow(spec, { index, prefix: `${application}.${server}` })
  );
  const names = new Set(adapters.map((adapter) => adapter.adapterName));
  if (names.size !== adapters.length) {
    throw new ValidationError(`Invalid adapters: each servant may appear only once`);
  }
  for (const adapter of adapters) {
    try {
      parseEndpoint(adapter.endpoint); // lookups can answer only an endpoint that parses
    } catch (error) {
      throw new ValidationError((error as Error).message);
    }
  }
  return {
    ...node,
    server: {
      application,
      server,
      presentState: state,
      version,
      serverType: type,
      processId: pid,
      enableSet: parts ? "Y" : "N",
      setName: parts?.[0] ?? "",
      setArea: parts?.[1] ?? "",
      setGroup: parts?.[2] ?? "",
      gridFlag: req.disableFlow ? "NO_FLOW" : "NORMAL",
      flowState: req.disableFlow ? "inactive" : "active",
      groupName: group,
      adapters,
    },
  };
}

function target(req: { nodeName: string; application?: string; server?: string }): ServerTarget {
  const { nodeName, application, server } = serverNames(req, { required: false });
  if (application === "" || server === "") return { nodeName, application: null, server: null };
  return { nodeName, application, server };
}

/** Validates `keepAlive`; an empty application or server targets every server on the node. */
export function keepAliveRows(req: KeepAliveRequest): KeepAliveRows {
  return {
    ...target(req),
    presentState: presentState("state", req.state),
    processId: processId(req.processId),
  };
}

/** Validates `onPrestop`; empty application and server target the whole node. */
export function prestopTarget(req: PrestopRequest): ServerTarget {
  const result = target(req);
  if (result.application === null && (req.application || req.server)) {
    const missing = req.application ? "server" : "application";
    throw new ValidationError(
      `Invalid ${missing} "": give both application and server, or neither (whole node)`,
    );
  }
  return result;
}

/** Validates the server an admin call names: its node, application and server, all required. */
export function serverKeyOf(
  req: { nodeName: string; application: string; server: string },
): ServerKey {
  return serverNames(req, { required: true });
}

/** Validates the console's traffic switch: an application, a server and at least one node. */
export function flowRows(
  req: { application: string; server: string; nodeNames: readonly string[]; active: boolean },
): FlowRows {
  const names = serverNames({ ...req, nodeName: "-" }, { required: true });
  if (!Array.isArray(req.nodeNames) || req.nodeNames.length === 0) {
    throw new ValidationError(
      `Invalid nodeList ${JSON.stringify(req.nodeNames)}: name at least one node`,
    );
  }
  if (typeof req.active !== "boolean") {
    throw new ValidationError(`Invalid bActive ${String(req.active)}: pass true or false`);
  }
  return {
    application: names.application,
    server: names.server,
    nodeNames: req.nodeNames.map((nodeName, i) =>
      text(nodeName, { field: `nodeList[${i}]`, max: COLUMN_LIMITS.nodeName, required: true })
    ),
    active: req.active,
  };
}

/** Validates `registerMetrics`; port 0 becomes {@link DEFAULT_METRICS_PORT}. */
export function metricsRow(req: MetricsRequest): MetricsRow {
  const port = req.metricsPort;
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ValidationError(
      `Invalid metricsPort ${JSON.stringify(port)}: use a port from 1 to 65535`,
    );
  }
  return {
    ...serverNames(req, { required: true }),
    metricsPort: port === 0 ? DEFAULT_METRICS_PORT : port,
  };
}

/** Validates `clean`: the cutoff in epoch ms. */
export function cleanCutoff(options: CleanOptions): CleanCutoff {
  const before = options.before;
  if (!(before instanceof Date) || Number.isNaN(before.getTime())) {
    throw new ValidationError(`Invalid before ${String(before)}: pass a valid Date`);
  }
  if (typeof options.dryRun !== "boolean") {
    throw new ValidationError(`Invalid dryRun ${String(options.dryRun)}: pass true or false`);
  }
  return { before: before.getTime(), dryRun: options.dryRun };
}
