/**
 * Embedded registry store on SQLite (`node:sqlite`).
 *
 * WAL journal with `synchronous=FULL`: every call's commit is fsynced before its promise
 * resolves, so an acknowledged registration survives a crash and a power loss. Statements are
 * prepared once; calls run synchronously, so they never interleave.
 *
 * Heartbeats are group-committed: keepAlive calls queued together share one transaction and
 * one fsync, and every call resolves only after that commit. A heartbeat commits at the end of
 * the event-loop turn that read it, unless the previous commit held more than one heartbeat
 * (they are arriving concurrently): then the queue waits up to {@link HeartbeatBatching.windowMs}
 * for more, or until it holds {@link HeartbeatBatching.batchSize}. A lone caller's heartbeats
 * therefore never wait, and under steady load one fsync serves many pods. If a heartbeat fails,
 * the batch is run again with each call in its own savepoint, so the failing one leaves nothing
 * of itself and the others still commit. Any other write first commits the heartbeats queued
 * before it, so writes still take effect in the order they arrived.
 */

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from "node:timers";
import { adapterValues, countsOf, serverStateValues, SHARED_STATEMENTS } from "./shared_sql.ts";
import { SQLITE_SCHEMA, SQLITE_SCHEMA_VERSION } from "./sqlite_schema.ts";
import { buildSnapshot, SERVER_ORDER, type TableRows } from "./snapshot_rows.ts";
// The rows it writes; what it answers; the contract.
import type { CleanCutoff, KeepAliveRows, MetricsRow, ServerTarget, StartupRows } from "./types.ts";
import type { CleanResult, KeepAliveResult, PrestopResult, StoreCounts } from "./types.ts";
import type { NodeRecord, RegistryStore, ServerKey, StoreOptions, StoreSnapshot } from "./types.ts";

