/**
 * The MySQL store's statements, built from the {@linkcode Layout} the database has now: each
 * optional column is written only when it exists and the value fits it, and a column another tool
 * added as NOT NULL without a default gets a value in every INSERT. Times are the database's
 * (`NOW()`), in the session's time zone, as the TARS framework writes them.
 *
 * `registry_timestamp` is set to `NOW(3)` whenever a write changes a server row, as its
 * `ON UPDATE CURRENT_TIMESTAMP` does in the framework's schema (older schemas of this project
 * lack that clause): the framework's registries reload incrementally by it.
 *
 * @module
 */
import { fillerOf, type FrameworkTable, type Layout, OWN_SERVER_TABLE } from "./mysql_layout.ts";
import { ADAPTER_COLUMNS, SERVER_ADAPTER_COLUMNS } from "./snapshot_rows.ts";
import type { KeepAliveRows, RegistryInfoRows, ServerRow, StartupRows } from "./types.ts";

/** SQL text with its parameters. */
export interface Statement {
  readonly sql: string;
  readonly params: unknown[];
}

/** Reports, under a key so each is logged once, a value left out or filled in and why. */
export type Report = (key: string, reason: string) => void;

/** The template a new server row gets (the framework's default profile). */
export const DEFAULT_TEMPLATE = "tars.default";

/** A column's value in an INSERT, and what ON DUPLICATE KEY UPDATE sets it to (none: kept). */
interface Assignment {
  readonly column: string;
  readonly value: Statement;
  /** SQL of the update, e.g. `VALUES(col)`; undefined leaves the column as it is. */
  readonly update?: string;
}

/** How an existing row's column changes: `onUpdate` is its SQL; without it, it is kept. */
interface OnUpdate {
  readonly onUpdate?: string;
}

const param = (value: unknown): Statement => ({ sql: "?", params: [value] });
const raw = (sql: string): Statement => ({ sql, params: [] });

/** Builds INSERT … ON DUPLICATE KEY UPDATE statements for one table of a layout. */
class Upsert {
  readonly #assignments: Assignment[] = [];

  constructor(
    readonly table: FrameworkTable,
    readonly layout: Layout,
    readonly report: Report,
  ) {}

  /** A column the registry cannot work without (the layout was checked for it). */
  required(column: string, value: Statement, options: OnUpdate = {}): this {
    this.#assignments.push({ column, value, update: options.onUpdate });
    return this;
  }

  /** A column written when it exists; a string value also when it fits (else reported). */
  optional(column: string, value: Statement, options: OnUpdate = {}): this {
    if (!this.layout.has(this.table, column)) return this;
    for (const v of value.params) {
      if (typeof v !== "string") continue;
      const misfit = this.layout.misfit(this.table, column, v);
      if (misfit) {
        this.report(`${this.table}.${column}`, `a value left out: ${misfit}`);
        return this;
      }
    }
    this.#assignments.push({ column, value, update: options.onUpdate });
    return this;
  }

