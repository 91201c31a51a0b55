-- Round 2 of the issue 22 fixture: changes made to scenario.sql's data while the C++ registry
-- runs, to show what its reloads change (answers.json, rounds "round2-incremental" and
-- "round2-full"; NOTES.md explains). Same conventions as scenario.sql: CURRENT_TIMESTAMP is the
-- one time token (a SQLite test replaces it with its epoch-ms value); the long-past time below
-- is a literal (SQLite: 946684800000).

-- Group rules (read only by a full load): caller 127.0.5.10 joins group 2, and a new group 7.
UPDATE t_server_group_rule SET allow_ip_rule = '127.0.2.*|127.0.5.10' WHERE group_id = 2;
INSERT INTO t_server_group_rule (group_id, ip_order, allow_ip_rule, denny_ip_rule, lastuser, group_name, group_name_cn) VALUES
  (7, 'allow_denny', '127.0.8.*', '', 'admin', 'idc-new', 'new');

-- Priorities (read only by a full load): north now comes before south.
UPDATE t_group_priority SET list_order = 5 WHERE id = 3;

-- A server's grouping, as the console writes it (registry_timestamp moves, so the next
-- incremental load rereads the server): HelloServer on 127.0.1.1 leaves its group, and
-- HelloServer on 127.0.5.1 is named into the new group idc-new.
UPDATE t_server_conf SET enable_group = 'N', registry_timestamp = CURRENT_TIMESTAMP
  WHERE application = 'Demo' AND server_name = 'HelloServer' AND node_name = '127.0.1.1';
UPDATE t_server_conf SET ip_group_name = 'idc-new', registry_timestamp = CURRENT_TIMESTAMP
  WHERE application = 'Demo' AND server_name = 'HelloServer' AND node_name = '127.0.5.1';

-- Node 127.0.6.1 stops sending heartbeats: every other node's heartbeat is fresh, its own is
-- long past (the C++ registry's node check then marks the node and its servers inactive).
UPDATE t_node_info SET last_heartbeat = CURRENT_TIMESTAMP WHERE node_name <> '127.0.6.1';
UPDATE t_node_info SET last_heartbeat = '2000-01-01 00:00:00' WHERE node_name = '127.0.6.1';