const STATEMENTS = {
  ...SHARED_STATEMENTS,
  upsertNode: `INSERT INTO t_node_info (node_name, node_obj, endpoint_ip, setting_state,
      present_state, last_reg_time, last_heartbeat)
    VALUES (?, ?, ?, 'active', 'active', ?, ?)
    ON CONFLICT (node_name) DO UPDATE SET present_state = 'active',
      last_heartbeat = excluded.last_heartbeat`,
  upsertServer: `INSERT INTO t_server_conf (application, server_name, node_name,
      setting_state, present_state, patch_version, enable_set, set_name, set_area, set_group,
      grid_flag, flow_state, registry_timestamp)
    VALUES (?, ?, ?, 'active', ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (application, server_name, node_name) DO UPDATE SET setting_state = 'active',
      present_state = excluded.present_state, patch_version = excluded.patch_version,
      enable_set = excluded.enable_set, set_name = excluded.set_name,
      set_area = excluded.set_area, set_group = excluded.set_group,
      grid_flag = excluded.grid_flag, flow_state = excluded.flow_state,
      registry_timestamp = excluded.registry_timestamp`,
  insertAdapter: `INSERT INTO t_adapter_conf (application, server_name, node_name,
      adapter_name, servant, endpoint, protocol, thread_num, max_connections, queuecap,
      queuetimeout, registry_timestamp)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  serverState: `SELECT present_state FROM t_server_conf
    WHERE application = ? AND server_name = ? AND node_name = ?`,
  deleteNodeConfigFiles: `DELETE FROM t_config_files WHERE host = ?1 AND server_name IN
    (SELECT application || '.' || server_name FROM t_server_conf WHERE node_name = ?1)`,
  servers: `SELECT application, server_name, node_name, setting_state, present_state,
      patch_version, enable_set, set_name, set_area, set_group, grid_flag, flow_state,
      metrics_port FROM t_server_conf`,
  staleNodes: `SELECT node_name FROM t_node_info WHERE last_heartbeat < ?`,
  staleServers: `SELECT application, server_name, node_name FROM t_server_conf
    WHERE node_name IN (SELECT node_name FROM t_node_info WHERE last_heartbeat < ?)`,
  staleAdapters: `SELECT count(*) AS n FROM t_adapter_conf
    WHERE node_name IN (SELECT node_name FROM t_node_info WHERE last_heartbeat < ?)`,
  staleConfigFiles: `SELECT count(*) AS n FROM t_config_files c JOIN t_server_conf s
    ON c.host = s.node_name AND c.server_name = s.application || '.' || s.server_name
    WHERE s.node_name IN (SELECT node_name FROM t_node_info WHERE last_heartbeat < ?)`,
} as const;

/** Transaction control, prepared once like the rest (heartbeats run several per commit). */
const CONTROL = {
  begin: "BEGIN",
  beginImmediate: "BEGIN IMMEDIATE",
  commit: "COMMIT",
  rollback: "ROLLBACK",
  savepoint: "SAVEPOINT heartbeat",
  release: "RELEASE heartbeat",
  rollbackToSavepoint: "ROLLBACK TO heartbeat",
} as const;

type Statements = { [name in keyof typeof STATEMENTS]: StatementSync };
type Control = { [name in keyof typeof CONTROL]: StatementSync };

/** How heartbeats are gathered into shared commits. */
export interface HeartbeatBatching {
  /**
   * Longest wait (ms) for more heartbeats before a commit; only after a commit that held more
   * than one, so a lone caller never waits.
   */
  readonly windowMs: number;
  /** Queued heartbeats that commit without waiting out the window. */
  readonly batchSize: number;
}

/**
 * Default {@link HeartbeatBatching}: at 20,000 pods heartbeating every 30 s (667/s) about 27
 * heartbeats share each fsync, and a heartbeat waits at most 40 ms for its commit to start
 * (heartbeats come every few seconds per pod; what counts is the CPU per heartbeat). Windows of
 * 10 and 20 ms (batches of 8 and 16) cost about 2 and 1 points more of one core there.
 */
export const HEARTBEAT_BATCHING: HeartbeatBatching = { windowMs: 40, batchSize: 32 };

/** Options of {@link SqliteStore.open}. */
export interface SqliteStoreOptions extends StoreOptions {
  /** How heartbeats share commits ({@link HEARTBEAT_BATCHING} when left out). */
  readonly batching?: HeartbeatBatching;
}

type Outcome = { ok: true; value: KeepAliveResult } | { ok: false; error: unknown };

interface QueuedHeartbeat {
  readonly run: () => KeepAliveResult;
  readonly resolve: (result: KeepAliveResult) => void;
  readonly reject: (error: unknown) => void;
}

/** The SQLite implementation of {@link RegistryStore}. */
export class SqliteStore implements RegistryStore {
  /** Always `sqlite`. */
  readonly kind = "sqlite";
  readonly #db: DatabaseSync;
  readonly #now: () => number;
  readonly #sql: Statements;
  readonly #control: Control;
  readonly #batching: HeartbeatBatching;
  #closed = false;
  #heartbeats: QueuedHeartbeat[] = [];
  #flushTimer: ReturnType<typeof setImmediate> | undefined;
  #windowTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last commit held more than one heartbeat: wait for more before the next one. */
  #gathering = false;

  private constructor(db: DatabaseSync, options: SqliteStoreOptions) {
    this.#db = db;
    this.#now = options.now;
    this.#batching = options.batching ?? HEARTBEAT_BATCHING;
    this.#sql = prepareAll(db, STATEMENTS);
    this.#control = prepareAll(db, CONTROL);
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
        db.exec(SQLITE_SCHEMA);
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
      this.#flushHeartbeats();
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
    return this.#write(() => {
      const now = this.#now();
      const sql = this.#sql;
      sql.upsertNode.run(
        rows.nodeName,
        `tars.tarsnode.NodeObj@tcp -h ${rows.nodeName} -p 0`,
        rows.nodeName,
        now,
        now,
      );
      const s = rows.server;
      if (!s) return;
      sql.upsertServer.run(
        s.application,
        s.server,
        rows.nodeName,
        ...serverStateValues(s),
        s.gridFlag,
        s.flowState,
        now,
      );
      sql.deleteServerAdapters.run(s.application, s.server, rows.nodeName);
      for (const a of s.adapters) {
        sql.insertAdapter.run(...adapterValues(s, rows.nodeName, a), now);
      }
    });
  }

  /** {@inheritDoc RegistryStore.keepAlive} */
  keepAlive(rows: KeepAliveRows): Promise<KeepAliveResult> {
    try {
      this.#assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((resolve, reject) => {
      this.#heartbeats.push({ run: () => this.#heartbeat(rows), resolve, reject });
      const { windowMs, batchSize } = this.#batching;
      if (this.#gathering && this.#heartbeats.length < batchSize) {
        this.#windowTimer ??= setTimeout(() => this.#flushHeartbeats(), windowMs);
      } else {
        this.#flushTimer ??= setImmediate(() => this.#flushHeartbeats());
      }
    });
  }

  #heartbeat(rows: KeepAliveRows): KeepAliveResult {
    const sql = this.#sql;
    const node = sql.heartbeat.run(this.#now(), rows.nodeName).changes > 0;
    const { application, server, presentState } = rows;
    if (application === null || server === null) {
      return { node, servers: Number(sql.stateOfNode.run(presentState, rows.nodeName).changes) };
    }
    const row = sql.serverState.get(application, server, rows.nodeName) as
      | { present_state: string }
      | undefined;
    if (row === undefined) return { node, servers: 0 };
    // Most heartbeats repeat the state: rewriting it would dirty one more page per heartbeat.
    if (row.present_state !== presentState) {
      sql.stateOfServer.run(presentState, rows.nodeName, application, server);
    }
    return { node, servers: 1 };
  }

  /** Commits the queued heartbeats in one transaction, then settles each call. */
  #flushHeartbeats(): void {
    if (this.#flushTimer !== undefined) clearImmediate(this.#flushTimer);
    if (this.#windowTimer !== undefined) clearTimeout(this.#windowTimer);
    this.#flushTimer = undefined;
    this.#windowTimer = undefined;
    const batch = this.#heartbeats;
    if (batch.length === 0) return;
    this.#heartbeats = [];
    this.#gathering = batch.length > 1;
    let outcomes: Outcome[];
    try {
      outcomes = this.#commitHeartbeats(batch);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.value);
      else item.reject(outcome.error);
    });
  }

  /**
   * Runs the batch in one transaction and commits it. Heartbeats rarely fail, so they first run
   * without savepoints; after a failure the batch runs again with a savepoint per call.
   */
  #commitHeartbeats(batch: readonly QueuedHeartbeat[]): Outcome[] {
    const control = this.#control;
    control.beginImmediate.run();
    try {
      let outcomes: Outcome[];
      try {
        outcomes = batch.map((item): Outcome => ({ ok: true, value: item.run() }));
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

  /** Runs one heartbeat in a savepoint; throws when its failure ended the whole transaction. */
  #inSavepoint(item: QueuedHeartbeat): Outcome {
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
    return this.#write(() => this.#remove(target));
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
    return { servers, adapters, node: false };
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

  /** {@inheritDoc RegistryStore.snapshot} */
  snapshot(): Promise<StoreSnapshot> {
    return this.#read(() => {
      const takenAt = this.#now();
      const nodes = (this.#sql.nodes.all() as {
        node_name: string;
        present_state: "active" | "inactive";
        last_heartbeat: number;
      }[]).map((row): NodeRecord => ({
        nodeName: row.node_name,
        presentState: row.present_state,
        lastHeartbeat: Number(row.last_heartbeat),
      }));
      return buildSnapshot(takenAt, {
        nodes,
        servers: this.#sql.servers.all() as unknown as TableRows["servers"],
        adapters: this.#sql.adapters.all() as unknown as TableRows["adapters"],
      });
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

  /** {@inheritDoc RegistryStore.counts} */
  counts(): Promise<StoreCounts> {
    return this.#read(() => {
      return countsOf(this.#sql.counts.get() as Record<keyof StoreCounts, number>);
    });
  }

  /** {@inheritDoc RegistryStore.close} */
  close(): Promise<void> {
    if (!this.#closed) {
      this.#flushHeartbeats();
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