  /** The INSERT, with the fillers of columns another tool added without a default. */
  build(): Statement {
    const named = new Set(this.#assignments.map((a) => a.column));
    const fillers = this.layout.columns(this.table)
      .filter((c) => c.needsValue && !named.has(c.name))
      .map((c): Assignment => {
        this.report(
          `${this.table}.${c.name}:filler`,
          `${this.table}.${c.name} is NOT NULL without a default: new rows get its zero value`,
        );
        return { column: c.name, value: fillerOf(c) };
      });
    const all = [...this.#assignments, ...fillers];
    const updates = all.filter((a) => a.update !== undefined);
    const sql =
      `INSERT INTO ${this.table} (${all.map((a) => a.column).join(", ")}) VALUES (${
        all.map((a) => a.value.sql).join(", ")
      })` +
      (updates.length
        ? ` ON DUPLICATE KEY UPDATE ${updates.map((a) => `${a.column} = ${a.update}`).join(", ")}`
        : "");
    return { sql, params: all.flatMap((a) => a.value.params) };
  }
}

/** An existing row's column becomes `sql`. */
const to = (sql: string): OnUpdate => ({ onUpdate: sql });
/** An existing row's column takes the new row's value. */
const same = (column: string): OnUpdate => to(`VALUES(${column})`);

/**
 * The node row of `onStartup`: registered and heartbeating now, active, its node object as the C++
 * framework writes it (`tars.tarsnode.NodeObj@tcp -h IP -p PORT -t 60000`, and the port).
 */
export function upsertNode(layout: Layout, rows: StartupRows, report: Report): Statement {
  const node = rows.nodeName;
  const upsert = new Upsert("t_node_info", layout, report)
    .required("node_name", param(node))
    .optional("node_obj", param(rows.nodeObj), same("node_obj"))
    .optional("endpoint_ip", param(rows.address), same("endpoint_ip"))
    .optional("endpoint_port", param(rows.nodePort), same("endpoint_port"))
    .optional("last_reg_time", raw("NOW()"), to("NOW()"))
    .required("last_heartbeat", raw("NOW()"), to("NOW()"))
    .optional("setting_state", param("active"))
    .required("present_state", param("active"), to("'active'"));
  if (rows.tarsVersion !== null) {
    upsert.optional("tars_version", param(rows.tarsVersion), same("tars_version"));
  }
  return upsert.build();
}

/**
 * The server row of `onStartup`. A new row is active in setting, of template `tars.default`,
 * type `tars_cpp` and pid 0 unless the request says otherwise; an existing row keeps its setting
 * state (an operator's `inactive` from the console) and its traffic switch unless the pod turns
 * traffic off, and its type and pid when the request does not send them. `patch_time` moves only when the version changes.
 */
export function upsertServer(
  layout: Layout,
  node: string,
  s: ServerRow,
  report: Report,
): Statement {
  const t = "t_server_conf";
  const upsert = new Upsert(t, layout, report)
    .required("application", param(s.application))
    .required("server_name", param(s.server))
    .required("node_name", param(node))
    // First: later assignments must not see the row changed before it is stamped.
    .optional("registry_timestamp", raw("NOW(3)"), to("NOW(3)"))
    .required("setting_state", param("active"))
    .required("present_state", param(s.presentState), same("present_state"));
  // patch_time's update reads VALUES(patch_version): only when that value is written too.
  if (layout.has(t, "patch_version") && !layout.misfit(t, "patch_version", s.version)) {
    upsert.optional(
      "patch_time",
      raw("NOW()"),
      to("IF(patch_version <=> VALUES(patch_version), patch_time, NOW())"),
    );
  }
  upsert
    .optional("patch_version", param(s.version), same("patch_version"))
    .optional("posttime", raw("NOW()"))
    .optional("enable_set", param(s.enableSet), same("enable_set"))
    .optional("set_name", param(s.setName), same("set_name"))
    .optional("set_area", param(s.setArea), same("set_area"))
    .optional("set_group", param(s.setGroup), same("set_group"))
    .optional("grid_flag", param(s.gridFlag), same("grid_flag"))
    // The console's switch outlives a re-registration; a pod that registers with traffic off
    // (TARS_DISABLE_FLOW) turns it off.
    .optional(
      "flow_state",
      param(s.flowState),
      to("IF(VALUES(flow_state) = 'inactive', 'inactive', flow_state)"),
    )
    .optional(
      "template_name",
      param(DEFAULT_TEMPLATE),
      to("IF(template_name IS NULL OR template_name = '', VALUES(template_name), template_name)"),
    );
  upsert.optional(
    "process_id",
    param(s.processId ?? 0),
    s.processId === null ? {} : same("process_id"),
  );
  upsert.optional(
    "server_type",
    param(s.serverType ?? "tars_cpp"),
    s.serverType === null ? {} : same("server_type"),
  );
  // A pod that names no group leaves the server's grouping as it is (the console's).
  if (s.groupName !== null) {
    upsert
      .optional("ip_group_name", param(s.groupName), same("ip_group_name"))
      .optional("enable_group", param("Y"), same("enable_group"));
  }
  return upsert.build();
}

/**
 * The IDC group a pod names, added to `t_server_group_rule` with no address when no group has
 * that name (the unique name key, or its absence, makes a second one a no-op); undefined when the
 * table is missing.
 */
export function addGroup(layout: Layout, name: string): Statement | undefined {
  if (layout.missing("t_server_group_rule").length > 0) return undefined;
  const extra = ["denny_ip_rule", "lastuser"].filter((c) => layout.has("t_server_group_rule", c));
  const values = extra.map((c) => (c === "lastuser" ? "'tarsregistry'" : "''"));
  return {
    sql: `INSERT IGNORE INTO t_server_group_rule (group_name, allow_ip_rule${
      extra.map((c) => `, ${c}`).join("")
    })
      SELECT ?, ''${values.map((v) => `, ${v}`).join("")} FROM DUAL
      WHERE NOT EXISTS (SELECT 1 FROM t_server_group_rule WHERE group_name = ?)`,
    params: [name, name],
  };
}

/** The registry's own row of a server: its traffic flag (kept where db_tars has no column). */
export function upsertOwnServer(node: string, s: ServerRow): Statement {
  return {
    sql: `INSERT INTO ${OWN_SERVER_TABLE} (application, server_name, node_name, flow_state)
      VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE flow_state = VALUES(flow_state)`,
    params: [s.application, s.server, node, s.flowState],
  };
}

/** One adapter row of `onStartup` (the server's old rows were deleted first). */
export function insertAdapter(
  layout: Layout,
  node: string,
  s: ServerRow,
  report: Report,
): (adapter: ServerRow["adapters"][number]) => Statement {
  return (a) =>
    new Upsert("t_adapter_conf", layout, report)
      .required("application", param(s.application))
      .required("server_name", param(s.server))
      .required("node_name", param(node))
      .required("adapter_name", param(a.adapterName))
      .required("servant", param(a.servant))
      .required("endpoint", param(a.endpoint))
      .optional("protocol", param(a.protocol))
      .optional("thread_num", param(a.threadNum))
      .optional("max_connections", param(a.maxConns))
      .optional("queuecap", param(a.queueCap))
      .optional("queuetimeout", param(a.queueTimeout))
      .optional("registry_timestamp", raw("NOW(3)"))
      .optional("posttime", raw("NOW()"))
      .build();
}

/** The heartbeat of a node: now, active. */
export function heartbeat(node: string): Statement {
  return {
    sql: "UPDATE t_node_info SET last_heartbeat = NOW(), present_state = 'active' " +
      "WHERE node_name = ?",
    params: [node],
  };
}

/**
 * The state (and pid) of one server, or of every server of the node when the request names none;
 * `registry_timestamp` moves only for a row whose values change.
 */
export function serverState(layout: Layout, rows: KeepAliveRows): Statement {
  const t = "t_server_conf";
  const pid = rows.processId !== null && layout.has(t, "process_id") ? rows.processId : null;
  const unchanged = pid === null
    ? "present_state <=> ?"
    : "present_state <=> ? AND process_id <=> ?";
  const unchangedParams = pid === null ? [rows.presentState] : [rows.presentState, pid];
  const sets: string[] = [];
  const params: unknown[] = [];
  if (layout.has(t, "registry_timestamp")) {
    sets.push(`registry_timestamp = IF(${unchanged}, registry_timestamp, NOW(3))`);
    params.push(...unchangedParams);
  }
  sets.push("present_state = ?");
  params.push(rows.presentState);
  if (pid !== null) {
    sets.push("process_id = ?");
    params.push(pid);
  }
  const where = rows.application === null || rows.server === null
    ? { sql: "node_name = ?", params: [rows.nodeName] }
    : {
      sql: "node_name = ? AND application = ? AND server_name = ?",
      params: [rows.nodeName, rows.application, rows.server],
    };
  return {
    sql: `UPDATE ${t} SET ${sets.join(", ")} WHERE ${where.sql}`,
    params: [...params, ...where.params],
  };
}

/** `NOW(3) - timeout ms`: the cutoff of a node check or a clean, in the database's clock. */
export function before(ageMs: number): Statement {
  return { sql: "NOW(3) - INTERVAL ? MICROSECOND", params: [Math.round(ageMs * 1000)] };
}

/** The nodes a node check turns inactive: past the cutoff, with something still active. */
export function expiringNodes(layout: Layout, timeout: number): Statement {
  const cutoff = before(timeout);
  const pid = layout.has("t_server_conf", "process_id") ? " OR s.process_id <> 0" : "";
  return {
    sql: `SELECT node_name FROM t_node_info AS n WHERE last_heartbeat < ${cutoff.sql}
      AND (present_state <> 'inactive' OR EXISTS (SELECT 1 FROM t_server_conf AS s
        WHERE s.node_name = n.node_name AND (s.present_state <> 'inactive'${pid})))
      ORDER BY node_name FOR UPDATE`,
    params: cutoff.params,
  };
}

/** The servers of `nodes` turned inactive, pid 0, as the C++ registry's node check does. */
export function expireServers(layout: Layout, nodes: readonly string[]): Statement {
  const t = "t_server_conf";
  const pid = layout.has(t, "process_id");
  const sets = [
    ...(layout.has(t, "registry_timestamp") ? ["registry_timestamp = NOW(3)"] : []),
    "present_state = 'inactive'",
    ...(pid ? ["process_id = 0"] : []),
  ];
  return {
    sql: `UPDATE ${t} SET ${sets.join(", ")} WHERE node_name IN (?)
      AND (present_state <> 'inactive'${pid ? " OR process_id <> 0" : ""})`,
    params: [nodes],
  };
}

/** The nodes turned inactive. */
export function expireNodes(nodes: readonly string[]): Statement {
  return {
    sql: `UPDATE t_node_info SET present_state = 'inactive'
      WHERE node_name IN (?) AND present_state <> 'inactive'`,
    params: [nodes],
  };
}

/** Registry rows without a heartbeat since the cutoff turned inactive. */
export function expireRegistryInfo(timeout: number): Statement {
  const cutoff = before(timeout);
  return {
    sql: `UPDATE t_registry_info SET present_state = 'inactive'
      WHERE last_heartbeat < ${cutoff.sql} AND present_state <> 'inactive'`,
    params: cutoff.params,
  };
}

/**
 * This registry's own objects in `t_registry_info`, as the C++ registry writes them: one row per
 * servant, `locator_id` the QueryObj's `host:port`, heartbeat now, active, its version. An
 * existing row is updated in place (the C++ registry's REPLACE gives it a new id every time).
 */
export function announceRegistry(
  layout: Layout,
  rows: RegistryInfoRows,
  report: Report,
): Statement[] {
  return rows.servants.map(({ servant, endpoint }) =>
    new Upsert("t_registry_info", layout, report)
      .required("locator_id", param(rows.locatorId))
      .required("servant", param(servant))
      .required("endpoint", param(endpoint), same("endpoint"))
      .required("last_heartbeat", raw("NOW()"), to("NOW()"))
      .required("present_state", param("active"), to("'active'"))
      .optional("tars_version", param(rows.version), same("tars_version"))
      .build()
  );
}

/**
 * Every server (or those `where` picks, on alias `s`) with its adapters, one row per adapter (a
 * server without any: one row, `has_adapter` 0), the rows of a server one after the other, as
 * the C++ registry joins them; the columns of {@linkcode SERVER_ADAPTER_COLUMNS}, a missing one
 * as NULL.
 */
export function serversWithAdapters(layout: Layout, where?: Statement): Statement {
  const adapterColumns = new Set<string>(ADAPTER_COLUMNS);
  const columns = SERVER_ADAPTER_COLUMNS.map((c) => {
    if (c === "has_adapter") return "a.node_name IS NOT NULL AS has_adapter";
    const [table, alias] = adapterColumns.has(c)
      ? ["t_adapter_conf" as const, "a"]
      : ["t_server_conf" as const, "s"];
    return layout.has(table, c) ? `${alias}.${c}` : `NULL AS ${c}`;
  });
  const order = layout.has("t_server_conf", "id")
    ? "s.id"
    : "s.application, s.server_name, s.node_name";
  return {
    sql: `SELECT ${columns.join(", ")}
      FROM t_server_conf AS s LEFT JOIN t_adapter_conf AS a ON a.application = s.application
        AND a.server_name = s.server_name AND a.node_name = s.node_name
      ${where ? `WHERE ${where.sql}` : ""}
      ORDER BY ${order}`,
    params: where?.params ?? [],
  };
}

/** A table's columns `wanted` as a SELECT list: the missing ones as NULL under their name. */
export function selectList(layout: Layout, table: FrameworkTable, wanted: string[]): string {
  return wanted.map((c) => layout.has(table, c) ? c : `NULL AS ${c}`).join(", ");
}

/**
 * Every node (or those heartbeating since `since`), with its node object (NULL where the table has
 * no `node_obj`) and its heartbeat's age (µs) on the database's clock.
 */
export function nodes(layout: Layout, since?: Statement): Statement {
  return {
    sql: `SELECT node_name, present_state, ${selectList(layout, "t_node_info", ["node_obj"])},
        TIMESTAMPDIFF(MICROSECOND, last_heartbeat, NOW(6)) AS age FROM t_node_info
      ${since ? `WHERE last_heartbeat >= ${since.sql}` : ""}`,
    params: since?.params ?? [],
  };
}

/** A database time (as `NOW(3)` gave it) less `ms`. */
export function markLess(at: string, ms: number): Statement {
  return {
    sql: "CAST(? AS DATETIME(3)) - INTERVAL ? MICROSECOND",
    params: [at, Math.round(ms * 1000)],
  };
}

/**
 * The nodes where a server or an adapter row was stamped (`registry_timestamp`) since `since`;
 * every node of a server when `t_server_conf` has no `registry_timestamp` to go by.
 */
export function touchedNodes(layout: Layout, since: Statement): Statement {
  if (!layout.has("t_server_conf", "registry_timestamp")) {
    return { sql: "SELECT DISTINCT node_name FROM t_server_conf", params: [] };
  }
  const parts = (["t_server_conf", "t_adapter_conf"] as const)
    .filter((t) => layout.has(t, "registry_timestamp"))
    .map((t) => ({
      sql: `SELECT node_name FROM ${t} WHERE registry_timestamp >= ${since.sql}`,
      params: since.params,
    }));
  return {
    sql: parts.map((p) => p.sql).join(" UNION "),
    params: parts.flatMap((p) => p.params),
  };
}

/** The nodes where the registry's own row of a server changed since `since`. */
export function touchedOwnNodes(since: Statement): Statement {
  return {
    sql: `SELECT DISTINCT node_name FROM ${OWN_SERVER_TABLE}
      WHERE registry_timestamp >= ${since.sql}`,
    params: since.params,
  };
}

/**
 * The registry's own rows of servers (on `nodes` when given); for a whole load only those that
 * say something (a metrics port, traffic off): a server without one has neither.
 */
export function ownRows(nodes?: readonly string[]): Statement {
  return nodes
    ? {
      sql: `SELECT application, server_name, node_name, metrics_port, flow_state
        FROM ${OWN_SERVER_TABLE} WHERE node_name IN (?)`,
      params: [nodes],
    }
    : {
      sql: `SELECT application, server_name, node_name, metrics_port, flow_state
        FROM ${OWN_SERVER_TABLE} WHERE metrics_port > 0 OR flow_state = 'inactive'`,
      params: [],
    };
}

/** The CRC-32 of a key, its names joined by NUL (key_sums.ts computes the same). */
function keyCrc(columns: string[]): string {
  const parts = columns.map((c) => `IFNULL(${c}, '')`);
  return `CRC32(CONCAT_WS(CHAR(0 USING utf8mb4), ${parts.join(", ")}))`;
}

/** Row counts and key checksums of the tables a replica holds (key_sums.ts). */
export function keySums(): Statement {
  const table = (name: string, t: string, key: string[]) =>
    `(SELECT COUNT(*) FROM ${t}) AS ${name}_count,
      (SELECT BIT_XOR(${keyCrc(key)}) FROM ${t}) AS ${name}_xor`;
  return {
    sql: `SELECT ${table("nodes", "t_node_info", ["node_name"])},
      ${table("servers", "t_server_conf", ["application", "server_name", "node_name"])},
      ${
      table("adapters", "t_adapter_conf", [
        "application",
        "server_name",
        "node_name",
        "adapter_name",
      ])
    }`,
    params: [],
  };
}
