/**
 * The columns db_tars actually has, read from `information_schema` at start and at every reload:
 * other tools change the framework's tables while the registry runs (TarsWeb's `sync({alter})`
 * drops the columns its models lack, adds its own and changes types and defaults; the C++
 * registry adds `flow_state`), so the MySQL store builds its statements from what is there
 * instead of from a fixed list. A column the registry needs (names, states, heartbeat) must be
 * there; every other column it writes is optional, and a value that no longer fits its column
 * (a narrowed `varchar`, an enum without that value) is left out.
 *
 * @module
 */
import type { Pool, RowDataPacket } from "mysql2/promise";

/** The framework tables the registry reads and writes. */
export const FRAMEWORK_TABLES = [
  "t_node_info",
  "t_server_conf",
  "t_adapter_conf",
  "t_config_files",
  "t_registry_info",
  "t_server_group_rule",
  "t_group_priority",
] as const;

/** One of {@linkcode FRAMEWORK_TABLES}. */
export type FrameworkTable = typeof FRAMEWORK_TABLES[number];

/** The registry's own table: what it keeps per server that db_tars has no column for. */
export const OWN_SERVER_TABLE = "t_tarsregistry_server";

/**
 * The columns without which the registry cannot work, per table. `t_registry_info` is optional
 * as a whole (a database made by an older `--init-db` lacks it): without these columns the
 * registry does not write its own objects there. So are the IDC group tables: without them no
 * group is configured.
 */
export const REQUIRED_COLUMNS: Readonly<Record<FrameworkTable, readonly string[]>> = {
  t_node_info: ["node_name", "present_state", "last_heartbeat"],
  t_server_conf: ["application", "server_name", "node_name", "setting_state", "present_state"],
  t_adapter_conf: [
    "application",
    "server_name",
    "node_name",
    "adapter_name",
    "servant",
    "endpoint",
  ],
  t_config_files: ["server_name", "host"],
  t_registry_info: ["locator_id", "servant", "endpoint", "last_heartbeat", "present_state"],
  t_server_group_rule: ["group_id", "allow_ip_rule", "group_name"],
  t_group_priority: ["id", "group_list", "station", "list_order"],
};

/** What the store needs to know of a column. */
export interface ColumnInfo {
  readonly name: string;
  /** `DATA_TYPE`, lower case: `varchar`, `int`, `enum`, `datetime`… */
  readonly type: string;
  /** Characters a string column holds; null for other types. */
  readonly maxLength: number | null;
  /** The values of an enum column; null for other types. */
  readonly enumValues: readonly string[] | null;
  /** True when an INSERT that leaves it out fails under strict mode (NOT NULL, no default). */
  readonly needsValue: boolean;
}

/** The columns of the framework tables, by table and name; a missing table has no entry. */
export class Layout {
  readonly #tables: ReadonlyMap<string, ReadonlyMap<string, ColumnInfo>>;

  constructor(tables: ReadonlyMap<string, ReadonlyMap<string, ColumnInfo>>) {
    this.#tables = tables;
  }

  /** Whether `table` exists. */
  hasTable(table: FrameworkTable): boolean {
    return this.#tables.has(table);
  }

  /** The column, or undefined when the table or the column is missing. */
  column(table: FrameworkTable, name: string): ColumnInfo | undefined {
    return this.#tables.get(table)?.get(name);
  }

  /** Whether the column exists. */
  has(table: FrameworkTable, name: string): boolean {
    return this.column(table, name) !== undefined;
  }

