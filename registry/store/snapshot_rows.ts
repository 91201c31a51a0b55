/**
 * Turns the rows a store reads into records, the same way for both stores, one server at a time
 * so a load streams into the registry's state instead of holding whole result sets: NULLs of
 * framework-written rows become empty values, the rows of a server joined with its adapters
 * become one record, the registry's own values (metrics port, traffic flag) are taken from its own
 * table where the store keeps one, and names repeated across servers are kept once.
 */

import type {
  AdapterRow,
  NodeRecord,
  PresentState,
  ServerKey,
  ServerRecord,
  SettingState,
} from "./types.ts";

/** The columns of {@linkcode SERVER_ADAPTER_COLUMNS} that `t_adapter_conf` gives, in order. */
export const ADAPTER_COLUMNS = [
  "adapter_name",
  "servant",
  "endpoint",
  "protocol",
  "thread_num",
  "max_connections",
  "queuecap",
  "queuetimeout",
] as const;

/**
 * The columns of a `t_server_conf` row joined with one of its `t_adapter_conf` rows, in the order
 * both stores select them (as arrays: cheaper to read than objects): the server's, whether the
 * join found an adapter (1 or 0; the adapter columns are NULL without one), the adapter's.
 * Framework rows may hold NULLs, and a column the table does not have is read as NULL.
 */
export const SERVER_ADAPTER_COLUMNS = [
  "application",
  "server_name",
  "node_name",
  "setting_state",
  "present_state",
  "patch_version",
  "enable_set",
  "set_name",
  "set_area",
  "set_group",
  "grid_flag",
  "flow_state",
  "metrics_port",
  "process_id",
  "server_type",
  "has_adapter",
  ...ADAPTER_COLUMNS,
] as const;

/** A row of {@linkcode SERVER_ADAPTER_COLUMNS}. */
export type ServerAdapterRow = readonly (string | number | bigint | null)[];

type Column = typeof SERVER_ADAPTER_COLUMNS[number];
const at = Object.fromEntries(SERVER_ADAPTER_COLUMNS.map((name, i) => [name, i])) as Record<
  Column,
  number
>;

/** The registry's own values of a server (MySQL), where the framework has no column for them. */
export interface OwnValues {
  metrics_port: number | string | null;
  flow_state: string | null;
}

function str(value: unknown): string {
  return value === null || value === undefined ? "" : String(value);
}

function int(value: unknown): number {
  return value === null || value === undefined ? 0 : Number(value);
}

/** Joins set parts into a set id, or returns empty when the set is off. */
function setIdOf(enableSet: string, parts: [string, string, string]): string {
  if (enableSet !== "Y" && enableSet !== "y") return "";
  if (parts.some((part) => part === "")) return "";
  return parts.join(".");
}

/** Orders by the given string fields, comparing code units. */
export function compareBy<T>(...fields: (keyof T)[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const field of fields) {
      const x = String(a[field]);
      const y = String(b[field]);
      if (x !== y) return x < y ? -1 : 1;
    }
    return 0;
  };
}

/** Sort order of servers and server keys. */
export const SERVER_ORDER = compareBy<ServerKey>("application", "server", "nodeName");
const ADAPTER_ORDER = compareBy<AdapterRow>("adapterName");

/** The key of a server in the maps of a load: names joined by NUL. */
export function ownKey(application: string, server: string, nodeName: string): string {
  return `${application}\u0000${server}\u0000${nodeName}`;
}

/**
 * Whether a server takes traffic: `flow_state` where `t_server_conf` has it (the console's
 * switch), else K8STARS's `grid_flag` (`NO_FLOW`), else the registry's own flag.
 */
function flowEnabled(row: ServerAdapterRow, own: OwnValues | undefined): boolean {
  const flowState = row[at.flow_state];
  if (flowState !== null) return flowState !== "inactive";
  const gridFlag = row[at.grid_flag];
  if (gridFlag !== null) return gridFlag !== "NO_FLOW";
  return own?.flow_state !== "inactive";
}

/**
 * Keeps one copy of each value it was given: the names servers share (application, server,
 * servant, version…) would otherwise be held once per row read.
 */
