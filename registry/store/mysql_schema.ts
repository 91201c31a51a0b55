/**
 * Connecting to MySQL/MariaDB and setting up db_tars, as sqlite_schema.ts is for SQLite: the
 * `mysql://` spec, a pool checked with one query (a failure is a MysqlConnectError saying why and
 * what to change), `--init-db` (the database, the framework's tables from the DDL file), the
 * registry's own tables (created when missing), the check of the framework tables the registry
 * needs, and the carry-over of what K8STARS or an older version kept in `t_server_conf`. The store
 * (mysql_store.ts) opens its database through {@linkcode openMysqlDatabase}.
 *
 * @module
 */
import mysql from "mysql2/promise";
import type { Pool, RowDataPacket } from "mysql2/promise";
import { ER_DBACCESS_DENIED, explainMysqlError, MysqlConnectError } from "./mysql_errors.ts";
import { type Layout, OWN_SERVER_TABLE, readLayout } from "./mysql_layout.ts";
import { OWN_TASK_TABLE, OWN_TASK_TABLE_DDL } from "./mysql_admin.ts";

/** Default location of the db_tars DDL used by `--init-db`. */
export const DEFAULT_DDL_PATH = new URL("../../baseserver/db/db_tars.sql", import.meta.url);

/** The registry's own server table (created when missing, at every open). */
const OWN_SERVER_TABLE_DDL = `CREATE TABLE IF NOT EXISTS ${OWN_SERVER_TABLE} (
  id int(11) NOT NULL AUTO_INCREMENT,
  application varchar(128) NOT NULL DEFAULT '',
  server_name varchar(128) NOT NULL DEFAULT '',
  node_name varchar(50) NOT NULL DEFAULT '',
  metrics_port int(11) NOT NULL DEFAULT 0,
  flow_state enum('active', 'inactive') NOT NULL DEFAULT 'active',
  registry_timestamp timestamp(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
    ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (id),
  UNIQUE KEY server (application, server_name, node_name),
  KEY node_name (node_name),
  KEY registry_timestamp (registry_timestamp)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4`;

/** The registry's own tables, by name, with what creates each. */
const OWN_TABLES: Readonly<Record<string, string>> = {
  [OWN_SERVER_TABLE]: OWN_SERVER_TABLE_DDL,
  [OWN_TASK_TABLE]: OWN_TASK_TABLE_DDL,
};

/** Connection settings parsed from a `mysql://` URL. */
export interface MysqlConfig {
  /** Host name (ignored when `socketPath` is set). */
  host: string;
  /** TCP port. */
  port: number;
  user: string;
  password: string;
  /** Database, normally `db_tars`. */
  database: string;
  /** Unix socket, from `?socket=`. */
  socketPath?: string;
}

/** How the store connects, and what its messages name. */
export interface ConnectOptions {
  /** The setting that gave the store, for messages (default `--store`). */
  setting?: string;
  /** How long (ms) a connection may take to be made; default 10 s. */
  connectTimeout?: number;
}

/** Parses `mysql://USER:PASS@HOST:PORT/DB` (optionally `?socket=/path`). */
export function parseMysqlUrl(spec: string): MysqlConfig {
  let url: URL;
  try {
    url = new URL(spec);
  } catch {
    throw new RangeError(
      `Invalid MySQL store ${JSON.stringify(spec)}: use mysql://USER:PASS@HOST:PORT/db_tars`,
    );
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ""));
  if (url.protocol !== "mysql:" || database === "" || database.includes("/")) {
    throw new RangeError(
      `Invalid MySQL store ${JSON.stringify(spec)}: use mysql://USER:PASS@HOST:PORT/db_tars`,
    );
  }
  for (const key of url.searchParams.keys()) {
    if (key !== "socket") {
      throw new RangeError(
        `Invalid MySQL store parameter ${JSON.stringify(key)}: only ?socket=/path is supported`,
      );
    }
  }
  const socketPath = url.searchParams.get("socket") ?? undefined;
  return {
    host: url.hostname || "localhost",
    port: url.port ? Number(url.port) : 3306,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database,
    ...(socketPath ? { socketPath } : {}),
  };
}

const DEFAULT_CONNECT_TIMEOUT = 10_000;

/**
 * A pool on `config`'s database (none when `database` is false), checked with one query; a
 * failure is a MysqlConnectError saying why and what to change.
 */
