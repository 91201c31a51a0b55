-- The TARS framework's db_tars, written for tarsregistry from the published schema of
-- TarsFramework (deploy/framework/sql/db_tars.sql, with the 3.x installer's upgrade columns
-- run_type and base_image_id, and the 3.x tables t_base_image, t_docker_registry and
-- t_framework_key, without which the 3.x C++ registry does not start): every table the C++
-- registry, tarsnode, the admin registry and the web console read, with the framework's columns,
-- defaults and index names, and the framework's default profile template tars.default.
--
-- Idempotent: a table is created only when missing and the template only when no template of
-- that name exists, so running it on an existing framework database changes nothing there.
-- Valid under strict SQL mode. Run by `tarsregistry --init-db` (which then creates the
-- registry's own table, t_tarsregistry_server, too), or by hand:
--   mysql db_tars < baseserver/db/db_tars.sql
-- Differences: utf8mb4 instead of utf8 (utf8mb3), TIMESTAMP columns written NOT NULL (as MySQL
-- 5.x made them), and one extra index, t_config_files.config_host (the registry deletes a pod's
-- config files by host).

-- Servant adapters of each server on each node (the endpoints lookups answer).
CREATE TABLE IF NOT EXISTS t_adapter_conf (
  id int(11) NOT NULL AUTO_INCREMENT,
  application varchar(50) DEFAULT '',
  server_name varchar(128) DEFAULT '',
  node_name varchar(50) DEFAULT '',
  adapter_name varchar(100) DEFAULT '',
  registry_timestamp timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  thread_num int(11) DEFAULT 1,
  endpoint varchar(128) DEFAULT '',
  max_connections int(11) DEFAULT 1000,
  allow_ip varchar(255) NOT NULL DEFAULT '',
  servant varchar(128) DEFAULT '',
  queuecap int(11) DEFAULT NULL,
  queuetimeout int(11) DEFAULT NULL,
  posttime datetime DEFAULT NULL,
  lastuser varchar(30) DEFAULT NULL,
  protocol varchar(64) DEFAULT 'tars',
  handlegroup varchar(64) DEFAULT '',
  PRIMARY KEY (id),
  UNIQUE KEY application (application, server_name, node_name, adapter_name),
  KEY adapter_conf_endpoint_index (endpoint),
  KEY index_regtime_1 (registry_timestamp)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Interface test cases of the web console.
CREATE TABLE IF NOT EXISTS t_ats_cases (
  id int(11) NOT NULL AUTO_INCREMENT,
  casename varchar(20) DEFAULT NULL,
  retvalue text,
  paramvalue text,
  interfaceid int(11) DEFAULT NULL,
  posttime datetime DEFAULT NULL,
  lastuser varchar(30) DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Interfaces the console's test page calls.
CREATE TABLE IF NOT EXISTS t_ats_interfaces (
  id int(11) NOT NULL AUTO_INCREMENT,
  objname varchar(150) DEFAULT NULL,
  funcname varchar(150) DEFAULT NULL,
  retype text,
  paramtype text,
  outparamtype text,
  interfaceid int(11) DEFAULT NULL,
  postime datetime DEFAULT NULL,
  lastuser varchar(30) DEFAULT NULL,
  request_charset varchar(16) NOT NULL,
  response_charset varchar(16) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY objname (objname, funcname)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Base images of docker-run servers (3.x; its registry reads them at start).
CREATE TABLE IF NOT EXISTS t_base_image (
  id int(11) NOT NULL AUTO_INCREMENT,
  image varchar(255) NOT NULL DEFAULT '',
  registryId int(11) NOT NULL DEFAULT 0,
  remark varchar(255) NOT NULL DEFAULT '',
  result text,
  create_time datetime DEFAULT NULL,
  update_time datetime DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Config files of the config service; rows with a host are node-level.
CREATE TABLE IF NOT EXISTS t_config_files (
  id int(11) NOT NULL AUTO_INCREMENT,
  server_name varchar(128) DEFAULT '',
  set_name varchar(16) NOT NULL DEFAULT '',
  set_area varchar(16) NOT NULL DEFAULT '',
  set_group varchar(16) NOT NULL DEFAULT '',
  host varchar(50) NOT NULL DEFAULT '',
  filename varchar(128) DEFAULT NULL,
  config longtext,
  posttime datetime DEFAULT NULL,
  lastuser varchar(50) DEFAULT NULL,
  level int(11) DEFAULT 2,
  config_flag int(10) NOT NULL DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY application (server_name, filename, host, level, set_name, set_area, set_group),
  KEY config_host (host)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Earlier versions of config files.
CREATE TABLE IF NOT EXISTS t_config_history_files (
  id int(11) NOT NULL AUTO_INCREMENT,
  configid int(11) DEFAULT NULL,
  reason varchar(128) DEFAULT '',
  reason_select varchar(20) NOT NULL DEFAULT '',
  content longtext,
  posttime datetime DEFAULT NULL,
  lastuser varchar(50) DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Config files that include other config files.
CREATE TABLE IF NOT EXISTS t_config_references (
  id int(11) NOT NULL AUTO_INCREMENT,
  config_id int(11) DEFAULT NULL,
  reference_id int(11) DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY config_id (config_id, reference_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Docker registries of those images (3.x).
CREATE TABLE IF NOT EXISTS t_docker_registry (
  id int(11) NOT NULL AUTO_INCREMENT,
  registry varchar(255) NOT NULL DEFAULT '',
  username varchar(64) NOT NULL DEFAULT '',
  password varchar(128) NOT NULL DEFAULT '',
  remark varchar(255) NOT NULL DEFAULT '',
  create_time datetime DEFAULT NULL,
  update_time datetime DEFAULT NULL,
  PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The framework's key pair and console login setting (3.x: its registry reads it at start).
CREATE TABLE IF NOT EXISTS t_framework_key (
  id int(11) NOT NULL AUTO_INCREMENT,
  `key` varchar(16) NOT NULL DEFAULT 'key',
  cuid varchar(128) NOT NULL DEFAULT '',
  pri_key text,
  autologin int(11) DEFAULT 1,
  update_time datetime DEFAULT NULL,
  PRIMARY KEY (id),
  KEY idx_key (`key`)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- IDC group priorities.
CREATE TABLE IF NOT EXISTS t_group_priority (
  id int(11) NOT NULL AUTO_INCREMENT,
  name varchar(128) DEFAULT '',
  group_list text,
  list_order int(11) DEFAULT 0,
  station varchar(128) NOT NULL DEFAULT '',
  PRIMARY KEY (id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Which framework servers run on which machine.
CREATE TABLE IF NOT EXISTS t_machine_tars_info (
  id int(11) NOT NULL AUTO_INCREMENT,
  application varchar(100) NOT NULL DEFAULT '',
  server_name varchar(100) NOT NULL DEFAULT '',
  app_server_name varchar(50) NOT NULL DEFAULT '',
  node_name varchar(50) NOT NULL DEFAULT '',
  location varchar(255) NOT NULL DEFAULT '',
  machine_type varchar(50) NOT NULL DEFAULT '',
  update_time datetime DEFAULT NULL,
  update_person varchar(64) NOT NULL DEFAULT '',
  PRIMARY KEY (application, server_name, node_name),
  UNIQUE KEY id (id),
  KEY tmachine_i_2 (node_name, server_name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- One row per node (tarsnode; for a pod, the pod's IP).
CREATE TABLE IF NOT EXISTS t_node_info (
  id int(11) NOT NULL AUTO_INCREMENT,
  node_name varchar(128) DEFAULT '',
  node_obj varchar(128) DEFAULT '',
  endpoint_ip varchar(50) DEFAULT '',
  endpoint_port int(11) DEFAULT 0,
  data_dir varchar(128) DEFAULT '',
  load_avg1 float DEFAULT 0,
  load_avg5 float DEFAULT 0,
  load_avg15 float DEFAULT 0,
  last_reg_time datetime DEFAULT NULL,
  last_heartbeat datetime DEFAULT NULL,
  setting_state enum('active', 'inactive') DEFAULT 'inactive',
  present_state enum('active', 'inactive') DEFAULT 'inactive',
  tars_version varchar(128) NOT NULL DEFAULT '',
  template_name varchar(128) NOT NULL DEFAULT '',
  modify_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  group_id int(11) DEFAULT -1,
  label text,
  PRIMARY KEY (id),
  UNIQUE KEY node_name (node_name),
  KEY indx_node_info_1 (last_heartbeat)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Profile templates: a server's template_name names one; parents_name is inherited from.
CREATE TABLE IF NOT EXISTS t_profile_template (
  id int(11) NOT NULL AUTO_INCREMENT,
  template_name varchar(128) DEFAULT '',
  parents_name varchar(128) DEFAULT '',
  profile text NOT NULL,
  posttime datetime DEFAULT NULL,
  lastuser varchar(30) DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY template_name (template_name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The registries' own objects (locator_id: host:port of a registry's QueryObj).
CREATE TABLE IF NOT EXISTS t_registry_info (
  id int(11) NOT NULL AUTO_INCREMENT,
  locator_id varchar(128) NOT NULL DEFAULT '',
  servant varchar(128) NOT NULL DEFAULT '',
  endpoint varchar(128) NOT NULL DEFAULT '',
  last_heartbeat datetime DEFAULT NULL,
  present_state enum('active', 'inactive') DEFAULT 'inactive',
  tars_version varchar(128) NOT NULL DEFAULT '',
  modify_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  enable_group char(1) DEFAULT 'N',
  PRIMARY KEY (id),
  UNIQUE KEY locator_id (locator_id, servant)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- One row per server on each node: its states, type, template, version and set.
CREATE TABLE IF NOT EXISTS t_server_conf (
  id int(11) NOT NULL AUTO_INCREMENT,
  application varchar(128) DEFAULT '',
  server_name varchar(128) DEFAULT '',
  node_group varchar(50) NOT NULL DEFAULT '',
  node_name varchar(50) NOT NULL DEFAULT '',
  registry_timestamp timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  base_path varchar(128) DEFAULT '',
  exe_path varchar(128) NOT NULL DEFAULT '',
  template_name varchar(128) NOT NULL DEFAULT '',
  bak_flag int(11) NOT NULL DEFAULT 0,
  setting_state enum('active', 'inactive') NOT NULL DEFAULT 'inactive',
  present_state enum('active', 'inactive', 'activating', 'deactivating', 'destroyed')
    NOT NULL DEFAULT 'inactive',
  process_id int(11) NOT NULL DEFAULT 0,
  patch_version varchar(128) NOT NULL DEFAULT '',
  patch_time datetime DEFAULT NULL,
  patch_user varchar(128) NOT NULL DEFAULT '',
  tars_version varchar(128) NOT NULL DEFAULT '',
  posttime datetime DEFAULT NULL,
  lastuser varchar(30) DEFAULT NULL,
  server_type enum('tars_cpp', 'not_tars', 'tars_java', 'tars_nodejs', 'tars_php', 'tars_go')
    NOT NULL DEFAULT 'tars_cpp',
  start_script_path varchar(128) DEFAULT NULL,
  stop_script_path varchar(128) DEFAULT NULL,
  monitor_script_path varchar(128) DEFAULT NULL,
  enable_group char(1) DEFAULT 'N',
  enable_set char(1) NOT NULL DEFAULT 'N',
  set_name varchar(16) DEFAULT NULL,
  set_area varchar(16) DEFAULT NULL,
  set_group varchar(64) DEFAULT NULL,
  ip_group_name varchar(64) DEFAULT NULL,
  profile text,
  config_center_port int(11) NOT NULL DEFAULT 0,
  async_thread_num int(11) DEFAULT 3,
  server_important_type enum('0', '1', '2', '3', '4', '5') DEFAULT '0',
  remote_log_reserve_time varchar(32) NOT NULL DEFAULT '65',
  remote_log_compress_time varchar(32) NOT NULL DEFAULT '2',
  remote_log_type int(1) NOT NULL DEFAULT 0,
  grid_flag varchar(16) NOT NULL DEFAULT 'NORMAL',
  flow_state enum('active', 'inactive') NOT NULL DEFAULT 'active',
  run_type varchar(128) DEFAULT '',
  base_image_id int(11) DEFAULT 0,
  PRIMARY KEY (id),
  UNIQUE KEY application (application, server_name, node_name),
  KEY node_name (node_name),
  KEY index_i_3 (setting_state, server_type, application, server_name, node_name),
  KEY index_regtime (registry_timestamp)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Servers grouped for the console.
CREATE TABLE IF NOT EXISTS t_server_group_relation (
  id int(11) NOT NULL AUTO_INCREMENT,
  application varchar(90) NOT NULL DEFAULT '',
  server_group varchar(50) DEFAULT '',
  server_name varchar(50) DEFAULT '',
  create_time datetime DEFAULT NULL,
  creator varchar(30) DEFAULT '',
  PRIMARY KEY (id),
  KEY f_unique (application, server_group, server_name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- IP allow and deny rules of server groups.
CREATE TABLE IF NOT EXISTS t_server_group_rule (
  group_id int(10) unsigned NOT NULL AUTO_INCREMENT,
  ip_order enum('allow_denny', 'denny_allow') NOT NULL DEFAULT 'denny_allow',
  allow_ip_rule text,
  denny_ip_rule text,
  lastuser varchar(50) DEFAULT NULL,
  modify_time timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
  group_name varchar(128) DEFAULT '',
  group_name_cn varchar(128) DEFAULT '',
  PRIMARY KEY (group_id),
  UNIQUE KEY group_name_index (group_name)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Uploaded release packages.
CREATE TABLE IF NOT EXISTS t_server_patchs (
  id int(11) NOT NULL AUTO_INCREMENT,
  server varchar(50) DEFAULT NULL,
  version varchar(1000) DEFAULT '',
  tgz text,
  update_text varchar(255) DEFAULT NULL,
  reason_select varchar(255) DEFAULT NULL,
  document_complate varchar(30) DEFAULT NULL,
  is_server_group tinyint(2) NOT NULL DEFAULT 0,
  publish tinyint(3) DEFAULT NULL,
  publish_time datetime DEFAULT NULL,
  publish_user varchar(30) DEFAULT NULL,
  upload_time datetime DEFAULT NULL,
  upload_user varchar(30) DEFAULT NULL,
  posttime datetime DEFAULT NULL,
  lastuser varchar(30) DEFAULT NULL,
  is_release_version enum('true', 'false') DEFAULT 'true',
  package_type tinyint(4) DEFAULT 0,
  group_id varchar(64) NOT NULL DEFAULT '',
  default_version tinyint(4) DEFAULT 0,
  md5 varchar(40) DEFAULT NULL,
  svn_version varchar(50) DEFAULT NULL,
  PRIMARY KEY (id),
  KEY server_patchs_server_index (server),
  KEY index_patchs_i1 (server),
  KEY index_i_2 (tgz(50))
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Console tasks (start, stop, patch…) and their items.
CREATE TABLE IF NOT EXISTS t_task (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  task_no varchar(40) DEFAULT NULL,
  serial tinyint(1) DEFAULT NULL,
  user_name varchar(20) DEFAULT NULL,
  create_time timestamp NULL DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY f_task (task_no)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

CREATE TABLE IF NOT EXISTS t_task_item (
  id int(11) unsigned NOT NULL AUTO_INCREMENT,
  task_no varchar(40) DEFAULT NULL,
  item_no varchar(40) DEFAULT NULL,
  application varchar(30) DEFAULT NULL,
  server_name varchar(50) DEFAULT NULL,
  node_name varchar(50) DEFAULT NULL,
  command varchar(20) DEFAULT NULL,
  parameters text,
  start_time datetime DEFAULT NULL,
  end_time datetime DEFAULT NULL,
  status int(11) DEFAULT NULL,
  set_name varchar(20) DEFAULT NULL,
  log text,
  PRIMARY KEY (id),
  UNIQUE KEY f_uniq (item_no, task_no),
  KEY f_task_no (task_no),
  KEY f_index (application, server_name, command)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- Web (static) releases of the console.
CREATE TABLE IF NOT EXISTS t_web_release_conf (
  id int(11) NOT NULL AUTO_INCREMENT,
  server varchar(100) NOT NULL DEFAULT '',
  path varchar(200) NOT NULL DEFAULT '',
  server_dir varchar(200) NOT NULL DEFAULT '',
  is_server_group tinyint(2) NOT NULL DEFAULT 0,
  enable_batch tinyint(2) NOT NULL DEFAULT 0,
  user varchar(200) NOT NULL DEFAULT '*',
  posttime datetime DEFAULT NULL,
  lastuser varchar(60) DEFAULT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY server (server, is_server_group),
  KEY web_release_conf_server_index (server)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;

-- The default profile every server template inherits; it is its own parent, as in the framework.
-- ${...} are filled in per server by whoever renders the profile (tarsnode).
INSERT INTO t_profile_template (template_name, parents_name, profile, posttime, lastuser)
SELECT 'tars.default', 'tars.default', '<tars>
  <application>
    #whether the server is in a set, and the set NAME.AREA.GROUP
    enableset=${enableset}
    setdivision=${setdivision}
    <client>
      #the registry QueryObj with its endpoints
      locator=${locator}
      #timeouts of synchronous and asynchronous calls, ms
      sync-invoke-timeout=3000
      async-invoke-timeout=5000
      #how often the endpoints of called objects are refreshed, ms
      refresh-endpoint-interval=60000
      #the stat and property services calls are reported to
      stat=tars.tarsstat.StatObj
      property=tars.tarsproperty.PropertyObj
      #how often calls are reported, ms
      report-interval=60000
      #threads for asynchronous callbacks
      asyncthread=${asyncthread}
      #the calling module''s name
      modulename=${modulename}
    </client>
    <server>
      app=${app}
      server=${server}
      localip=${localip}
      #the admin endpoint
      local=${local}
      #directories of the binary, the data and the logs
      basepath=${basepath}
      datapath=${datapath}
      logpath=${logpath}
      #log file size, how many files are kept, and the level
      logsize=10M
      lognum=10
      logLevel=DEBUG
      #the config, notify and remote log services
      config=tars.tarsconfig.ConfigObj
      notify=tars.tarsnotify.NotifyObj
      log=tars.tarslog.LogObj
      #how long stopping and starting may take, ms
      deactivating-timeout=3000
      activating-timeout=10000
    </server>
  </application>
</tars>', NOW(), 'tarsregistry'
FROM DUAL
WHERE NOT EXISTS (SELECT 1 FROM t_profile_template WHERE template_name = 'tars.default');
