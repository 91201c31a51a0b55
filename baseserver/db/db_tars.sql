-- db_tars tables used by tarsregistry (nodes, servers, adapters, node-level config files).
--
-- Column names, types and enum values follow what the TARS framework registry, tarsnode
-- and the web console read, so a database created here can be shared with them. Valid
-- under strict SQL mode (no zero dates). Idempotent: every table is created only when
-- missing. Run by `tarsregistry --init-db`, or by hand:
--   mysql db_tars < baseserver/db/db_tars.sql

-- One row per node; for pods the node name is the pod IP.
CREATE TABLE IF NOT EXISTS t_node_info (
  id int(11) NOT NULL AUTO_INCREMENT,
  node_name varchar(128) NOT NULL DEFAULT '',
  node_obj varchar(128) NOT NULL DEFAULT '',
  endpoint_ip varchar(16) NOT NULL DEFAULT '',
  endpoint_port int(11) NOT NULL DEFAULT 0,
  data_dir varchar(128) NOT NULL DEFAULT '',
  load_avg1 float NOT NULL DEFAULT 0,
  load_avg5 float NOT NULL DEFAULT 0,
  load_avg15 float NOT NULL DEFAULT 0,
  last_reg_time datetime NOT NULL DEFAULT '1970-01-01 00:00:00',
  last_heartbeat datetime NOT NULL DEFAULT '1970-01-01 00:00:00',
  setting_state enum('active', 'inactive') NOT NULL DEFAULT 'inactive',
  present_state enum('active', 'inactive') NOT NULL DEFAULT 'inactive',
  tars_version varchar(128) NOT NULL DEFAULT '',
  template_name varchar(128) NOT NULL DEFAULT '',
  modify_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  group_id int(11) NOT NULL DEFAULT -1,
  label text NULL,
  PRIMARY KEY (id),
  UNIQUE KEY node_name (node_name),
  KEY node_heartbeat (last_heartbeat)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- One row per service instance (application, server, node).
CREATE TABLE IF NOT EXISTS t_server_conf (
  id int(11) NOT NULL AUTO_INCREMENT,
  application varchar(128) NOT NULL DEFAULT '',
  server_name varchar(128) NOT NULL DEFAULT '',
  node_group varchar(50) NOT NULL DEFAULT '',
  node_name varchar(50) NOT NULL DEFAULT '',
  registry_timestamp datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  base_path varchar(128) NOT NULL DEFAULT '',
  exe_path varchar(128) NOT NULL DEFAULT '',
  template_name varchar(128) NOT NULL DEFAULT '',
  bak_flag int(11) NOT NULL DEFAULT 0,
  setting_state enum('active', 'inactive') NOT NULL DEFAULT 'inactive',
  present_state enum('active', 'inactive', 'activating', 'deactivating', 'destroyed')
    NOT NULL DEFAULT 'inactive',
  process_id int(11) NOT NULL DEFAULT 0,
  patch_version varchar(128) NOT NULL DEFAULT '',
  patch_time datetime NOT NULL DEFAULT '1970-01-01 00:00:00',
  patch_user varchar(128) NOT NULL DEFAULT '',
  tars_version varchar(128) NOT NULL DEFAULT '',
  posttime datetime NULL DEFAULT NULL,
  lastuser varchar(30) NULL DEFAULT NULL,
  server_type enum('tars_cpp', 'not_tars', 'tars_java', 'tars_nodejs', 'tars_php', 'tars_go')
    NULL DEFAULT NULL,
  start_script_path varchar(128) NULL DEFAULT NULL,
  stop_script_path varchar(128) NULL DEFAULT NULL,
  monitor_script_path varchar(128) NULL DEFAULT NULL,
  enable_group char(1) NOT NULL DEFAULT 'N',
  enable_set char(1) NOT NULL DEFAULT 'N',
  set_name varchar(16) NULL DEFAULT NULL,
  set_area varchar(16) NULL DEFAULT NULL,
  set_group varchar(64) NULL DEFAULT NULL,
  ip_group_name varchar(64) NULL DEFAULT NULL,
  profile text NULL,
  config_center_port int(11) NOT NULL DEFAULT 0,
  async_thread_num int(11) NOT NULL DEFAULT 3,
  server_important_type enum('0', '1', '2', '3', '4', '5') NOT NULL DEFAULT '0',
  remote_log_reserve_time varchar(32) NOT NULL DEFAULT '65',
  remote_log_compress_time varchar(32) NOT NULL DEFAULT '2',
  remote_log_type int(1) NOT NULL DEFAULT 0,
  -- Traffic switch as K8STARS writes it: NORMAL, or NO_FLOW when traffic is off.
  grid_flag varchar(16) NOT NULL DEFAULT 'NORMAL',
  -- Traffic switch of newer framework versions and the web console.
  flow_state enum('active', 'inactive') NOT NULL DEFAULT 'active',
  -- Prometheus scrape port from registerMetrics; 0 when none.
  metrics_port int(11) NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY application (application, server_name, node_name),
  KEY node_name (node_name),
  KEY server_state (setting_state, server_type, application, server_name, node_name),
  KEY server_regtime (registry_timestamp)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- One row per servant adapter of a service instance; adapter_name is App.Server.ObjAdapter.
CREATE TABLE IF NOT EXISTS t_adapter_conf (
  id int(11) NOT NULL AUTO_INCREMENT,
  application varchar(50) NOT NULL DEFAULT '',
  server_name varchar(128) NOT NULL DEFAULT '',
  node_name varchar(50) NOT NULL DEFAULT '',
  adapter_name varchar(100) NOT NULL DEFAULT '',
  registry_timestamp datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  thread_num int(11) NOT NULL DEFAULT 1,
  endpoint varchar(128) NOT NULL DEFAULT '',
  max_connections int(11) NOT NULL DEFAULT 1000,
  allow_ip varchar(255) NOT NULL DEFAULT '',
  servant varchar(128) NOT NULL DEFAULT '',
  queuecap int(11) NULL DEFAULT NULL,
  queuetimeout int(11) NULL DEFAULT NULL,
  posttime datetime NULL DEFAULT NULL,
  lastuser varchar(30) NULL DEFAULT NULL,
  protocol varchar(64) NOT NULL DEFAULT 'tars',
  handlegroup varchar(64) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  UNIQUE KEY application (application, server_name, node_name, adapter_name),
  KEY adapter_node (node_name),
  KEY adapter_endpoint (endpoint),
  KEY adapter_regtime (registry_timestamp)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Config files; rows with a host are node-level and go away with the node's server.
CREATE TABLE IF NOT EXISTS t_config_files (
  id int(11) NOT NULL AUTO_INCREMENT,
  server_name varchar(128) NOT NULL DEFAULT '',
  set_name varchar(16) NOT NULL DEFAULT '',
  set_area varchar(16) NOT NULL DEFAULT '',
  set_group varchar(16) NOT NULL DEFAULT '',
  host varchar(20) NOT NULL DEFAULT '',
  filename varchar(128) NULL DEFAULT NULL,
  config longtext NULL,
  posttime datetime NOT NULL DEFAULT CURRENT_TIMESTAMP,
  lastuser varchar(50) NULL DEFAULT NULL,
  level int(11) NOT NULL DEFAULT 2,
  config_flag int(10) NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY application (server_name, filename, host, level, set_name, set_area, set_group),
  KEY config_host (host)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