async function connect(
  config: MysqlConfig,
  options: ConnectOptions & { pool: mysql.PoolOptions; database?: false },
): Promise<Pool> {
  const connectTimeout = options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
  const pool = mysql.createPool({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: options.database === false ? undefined : config.database,
    socketPath: config.socketPath,
    dateStrings: true,
    timezone: "Z",
    charset: "utf8mb4",
    connectTimeout,
    ...options.pool,
  });
  try {
    await pool.query("SELECT 1");
    return pool;
  } catch (error) {
    await pool.end();
    throw explainMysqlError(error, config, {
      setting: options.setting ?? "--store",
      connectTimeout,
    });
  }
}

/**
 * Creates the database of `config` when it does not exist (`--init-db`). When the user may not
 * create it, the error says so and what an administrator runs.
 */
export async function createMysqlDatabase(
  config: MysqlConfig,
  options: ConnectOptions = {},
): Promise<void> {
  try {
    await (await connect(config, { ...options, pool: { connectionLimit: 1 } })).end();
    return;
  } catch (error) {
    // A user without rights on a database that does not exist is told "access denied" (1044).
    const missing = error instanceof MysqlConnectError &&
      (error.problem === "unknown database" ||
        (error.cause as { errno?: number } | undefined)?.errno === ER_DBACCESS_DENIED);
    if (!missing) throw error;
  }
  const server = await connect(config, {
    ...options,
    pool: { connectionLimit: 1 },
    database: false,
  });
  try {
    await server.query(
      `CREATE DATABASE IF NOT EXISTS ${mysql.escapeId(config.database)} CHARACTER SET utf8mb4`,
    );
  } catch (error) {
    throw new Error(
      `Cannot create database "${config.database}" as user "${config.user}" (--init-db): ` +
        `${(error as Error).message}; have an administrator run CREATE DATABASE ` +
        `${config.database} and grant the user access to it`,
      { cause: error },
    );
  } finally {
    await server.end();
  }
}

/**
 * `--init-db`: creates the framework's db_tars schema from the DDL file (every table the C++
 * registry and the console read, and the `tars.default` template) and the registry's own tables.
 * Idempotent: what exists is left as it is.
 */
export async function createMysqlSchema(
  config: MysqlConfig,
  options: ConnectOptions & { ddlPath?: string | URL } = {},
): Promise<void> {
  const ddl = await Deno.readTextFile(options.ddlPath ?? DEFAULT_DDL_PATH);
  const pool = await connect(config, {
    ...options,
    pool: { connectionLimit: 1, multipleStatements: true },
  });
  try {
    await pool.query(ddl);
    await ensureOwnTables(pool, config);
  } finally {
    await pool.end();
  }
}

/**
 * Creates the registry's own tables when they are missing. Checked first, so a user without the
 * right to create tables can run on a database where they exist; where they do not, the error says
 * what to do.
 */
export async function ensureOwnTables(pool: Pool, config: MysqlConfig): Promise<void> {
  const [found] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS name FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)`,
    [Object.keys(OWN_TABLES)],
  );
  const present = new Set(found.map((row) => String(row.name)));
  for (const [table, ddl] of Object.entries(OWN_TABLES)) {
    if (present.has(table)) continue;
    try {
      await pool.query(ddl);
    } catch (error) {
      throw new Error(
        `Cannot create the registry's own table ${table} in database ` +
          `${config.database} as user "${config.user}": ${
            (error as Error).message
          }; let the user ` +
          `create tables there, or start it once with --init-db as a user who may`,
        { cause: error },
      );
    }
  }
}

/** Errors of a statement that met a table changed under it: worth one more try on a new layout. */
const SCHEMA_ERRORS = new Set([
  1048, // ER_BAD_NULL_ERROR: a column became NOT NULL
  1054, // ER_BAD_FIELD_ERROR: a column is gone
  1146, // ER_NO_SUCH_TABLE
  1265, // WARN_DATA_TRUNCATED (strict): an enum lost a value
  1364, // ER_NO_DEFAULT_FOR_FIELD: a NOT NULL column without a default was added
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: a type changed
  1406, // ER_DATA_TOO_LONG: a column was narrowed
]);

/** Whether `error` is one of {@linkcode SCHEMA_ERRORS}. */
export function isSchemaError(error: unknown): boolean {
  return SCHEMA_ERRORS.has((error as { errno?: number } | null)?.errno ?? 0);
}

