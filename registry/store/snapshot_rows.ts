/**
 * Builds a {@link StoreSnapshot} from raw table rows, the same way for both stores:
 * NULLs of framework-written rows become empty values, adapters are grouped under
 * their server, the registry's own values (metrics port, traffic flag) are taken from its own
 * table where the store keeps one, and everything is sorted by code unit so both stores agree.
 */

import type {
  AdapterRow,
  NodeRecord,
  PresentState,
  ServerKey,
  ServerRecord,
  SettingState,
  StoreSnapshot,
} from "./types.ts";

/**
 * A `t_server_conf` row as read (framework rows may hold NULLs; a column the table does not have
 * is read as NULL).
 */
export interface ServerTableRow {
  application: string | null;
  server_name: string | null;
  node_name: string | null;
  setting_state: string | null;
  present_state: string | null;
  patch_version: string | null;
  enable_set: string | null;
  set_name: string | null;
  set_area: string | null;
  set_group: string | null;
  grid_flag: string | null;
  flow_state: string | null;
  metrics_port: number | string | null;
  process_id: number | string | null;
  server_type: string | null;
}

/** A row of the registry's own server table (MySQL): its values the framework has no column for. */
export interface OwnServerRow {
  application: string;
  server_name: string;
  node_name: string;
  metrics_port: number | string | null;
  flow_state: string | null;
}

/** A `t_adapter_conf` row as read. */
export interface AdapterTableRow {
  application: string | null;
  server_name: string | null;
  node_name: string | null;
  adapter_name: string | null;
  servant: string | null;
  endpoint: string | null;
  protocol: string | null;
  thread_num: number | string | null;
  max_connections: number | string | null;
  queuecap: number | string | null;
  queuetimeout: number | string | null;
}

function str(value: string | null): string {
  return value ?? "";
}

function int(value: number | string | null): number {
  return value === null ? 0 : Number(value);
}

/** Joins set parts into a set id, or returns empty when the set is off. */
function setIdOf(enableSet: string, parts: [string, string, string]): string {
  if (enableSet !== "Y" && enableSet !== "y") return "";
  if (parts.some((part) => part === "")) return "";
  return parts.join(".");
}

function keyOf(parts: string[]): string {
  return parts.join("\u0000");
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

/** The rows a snapshot is built from: nodes as records, servers and adapters as read. */
export interface TableRows {
  nodes: NodeRecord[];
  servers: ServerTableRow[];
  adapters: AdapterTableRow[];
  /** The registry's own rows, where the store keeps them apart from `t_server_conf`. */
  own?: OwnServerRow[];
}

/**
 * Whether a server takes traffic: `flow_state` where `t_server_conf` has it (the console's
 * switch), else K8STARS's `grid_flag` (`NO_FLOW`), else the registry's own flag.
 */
function flowEnabled(row: ServerTableRow, own: OwnServerRow | undefined): boolean {
  if (row.flow_state !== null) return row.flow_state !== "inactive";
  if (row.grid_flag !== null) return row.grid_flag !== "NO_FLOW";
  return own?.flow_state !== "inactive";
}

/** Assembles the snapshot. */
export function buildSnapshot(takenAt: number, rows: TableRows): StoreSnapshot {
  const nodes = rows.nodes;
  const own = new Map<string, OwnServerRow>();
  for (const row of rows.own ?? []) {
    own.set(keyOf([row.application, row.server_name, row.node_name]), row);
  }
  const adapters = new Map<string, AdapterRow[]>();
  for (const row of rows.adapters) {
    const key = keyOf([str(row.application), str(row.server_name), str(row.node_name)]);
    const list = adapters.get(key) ?? [];
    list.push({
      adapterName: str(row.adapter_name),
      servant: str(row.servant),
      endpoint: str(row.endpoint),
      protocol: str(row.protocol) || "tars",
      threadNum: int(row.thread_num),
      maxConns: int(row.max_connections),
      queueCap: int(row.queuecap),
      queueTimeout: int(row.queuetimeout),
    });
    adapters.set(key, list);
  }
  const servers: ServerRecord[] = rows.servers.map((row) => {
    const application = str(row.application);
    const server = str(row.server_name);
    const nodeName = str(row.node_name);
    const setName = str(row.set_name);
    const setArea = str(row.set_area);
    const setGroup = str(row.set_group);
    const setId = setIdOf(str(row.enable_set), [setName, setArea, setGroup]);
    const mine = own.get(keyOf([application, server, nodeName]));
    // A port in the registry's own row wins; K8STARS and older versions kept it in t_server_conf.
    const ownPort = int(mine?.metrics_port ?? null);
    return {
      application,
      server,
      nodeName,
      settingState: (str(row.setting_state) || "inactive") as SettingState,
      presentState: (str(row.present_state) || "inactive") as PresentState,
      flowEnabled: flowEnabled(row, mine),
      setId,
      setName: setId ? setName : "",
      setArea: setId ? setArea : "",
      setGroup: setId ? setGroup : "",
      version: str(row.patch_version),
      processId: int(row.process_id),
      serverType: str(row.server_type),
      metricsPort: ownPort > 0 ? ownPort : int(row.metrics_port),
      adapters: (adapters.get(keyOf([application, server, nodeName])) ?? []).sort(
        compareBy<AdapterRow>("adapterName"),
      ),
    };
  });
  return {
    takenAt,
    nodes: nodes.sort(compareBy<NodeRecord>("nodeName")),
    servers: servers.sort(SERVER_ORDER),
  };
}