export class Interner {
  readonly #values = new Map<string, string>();

  /** The kept copy of `value`. */
  of(value: string): string {
    const kept = this.#values.get(value);
    if (kept !== undefined) return kept;
    this.#values.set(value, value);
    return value;
  }
}

/** A node record from the columns read. */
export function nodeRecord(
  nodeName: string | null,
  presentState: string | null,
  lastHeartbeat: number,
  nodeObj: string | null,
): NodeRecord {
  return {
    nodeName: str(nodeName),
    presentState: presentState === "active" ? "active" : "inactive",
    lastHeartbeat,
    nodeObj: str(nodeObj),
  };
}

/**
 * Builds server records from joined rows that come grouped by server (the rows of one server one
 * after the other), and hands each to `emit` once its last row was read.
 */
export class ServerAssembler {
  readonly #emit: (record: ServerRecord) => void;
  readonly #own: ((key: string) => OwnValues | undefined) | undefined;
  readonly #names = new Interner();
  #current: ServerRecord | undefined;

  /** `own`: the registry's own values of a server by {@linkcode ownKey} (MySQL). */
  constructor(
    emit: (record: ServerRecord) => void,
    options: { own?: (key: string) => OwnValues | undefined } = {},
  ) {
    this.#emit = emit;
    this.#own = options.own;
  }

  /** Takes the next row. */
  row(row: ServerAdapterRow): void {
    const application = str(row[at.application]);
    const server = str(row[at.server_name]);
    const nodeName = str(row[at.node_name]);
    let current = this.#current;
    if (
      !current || current.nodeName !== nodeName || current.server !== server ||
      current.application !== application
    ) {
      this.#flush();
      current = this.#current = this.#server(row, application, server, nodeName);
    }
    if (Number(row[at.has_adapter]) === 1) {
      const names = this.#names;
      const adapter: AdapterRow = {
        adapterName: names.of(str(row[at.adapter_name])),
        servant: names.of(str(row[at.servant])),
        endpoint: str(row[at.endpoint]),
        protocol: names.of(str(row[at.protocol]) || "tars"),
        threadNum: int(row[at.thread_num]),
        maxConns: int(row[at.max_connections]),
        queueCap: int(row[at.queuecap]),
        queueTimeout: int(row[at.queuetimeout]),
      };
      // A list of one is made at its size ([].push would reserve room for 17).
      if (current.adapters.length === 0) current.adapters = [adapter];
      else current.adapters.push(adapter);
    }
  }

  /** Emits the last server. */
  end(): void {
    this.#flush();
  }

  #flush(): void {
    const current = this.#current;
    if (!current) return;
    this.#current = undefined;
    if (current.adapters.length > 1) current.adapters.sort(ADAPTER_ORDER);
    this.#emit(current);
  }

  #server(
    row: ServerAdapterRow,
    application: string,
    server: string,
    nodeName: string,
  ): ServerRecord {
    const names = this.#names;
    const setName = str(row[at.set_name]);
    const setArea = str(row[at.set_area]);
    const setGroup = str(row[at.set_group]);
    const setId = setIdOf(str(row[at.enable_set]), [setName, setArea, setGroup]);
    const mine = this.#own?.(ownKey(application, server, nodeName));
    // A port in the registry's own row wins; K8STARS and older versions kept it in t_server_conf.
    const ownPort = int(mine?.metrics_port ?? null);
    return {
      application: names.of(application),
      server: names.of(server),
      nodeName,
      settingState: names.of(str(row[at.setting_state]) || "inactive") as SettingState,
      presentState: names.of(str(row[at.present_state]) || "inactive") as PresentState,
      flowEnabled: flowEnabled(row, mine),
      setId: names.of(setId),
      setName: names.of(setId ? setName : ""),
      setArea: names.of(setId ? setArea : ""),
      setGroup: names.of(setId ? setGroup : ""),
      version: names.of(str(row[at.patch_version])),
      processId: int(row[at.process_id]),
      serverType: names.of(str(row[at.server_type])),
      metricsPort: ownPort > 0 ? ownPort : int(row[at.metrics_port]),
      adapters: [],
    };
  }
}
