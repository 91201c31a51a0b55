/**
 * What both stores say to their databases in the same words: the statements that read alike in
 * SQLite and MySQL (removals and row counts: they name only columns every db_tars has), and the
 * counts of their answer; the columns of a console task's item, as written and as read back. The
 * statements that differ stay in each store.
 *
 * @module
 */
import type { TaskItemRecord, TaskItemRow } from "./admin_types.ts";
import type { StoreCounts } from "./types.ts";

/** The statements that are the same in both SQL dialects, by name. */
export const SHARED_STATEMENTS = {
  deleteServerAdapters: `DELETE FROM t_adapter_conf
    WHERE application = ? AND server_name = ? AND node_name = ?`,
  deleteServerConfigFiles: `DELETE FROM t_config_files WHERE host = ? AND server_name = ?`,
  deleteServer: `DELETE FROM t_server_conf
    WHERE application = ? AND server_name = ? AND node_name = ?`,
  deleteNodeAdapters: `DELETE FROM t_adapter_conf WHERE node_name = ?`,
  deleteNodeServers: `DELETE FROM t_server_conf WHERE node_name = ?`,
  deleteNode: `DELETE FROM t_node_info WHERE node_name = ?`,
  /** Removes the node once no server of it is left (node name twice). */
  deleteNodeIfEmpty: `DELETE FROM t_node_info WHERE node_name = ?
    AND NOT EXISTS (SELECT 1 FROM t_server_conf WHERE node_name = ?)`,
  counts: `SELECT (SELECT count(*) FROM t_node_info) AS nodes,
      (SELECT count(*) FROM t_server_conf) AS servers,
      (SELECT count(*) FROM t_adapter_conf) AS adapters,
      (SELECT count(*) FROM t_config_files WHERE host <> '') AS configFiles`,
} as const;

/** The row counts from the row of the `counts` statement (the drivers may give strings). */
export function countsOf(row: Readonly<Record<keyof StoreCounts, unknown>>): StoreCounts {
  return {
    nodes: Number(row.nodes),
    servers: Number(row.servers),
    adapters: Number(row.adapters),
    configFiles: Number(row.configFiles),
  };
}

/** The columns of `t_task_item` that an item is both written and read back with. */
const TASK_ITEM_NAMES = [
  "item_no",
  "application",
  "server_name",
  "node_name",
  "set_name",
  "command",
  "parameters",
] as const;

/** The columns of `t_task_item` an item is written with, in the order of {@linkcode taskItemValues}. */
export const TASK_ITEM_COLUMNS = ["task_no", ...TASK_ITEM_NAMES, "status"] as const;

/** An item's values for {@linkcode TASK_ITEM_COLUMNS}. */
export function taskItemValues(taskNo: string, item: TaskItemRow): (string | number)[] {
  return [
    taskNo,
    item.itemNo,
    item.application,
    item.server,
    item.nodeName,
    item.setName,
    item.command,
    item.parameters,
    item.status,
  ];
}

/** The columns of `t_task_item` an item is read back with ({@linkcode taskItemRecord}'s). */
export const TASK_ITEM_RECORD_COLUMNS = [
  ...TASK_ITEM_NAMES,
  "start_time",
  "end_time",
  "status",
  "log",
] as const;

/**
 * The record of an item read with {@linkcode TASK_ITEM_RECORD_COLUMNS} (NULL as empty): `time`
 * gives a time column as the framework's text, or empty for NULL.
 */
export function taskItemRecord(
  row: Readonly<Record<string, unknown>>,
  time: (value: unknown) => string,
): TaskItemRecord {
  return {
    itemNo: String(row.item_no ?? ""),
    application: String(row.application ?? ""),
    server: String(row.server_name ?? ""),
    nodeName: String(row.node_name ?? ""),
    setName: String(row.set_name ?? ""),
    command: String(row.command ?? ""),
    parameters: String(row.parameters ?? ""),
    startTime: time(row.start_time),
    endTime: time(row.end_time),
    status: Number(row.status ?? 0),
    log: String(row.log ?? ""),
  };
}
