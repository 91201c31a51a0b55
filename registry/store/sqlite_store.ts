/**
 * Embedded registry store on SQLite (`node:sqlite`).
 *
 * WAL journal with `synchronous=FULL`: every call's commit is fsynced before its promise
 * resolves, so an acknowledged registration survives a crash and a power loss. Statements are
 * prepared once; calls run synchronously, so they never interleave.
 *
 * The pods' calls (onStartup, keepAlive, onPrestop) are group-committed: calls queued together
 * share one transaction and one fsync, run in the order they arrived, and every call resolves
 * only after that commit. A call commits at the end of the event-loop turn that read it, unless
 * the previous commit held more than one call (they are arriving concurrently): then the queue
 * waits up to {@link GroupCommit.windowMs} for more, or until it holds
 * {@link GroupCommit.batchSize}. A lone caller's calls therefore never wait, and under load one
 * fsync serves many pods. If a call fails, the batch is run again with each call in its own
 * savepoint, so the failing one leaves nothing of itself and the others still commit. Any other
 * write or read first commits the calls queued before it, so everything takes effect in the
 * order it arrived.
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from "node:timers";
import { type CallOutcome, type PendingCall, settleCalls } from "./call_outcome.ts";
import { countsOf, groupPriorityRow, groupRuleRow, SHARED_STATEMENTS } from "./shared_sql.ts";
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA, SQLITE_SCHEMA_VERSION } from "./sqlite_schema.ts";
import {
  ADAPTER_COLUMNS,
  nodeRecord,
  SERVER_ADAPTER_COLUMNS,
  SERVER_ORDER,
  type ServerAdapterRow,
  ServerAssembler,
} from "./snapshot_rows.ts";
import { SqliteAdmin } from "./sqlite_admin.ts";
import type { FlowRows, ProfileTemplateRow, ServerProfileRow } from "./admin_types.ts";
import type { TaskFilter, TaskItemChange, TaskRecord, TaskRows } from "./admin_types.ts";
// The rows it writes; what it answers; the contract.
import type { CleanCutoff, KeepAliveRows, MetricsRow, ServerTarget, StartupRows } from "./types.ts";
import type { CleanResult, KeepAliveResult, PrestopResult, StoreCounts } from "./types.ts";
import type { ExpiredNodes, ExpireOptions, RegistryInfoRows } from "./types.ts";
import type { LoadResult, LoadSink, RegistryStore, ServerKey, StoreOptions } from "./types.ts";
import type { GroupRuleRows, SettingState } from "./types.ts";

/** Nodes or servers a load reads per query: a chunk is held at once, not the whole table. */
const LOAD_CHUNK = 2000;

/** A node as a load reads it: name, present state, last heartbeat, node object. */
type NodeRow = readonly [string, string, number | bigint, string];

/**
 * The columns of {@linkcode SERVER_ADAPTER_COLUMNS} for the first ?1 servers in key order that
 * `where` picks from `t_server_conf`, joined with their adapters.
 */
function serversWithAdapters(where: string): string {
  const columns = SERVER_ADAPTER_COLUMNS.map((c) =>
    c === "has_adapter" ? "a.node_name IS NOT NULL" : ADAPTER_COLUMN.has(c) ? `a.${c}` : `s.${c}`
  );
  return `WITH s AS (SELECT * FROM t_server_conf ${where}
      ORDER BY node_name, application, server_name LIMIT ?1)
    SELECT ${columns.join(", ")} FROM s LEFT JOIN t_adapter_conf AS a
      ON a.application = s.application AND a.server_name = s.server_name
        AND a.node_name = s.node_name
    ORDER BY s.node_name, s.application, s.server_name`;
}

const ADAPTER_COLUMN = new Set<string>(ADAPTER_COLUMNS);

