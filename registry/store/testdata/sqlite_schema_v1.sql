CREATE TABLE IF NOT EXISTS t_node_info (
  node_name TEXT NOT NULL PRIMARY KEY,
  node_obj TEXT NOT NULL DEFAULT '',
  endpoint_ip TEXT NOT NULL DEFAULT '',
  setting_state TEXT NOT NULL DEFAULT 'active'
    CHECK (setting_state IN ('active', 'inactive')),
  present_state TEXT NOT NULL DEFAULT 'inactive'
    CHECK (present_state IN ('active', 'inactive')),
  last_reg_time INTEGER NOT NULL,
  last_heartbeat INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS t_node_info_heartbeat ON t_node_info (last_heartbeat);

CREATE TABLE IF NOT EXISTS t_server_conf (
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
  PRIMARY KEY (application, server_name, node_name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS t_server_conf_node ON t_server_conf (node_name);

CREATE TABLE IF NOT EXISTS t_adapter_conf (
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
  PRIMARY KEY (application, server_name, node_name, adapter_name)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS t_adapter_conf_node ON t_adapter_conf (node_name);

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