/** Throws when a table the registry needs, or one of its required columns, is missing. */
export function checkLayout(layout: Layout, database: string): void {
  for (
    const table of ["t_node_info", "t_server_conf", "t_adapter_conf", "t_config_files"] as const
  ) {
    if (!layout.hasTable(table)) {
      throw new Error(
        `Database ${database} has no table ${table}: create the framework's tables with ` +
          `--init-db (DDL in baseserver/db/db_tars.sql)`,
      );
    }
    const missing = layout.missing(table);
    if (missing.length > 0) {
      throw new Error(
        `Table ${table} of database ${database} has no column ${missing.join(", ")}, which the ` +
          `registry needs: add it back as baseserver/db/db_tars.sql defines it`,
      );
    }
  }
}

/**
 * Carries a database K8STARS or an older version of this project wrote over to the registry's own
 * table, once per start: traffic switched off through `grid_flag` (`NO_FLOW`) into `flow_state`,
 * the column the console and the lookups read (or into the own table where there is none), and
 * metrics ports kept in `t_server_conf.metrics_port`. A server this registry has registered has
 * its own row already and is left as it is: its `flow_state` may be the console's since.
 */
async function carryOver(pool: Pool, layout: Layout): Promise<void> {
  const t = "t_server_conf";
  const key = (row: RowDataPacket) =>
    `${row.application}\u0000${row.server_name}\u0000${row.node_name}`;
  if (layout.has(t, "grid_flag")) {
    const hasFlowState = layout.has(t, "flow_state");
    const [rows] = await pool.query<RowDataPacket[]>(
      `SELECT application, server_name, node_name FROM ${t} WHERE grid_flag = 'NO_FLOW'
        AND application IS NOT NULL AND server_name IS NOT NULL
        ${hasFlowState ? "AND flow_state <> 'inactive'" : ""}`,
    );
    // Compared here, not joined: the framework's tables may have another collation than ours.
    const [own] = await pool.query<RowDataPacket[]>(
      `SELECT application, server_name, node_name FROM ${OWN_SERVER_TABLE}`,
    );
    const registered = new Set(own.map(key));
    for (const row of rows.filter((row) => !registered.has(key(row)))) {
      const names = [row.application, row.server_name, row.node_name];
      await pool.query(
        hasFlowState
          ? `UPDATE ${t} SET flow_state = 'inactive'
            WHERE application = ? AND server_name = ? AND node_name = ?`
          : `INSERT INTO ${OWN_SERVER_TABLE} (application, server_name, node_name, flow_state)
            VALUES (?, ?, ?, 'inactive')`,
        names,
      );
    }
  }
  if (layout.has(t, "metrics_port")) {
    await pool.query(
      `INSERT INTO ${OWN_SERVER_TABLE} (application, server_name, node_name, metrics_port)
        SELECT application, server_name, node_name, metrics_port FROM ${t}
        WHERE metrics_port > 0 AND application IS NOT NULL AND server_name IS NOT NULL
      ON DUPLICATE KEY UPDATE metrics_port = IF(${OWN_SERVER_TABLE}.metrics_port > 0,
        ${OWN_SERVER_TABLE}.metrics_port, VALUES(metrics_port))`,
    );
  }
}

/** How {@linkcode openMysqlDatabase} connects and what it sets up first. */
export interface OpenDatabaseOptions extends ConnectOptions {
  /** Create the database when it is missing, then the schema (`--init-db`). */
  initDb?: boolean;
  /** DDL file for `initDb`; default {@link DEFAULT_DDL_PATH}. */
  ddlPath?: string | URL;
  /** Pool size; default 8. */
  poolSize?: number;
}

/**
 * The store's pool on `config`'s database and the tables' layout: with `initDb` the database and
 * the schema created first; the framework's tables checked, the registry's own tables created
 * when missing, and what K8STARS or an older version kept in `t_server_conf` carried over.
 */
export async function openMysqlDatabase(
  config: MysqlConfig,
  options: OpenDatabaseOptions,
): Promise<{ pool: Pool; layout: Layout }> {
  if (options.initDb) {
    await createMysqlDatabase(config, options);
    await createMysqlSchema(config, options);
  }
  const pool = await connect(config, {
    ...options,
    // Several statements per query: the pods' calls go as one query per batch (mysql_batch.ts).
    pool: { connectionLimit: options.poolSize ?? 8, multipleStatements: true },
  });
  try {
    const layout = await readLayout(pool);
    checkLayout(layout, config.database);
    await ensureOwnTables(pool, config);
    await carryOver(pool, layout);
    return { pool, layout };
  } catch (error) {
    await pool.end();
    throw error;
  }
}
