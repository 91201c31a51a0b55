/**
 * What both stores say to their databases in the same words: the statements that read alike in
 * SQLite and MySQL (removals and row counts: they name only columns every db_tars has), and the
 * counts of their answer. The statements that differ stay in each store.
 *
 * @module
 */
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
