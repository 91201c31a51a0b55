/**
 * Registry store on MySQL/MariaDB: the db_tars tables the TARS framework and its web
 * console read (`t_node_info`, `t_server_conf`, `t_adapter_conf`, `t_config_files`).
 *
 * Each call is one InnoDB transaction on a pooled connection, committed before the
 * promise resolves. Every value written is valid under strict SQL mode: validation
 * bounds strings by the column widths, enum columns only get their values, datetimes
 * come from the injected clock as UTC strings. On open it adds `metrics_port` (and
 * `grid_flag` when neither traffic column exists) to `t_server_conf` if missing, and
 * writes `flow_state` when that column exists.
 */

import mysql from "mysql2/promise";
import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { ER_DBACCESS_DENIED, explainMysqlError, MysqlConnectError } from "./mysql_errors.ts";
import { adapterValues, countsOf, serverStateValues, SHARED_STATEMENTS } from "./shared_sql.ts";
import { buildSnapshot, SERVER_ORDER, type TableRows } from "./snapshot_rows.ts";
// The rows it writes; what it answers; the contract.
import type { CleanCutoff, KeepAliveRows, MetricsRow, ServerTarget, StartupRows } from "./types.ts";
import type { CleanResult, KeepAliveResult, PrestopResult, StoreCounts } from "./types.ts";
import type { RegistryStore, ServerKey, StoreOptions, StoreSnapshot } from "./types.ts";

/** Default location of the db_tars DDL used by `--init-db`. */
export const DEFAULT_DDL_PATH = new URL("../../baseserver/db/db_tars.sql", import.meta.url);

const TABLES = ["t_node_info", "t_server_conf", "t_adapter_conf", "t_config_files"] as const;

/** Connection settings parsed from a `mysql://` URL. */
export interface MysqlConfig {
  /** Host name (ignored when `socketPath` is set). */
  host: string;
  /** TCP port. */
  port: number;
  /** User name. */
  user: string;
  /** Password. */
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

/** Options of {@link MysqlStore.open}. */
export interface MysqlStoreOptions extends StoreOptions, ConnectOptions {
  /** Create the database when it is missing, then the tables from the DDL (`--init-db`). */
  initDb?: boolean;
  /** DDL file for `initDb`; default {@link DEFAULT_DDL_PATH}. */
  ddlPath?: string | URL;
  /** Pool size; default 8. */
  poolSize?: number;
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

function datetime(ms: number, precision: 0 | 3): string {
  const iso = new Date(ms).toISOString();
  return iso.slice(0, precision === 3 ? 23 : 19).replace("T", " ");
}

function epochMs(value: string | null): number {
  if (!value) return 0;
  const ms = Date.parse(`${value.replace(" ", "T")}Z`);
  return Number.isNaN(ms) ? 0 : ms;
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

/** Creates the db_tars registry tables from the DDL file (idempotent). */
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
  } finally {
    await pool.end();
  }
}

interface Columns {
  gridFlag: boolean;
  flowState: boolean;
}

async function addColumn(pool: Pool, definition: string): Promise<void> {
  try {
    await pool.query(`ALTER TABLE t_server_conf ADD COLUMN ${definition}`);
  } catch (error) {
    // Another registry replica added it between our check and this ALTER.
    if ((error as { errno?: number }).errno !== 1060) throw error;
  }
}

async function prepareColumns(pool: Pool, database: string): Promise<Columns> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (?)`,
    [TABLES],
  );
  const columns = new Set(rows.map((row) => `${row.t}.${row.c}`));
  for (const table of TABLES) {
    if (![...columns].some((column) => column.startsWith(`${table}.`))) {
      throw new Error(
        `Database ${database} has no table ${table}: create the registry tables with ` +
          `--init-db (DDL in baseserver/db/db_tars.sql)`,
      );
    }
  }
  if (!columns.has("t_server_conf.metrics_port")) {
    await addColumn(pool, "metrics_port int(11) NOT NULL DEFAULT 0");
  }
  const flowState = columns.has("t_server_conf.flow_state");
  let gridFlag = columns.has("t_server_conf.grid_flag");
  if (!gridFlag && !flowState) {
    await addColumn(pool, "grid_flag varchar(16) NOT NULL DEFAULT 'NORMAL'");
    gridFlag = true;
  }
  return { gridFlag, flowState };
}

function statements(columns: Columns) {
  const flowColumns = [
    ...(columns.gridFlag ? ["grid_flag"] : []),
    ...(columns.flowState ? ["flow_state"] : []),
  ];
  const serverColumns = [
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
    ...flowColumns,
    "registry_timestamp",
    "patch_time",
    "posttime",
  ];
  const updated = serverColumns.slice(3).map((column) => `${column} = VALUES(${column})`);
  return {
    ...SHARED_STATEMENTS,
    flowColumns,
    upsertNode: `INSERT INTO t_node_info (node_name, node_obj, endpoint_ip, endpoint_port,
        last_reg_time, last_heartbeat, setting_state, present_state)
      VALUES (?, ?, ?, 0, ?, ?, 'active', 'active')
      ON DUPLICATE KEY UPDATE last_heartbeat = VALUES(last_heartbeat), present_state = 'active'`,
    upsertServer: `INSERT INTO t_server_conf (${serverColumns.join(", ")}, server_type)
      VALUES (${serverColumns.map(() => "?").join(", ")}, 'tars_cpp')
      ON DUPLICATE KEY UPDATE ${updated.join(", ")}`,
    insertAdapter: `INSERT INTO t_adapter_conf (application, server_name, node_name,
        adapter_name, servant, endpoint, protocol, thread_num, max_connections, queuecap,
        queuetimeout, registry_timestamp, posttime)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    deleteNodeConfigFiles: `DELETE FROM t_config_files WHERE host = ? AND server_name IN
      (SELECT CONCAT(application, '.', server_name) FROM t_server_conf WHERE node_name = ?)`,
    servers: `SELECT application, server_name, node_name, setting_state, present_state,
        patch_version, enable_set, set_name, set_area, set_group,
        ${columns.gridFlag ? "grid_flag" : "NULL AS grid_flag"},
        ${columns.flowState ? "flow_state" : "NULL AS flow_state"}, metrics_port
      FROM t_server_conf`,
  };
}

