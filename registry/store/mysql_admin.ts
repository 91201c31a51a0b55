/**
 * The admin registry's statements on db_tars: setting states and the console's traffic switch in
 * `t_server_conf`, the console's tasks in `t_task` and `t_task_item` (as the C++ admin registry
 * 2.x writes every task, so the console's task list shows them), node versions and profile
 * templates. Each function runs on the connection of a transaction the store opened.
 *
 * A task's item states are stored in the numbering of the console that asked for it; which one
 * that was is the registry's own table `t_tarsregistry_task` (db_tars has no column for it). A
 * task without a row there (another admin registry wrote it) reads as TarsWeb 2.x's.
 *
 * @module
 */
import type { PoolConnection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import type {
  FlowRows,
  ProfileTemplateRow,
  ServerProfileRow,
  TaskFilter,
  TaskItemChange,
  TaskItemRecord,
  TaskRecord,
  TaskRows,
} from "./admin_types.ts";
import type { Layout } from "./mysql_layout.ts";
import { selectList } from "./mysql_statements.ts";
import {
  TASK_ITEM_COLUMNS,
  TASK_ITEM_RECORD_COLUMNS,
  taskItemRecord,
  taskItemValues,
} from "./shared_sql.ts";
import type { ServerKey, SettingState } from "./types.ts";

/** The registry's own table of tasks: the numbering of each task's states. */
export const OWN_TASK_TABLE = "t_tarsregistry_task";

/** Creates {@linkcode OWN_TASK_TABLE}. */
export const OWN_TASK_TABLE_DDL = `CREATE TABLE IF NOT EXISTS ${OWN_TASK_TABLE} (
  task_no varchar(40) NOT NULL,
  status_numbering tinyint NOT NULL DEFAULT 2,
  PRIMARY KEY (task_no)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4`;

/** ER_NO_SUCH_TABLE. */
const NO_SUCH_TABLE = 1146;

/** Runs `work`; a table db_tars lacks is an error naming it and `--init-db`. */
async function onFrameworkTables<T>(tables: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if ((error as { errno?: number } | null)?.errno !== NO_SUCH_TABLE) throw error;
    throw new Error(
      `The database lacks a table of ${tables}: ${(error as Error).message}; create the ` +
        `framework's tables with --init-db (DDL in baseserver/db/db_tars.sql)`,
      { cause: error },
    );
  }
}

/** `NOW(3)` into `registry_timestamp` where the table has it (replicas reload by it). */
function stamp(layout: Layout): string {
  return layout.has("t_server_conf", "registry_timestamp") ? ", registry_timestamp = NOW(3)" : "";
}

/** {@inheritDoc AdminStore.setSettingState} */
export async function setSettingState(
  conn: PoolConnection,
  layout: Layout,
  key: ServerKey,
  state: SettingState,
): Promise<boolean> {
  const [result] = await conn.query<ResultSetHeader>(
    `UPDATE t_server_conf SET setting_state = ?${stamp(layout)}
      WHERE application = ? AND server_name = ? AND node_name = ?`,
    [state, key.application, key.server, key.nodeName],
  );
  return result.affectedRows > 0;
}

/**
 * {@inheritDoc AdminStore.setFlowState} The switch is `flow_state`, which the console shows and
 * the framework's registries read; a `t_server_conf` without it (older than TarsWeb 2.4.17) has
 * no switch to set, and the call fails saying so.
 */
export async function setFlowState(
  conn: PoolConnection,
  layout: Layout,
  rows: FlowRows,
): Promise<number> {
  if (!layout.has("t_server_conf", "flow_state")) {
    throw new Error(
      "t_server_conf has no column flow_state, the console's traffic switch: add it as " +
        "baseserver/db/db_tars.sql defines it (TarsWeb 2.4.17 adds it too)",
    );
  }
  const [result] = await conn.query<ResultSetHeader>(
    `UPDATE t_server_conf SET flow_state = ?${stamp(layout)}
      WHERE application = ? AND server_name = ? AND node_name IN (?)`,
    [rows.active ? "active" : "inactive", rows.application, rows.server, rows.nodeNames],
  );
  return result.affectedRows;
}

