/**
 * What both stores say to their databases in the same words: the statements that read alike in
 * SQLite and MySQL, the values of a row in the order both stores' INSERTs list its columns, and
 * the row counts. The statements that differ stay in each store.
 *
 * @module
 */
import type { AdapterRow, ServerRow, StoreCounts } from "./types.ts";

/** The statements that are the same in both SQL dialects, by name. */
export const SHARED_STATEMENTS = {
  deleteServerAdapters: `DELETE FROM t_adapter_conf
    WHERE application = ? AND server_name = ? AND node_name = ?`,
  heartbeat: `UPDATE t_node_info SET last_heartbeat = ?, present_state = 'active'
    WHERE node_name = ?`,
  stateOfServer: `UPDATE t_server_conf SET present_state = ?
    WHERE node_name = ? AND application = ? AND server_name = ?`,
  stateOfNode: `UPDATE t_server_conf SET present_state = ? WHERE node_name = ?`,
  deleteServerConfigFiles: `DELETE FROM t_config_files WHERE host = ? AND server_name = ?`,
  deleteServer: `DELETE FROM t_server_conf
    WHERE application = ? AND server_name = ? AND node_name = ?`,
  deleteNodeAdapters: `DELETE FROM t_adapter_conf WHERE node_name = ?`,
  deleteNodeServers: `DELETE FROM t_server_conf WHERE node_name = ?`,
  deleteNode: `DELETE FROM t_node_info WHERE node_name = ?`,
  metrics: `UPDATE t_server_conf SET metrics_port = ?
    WHERE node_name = ? AND application = ? AND server_name = ?`,
  nodes: `SELECT node_name, present_state, last_heartbeat FROM t_node_info`,
  adapters: `SELECT application, server_name, node_name, adapter_name, servant, endpoint,
      protocol, thread_num, max_connections, queuecap, queuetimeout FROM t_adapter_conf`,
  counts: `SELECT (SELECT count(*) FROM t_node_info) AS nodes,
      (SELECT count(*) FROM t_server_conf) AS servers,
      (SELECT count(*) FROM t_adapter_conf) AS adapters,
      (SELECT count(*) FROM t_config_files WHERE host <> '') AS configFiles`,
} as const;

/**
 * `application, server_name, node_name, adapter_name, servant, endpoint, protocol, thread_num,
 * max_connections, queuecap, queuetimeout` of an adapter of `server` on `nodeName`.
 */
export function adapterValues(
  server: ServerRow,
  nodeName: string,
  adapter: AdapterRow,
): (string | number)[] {
  return [
    server.application,
    server.server,
    nodeName,
    adapter.adapterName,
    adapter.servant,
    adapter.endpoint,
    adapter.protocol,
    adapter.threadNum,
    adapter.maxConns,
    adapter.queueCap,
    adapter.queueTimeout,
  ];
}

/** `present_state, patch_version, enable_set, set_name, set_area, set_group` of a server row. */
export function serverStateValues(server: ServerRow): string[] {
  return [
    server.presentState,
    server.version,
    server.enableSet,
    server.setName,
    server.setArea,
    server.setGroup,
  ];
}

/** The row counts from the row of the `counts` statement (the drivers may give strings). */
export function countsOf(row: Readonly<Record<keyof StoreCounts, unknown>>): StoreCounts {
  return {
    nodes: Number(row.nodes),
    servers: Number(row.servers),
    adapters: Number(row.adapters),
    configFiles: Number(row.configFiles),
  };
}