  /** The columns of `table` (none when it is missing). */
  columns(table: FrameworkTable): ColumnInfo[] {
    return [...(this.#tables.get(table)?.values() ?? [])];
  }

  /** Required columns `table` lacks (all of them when the table is missing). */
  missing(table: FrameworkTable): string[] {
    return REQUIRED_COLUMNS[table].filter((name) => !this.has(table, name));
  }

  /** Why `value` cannot be written to the column, or undefined when it fits. */
  misfit(table: FrameworkTable, name: string, value: string): string | undefined {
    const column = this.column(table, name);
    if (!column) return `${table} has no column ${name}`;
    if (column.maxLength !== null && value.length > column.maxLength) {
      return `${table}.${name} holds ${column.maxLength} characters, the value has ${value.length}`;
    }
    if (column.enumValues && !column.enumValues.includes(value)) {
      return `${table}.${name} has no value ${JSON.stringify(value)}`;
    }
    return undefined;
  }

  /** Lines saying which columns were dropped or added since `before`, table by table. */
  changesSince(before: Layout): string[] {
    const lines: string[] = [];
    for (const table of FRAMEWORK_TABLES) {
      const was = new Set(before.columns(table).map((c) => c.name));
      const now = new Set(this.columns(table).map((c) => c.name));
      const gone = [...was].filter((name) => !now.has(name));
      const added = [...now].filter((name) => !was.has(name));
      const changed = this.columns(table).filter((c) => {
        const old = before.column(table, c.name);
        return old !== undefined && describe(old) !== describe(c);
      }).map((c) => c.name);
      const parts = [
        ...(gone.length ? [`dropped ${gone.join(", ")}`] : []),
        ...(added.length ? [`added ${added.join(", ")}`] : []),
        ...(changed.length ? [`changed ${changed.join(", ")}`] : []),
      ];
      if (parts.length) lines.push(`${table}: ${parts.join("; ")}`);
    }
    return lines;
  }
}

function describe(column: ColumnInfo): string {
  return JSON.stringify([column.type, column.maxLength, column.enumValues, column.needsValue]);
}

/** The values of an enum `COLUMN_TYPE` such as `enum('active','inactive')`. */
export function enumValuesOf(columnType: string): string[] | null {
  const match = /^enum\((.*)\)$/i.exec(columnType.trim());
  if (!match) return null;
  return [...match[1].matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1].replaceAll("''", "'"));
}

/** One `information_schema.COLUMNS` row as the layout query names it. */
export interface ColumnRow {
  table: string;
  name: string;
  dataType: string;
  columnType: string;
  maxLength: number | string | null;
  nullable: string;
  columnDefault: string | null;
  extra: string;
}

/** The layout from `information_schema.COLUMNS` rows of the framework tables. */
export function layoutOf(rows: readonly ColumnRow[]): Layout {
  const tables = new Map<string, Map<string, ColumnInfo>>();
  for (const row of rows) {
    let columns = tables.get(row.table);
    if (!columns) tables.set(row.table, columns = new Map());
    const extra = row.extra.toLowerCase();
    const filledByServer = /auto_increment|generated|virtual|persistent|stored/.test(extra);
    columns.set(row.name, {
      name: row.name,
      type: row.dataType.toLowerCase(),
      maxLength: row.maxLength === null ? null : Number(row.maxLength),
      enumValues: enumValuesOf(row.columnType),
      // MariaDB shows a nullable column's default NULL as the text 'NULL'; MySQL as NULL.
      needsValue: row.nullable === "NO" && row.columnDefault === null && !filledByServer,
    });
  }
  return new Layout(tables);
}

/** Reads the layout of the framework tables of the pool's database. */
export async function readLayout(pool: Pool): Promise<Layout> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS \`table\`, COLUMN_NAME AS name, DATA_TYPE AS dataType,
        COLUMN_TYPE AS columnType, CHARACTER_MAXIMUM_LENGTH AS maxLength,
        IS_NULLABLE AS nullable, COLUMN_DEFAULT AS columnDefault, EXTRA AS extra
      FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)
      ORDER BY TABLE_NAME, ORDINAL_POSITION`,
    [FRAMEWORK_TABLES],
  );
  return layoutOf(rows as ColumnRow[]);
}

/**
 * The value an INSERT gives a column another tool added as NOT NULL without a default (strict
 * mode refuses a row that leaves it out): what MySQL itself would put there without strict mode.
 */
export function fillerOf(column: ColumnInfo): { sql: string; params: unknown[] } {
  if (column.enumValues) return { sql: "?", params: [column.enumValues[0] ?? ""] };
  if (/int|decimal|numeric|float|double|real|bit|year/.test(column.type)) {
    return { sql: "0", params: [] };
  }
  if (/^(date|datetime|timestamp)$/.test(column.type)) return { sql: "NOW()", params: [] };
  if (column.type === "time") return { sql: "'00:00:00'", params: [] };
  if (column.type === "json") return { sql: "'null'", params: [] };
  return { sql: "''", params: [] };
}