/** {@inheritDoc AdminStore.nodeVersion} */
export async function nodeVersion(
  conn: PoolConnection,
  layout: Layout,
  nodeName: string,
): Promise<string | undefined> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT ${selectList(layout, "t_node_info", ["tars_version"])} FROM t_node_info
      WHERE node_name = ?`,
    [nodeName],
  );
  return rows.length === 0 ? undefined : String(rows[0].tars_version ?? "");
}

/** {@inheritDoc AdminStore.profileTemplate} */
export async function profileTemplate(
  conn: PoolConnection,
  name: string,
): Promise<ProfileTemplateRow | undefined> {
  return await onFrameworkTables("t_profile_template", async () => {
    const [rows] = await conn.query<RowDataPacket[]>(
      "SELECT parents_name, profile FROM t_profile_template WHERE template_name = ?",
      [name],
    );
    if (rows.length === 0) return undefined;
    return { parents: String(rows[0].parents_name ?? ""), profile: String(rows[0].profile ?? "") };
  });
}

/** {@inheritDoc AdminStore.serverProfile} */
export async function serverProfile(
  conn: PoolConnection,
  layout: Layout,
  key: ServerKey,
): Promise<ServerProfileRow | undefined> {
  const [rows] = await conn.query<RowDataPacket[]>(
    `SELECT ${selectList(layout, "t_server_conf", ["template_name", "profile"])}
      FROM t_server_conf WHERE application = ? AND server_name = ? AND node_name = ?`,
    [key.application, key.server, key.nodeName],
  );
  if (rows.length === 0) return undefined;
  return { template: String(rows[0].template_name ?? ""), profile: String(rows[0].profile ?? "") };
}

/** {@inheritDoc AdminStore.addTask} The items first, then the task, as the C++ one writes them. */
export async function addTask(conn: PoolConnection, task: TaskRows): Promise<void> {
  await onFrameworkTables("t_task and t_task_item", async () => {
    if (task.items.length > 0) {
      await conn.query(
        `INSERT INTO t_task_item (${TASK_ITEM_COLUMNS.join(", ")}) VALUES ?`,
        [task.items.map((item) => taskItemValues(task.taskNo, item))],
      );
    }
    await conn.query(
      "INSERT INTO t_task (task_no, serial, user_name, create_time) VALUES (?, ?, ?, NOW())",
      [task.taskNo, task.serial ? 1 : 0, task.userName],
    );
    await conn.query(
      `INSERT INTO ${OWN_TASK_TABLE} (task_no, status_numbering) VALUES (?, ?)`,
      [task.taskNo, task.numbering],
    );
  });
}

/** {@inheritDoc AdminStore.changeTaskItem} */
export async function changeTaskItem(conn: PoolConnection, change: TaskItemChange): Promise<void> {
  await onFrameworkTables("t_task_item", async () => {
    if (change.stamp === "start") {
      await conn.query(
        "UPDATE t_task_item SET status = ?, start_time = NOW() WHERE task_no = ? AND item_no = ?",
        [change.status, change.taskNo, change.itemNo],
      );
    } else {
      await conn.query(
        `UPDATE t_task_item SET status = ?, end_time = NOW(), log = ?
          WHERE task_no = ? AND item_no = ?`,
        [change.status, change.log ?? "", change.taskNo, change.itemNo],
      );
    }
  });
}

/** {@inheritDoc AdminStore.task} */
export async function task(conn: PoolConnection, taskNo: string): Promise<TaskRecord | undefined> {
  return await onFrameworkTables("t_task and t_task_item", async () => {
    const [rows] = await conn.query<RowDataPacket[]>(
      "SELECT task_no, serial, user_name, create_time FROM t_task WHERE task_no = ?",
      [taskNo],
    );
    if (rows.length === 0) return undefined;
    return (await records(conn, rows))[0];
  });
}

/** {@inheritDoc AdminStore.taskHistory} */
export async function taskHistory(
  conn: PoolConnection,
  filter: TaskFilter,
): Promise<TaskRecord[]> {
  return await onFrameworkTables("t_task and t_task_item", async () => {
    const [rows] = await conn.query<RowDataPacket[]>(
      `SELECT task_no, serial, user_name, create_time FROM t_task
        WHERE task_no IN (SELECT task_no FROM t_task_item
          WHERE application = ? AND server_name = ? AND command = ?)
        ORDER BY create_time DESC, task_no`,
      [filter.application, filter.server, filter.command],
    );
    return rows.length === 0 ? [] : await records(conn, rows);
  });
}

/** The records of `t_task` rows, with their items and numbering. */
async function records(conn: PoolConnection, tasks: RowDataPacket[]): Promise<TaskRecord[]> {
  const numbers = tasks.map((row) => String(row.task_no));
  const [items] = await conn.query<RowDataPacket[]>(
    `SELECT task_no, ${TASK_ITEM_RECORD_COLUMNS.join(", ")}
      FROM t_task_item WHERE task_no IN (?) ORDER BY id`,
    [numbers],
  );
  const [own] = await conn.query<RowDataPacket[]>(
    `SELECT task_no, status_numbering FROM ${OWN_TASK_TABLE} WHERE task_no IN (?)`,
    [numbers],
  );
  const numbering = new Map(own.map((row) => [String(row.task_no), Number(row.status_numbering)]));
  const byTask = new Map<string, TaskItemRecord[]>();
  for (const row of items) {
    const list = byTask.get(String(row.task_no)) ?? [];
    // Times as the database's text (the pool reads dates as strings).
    list.push(taskItemRecord(row, (time) => String(time ?? "")));
    byTask.set(String(row.task_no), list);
  }
  return tasks.map((row) => {
    const taskNo = String(row.task_no);
    return {
      taskNo,
      serial: Number(row.serial ?? 0) !== 0,
      userName: String(row.user_name ?? ""),
      createTime: String(row.create_time ?? ""),
      numbering: numbering.get(taskNo) === 3 ? 3 : 2,
      items: byTask.get(taskNo) ?? [],
    };
  });
}
