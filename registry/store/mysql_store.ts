/**
 * Registry store on MySQL/MariaDB: the db_tars tables the TARS framework and its web console read
 * (`t_node_info`, `t_server_conf`, `t_adapter_conf`, `t_config_files`, `t_registry_info`, and the
 * console's tasks `t_task` and `t_task_item`: mysql_admin.ts), written as the framework writes
 * them, plus tables of its own (`t_tarsregistry_server`: the metrics port, and the traffic flag
 * where `t_server_conf` has no `flow_state`; `t_tarsregistry_task`: the numbering of a task).
 *
 * It never changes the framework's tables. Other tools do, while it runs (the web console's
 * `sync({alter:true})` drops and adds columns and changes types): the columns are read again at
 * every reload (mysql_layout.ts), the statements are built from what is there
 * (mysql_statements.ts), and a write or a read that fails because the table changed under it is
 * run once more on the new layout. A required column (names, states, heartbeat) that is gone is
 * an error naming it; an optional value that no longer fits is left out and logged once.
 *
 * Times are the database's: `NOW()` in the session's time zone, as the framework writes them, and
 * heartbeat ages are measured against the database's clock, so this registry, the C++ registry
 * and the console agree. The pods' calls (onStartup, keepAlive, onPrestop) are group-committed
 * (mysql_batch.ts: the calls queued together in one InnoDB transaction, each all or nothing);
 * every other call is one transaction of its own. Each is committed before its promise resolves;
 * every value written is valid under strict SQL mode. Connecting, `--init-db` and the checks and
 * set-up at open are mysql_schema.ts.
 */