const STATEMENTS = {
  ...SHARED_STATEMENTS,
  // ?1 node, ?2 node object, ?3 address, ?4 now, ?5 tarscli version or NULL (keep).
  upsertNode: `INSERT INTO t_node_info (node_name, node_obj, endpoint_ip, setting_state,
      present_state, last_reg_time, last_heartbeat, tars_version)
    VALUES (?1, ?2, ?3, 'active', 'active', ?4, ?4, coalesce(?5, ''))
    ON CONFLICT (node_name) DO UPDATE SET node_obj = ?2, present_state = 'active',
      last_reg_time = ?4, last_heartbeat = ?4, tars_version = coalesce(?5, tars_version)`,
  // A new server is active in setting; an existing one keeps its setting state, and its traffic
  // switch unless the pod turns traffic off (an operator's switch outlives a re-registration). A
  // NULL type or pid keeps the stored one (a new row: tars_cpp, 0).
  upsertServer: `INSERT INTO t_server_conf (application, server_name, node_name,
      setting_state, present_state, patch_version, enable_set, set_name, set_area, set_group,
      grid_flag, flow_state, registry_timestamp, server_type, process_id, ip_group_name,
      enable_group)
    VALUES (?1, ?2, ?3, 'active', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,
      coalesce(?13, 'tars_cpp'), coalesce(?14, 0), ?15, CASE WHEN ?15 IS NULL THEN 'N' ELSE 'Y' END)
    ON CONFLICT (application, server_name, node_name) DO UPDATE SET
      present_state = ?4, patch_version = ?5, enable_set = ?6, set_name = ?7, set_area = ?8,
      set_group = ?9, grid_flag = ?10,
      flow_state = CASE WHEN ?11 = 'inactive' THEN 'inactive' ELSE flow_state END,
      registry_timestamp = ?12,
      server_type = coalesce(?13, server_type), process_id = coalesce(?14, process_id),
      ip_group_name = coalesce(?15, ip_group_name),
      enable_group = CASE WHEN ?15 IS NULL THEN enable_group ELSE 'Y' END`,
  // Moves when another connection commits (never for this connection's own commits).
  dataVersion: `PRAGMA data_version`,
  // A group a pod names that no rule has yet: ?1 name, ?2 now.
  addGroup: `INSERT OR IGNORE INTO t_server_group_rule (allow_ip_rule, denny_ip_rule, lastuser,
      modify_time, group_name) VALUES ('', '', 'tarsregistry', ?2, ?1)`,
  insertAdapter: `INSERT INTO t_adapter_conf (application, server_name, node_name,
      adapter_name, servant, endpoint, protocol, thread_num, max_connections, queuecap,
      queuetimeout, registry_timestamp)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  heartbeat: `UPDATE t_node_info SET last_heartbeat = ?, present_state = 'active'
    WHERE node_name = ?`,
  // ?1 state, ?2 pid or NULL (keep), ?3 node, ?4 application, ?5 server.
  stateOfServer: `UPDATE t_server_conf SET present_state = ?1,
      process_id = coalesce(?2, process_id)
    WHERE node_name = ?3 AND application = ?4 AND server_name = ?5`,
  stateOfNode: `UPDATE t_server_conf SET present_state = ?1,
      process_id = coalesce(?2, process_id)
    WHERE node_name = ?3`,
  serverState: `SELECT present_state, process_id FROM t_server_conf
    WHERE application = ? AND server_name = ? AND node_name = ?`,
  deleteNodeConfigFiles: `DELETE FROM t_config_files WHERE host = ?1 AND server_name IN
    (SELECT application || '.' || server_name FROM t_server_conf WHERE node_name = ?1)`,
  metrics: `UPDATE t_server_conf SET metrics_port = ?
    WHERE node_name = ? AND application = ? AND server_name = ?`,
  // Nodes in name order: the first LOAD_CHUNK (?1), then the next ones after a name (?2).
  firstNodes: `SELECT node_name, present_state, last_heartbeat, node_obj FROM t_node_info
    ORDER BY node_name LIMIT ?1`,
  nextNodes: `SELECT node_name, present_state, last_heartbeat, node_obj FROM t_node_info
    WHERE node_name > ?2 ORDER BY node_name LIMIT ?1`,
  // Servers with their adapters, the rows of a server one after the other: the first
  // LOAD_CHUNK servers in key order (?1), and the next ones after a server's key (?2, ?3, ?4).
  firstServers: serversWithAdapters(""),
  nextServers: serversWithAdapters("WHERE (node_name, application, server_name) > (?2, ?3, ?4)"),
  // The node check, with the cutoff time as ?1.
  expiringNodes: `SELECT node_name FROM t_node_info AS n WHERE last_heartbeat < ?1
    AND (present_state <> 'inactive' OR EXISTS (SELECT 1 FROM t_server_conf AS s
      WHERE s.node_name = n.node_name AND (s.present_state <> 'inactive' OR s.process_id <> 0)))
    ORDER BY node_name`,
  expireServers: `UPDATE t_server_conf SET present_state = 'inactive', process_id = 0
    WHERE node_name IN (SELECT node_name FROM t_node_info WHERE last_heartbeat < ?1)
      AND (present_state <> 'inactive' OR process_id <> 0)`,
  expireNodes: `UPDATE t_node_info SET present_state = 'inactive'
    WHERE last_heartbeat < ?1 AND present_state <> 'inactive'`,
  expireRegistryInfo: `UPDATE t_registry_info SET present_state = 'inactive'
    WHERE last_heartbeat < ?1 AND present_state <> 'inactive'`,
  announceRegistry: `INSERT INTO t_registry_info (locator_id, servant, endpoint,
      last_heartbeat, present_state, tars_version)
    VALUES (?1, ?2, ?3, ?4, 'active', ?5)
    ON CONFLICT (locator_id, servant) DO UPDATE SET endpoint = ?3, last_heartbeat = ?4,
      present_state = 'active', tars_version = ?5`,
  withdrawRegistry: `DELETE FROM t_registry_info WHERE locator_id = ?`,
  staleNodes: `SELECT node_name FROM t_node_info WHERE last_heartbeat < ?`,
  staleServers: `SELECT application, server_name, node_name FROM t_server_conf
    WHERE node_name IN (SELECT node_name FROM t_node_info WHERE last_heartbeat < ?)`,
  staleAdapters: `SELECT count(*) AS n FROM t_adapter_conf
    WHERE node_name IN (SELECT node_name FROM t_node_info WHERE last_heartbeat < ?)`,
  staleConfigFiles: `SELECT count(*) AS n FROM t_config_files c JOIN t_server_conf s
    ON c.host = s.node_name AND c.server_name = s.application || '.' || s.server_name
    WHERE s.node_name IN (SELECT node_name FROM t_node_info WHERE last_heartbeat < ?)`,
} as const;

/** Transaction control, prepared once like the rest (the pods' calls run several per commit). */
const CONTROL = {
  begin: "BEGIN",
  beginImmediate: "BEGIN IMMEDIATE",
  commit: "COMMIT",
  rollback: "ROLLBACK",
  savepoint: "SAVEPOINT call",
  release: "RELEASE call",
  rollbackToSavepoint: "ROLLBACK TO call",
} as const;

type Statements = { [name in keyof typeof STATEMENTS]: StatementSync };
type Control = { [name in keyof typeof CONTROL]: StatementSync };

/** How the pods' calls are gathered into shared commits. */
export interface GroupCommit {
  /**
   * Longest wait (ms) for more calls before a commit; only after a commit that held more than
   * one, so a lone caller never waits.
   */
  readonly windowMs: number;
  /** Queued calls that commit without waiting out the window. */
  readonly batchSize: number;
}

/**
 * Default {@link GroupCommit}: at 20,000 pods heartbeating every 30 s (667/s) about 27
 * heartbeats share each fsync, and a call waits at most 40 ms for its commit to start
 * (heartbeats come every few seconds per pod; what counts is the CPU per heartbeat). Windows of
 * 10 and 20 ms (batches of 8 and 16) cost about 2 and 1 points more of one core there.
 */
export const GROUP_COMMIT: GroupCommit = { windowMs: 40, batchSize: 32 };

/** Options of {@link SqliteStore.open}. */
export interface SqliteStoreOptions extends StoreOptions {
  /** How calls share commits ({@link GROUP_COMMIT} when left out). */
  readonly batching?: GroupCommit;
}

interface QueuedCall extends PendingCall {
  readonly run: () => unknown;
}

/** The SQLite implementation of {@link RegistryStore}. */
export class SqliteStore implements RegistryStore {
  /** Always `sqlite`. */
  readonly kind = "sqlite";
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #sql: Statements;
  /** `PRAGMA data_version` when the last load or {@linkcode changedOutside} looked. */
  #dataVersion: number | undefined;
  readonly #control: Control;
  readonly #batching: GroupCommit;
  readonly #admin: SqliteAdmin;
  #closed = false;
  #queue: QueuedCall[] = [];
  #flushTimer: ReturnType<typeof setImmediate> | undefined;
  #windowTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last commit held more than one call: wait for more before the next one. */
  #gathering = false;

  private constructor(db: DatabaseSync, options: SqliteStoreOptions) {
    this.#db = db;
    this.#now = options.now;
    this.#batching = options.batching ?? GROUP_COMMIT;
    this.#sql = prepareAll(db, STATEMENTS);
    for (const name of ["firstNodes", "nextNodes", "firstServers", "nextServers"] as const) {
      this.#sql[name].setReturnArrays(true);
    }
    this.#control = prepareAll(db, CONTROL);
    this.#admin = new SqliteAdmin(db, { now: options.now });
  }

  /** Opens (creating file, parent directory and schema when missing) the database at `path`. */
  static open(path: string, options: SqliteStoreOptions): SqliteStore {
    if (path !== ":memory:") Deno.mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path);
    try {
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = FULL");
      db.exec("PRAGMA busy_timeout = 5000");
      const version = Number(
        (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
      );
      if (version > SQLITE_SCHEMA_VERSION) {
        throw new Error(
          `Registry database ${path} has schema version ${version}, newer than this ` +
            `registry's ${SQLITE_SCHEMA_VERSION}: upgrade the registry or use another file`,
        );
      }
      db.exec("BEGIN IMMEDIATE");
      try {
        if (version === 0) db.exec(SQLITE_SCHEMA);
        for (let from = version || SQLITE_SCHEMA_VERSION; from < SQLITE_SCHEMA_VERSION; from++) {
          db.exec(SQLITE_MIGRATIONS[from]);
        }
        db.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION}`);
        db.exec("COMMIT");
      } catch (error) {
        db.exec("ROLLBACK");
        throw error;
      }
      return new SqliteStore(db, options);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  #transaction<T>(begin: "begin" | "beginImmediate", work: () => T): Promise<T> {
    try {
      this.#assertOpen();
      this.#flushQueue();
      const control = this.#control;
      control[begin].run();
      let result: T;
      try {
        result = work();
        control.commit.run();
      } catch (error) {
        if (this.#db.isTransaction) control.rollback.run();
        throw error;
      }
      return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #write<T>(work: () => T): Promise<T> {
    return this.#transaction("beginImmediate", work);
  }

  #read<T>(work: () => T): Promise<T> {
    return this.#transaction("begin", work);
  }

  #assertOpen(): void {
    if (this.#closed) throw new Error("The registry store is closed: open a new one");
  }

  /** {@inheritDoc RegistryStore.onStartup} */
  onStartup(rows: StartupRows): Promise<void> {
    return this.#enqueue(() => {
      const now = this.#now();
      const sql = this.#sql;
      const node = rows.nodeName;
      sql.upsertNode.run(node, rows.nodeObj, rows.address, now, rows.tarsVersion);
      const s = rows.server;
      if (!s) return;
      sql.upsertServer.run(
        s.application,
        s.server,
        node,
        s.presentState,
        s.version,
        s.enableSet,
        s.setName,
        s.setArea,
        s.setGroup,
        s.gridFlag,
        s.flowState,
        now,
        s.serverType,
        s.processId,
        s.groupName,
      );
      if (s.groupName !== null) sql.addGroup.run(s.groupName, now);
      sql.deleteServerAdapters.run(s.application, s.server, node);
      for (const a of s.adapters) {
        sql.insertAdapter.run(
          s.application,
          s.server,
          node,
          a.adapterName,
          a.servant,
          a.endpoint,
          a.protocol,
          a.threadNum,
          a.maxConns,
          a.queueCap,
          a.queueTimeout,
          now,
        );
      }
    });
  }

  /** {@inheritDoc RegistryStore.keepAlive} */
  keepAlive(rows: KeepAliveRows): Promise<KeepAliveResult> {
    return this.#enqueue(() => this.#heartbeat(rows));
  }

  /** Queues a call for the next group commit; it resolves once that commit is durable. */
  #enqueue<T>(run: () => T): Promise<T> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ run, resolve: resolve as (result: never) => void, reject });
      const { windowMs, batchSize } = this.#batching;
      if (this.#gathering && this.#queue.length < batchSize) {
        this.#windowTimer ??= setTimeout(() => this.#flushQueue(), windowMs);
      } else {
        this.#flushTimer ??= setImmediate(() => this.#flushQueue());
      }
    });
  }

  #heartbeat(rows: KeepAliveRows): KeepAliveResult {
    const sql = this.#sql;
    const node = sql.heartbeat.run(this.#now(), rows.nodeName).changes > 0;
    const { application, server, presentState, processId } = rows;
    if (application === null || server === null) {
      const changed = sql.stateOfNode.run(presentState, processId, rows.nodeName).changes;
      return { node, servers: Number(changed) };
    }
    const row = sql.serverState.get(application, server, rows.nodeName) as
      | { present_state: string; process_id: number }
      | undefined;
    if (row === undefined) return { node, servers: 0 };
    // Most heartbeats repeat the state: rewriting it would dirty one more page per heartbeat.
    const samePid = processId === null || Number(row.process_id) === processId;
    if (row.present_state !== presentState || !samePid) {
      sql.stateOfServer.run(presentState, processId, rows.nodeName, application, server);
    }
    return { node, servers: 1 };
  }

  /** Commits the queued calls in one transaction, then settles each call. */
  #flushQueue(): void {
    if (this.#flushTimer !== undefined) clearImmediate(this.#flushTimer);
    if (this.#windowTimer !== undefined) clearTimeout(this.#windowTimer);
    this.#flushTimer = undefined;
    this.#windowTimer = undefined;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    this.#gathering = batch.length > 1;
    let outcomes: CallOutcome[];
    try {
      outcomes = this.#commitBatch(batch);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    settleCalls(batch, outcomes);
  }

  /**
   * Runs the batch in one transaction and commits it. Calls rarely fail, so they first run
   * without savepoints; after a failure the batch runs again with a savepoint per call.
   */
  #commitBatch(batch: readonly QueuedCall[]): CallOutcome[] {
    const control = this.#control;
    control.beginImmediate.run();
    try {
      let outcomes: CallOutcome[];
      try {
        outcomes = batch.map((item): CallOutcome => ({ ok: true, value: item.run() }));
      } catch {
        if (this.#db.isTransaction) control.rollback.run();
        control.beginImmediate.run();
        outcomes = batch.map((item) => this.#inSavepoint(item));
      }
      control.commit.run();
      return outcomes;
    } catch (error) {
      if (this.#db.isTransaction) control.rollback.run();
      throw error;
    }
  }

  /** Runs one call in a savepoint; throws when its failure ended the whole transaction. */
  #inSavepoint(item: QueuedCall): CallOutcome {
    const control = this.#control;
    control.savepoint.run();
    try {
      const value = item.run();
      control.release.run();
      return { ok: true, value };
    } catch (error) {
      if (!this.#db.isTransaction) throw error;
      control.rollbackToSavepoint.run();
      control.release.run();
      return { ok: false, error };
    }
  }

  /** {@inheritDoc RegistryStore.onPrestop} */
  onPrestop(target: ServerTarget): Promise<PrestopResult> {
    return this.#enqueue(() => this.#remove(target));
  }

  #remove(target: ServerTarget): PrestopResult {
    const sql = this.#sql;
    const { nodeName, application, server } = target;
    if (application === null || server === null) {
      sql.deleteNodeConfigFiles.run(nodeName);
      const adapters = Number(sql.deleteNodeAdapters.run(nodeName).changes);
      const servers = Number(sql.deleteNodeServers.run(nodeName).changes);
      const node = sql.deleteNode.run(nodeName).changes > 0;
      return { servers, adapters, node };
    }
    sql.deleteServerConfigFiles.run(nodeName, `${application}.${server}`);
    const adapters = Number(sql.deleteServerAdapters.run(application, server, nodeName).changes);
    const servers = Number(sql.deleteServer.run(application, server, nodeName).changes);
    const node = sql.deleteNodeIfEmpty.run(nodeName, nodeName).changes > 0;
    return { servers, adapters, node };
  }

  /** {@inheritDoc RegistryStore.expireNodes} */
  expireNodes(timeout: number, options: ExpireOptions = {}): Promise<ExpiredNodes> {
    return this.#write(() => {
      const sql = this.#sql;
      const cutoff = this.#now() - timeout;
      const nodes = options.holdNodes
        ? []
        : (sql.expiringNodes.all(cutoff) as { node_name: string }[]).map((row) => row.node_name);
      if (nodes.length > 0) {
        sql.expireServers.run(cutoff);
        sql.expireNodes.run(cutoff);
      }
      sql.expireRegistryInfo.run(cutoff);
      return { nodes };
    });
  }

  /** {@inheritDoc RegistryStore.announceRegistry} */
  announceRegistry(rows: RegistryInfoRows): Promise<void> {
    return this.#write(() => {
      const now = this.#now();
      for (const { servant, endpoint } of rows.servants) {
        this.#sql.announceRegistry.run(rows.locatorId, servant, endpoint, now, rows.version);
      }
    });
  }

  /** {@inheritDoc RegistryStore.withdrawRegistry} */
  withdrawRegistry(locatorId: string): Promise<void> {
    return this.#write(() => {
      this.#sql.withdrawRegistry.run(locatorId);
    });
  }

  /** {@inheritDoc RegistryStore.registerMetrics} */
  registerMetrics(row: MetricsRow): Promise<boolean> {
    return this.#write(() => {
      const result = this.#sql.metrics.run(
        row.metricsPort,
        row.nodeName,
        row.application,
        row.server,
      );
      return result.changes > 0;
    });
  }

  /** {@inheritDoc RegistryStore.load} */
  load(sink: LoadSink): Promise<LoadResult> {
    return this.#read(() => {
      const takenAt = this.#now();
      // What another process commits from here on is the next reload's to read.
      this.#dataVersion = this.#currentDataVersion();
      let lastNode: NodeRow | undefined;
      while (true) {
        const rows = (lastNode
          ? this.#sql.nextNodes.all(LOAD_CHUNK, lastNode[0])
          : this.#sql.firstNodes.all(LOAD_CHUNK)) as unknown as NodeRow[];
        if (rows.length === 0) {
          break;
        }
        for (const [name, state, heartbeat, nodeObj] of rows) {
          sink.node(nodeRecord(name, state, Number(heartbeat), nodeObj));
        }
        lastNode = rows[rows.length - 1];
      }
      const servers = new ServerAssembler((record) => sink.server(record));
      let lastServer: ServerAdapterRow | undefined;
      while (true) {
        const rows = (lastServer
          ? this.#sql.nextServers.all(LOAD_CHUNK, lastServer[2], lastServer[0], lastServer[1])
          : this.#sql.firstServers.all(LOAD_CHUNK)) as unknown as ServerAdapterRow[];
        if (rows.length === 0) {
          break;
        }
        for (const row of rows) {
          servers.row(row);
        }
        lastServer = rows[rows.length - 1];
      }
      servers.end();
      return { takenAt };
    });
  }

  /** {@inheritDoc RegistryStore.clean} */
  clean(cutoff: CleanCutoff): Promise<CleanResult> {
    return this.#write(() => {
      const { before, dryRun } = cutoff;
      const sql = this.#sql;
      const nodes = (sql.staleNodes.all(before) as { node_name: string }[])
        .map((row) => row.node_name).sort();
      const servers = (sql.staleServers.all(before) as {
        application: string;
        server_name: string;
        node_name: string;
      }[]).map((row): ServerKey => ({
        application: row.application,
        server: row.server_name,
        nodeName: row.node_name,
      })).sort(SERVER_ORDER);
      const adapters = Number((sql.staleAdapters.get(before) as { n: number }).n);
      const configFiles = Number((sql.staleConfigFiles.get(before) as { n: number }).n);
      if (!dryRun) {
        for (const nodeName of nodes) {
          this.#remove({ nodeName, application: null, server: null });
        }
      }
      return { dryRun, nodes, servers, adapters, configFiles };
    });
  }

  /** {@inheritDoc RegistryStore.readGroupRules} */
  readGroupRules(): Promise<GroupRuleRows> {
    return this.#read(() => ({
      rules: (this.#sql.groupRules.all() as Record<string, unknown>[]).map(groupRuleRow),
      priorities: (this.#sql.groupPriorities.all() as Record<string, unknown>[]).map(
        groupPriorityRow,
      ),
    }));
  }

  /** {@inheritDoc RegistryStore.changedOutside} */
  changedOutside(): boolean {
    if (this.#closed) return false;
    const version = this.#currentDataVersion();
    const changed = version !== this.#dataVersion;
    this.#dataVersion = version;
    return changed;
  }

  #currentDataVersion(): number {
    return Number((this.#sql.dataVersion.get() as { data_version: number | bigint }).data_version);
  }

  /** {@inheritDoc RegistryStore.counts} */
  counts(): Promise<StoreCounts> {
    return this.#read(() => {
      return countsOf(this.#sql.counts.get() as Record<keyof StoreCounts, number>);
    });
  }

  /** {@inheritDoc AdminStore.setSettingState} */
  setSettingState(key: ServerKey, state: SettingState): Promise<boolean> {
    return this.#write(() => this.#admin.setSettingState(key, state));
  }

  /** {@inheritDoc AdminStore.setFlowState} */
  setFlowState(rows: FlowRows): Promise<number> {
    return this.#write(() => this.#admin.setFlowState(rows));
  }

  /** {@inheritDoc AdminStore.nodeVersion} */
  nodeVersion(nodeName: string): Promise<string | undefined> {
    return this.#read(() => this.#admin.nodeVersion(nodeName));
  }

  /** {@inheritDoc AdminStore.profileTemplate} */
  profileTemplate(name: string): Promise<ProfileTemplateRow | undefined> {
    return this.#read(() => this.#admin.profileTemplate(name));
  }

  /** {@inheritDoc AdminStore.serverProfile} */
  serverProfile(key: ServerKey): Promise<ServerProfileRow | undefined> {
    return this.#read(() => this.#admin.serverProfile(key));
  }

  /** {@inheritDoc AdminStore.addTask} */
  addTask(task: TaskRows): Promise<void> {
    return this.#write(() => this.#admin.addTask(task));
  }

  /** {@inheritDoc AdminStore.changeTaskItem} */
  changeTaskItem(change: TaskItemChange): Promise<void> {
    return this.#write(() => this.#admin.changeTaskItem(change));
  }

  /** {@inheritDoc AdminStore.task} */
  task(taskNo: string): Promise<TaskRecord | undefined> {
    return this.#read(() => this.#admin.task(taskNo));
  }

  /** {@inheritDoc AdminStore.taskHistory} */
  taskHistory(filter: TaskFilter): Promise<TaskRecord[]> {
    return this.#read(() => this.#admin.taskHistory(filter));
  }

  /** {@inheritDoc RegistryStore.close} */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#flushQueue();
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }
}

/** Prepares every statement of `statements` on `db`, by name. */
function prepareAll<K extends string>(
  db: DatabaseSync,
  statements: Record<K, string>,
): Record<K, StatementSync> {
  return Object.fromEntries(
    Object.entries<string>(statements).map(([name, sql]) => [name, db.prepare(sql)]),
  ) as Record<K, StatementSync>;
}
