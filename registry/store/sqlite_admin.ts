/**
 * The admin registry's statements on the SQLite store: setting states and traffic switches,
 * tasks, node versions and profile templates. Each method runs inside the transaction the store
 * opened for it.
 *
 * @module
 */
import type { DatabaseSync, StatementSync } from "node:sqlite";
import type {
  FlowRows,
  ProfileTemplateRow,
  ServerProfileRow,
  TaskFilter,
  TaskItemChange,
  TaskNumbering,
  TaskRecord,
  TaskRows,
} from "./admin_types.ts";
import { formatDatetime } from "./datetime.ts";
import {
  TASK_ITEM_COLUMNS,
  TASK_ITEM_RECORD_COLUMNS,
  taskItemRecord,
  taskItemValues,
} from "./shared_sql.ts";
import type { ServerKey, SettingState } from "./types.ts";

const STATEMENTS = {
  settingState: `UPDATE t_server_conf SET setting_state = ?1, registry_timestamp = ?2
    WHERE application = ?3 AND server_name = ?4 AND node_name = ?5`,
  // ?4: the node names as a JSON list.
  flowState: `UPDATE t_server_conf SET flow_state = ?1, registry_timestamp = ?2
    WHERE application = ?3 AND server_name = ?4
      AND node_name IN (SELECT value FROM json_each(?5))`,
  nodeVersion: `SELECT tars_version FROM t_node_info WHERE node_name = ?`,
  profileTemplate: `SELECT parents_name, profile FROM t_profile_template WHERE template_name = ?`,
  serverExists: `SELECT 1 AS found FROM t_server_conf
    WHERE application = ? AND server_name = ? AND node_name = ?`,
  insertTask: `INSERT INTO t_task (task_no, serial, user_name, create_time, status_numbering)
    VALUES (?, ?, ?, ?, ?)`,
  insertTaskItem: `INSERT INTO t_task_item (${TASK_ITEM_COLUMNS.join(", ")})
    VALUES (${TASK_ITEM_COLUMNS.map(() => "?").join(", ")})`,
  startTaskItem: `UPDATE t_task_item SET status = ?1, start_time = ?2
    WHERE task_no = ?3 AND item_no = ?4`,
  endTaskItem: `UPDATE t_task_item SET status = ?1, end_time = ?2, log = ?5
    WHERE task_no = ?3 AND item_no = ?4`,
  task: `SELECT task_no, serial, user_name, create_time, status_numbering FROM t_task
    WHERE task_no = ?`,
  taskItems: `SELECT ${TASK_ITEM_RECORD_COLUMNS.join(", ")}
    FROM t_task_item WHERE task_no = ? ORDER BY rowid`,
  history: `SELECT task_no, serial, user_name, create_time, status_numbering FROM t_task
    WHERE task_no IN (SELECT task_no FROM t_task_item
      WHERE application = ? AND server_name = ? AND command = ?)
    ORDER BY create_time DESC, task_no`,
} as const;

interface TaskRow {
  task_no: string;
  serial: number;
  user_name: string;
  create_time: number;
  status_numbering: number;
}

/** A time column (epoch ms): the framework's text, or empty for NULL. */
function timeOf(value: unknown): string {
  return value === null || value === undefined ? "" : formatDatetime(Number(value));
}

/** The admin registry's part of the SQLite store. */
export class SqliteAdmin {
  readonly #sql: { [name in keyof typeof STATEMENTS]: StatementSync };
  readonly #now: () => number;

  constructor(db: DatabaseSync, options: { now: () => number }) {
    this.#sql = Object.fromEntries(
      Object.entries(STATEMENTS).map(([name, sql]) => [name, db.prepare(sql)]),
    ) as { [name in keyof typeof STATEMENTS]: StatementSync };
    this.#now = options.now;
  }

  /** {@inheritDoc AdminStore.setSettingState} */
  setSettingState(key: ServerKey, state: SettingState): boolean {
    const { application, server, nodeName } = key;
    return this.#sql.settingState.run(state, this.#now(), application, server, nodeName)
      .changes > 0;
  }

  /** {@inheritDoc AdminStore.setFlowState} */
  setFlowState(rows: FlowRows): number {
    const state = rows.active ? "active" : "inactive";
    const nodes = JSON.stringify(rows.nodeNames);
    return Number(
      this.#sql.flowState.run(state, this.#now(), rows.application, rows.server, nodes).changes,
    );
  }

  /** {@inheritDoc AdminStore.nodeVersion} */
  nodeVersion(nodeName: string): string | undefined {
    const row = this.#sql.nodeVersion.get(nodeName) as { tars_version: string } | undefined;
    return row?.tars_version;
  }

  /** {@inheritDoc AdminStore.profileTemplate} */
  profileTemplate(name: string): ProfileTemplateRow | undefined {
    const row = this.#sql.profileTemplate.get(name) as
      | { parents_name: string; profile: string }
      | undefined;
    return row && { parents: row.parents_name, profile: row.profile };
  }

  /**
   * {@inheritDoc AdminStore.serverProfile} The embedded store keeps no template per server:
   * every server has the framework's default template and no private profile.
   */
  serverProfile(key: ServerKey): ServerProfileRow | undefined {
    const found = this.#sql.serverExists.get(key.application, key.server, key.nodeName);
    return found ? { template: "tars.default", profile: "" } : undefined;
  }

  /** {@inheritDoc AdminStore.addTask} */
  addTask(task: TaskRows): void {
    const sql = this.#sql;
    sql.insertTask.run(
      task.taskNo,
      task.serial ? 1 : 0,
      task.userName,
      this.#now(),
      task.numbering,
    );
    for (const item of task.items) sql.insertTaskItem.run(...taskItemValues(task.taskNo, item));
  }

  /** {@inheritDoc AdminStore.changeTaskItem} */
  changeTaskItem(change: TaskItemChange): void {
    const { taskNo, itemNo, status } = change;
    if (change.stamp === "start") {
      this.#sql.startTaskItem.run(status, this.#now(), taskNo, itemNo);
    } else {
      this.#sql.endTaskItem.run(status, this.#now(), taskNo, itemNo, change.log ?? "");
    }
  }

  /** {@inheritDoc AdminStore.task} */
  task(taskNo: string): TaskRecord | undefined {
    const row = this.#sql.task.get(taskNo) as TaskRow | undefined;
    return row && this.#record(row);
  }

  /** {@inheritDoc AdminStore.taskHistory} */
  taskHistory(filter: TaskFilter): TaskRecord[] {
    const rows = this.#sql.history.all(
      filter.application,
      filter.server,
      filter.command,
    ) as unknown as TaskRow[];
    return rows.map((row) => this.#record(row));
  }

  #record(row: TaskRow): TaskRecord {
    const items = (this.#sql.taskItems.all(row.task_no) as Record<string, unknown>[]).map(
      (item) => taskItemRecord(item, timeOf),
    );
    return {
      taskNo: row.task_no,
      serial: Number(row.serial) !== 0,
      userName: row.user_name,
      createTime: formatDatetime(Number(row.create_time)),
      numbering: Number(row.status_numbering) === 3 ? 3 : 2 as TaskNumbering,
      items,
    };
  }
}
