/**
 * Schema of the embedded SQLite store: the db_tars tables and columns the registry uses, with the
 * same names, so the SQL of both stores reads alike. Times are epoch ms integers; enum columns
 * are guarded by CHECK constraints.
 */

/** Schema version stored in `PRAGMA user_version`. */
export const SQLITE_SCHEMA_VERSION = 5;

/** The registry's own objects, as in db_tars (added in version 2). */
const REGISTRY_INFO_TABLE = `
CREATE TABLE IF NOT EXISTS t_registry_info (
  locator_id TEXT NOT NULL,
  servant TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  last_heartbeat INTEGER NOT NULL,
  present_state TEXT NOT NULL DEFAULT 'inactive'
    CHECK (present_state IN ('active', 'inactive')),
  tars_version TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (locator_id, servant)
) WITHOUT ROWID;`;

/**
 * The server and adapter tables (version 4), under the names given: keyed node first, so a pod's
 * rows sit together and a registration writes one leaf page of each table instead of one of
 * each table and of an index by node.
 */
function serverTables(servers: string, adapters: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${servers} (
  application TEXT NOT NULL,
  server_name TEXT NOT NULL,
  node_name TEXT NOT NULL,
  setting_state TEXT NOT NULL DEFAULT 'inactive'
    CHECK (setting_state IN ('active', 'inactive')),
  present_state TEXT NOT NULL DEFAULT 'inactive'
    CHECK (present_state IN ('active', 'inactive', 'activating', 'deactivating', 'destroyed')),
  patch_version TEXT NOT NULL DEFAULT '',
  enable_set TEXT NOT NULL DEFAULT 'N' CHECK (enable_set IN ('Y', 'N')),
  set_name TEXT NOT NULL DEFAULT '',
  set_area TEXT NOT NULL DEFAULT '',
  set_group TEXT NOT NULL DEFAULT '',
  grid_flag TEXT NOT NULL DEFAULT 'NORMAL',
  flow_state TEXT NOT NULL DEFAULT 'active' CHECK (flow_state IN ('active', 'inactive')),
  metrics_port INTEGER NOT NULL DEFAULT 0,
  registry_timestamp INTEGER NOT NULL,
  process_id INTEGER NOT NULL DEFAULT 0,
  server_type TEXT NOT NULL DEFAULT 'tars_cpp' CHECK (server_type IN ('tars_cpp', 'tars_go', 'tars_java', 'tars_nodejs', 'tars_php', 'not_tars')),
  PRIMARY KEY (node_name, application, server_name)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS ${adapters} (
  application TEXT NOT NULL,
  server_name TEXT NOT NULL,
  node_name TEXT NOT NULL,
  adapter_name TEXT NOT NULL,
  servant TEXT NOT NULL,
  endpoint TEXT NOT NULL,
  protocol TEXT NOT NULL DEFAULT 'tars',
  thread_num INTEGER NOT NULL DEFAULT 1,
  max_connections INTEGER NOT NULL DEFAULT 1000,
  queuecap INTEGER NOT NULL DEFAULT 0,
  queuetimeout INTEGER NOT NULL DEFAULT 0,
  registry_timestamp INTEGER NOT NULL,
  PRIMARY KEY (node_name, application, server_name, adapter_name)
) WITHOUT ROWID;`;
}

/**
 * The console's tasks and the profile templates, as in db_tars (added in version 3). A task keeps
 * the numbering of the console that asked for it (`status_numbering`, 2 or 3), in which its items'
 * states are stored; items keep their order by rowid. Times are epoch ms.
 */
const ADMIN_TABLES = `
CREATE TABLE IF NOT EXISTS t_task (
  task_no TEXT NOT NULL PRIMARY KEY,
  serial INTEGER NOT NULL DEFAULT 0,
  user_name TEXT NOT NULL DEFAULT '',
  create_time INTEGER NOT NULL,
  status_numbering INTEGER NOT NULL DEFAULT 2 CHECK (status_numbering IN (2, 3))
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS t_task_item (
  task_no TEXT NOT NULL,
  item_no TEXT NOT NULL,
  application TEXT NOT NULL DEFAULT '',
  server_name TEXT NOT NULL DEFAULT '',
  node_name TEXT NOT NULL DEFAULT '',
  set_name TEXT NOT NULL DEFAULT '',
  command TEXT NOT NULL DEFAULT '',
  parameters TEXT NOT NULL DEFAULT '',
  start_time INTEGER,
  end_time INTEGER,
  status INTEGER NOT NULL DEFAULT 0,
  log TEXT NOT NULL DEFAULT '',
  UNIQUE (item_no, task_no)
);
CREATE INDEX IF NOT EXISTS t_task_item_task ON t_task_item (task_no);
CREATE INDEX IF NOT EXISTS t_task_item_server ON t_task_item (application, server_name, command);

CREATE TABLE IF NOT EXISTS t_profile_template (
  template_name TEXT NOT NULL PRIMARY KEY,
  parents_name TEXT NOT NULL DEFAULT '',
  profile TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;`;

/**
 * The IDC groups (added in version 5): the db_tars tables `t_server_group_rule` and
 * `t_group_priority` and the grouping columns of `t_server_conf`, with db_tars's names and
 * defaults, so the SQL that configures groups for the C++ registry configures them here too.
 */
const GROUP_TABLES = `
ALTER TABLE t_server_conf ADD COLUMN enable_group TEXT DEFAULT 'N';
ALTER TABLE t_server_conf ADD COLUMN ip_group_name TEXT;
ALTER TABLE t_server_conf ADD COLUMN bak_flag INTEGER NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS t_server_group_rule (
  group_id INTEGER PRIMARY KEY,
  ip_order TEXT NOT NULL DEFAULT 'denny_allow' CHECK (ip_order IN ('allow_denny', 'denny_allow')),
  allow_ip_rule TEXT,
  denny_ip_rule TEXT,
  lastuser TEXT,
  modify_time INTEGER,
  group_name TEXT DEFAULT '' UNIQUE,
  group_name_cn TEXT DEFAULT ''
);
CREATE TABLE IF NOT EXISTS t_group_priority (
  id INTEGER PRIMARY KEY,
  name TEXT DEFAULT '',
  group_list TEXT,
  list_order INTEGER DEFAULT 0,
  station TEXT NOT NULL DEFAULT ''
);`;

/** Statements that create the current schema on an empty database (idempotent). */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS t_node_info (
  node_name TEXT NOT NULL PRIMARY KEY,
  node_obj TEXT NOT NULL DEFAULT '',
  endpoint_ip TEXT NOT NULL DEFAULT '',
  setting_state TEXT NOT NULL DEFAULT 'active'
    CHECK (setting_state IN ('active', 'inactive')),
  present_state TEXT NOT NULL DEFAULT 'inactive'
    CHECK (present_state IN ('active', 'inactive')),
  last_reg_time INTEGER NOT NULL,
  last_heartbeat INTEGER NOT NULL,
  tars_version TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS t_node_info_heartbeat ON t_node_info (last_heartbeat);

${serverTables("t_server_conf", "t_adapter_conf")}
CREATE TABLE IF NOT EXISTS t_config_files (
  id INTEGER PRIMARY KEY,
  server_name TEXT NOT NULL DEFAULT '',
  host TEXT NOT NULL DEFAULT '',
  filename TEXT NOT NULL,
  config TEXT NOT NULL DEFAULT '',
  level INTEGER NOT NULL DEFAULT 2,
  posttime INTEGER NOT NULL DEFAULT 0,
  UNIQUE (server_name, filename, host, level)
);
CREATE INDEX IF NOT EXISTS t_config_files_host ON t_config_files (host);
${REGISTRY_INFO_TABLE}
${ADMIN_TABLES}
${GROUP_TABLES}
`;

const SERVER_COLUMNS = `application, server_name, node_name, setting_state, present_state,
  patch_version, enable_set, set_name, set_area, set_group, grid_flag, flow_state, metrics_port,
  registry_timestamp, process_id, server_type`;
const ADAPTER_COLUMNS = `application, server_name, node_name, adapter_name, servant, endpoint,
  protocol, thread_num, max_connections, queuecap, queuetimeout, registry_timestamp`;

/**
 * What takes a file of version N to N + 1, by N: version 2 adds the node's tars version, the
 * server's pid and type, and the registry's own objects; version 3 the console's tasks and the
 * profile templates; version 4 keys the server and adapter tables node first (their rows copied
 * into new tables, which take the old names); version 5 adds the IDC groups.
 */
export const SQLITE_MIGRATIONS: Readonly<Record<number, string>> = {
  1: `
ALTER TABLE t_node_info ADD COLUMN tars_version TEXT NOT NULL DEFAULT '';
ALTER TABLE t_server_conf ADD COLUMN process_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE t_server_conf ADD COLUMN server_type TEXT NOT NULL DEFAULT 'tars_cpp'
  CHECK (server_type IN ('tars_cpp', 'tars_go', 'tars_java', 'tars_nodejs', 'tars_php', 'not_tars'));
${REGISTRY_INFO_TABLE}
`,
  2: ADMIN_TABLES,
  3: `
${serverTables("t_server_conf_v3", "t_adapter_conf_v3")}
INSERT INTO t_server_conf_v3 (${SERVER_COLUMNS}) SELECT ${SERVER_COLUMNS} FROM t_server_conf;
INSERT INTO t_adapter_conf_v3 (${ADAPTER_COLUMNS}) SELECT ${ADAPTER_COLUMNS} FROM t_adapter_conf;
DROP TABLE t_server_conf;
DROP TABLE t_adapter_conf;
ALTER TABLE t_server_conf_v3 RENAME TO t_server_conf;
ALTER TABLE t_adapter_conf_v3 RENAME TO t_adapter_conf;
`,
  4: GROUP_TABLES,
};