import type { Pool, PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type { Connection as CoreConnection } from "mysql2";
import { type BatchedCall, isDeadlock, rollback, WriteBatcher } from "./mysql_batch.ts";
import { type FrameworkTable, type Layout, OWN_SERVER_TABLE, readLayout } from "./mysql_layout.ts";
import {
  checkLayout,
  ensureOwnTables,
  isSchemaError,
  type MysqlConfig,
  type OpenDatabaseOptions,
  openMysqlDatabase,
  parseMysqlUrl,
} from "./mysql_schema.ts";
import * as statements from "./mysql_statements.ts";
import * as admin from "./mysql_admin.ts";
import type { FlowRows, ProfileTemplateRow, ServerProfileRow } from "./admin_types.ts";
import type { TaskFilter, TaskItemChange, TaskRecord, TaskRows } from "./admin_types.ts";
import { countsOf, groupPriorityRow, groupRuleRow, SHARED_STATEMENTS } from "./shared_sql.ts";
import {
  nodeRecord,
  ownKey,
  type OwnValues,
  SERVER_ORDER,
  type ServerAdapterRow,
  ServerAssembler,
} from "./snapshot_rows.ts";
// The rows it writes; what it answers; the contract.
import type { CleanCutoff, KeepAliveRows, MetricsRow, ServerTarget, StartupRows } from "./types.ts";
import type { CleanResult, KeepAliveResult, PrestopResult, StoreCounts } from "./types.ts";
import type { ExpiredNodes, ExpireOptions, GroupRuleRows, RegistryInfoRows } from "./types.ts";
import type { RegistryStore, ServerKey, StoreOptions } from "./types.ts";
import type { ChangeMark, ChangeSink, KeySums, LoadResult, LoadSink } from "./types.ts";
import type { NodeRecord, ServerRecord, SettingState } from "./types.ts";

/** Options of {@link MysqlStore.open}. */
export interface MysqlStoreOptions extends StoreOptions, OpenDatabaseOptions {
  /**
   * Tests: set each session's clock (`SET timestamp`) to `now`, so `NOW()` follows the store's
   * clock instead of the database server's.
   */
  pinClock?: boolean;
}

/** The MySQL implementation of {@link RegistryStore}. */
export class MysqlStore implements RegistryStore {
  /** Always `mysql`. */
  readonly kind = "mysql";
  readonly #pool: Pool;
  readonly #config: MysqlConfig;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  readonly #pinClock: boolean;
  readonly #reported = new Set<string>();
  #layout: Layout;
  #closed = false;
  readonly #batcher = new WriteBatcher({
    connection: () => this.#connection(),
    layout: () => this.#layout,
    refreshLayout: async () => {
      await this.#refreshLayout();
      await ensureOwnTables(this.#pool, this.#config);
    },
  }, {
    lanes: WRITE_LANES,
    limit: BATCH_LIMIT,
    deadlockRetries: DEADLOCK_RETRIES,
    isSchemaError,
  });

  private constructor(
    pool: Pool,
    layout: Layout,
    options: MysqlStoreOptions & { config: MysqlConfig },
  ) {
    this.#pool = pool;
    this.#layout = layout;
    this.#config = options.config;
    this.#now = options.now;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#pinClock = options.pinClock ?? false;
  }

  /**
   * Connects, optionally creates the database and the schema (`initDb`), creates the registry's
   * own tables when missing, checks the framework's tables and carries over what K8STARS or an
   * older version kept in `t_server_conf` (mysql_schema.ts).
   */
  static async open(url: string, options: MysqlStoreOptions): Promise<MysqlStore> {
    const config = parseMysqlUrl(url);
    const { pool, layout } = await openMysqlDatabase(config, options);
    return new MysqlStore(pool, layout, { ...options, config });
  }

  /** True when `t_server_conf` has `flow_state` (as of the last reload), which it then writes. */
  get usesFlowState(): boolean {
    return this.#layout.has("t_server_conf", "flow_state");
  }

  /** Logs `line` the first time `key` is reported. */
  #report = (key: string, line: string): void => {
    if (this.#reported.has(key)) return;
    this.#reported.add(key);
    this.#log(`MySQL store: ${line}`);
  };

  /** Reads the columns again; logs what changed since the last read. */
  async #refreshLayout(): Promise<Layout> {
    const layout = await readLayout(this.#pool);
    for (const line of layout.changesSince(this.#layout)) {
      this.#log(`MySQL store: the table changed: ${line}`);
    }
    checkLayout(layout, this.#config.database);
    this.#layout = layout;
    return layout;
  }

  /**
   * Runs `attempt`; one that failed because a table changed under it (a column dropped, added
   * without a default or narrowed; the own table dropped) runs once more on the new layout.
   */
  async #onCurrentSchema<T>(attempt: () => Promise<T>): Promise<T> {
    try {
      return await attempt();
    } catch (error) {
      if (this.#closed || !isSchemaError(error)) throw error;
      await this.#refreshLayout();
      await ensureOwnTables(this.#pool, this.#config);
      return await attempt();
    }
  }

  /** A pooled connection, its session clock pinned to the store's when asked. */
  async #connection(): Promise<PoolConnection> {
    if (this.#closed) throw new Error("The registry store is closed: open a new one");
    const conn = await this.#pool.getConnection();
    if (this.#pinClock) {
      try {
        await conn.query("SET timestamp = ?", [this.#now() / 1000]);
      } catch (error) {
        conn.release();
        throw error;
      }
    }
    return conn;
  }

  /**
   * Runs `work` in one transaction; one that InnoDB chose as a deadlock victim (concurrent
   * registrations take gap locks on the same index ranges) was rolled back whole, so it is
   * run again, up to {@link DEADLOCK_RETRIES} times; so is one that met a changed table, once.
   */
  async #transaction<T>(work: (conn: PoolConnection, layout: Layout) => Promise<T>): Promise<T> {
    return await this.#onCurrentSchema(async () => {
      for (let attempt = 1;; attempt++) {
        try {
          return await this.#transactionOnce(work);
        } catch (error) {
          if (attempt > DEADLOCK_RETRIES || !isDeadlock(error)) throw error;
        }
      }
    });
  }

  async #transactionOnce<T>(
    work: (conn: PoolConnection, layout: Layout) => Promise<T>,
  ): Promise<T> {
    const conn = await this.#connection();
    try {
      await conn.query("START TRANSACTION");
      let result: T;
      try {
        result = await work(conn, this.#layout);
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
  onStartup(rows: StartupRows): Promise<void> {
    const report = this.#report;
    return this.#batcher.run({
      statements: (layout) => {
        const node = rows.nodeName;
        const s = rows.server;
        if (!s) return [statements.upsertNode(layout, rows, report)];
        const adapter = statements.insertAdapter(layout, node, s, report);
        const group = s.groupName === null ? undefined : statements.addGroup(layout, s.groupName);
        return [
          statements.upsertNode(layout, rows, report),
          statements.upsertServer(layout, node, s, report),
          statements.upsertOwnServer(node, s),
          ...(group ? [group] : []),
          {
            sql: SHARED_STATEMENTS.deleteServerAdapters,
            params: [s.application, s.server, node],
          },
          ...s.adapters.map(adapter),
        ];
      },
      result: () => undefined,
    });
  }

  /** {@inheritDoc RegistryStore.keepAlive} */
  keepAlive(rows: KeepAliveRows): Promise<KeepAliveResult> {
    return this.#batcher.run({
      statements: (layout) => [
        statements.heartbeat(rows.nodeName),
        statements.serverState(layout, rows),
      ],
      result: ([node, servers]) => ({
        node: node.affectedRows > 0,
        servers: servers.affectedRows,
      }),
    });
  }

  /** {@inheritDoc RegistryStore.onPrestop} */
  onPrestop(target: ServerTarget): Promise<PrestopResult> {
    return this.#batcher.run(removal(target));
  }

  /** {@inheritDoc RegistryStore.registerMetrics} */
  async registerMetrics(row: MetricsRow): Promise<boolean> {
    return await this.#transaction(async (conn, layout) => {
      const key = [row.application, row.server, row.nodeName];
      const [found] = await conn.query<RowDataPacket[]>(
        `SELECT 1 FROM t_server_conf WHERE application = ? AND server_name = ? AND node_name = ?
          FOR UPDATE`,
        key,
      );
      if (found.length === 0) return false;
      await conn.query(
        `INSERT INTO ${OWN_SERVER_TABLE} (application, server_name, node_name, metrics_port)
          VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE metrics_port = VALUES(metrics_port)`,
        [...key, row.metricsPort],
      );
      // K8STARS's column, where it is still there: a K8STARS registry beside this one reads it.
      if (layout.has("t_server_conf", "metrics_port")) {
        await conn.query(
          `UPDATE t_server_conf SET metrics_port = ?
            WHERE application = ? AND server_name = ? AND node_name = ?`,
          [row.metricsPort, ...key],
        );
      }
      return true;
    });
  }

  /** {@inheritDoc RegistryStore.expireNodes} */
  async expireNodes(timeout: number, options: ExpireOptions = {}): Promise<ExpiredNodes> {
    return await this.#transaction(async (conn, layout) => {
      let nodes: string[] = [];
      if (!options.holdNodes) {
        const [rows] = await conn.query<RowDataPacket[]>(
          ...args(statements.expiringNodes(layout, timeout)),
        );
        nodes = rows.map((row) => String(row.node_name));
      }
      if (nodes.length > 0) {
        await run(conn, statements.expireServers(layout, nodes));
        await run(conn, statements.expireNodes(nodes));
      }
      if (layout.missing("t_registry_info").length === 0) {
        await run(conn, statements.expireRegistryInfo(timeout));
      }
      return { nodes };
    });
  }

  /** {@inheritDoc RegistryStore.announceRegistry} */
  async announceRegistry(rows: RegistryInfoRows): Promise<void> {
    await this.#transaction(async (conn, layout) => {
      const missing = layout.missing("t_registry_info");
      if (missing.length > 0) {
        this.#report(
          "t_registry_info",
          `not writing the registry's own objects: t_registry_info lacks ${missing.join(", ")} ` +
            `(--init-db creates the framework's tables)`,
        );
        return;
      }
      for (const statement of statements.announceRegistry(layout, rows, this.#report)) {
        await run(conn, statement);
      }
    });
  }

  /** {@inheritDoc RegistryStore.withdrawRegistry} */
  async withdrawRegistry(locatorId: string): Promise<void> {
    await this.#transaction(async (conn, layout) => {
      if (layout.missing("t_registry_info").length > 0) return;
      await conn.query("DELETE FROM t_registry_info WHERE locator_id = ?", [locatorId]);
    });
  }

  /** {@inheritDoc RegistryStore.load} */
  async load(sink: LoadSink, options: { sums?: boolean } = {}): Promise<LoadResult> {
    // Every read takes the columns again: another tool may have changed the tables.
    await this.#refreshLayout();
    return await this.#onCurrentSchema(() =>
      this.#inSnapshot(async (conn, read) => {
        await streamRows(conn, statements.nodes(this.#layout), (row) => sink.node(read.node(row)));
        const own = new Map<string, OwnValues>();
        await streamRows(conn, statements.ownRows(), (row) => {
          own.set(ownKey(row.application, row.server_name, row.node_name), row as OwnValues);
        });
        const servers = new ServerAssembler((record) => sink.server(record), {
          own: (key) => own.get(key),
        });
        await streamRows(
          conn,
          statements.serversWithAdapters(this.#layout),
          (row) => servers.row(row),
          { arrays: true },
        );
        servers.end();
        return options.sums ? await keySumsOf(conn) : undefined;
      })
    );
  }

  /** {@inheritDoc RegistryStore.readChanges} */
  async readChanges(
    mark: ChangeMark,
    sink: ChangeSink,
    options: { sums?: boolean } = {},
  ): Promise<LoadResult> {
    await this.#refreshLayout();
    if (!this.#layout.has("t_server_conf", "registry_timestamp")) {
      this.#report(
        "t_server_conf.registry_timestamp",
        "t_server_conf has no registry_timestamp: every reload reads every server",
      );
    }
    return await this.#onCurrentSchema(() =>
      this.#inSnapshot(async (conn, read) => {
        const layout = this.#layout;
        const heartbeats = statements.markLess(mark.at, HEARTBEAT_OVERLAP_MS);
        await streamRows(conn, statements.nodes(layout, heartbeats), (row) =>
          sink.node(read.node(row)));
        const since = statements.markLess(mark.at, CHANGE_OVERLAP_MS);
        const touched = new Set<string>();
        for (
          const statement of [
            statements.touchedNodes(layout, since),
            statements.touchedOwnNodes(since),
          ]
        ) {
          const [rows] = await conn.query<RowDataPacket[]>(statement.sql, statement.params);
          for (const row of rows) {
            touched.add(String(row.node_name ?? ""));
          }
        }
        const all = [...touched];
        for (let i = 0; i < all.length; i += NODES_PER_READ) {
          await this.#serversOn(conn, all.slice(i, i + NODES_PER_READ), sink);
        }
        return options.sums ? await keySumsOf(conn) : undefined;
      })
    );
  }

  /** Reads every server of `nodes` (with adapters and own values) into `sink`, node by node. */
  async #serversOn(conn: PoolConnection, nodes: string[], sink: ChangeSink): Promise<void> {
    const own = new Map<string, OwnValues>();
    await streamRows(conn, statements.ownRows(nodes), (row) => {
      own.set(ownKey(row.application, row.server_name, row.node_name), row as OwnValues);
    });
    const byNode = new Map<string, ServerRecord[]>(nodes.map((node) => [node, []]));
    const servers = new ServerAssembler(
      (record) => byNode.get(record.nodeName)?.push(record),
      { own: (key) => own.get(key) },
    );
    const where = { sql: "s.node_name IN (?)", params: [nodes] };
    await streamRows(
      conn,
      statements.serversWithAdapters(this.#layout, where),
      (row) => servers.row(row),
      { arrays: true },
    );
    servers.end();
    for (const [node, list] of byNode) sink.serversOn(node, list);
  }

  /**
   * Runs `read` in one read-only transaction on a consistent snapshot: what it reads is the
   * database at one moment, whose `NOW(3)` is the result's mark. `read.node` turns a node row
   * into a record, its heartbeat's age measured on the database's clock.
   */
  async #inSnapshot(
    read: (
      conn: PoolConnection,
      rows: { node(row: RowDataPacket): NodeRecord },
    ) => Promise<KeySums | undefined>,
  ): Promise<LoadResult> {
    const takenAt = this.#now();
    const conn = await this.#connection();
    try {
      await conn.query("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY");
      try {
        const [[{ at }]] = await conn.query<RowDataPacket[]>("SELECT NOW(3) AS at");
        const sums = await read(conn, {
          // No heartbeat at all (a framework row): as old as can be.
          node: (row) =>
            nodeRecord(
              row.node_name,
              row.present_state,
              row.age === null ? 0 : takenAt - Math.round(Number(row.age) / 1000),
              row.node_obj,
            ),
        });
        await conn.query("COMMIT");
        return { takenAt, mark: { at: String(at) }, ...(sums ? { sums } : {}) };
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
    const { dryRun } = cutoff;
    // The cutoff in the database's clock: its age now, by the registry's clock.
    const before = statements.before(this.#now() - cutoff.before);
    return await this.#transaction(async (conn) => {
      const lock = dryRun ? "" : " FOR UPDATE";
      const [nodeRows] = await conn.query<RowDataPacket[]>(
        `SELECT node_name FROM t_node_info WHERE last_heartbeat < ${before.sql}${lock}`,
        before.params,
      );
      const nodes = nodeRows.map((row) => String(row.node_name)).sort();
      const servers: ServerKey[] = [];
      let adapters = 0;
      let configFiles = 0;
      for (const nodeName of nodes) {
        const [serverRows] = await conn.query<RowDataPacket[]>(
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
        const [[counted]] = await conn.query<RowDataPacket[]>(
          `SELECT (SELECT count(*) FROM t_adapter_conf WHERE node_name = ?) AS adapters,
            (SELECT count(*) FROM t_config_files WHERE host = ? AND server_name IN
              (SELECT CONCAT(application, '.', server_name) FROM t_server_conf
                WHERE node_name = ?)) AS configFiles`,
          [nodeName, nodeName, nodeName],
        );
        adapters += Number(counted.adapters);
        configFiles += Number(counted.configFiles);
        if (!dryRun) {
          const remove = removal({ nodeName, application: null, server: null });
          for (const statement of remove.statements(this.#layout)) await run(conn, statement);
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

  /** {@inheritDoc AdminStore.setSettingState} */
  async setSettingState(key: ServerKey, state: SettingState): Promise<boolean> {
    return await this.#transaction((conn, layout) =>
      admin.setSettingState(conn, layout, key, state)
    );
  }

  /** {@inheritDoc AdminStore.setFlowState} */
  async setFlowState(rows: FlowRows): Promise<number> {
    return await this.#transaction((conn, layout) => admin.setFlowState(conn, layout, rows));
  }

  /** {@inheritDoc AdminStore.nodeVersion} */
  async nodeVersion(nodeName: string): Promise<string | undefined> {
    return await this.#transaction((conn, layout) => admin.nodeVersion(conn, layout, nodeName));
  }

  /** {@inheritDoc AdminStore.profileTemplate} */
  async profileTemplate(name: string): Promise<ProfileTemplateRow | undefined> {
    return await this.#transaction((conn) => admin.profileTemplate(conn, name));
  }

  /** {@inheritDoc AdminStore.serverProfile} */
  async serverProfile(key: ServerKey): Promise<ServerProfileRow | undefined> {
    return await this.#transaction((conn, layout) => admin.serverProfile(conn, layout, key));
  }

  /** {@inheritDoc AdminStore.addTask} */
  async addTask(task: TaskRows): Promise<void> {
    await this.#transaction((conn) => admin.addTask(conn, task));
  }

  /** {@inheritDoc AdminStore.changeTaskItem} */
  async changeTaskItem(change: TaskItemChange): Promise<void> {
    await this.#transaction((conn) => admin.changeTaskItem(conn, change));
  }

  /** {@inheritDoc AdminStore.task} */
  async task(taskNo: string): Promise<TaskRecord | undefined> {
    return await this.#transaction((conn) => admin.task(conn, taskNo));
  }

  /** {@inheritDoc AdminStore.taskHistory} */
  async taskHistory(filter: TaskFilter): Promise<TaskRecord[]> {
    return await this.#transaction((conn) => admin.taskHistory(conn, filter));
  }

  /** {@inheritDoc RegistryStore.counts} */
  /** {@inheritDoc RegistryStore.readGroupRules} */
  async readGroupRules(): Promise<GroupRuleRows> {
    if (this.#closed) throw new Error("The registry store is closed: open a new one");
    const layout = this.#layout;
    const read = async (table: FrameworkTable, sql: string) =>
      layout.missing(table).length > 0
        ? []
        : (await this.#pool.query<RowDataPacket[]>(sql))[0] as Record<string, unknown>[];
    const [rules, priorities] = await Promise.all([
      read("t_server_group_rule", SHARED_STATEMENTS.groupRules),
      read("t_group_priority", SHARED_STATEMENTS.groupPriorities),
    ]);
    return { rules: rules.map(groupRuleRow), priorities: priorities.map(groupPriorityRow) };
  }

  async counts(): Promise<StoreCounts> {
    if (this.#closed) throw new Error("The registry store is closed: open a new one");
    const [[row]] = await this.#pool.query<RowDataPacket[]>(SHARED_STATEMENTS.counts);
    return countsOf(row as Record<keyof StoreCounts, unknown>);
  }

  /** {@inheritDoc RegistryStore.close} */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.#batcher.close();
    this.#closed = true;
    await this.#pool.end();
  }
}

/** Removes a node's config files: those of the node's servers, by host. */
const DELETE_NODE_CONFIG_FILES = `DELETE FROM t_config_files WHERE host = ? AND server_name IN
  (SELECT CONCAT(application, '.', server_name) FROM t_server_conf WHERE node_name = ?)`;

/**
 * The statements of an `onPrestop` (and of `clean`, a node at a time): the server's (or the
 * node's) config files, own rows, adapters and servers, and the node with its last server.
 */
function removal(target: ServerTarget): BatchedCall<PrestopResult> {
  const sql = SHARED_STATEMENTS;
  const { nodeName, application, server } = target;
  const result = (adapters: ResultSetHeader, servers: ResultSetHeader, node: ResultSetHeader) => ({
    servers: servers.affectedRows,
    adapters: adapters.affectedRows,
    node: node.affectedRows > 0,
  });
  if (application === null || server === null) {
    return {
      statements: () => [
        { sql: DELETE_NODE_CONFIG_FILES, params: [nodeName, nodeName] },
        { sql: `DELETE FROM ${OWN_SERVER_TABLE} WHERE node_name = ?`, params: [nodeName] },
        { sql: sql.deleteNodeAdapters, params: [nodeName] },
        { sql: sql.deleteNodeServers, params: [nodeName] },
        { sql: sql.deleteNode, params: [nodeName] },
      ],
      result: ([, , adapters, servers, node]) => result(adapters, servers, node),
    };
  }
  const key = [application, server, nodeName];
  return {
    statements: () => [
      { sql: sql.deleteServerConfigFiles, params: [nodeName, `${application}.${server}`] },
      {
        sql: `DELETE FROM ${OWN_SERVER_TABLE}
          WHERE application = ? AND server_name = ? AND node_name = ?`,
        params: key,
      },
      { sql: sql.deleteServerAdapters, params: key },
      { sql: sql.deleteServer, params: key },
      { sql: sql.deleteNodeIfEmpty, params: [nodeName, nodeName] },
    ],
    result: ([, , adapters, servers, node]) => result(adapters, servers, node),
  };
}

/**
 * How far before the last read's mark a change read looks for server and adapter rows: a write
 * stamps `NOW()` when its statement starts but shows only once its transaction commits, and a
 * statement may wait up to InnoDB's lock wait timeout (50 s by default) before it writes. A write
 * that commits later still is picked up by the next full reload.
 */
export const CHANGE_OVERLAP_MS = 60_000;

/**
 * How far before the last read's mark a change read looks for heartbeats (stamped to the second):
 * a heartbeat is one short statement, and a late one is made good by the node's next heartbeat.
 */
export const HEARTBEAT_OVERLAP_MS = 5_000;

/** Nodes whose servers one query reads (the length of its `IN` list). */
const NODES_PER_READ = 500;

/** The key sums of the tables, in the transaction of `conn`. */
async function keySumsOf(conn: PoolConnection): Promise<KeySums> {
  const [[row]] = await conn.query<RowDataPacket[]>(statements.keySums().sql);
  const sum = (name: string) => ({
    count: Number(row[`${name}_count`]),
    xor: Number(row[`${name}_xor`] ?? 0),
  });
  return { nodes: sum("nodes"), servers: sum("servers"), adapters: sum("adapters") };
}

/**
 * Runs a query and hands each row to `onRow` as it arrives, without holding the result set; a
 * throw of `onRow` fails the query's promise (the rest of its rows are dropped), and so does the
 * connection failing (a streamed query hears of that only through its connection).
 */
function streamRows(
  conn: PoolConnection,
  statement: statements.Statement,
  onRow: (row: RowDataPacket) => void,
): Promise<void>;
/** {@linkcode streamRows} with each row as an array of its columns. */
function streamRows(
  conn: PoolConnection,
  statement: statements.Statement,
  onRow: (row: ServerAdapterRow) => void,
  options: { arrays: true },
): Promise<void>;
function streamRows(
  conn: PoolConnection,
  statement: statements.Statement,
  onRow: (row: never) => void,
  options: { arrays?: boolean } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    const core = conn.connection as unknown as CoreConnection;
    let failure: unknown;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      core.removeListener("error", fail);
      if (failure === undefined) resolve();
      else reject(failure);
    };
    const fail = (error: unknown) => {
      failure ??= error;
      settle();
    };
    core.on("error", fail);
    core.query({
      sql: statement.sql,
      values: statement.params,
      rowsAsArray: options.arrays ?? false,
    })
      .on("result", (row) => {
        if (failure !== undefined) return;
        try {
          onRow(row as never);
        } catch (error) {
          failure = error;
        }
      })
      .on("error", (error) => {
        failure ??= error;
      })
      .on("end", settle);
  });
}

/** A statement's `query` arguments. */
function args(statement: statements.Statement): [string, unknown[]] {
  return [statement.sql, statement.params];
}

/** Runs a write statement (text protocol: lists expand in `IN (?)`). */
async function run(
  conn: PoolConnection,
  statement: statements.Statement,
): Promise<ResultSetHeader> {
  const [result] = await conn.query<ResultSetHeader>(statement.sql, statement.params);
  return result;
}

/** How many times a transaction chosen as a deadlock victim is run again. */
const DEADLOCK_RETRIES = 5;

/**
 * Batches of the pods' calls that run at once (mysql_batch.ts), each on a pooled connection: the
 * pool's other connections serve reloads, the node check and the other writes.
 */
const WRITE_LANES = 1;

/** Calls in one batch at most. */
const BATCH_LIMIT = 64;