/** The MySQL implementation of {@link RegistryStore}. */
export class MysqlStore implements RegistryStore {
  /** Always `mysql`. */
  readonly kind = "mysql";
  readonly #pool: Pool;
  readonly #now: () => number;
  readonly #sql: ReturnType<typeof statements>;
  #closed = false;

  private constructor(pool: Pool, columns: Columns, options: StoreOptions) {
    this.#pool = pool;
    this.#now = options.now;
    this.#sql = statements(columns);
  }

  /** Connects, optionally creates the tables, and prepares the `t_server_conf` columns. */
  static async open(url: string, options: MysqlStoreOptions): Promise<MysqlStore> {
    const config = parseMysqlUrl(url);
    if (options.initDb) {
      await createMysqlDatabase(config, options);
      await createMysqlSchema(config, options);
    }
    const pool = await connect(config, {
      ...options,
      pool: { connectionLimit: options.poolSize ?? 8 },
    });
    try {
      const columns = await prepareColumns(pool, config.database);
      return new MysqlStore(pool, columns, options);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  /** True when `t_server_conf` has `flow_state`, which the store then writes. */
  get usesFlowState(): boolean {
    return this.#sql.flowColumns.includes("flow_state");
  }

  /**
   * Runs `work` in one transaction; one that InnoDB chose as a deadlock victim (concurrent
   * registrations take gap locks on the same index ranges) was rolled back whole, so it is
   * run again, up to {@link DEADLOCK_RETRIES} times.
   */
  async #transaction<T>(work: (conn: PoolConnection) => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#transactionOnce(work);
      } catch (error) {
        if (attempt > DEADLOCK_RETRIES || !isDeadlock(error)) throw error;
      }
    }
  }

  async #transactionOnce<T>(work: (conn: PoolConnection) => Promise<T>): Promise<T> {
    if (this.#closed) throw new Error("The registry store is closed: open a new one");
    const conn = await this.#pool.getConnection();
    try {
      await conn.query("START TRANSACTION");
      let result: T;
      try {
        result = await work(conn);
      } catch (error) {
        await rollback(conn, error);
        throw error;
      }
      await conn.query("COMMIT");
      return result;
    } finally {
      conn.release();
    }
  }

  /** {@inheritDoc RegistryStore.onStartup} */
  async onStartup(rows: StartupRows): Promise<void> {
    const now = this.#now();
    const seconds = datetime(now, 0);
    const millis = datetime(now, 3);
    const sql = this.#sql;
    await this.#transaction(async (conn) => {
      const node = rows.nodeName;
      await conn.execute(sql.upsertNode, [
        node,
        `tars.tarsnode.NodeObj@tcp -h ${node} -p 0`,
        node.length <= 16 ? node : "",
        seconds,
        seconds,
      ]);
      const s = rows.server;
      if (!s) return;
      const flow = sql.flowColumns.map((column) =>
        column === "grid_flag" ? s.gridFlag : s.flowState
      );
      await conn.execute(sql.upsertServer, [
        s.application,
        s.server,
        node,
        "active",
        ...serverStateValues(s),
        ...flow,
        millis,
        seconds,
        seconds,
      ]);
      await conn.execute(sql.deleteServerAdapters, [s.application, s.server, node]);
      for (const a of s.adapters) {
        await conn.execute(sql.insertAdapter, [...adapterValues(s, node, a), millis, seconds]);
      }
    });
  }

  /** {@inheritDoc RegistryStore.keepAlive} */
  async keepAlive(rows: KeepAliveRows): Promise<KeepAliveResult> {
    const seconds = datetime(this.#now(), 0);
    return await this.#transaction(async (conn) => {
      const [node] = await conn.execute<ResultSetHeader>(this.#sql.heartbeat, [
        seconds,
        rows.nodeName,
      ]);
      const [servers] = rows.application === null || rows.server === null
        ? await conn.execute<ResultSetHeader>(this.#sql.stateOfNode, [
          rows.presentState,
          rows.nodeName,
        ])
        : await conn.execute<ResultSetHeader>(this.#sql.stateOfServer, [
          rows.presentState,
          rows.nodeName,
          rows.application,
          rows.server,
        ]);
      return { node: node.affectedRows > 0, servers: servers.affectedRows };
    });
  }

  /** {@inheritDoc RegistryStore.onPrestop} */
  async onPrestop(target: ServerTarget): Promise<PrestopResult> {
    return await this.#transaction((conn) => this.#remove(conn, target));
  }

  async #remove(conn: PoolConnection, target: ServerTarget): Promise<PrestopResult> {
    const sql = this.#sql;
    const { nodeName, application, server } = target;
    const run = async (statement: string, params: string[]) =>
      (await conn.execute<ResultSetHeader>(statement, params))[0].affectedRows;
    if (application === null || server === null) {
      await run(sql.deleteNodeConfigFiles, [nodeName, nodeName]);
      const adapters = await run(sql.deleteNodeAdapters, [nodeName]);
      const servers = await run(sql.deleteNodeServers, [nodeName]);
      const node = await run(sql.deleteNode, [nodeName]) > 0;
      return { servers, adapters, node };
    }
    await run(sql.deleteServerConfigFiles, [nodeName, `${application}.${server}`]);
    const adapters = await run(sql.deleteServerAdapters, [application, server, nodeName]);
    const servers = await run(sql.deleteServer, [application, server, nodeName]);
    return { servers, adapters, node: false };
  }

  /** {@inheritDoc RegistryStore.registerMetrics} */
  async registerMetrics(row: MetricsRow): Promise<boolean> {
    return await this.#transaction(async (conn) => {
      const [result] = await conn.execute<ResultSetHeader>(this.#sql.metrics, [
        row.metricsPort,
        row.nodeName,
        row.application,
        row.server,
      ]);
      return result.affectedRows > 0;
    });
  }

  /** {@inheritDoc RegistryStore.snapshot} */
  async snapshot(): Promise<StoreSnapshot> {
    if (this.#closed) throw new Error("The registry store is closed: open a new one");
    const takenAt = this.#now();
    const conn = await this.#pool.getConnection();
    try {
      await conn.query("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
      try {
        const [nodes] = await conn.query<RowDataPacket[]>(this.#sql.nodes);
        const [servers] = await conn.query<RowDataPacket[]>(this.#sql.servers);
        const [adapters] = await conn.query<RowDataPacket[]>(this.#sql.adapters);
        await conn.query("COMMIT");
        return buildSnapshot(
          takenAt,
          {
            nodes: nodes.map((row) => ({
              nodeName: String(row.node_name ?? ""),
              presentState: row.present_state === "active" ? "active" : "inactive",
              lastHeartbeat: epochMs(row.last_heartbeat),
            })),
            servers: servers as unknown as TableRows["servers"],
            adapters: adapters as unknown as TableRows["adapters"],
          },
        );
      } catch (error) {
        await rollback(conn, error);
        throw error;
      }
    } finally {
      conn.release();
    }
  }

  /** {@inheritDoc RegistryStore.clean} */
  async clean(cutoff: CleanCutoff): Promise<CleanResult> {
    const before = datetime(cutoff.before, 0);
    const { dryRun } = cutoff;
    return await this.#transaction(async (conn) => {
      const lock = dryRun ? "" : " FOR UPDATE";
      const [nodeRows] = await conn.execute<RowDataPacket[]>(
        `SELECT node_name FROM t_node_info WHERE last_heartbeat < ?${lock}`,
        [before],
      );
      const nodes = nodeRows.map((row) => String(row.node_name)).sort();
      const servers: ServerKey[] = [];
      let adapters = 0;
      let configFiles = 0;
      for (const nodeName of nodes) {
        const [serverRows] = await conn.execute<RowDataPacket[]>(
          "SELECT application, server_name FROM t_server_conf WHERE node_name = ?",
          [nodeName],
        );
        for (const row of serverRows) {
          servers.push({
            application: String(row.application ?? ""),
            server: String(row.server_name ?? ""),
            nodeName,
          });
        }
        const [[counted]] = await conn.execute<RowDataPacket[]>(
          `SELECT (SELECT count(*) FROM t_adapter_conf WHERE node_name = ?) AS adapters,
            (SELECT count(*) FROM t_config_files WHERE host = ? AND server_name IN
              (SELECT CONCAT(application, '.', server_name) FROM t_server_conf
                WHERE node_name = ?)) AS configFiles`,
          [nodeName, nodeName, nodeName],
        );
        adapters += Number(counted.adapters);
        configFiles += Number(counted.configFiles);
        if (!dryRun) {
          await this.#remove(conn, { nodeName, application: null, server: null });
        }
      }
      return {
        dryRun,
        nodes,
        servers: servers.sort(SERVER_ORDER),
        adapters,
        configFiles,
      };
    });
  }

  /** {@inheritDoc RegistryStore.counts} */
  async counts(): Promise<StoreCounts> {
    if (this.#closed) throw new Error("The registry store is closed: open a new one");
    const [[row]] = await this.#pool.query<RowDataPacket[]>(this.#sql.counts);
    return countsOf(row as Record<keyof StoreCounts, unknown>);
  }

  /** {@inheritDoc RegistryStore.close} */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}

/** How many times a transaction chosen as a deadlock victim is run again. */
const DEADLOCK_RETRIES = 5;

/** ER_LOCK_DEADLOCK: InnoDB rolled the whole transaction back; running it again is safe. */
function isDeadlock(error: unknown): boolean {
  return (error as { errno?: number } | null)?.errno === 1213;
}

async function rollback(conn: PoolConnection, cause: unknown): Promise<void> {
  try {
    await conn.query("ROLLBACK");
  } catch (rollbackError) {
    conn.destroy();
    throw new AggregateError(
      [cause, rollbackError],
      "The registry store could not roll back a failed transaction: the connection was dropped",
    );
  }
}
