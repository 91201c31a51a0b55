-- Scenario for issue 22: IDC groups, group priorities, stations and sets, as the C++ tarsregistry
-- (TarsFramework v3.0.17, RegistryServer) answers them. answers.json holds the C++ registry's
-- answers to this data; NOTES.md says how they were recorded and why each answer is what it is.
--
-- How to run it
--   MySQL/MariaDB: on an empty db_tars (baseserver/db/db_tars.sql), as it is:
--     mysql db_tars < scenario.sql
--   SQLite: the same statements, once the SQLite schema has t_server_group_rule, t_group_priority
--     and the columns enable_group, ip_group_name and bak_flag of t_server_conf (issue 22). Time
--     columns are written as the one token CURRENT_TIMESTAMP (valid as is in MySQL; standard SQL):
--     a SQLite test replaces every CURRENT_TIMESTAMP with its own epoch-ms value before running it,
--     e.g. sql.replaceAll("CURRENT_TIMESTAMP", String(nowMs)).
--   The last statement refreshes every node's heartbeat (a tarsnode heartbeat): a test that
--   loads the data long before asking may run it again (or with its own time) just before asking.
--   Nothing here is MySQL-only syntax; the only MySQL-specific thing is the default of the
--   columns left out (id AUTO_INCREMENT, template_name, posttime, ... keep their db_tars
--   defaults), so rows are numbered in insertion order, which is the order the C++ registry
--   answers endpoints in (see NOTES.md).
--
-- Addresses: every host is a loopback 127.x.y.z address so that callers (client sockets bound to
-- 127.0.x.y) and servers stay on this machine. Nodes are named by their address, as tarsnode
-- names them.
--
-- Callers used in answers.json and the group each has (t_server_group_rule below):
--   127.0.1.10  group 1 (idc-sz, by '127.0.1.*')
--   127.0.1.50  group 3 (idc-bj, exact rule; wins over group 1's '127.0.1.*')
--   127.0.2.10  group 2 (idc-sh)
--   127.0.3.10  group 3 (idc-bj, by '127.0.3.*')
--   127.0.4.10  group 4 (idc-gz)
--   127.0.9.9   group 4: exact rule in groups 1 and 4; the last by group_id wins
--   127.0.7.10  group 6 (idc-cd: a group in no t_group_priority entry)
--   127.0.5.10  no group (-1)
--   127.0.0.1   no group (-1)
--   127.0.8.10  no group; group 7 after round 2 (round2.sql)

-- IDC groups: allow_ip_rule is '|'-separated, each an exact IP or a.b.c.*.
INSERT INTO t_server_group_rule (group_id, ip_order, allow_ip_rule, denny_ip_rule, lastuser, group_name, group_name_cn) VALUES
  (1, 'allow_denny', '127.0.1.*|127.0.9.9', '', 'admin', 'idc-sz', 'sz'),
  (2, 'allow_denny', '127.0.2.*', '', 'admin', 'idc-sh', 'sh'),
  (3, 'allow_denny', '127.0.3.*|127.0.1.50', '', 'admin', 'idc-bj', 'bj'),
  (4, 'allow_denny', '127.0.4.*|127.0.9.9', '', 'admin', 'idc-gz', 'gz'),
  (5, 'allow_denny', '', '', 'admin', 'virtual-hk', 'hk'),
  (6, 'allow_denny', '127.0.7.*', '', 'admin', 'idc-cd', 'cd');

-- Group priorities: read in list_order (not id order); group_list split on any of | , ;
-- Two entries have station 'south': findObjectByIdInSameStation takes the first in list_order.
-- The last has the column's default station '' (asked by station '') and holds only group 5,
-- which no caller is in.
INSERT INTO t_group_priority (id, name, group_list, list_order, station) VALUES
  (1, 'all-cn', '1;2|3,4', 30, 'cn'),
  (2, 'south', '1|4', 10, 'south'),
  (3, 'north', '3,2;5', 20, 'north'),
  (4, 'south-2', '2', 40, 'south'),
  (5, 'no-station', '5', 50, '');

-- Nodes, as tarsnode registers them (present_state active; heartbeat refreshed at the end).
INSERT INTO t_node_info (node_name, node_obj, endpoint_ip, setting_state, present_state, last_reg_time, last_heartbeat, tars_version) VALUES
  ('127.0.1.1', 'tars.tarsnode.NodeObj@tcp -h 127.0.1.1 -p 19385 -t 60000', '127.0.1.1', 'active', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '3.0.17'),
  ('127.0.1.2', 'tars.tarsnode.NodeObj@tcp -h 127.0.1.2 -p 19385 -t 60000', '127.0.1.2', 'active', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '3.0.17'),
  ('127.0.2.1', 'tars.tarsnode.NodeObj@tcp -h 127.0.2.1 -p 19385 -t 60000', '127.0.2.1', 'active', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '3.0.17'),
  ('127.0.2.2', 'tars.tarsnode.NodeObj@tcp -h 127.0.2.2 -p 19385 -t 60000', '127.0.2.2', 'active', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '3.0.17'),
  ('127.0.3.1', 'tars.tarsnode.NodeObj@tcp -h 127.0.3.1 -p 19385 -t 60000', '127.0.3.1', 'active', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '3.0.17'),
  ('127.0.3.2', 'tars.tarsnode.NodeObj@tcp -h 127.0.3.2 -p 19385 -t 60000', '127.0.3.2', 'active', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '3.0.17'),
  ('127.0.4.1', 'tars.tarsnode.NodeObj@tcp -h 127.0.4.1 -p 19385 -t 60000', '127.0.4.1', 'active', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '3.0.17'),
  ('127.0.4.2', 'tars.tarsnode.NodeObj@tcp -h 127.0.4.2 -p 19385 -t 60000', '127.0.4.2', 'active', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '3.0.17'),
  ('127.0.5.1', 'tars.tarsnode.NodeObj@tcp -h 127.0.5.1 -p 19385 -t 60000', '127.0.5.1', 'active', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '3.0.17'),
  ('127.0.6.1', 'tars.tarsnode.NodeObj@tcp -h 127.0.6.1 -p 19385 -t 60000', '127.0.6.1', 'active', 'active', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, '3.0.17');

-- Object A: Demo.HelloServer.HelloObj, one server on ten nodes, classic IDC grouping.
-- Inserted out of address order on purpose: answers come in row order.
--   127.0.2.2  enable_group N: real group 2, work group -1; active
--   127.0.1.1  Y: group 1; active
--   127.0.4.1  Y: group 4; stopped by the console (setting and present inactive)
--   127.0.1.2  'y' (lower case): group 1; crashed (setting active, present inactive)
--   127.0.2.1  Y, ip_group_name idc-bj: group 3 although the host is in group 2; active; -w 50 -v 1
--   127.0.4.2  Y: group 4; flow_state inactive (traffic switched off), present active
--   127.0.3.1  Y: group 3; bak_flag 1 (backup): never answered
--   127.0.5.1  Y but the host is in no group: -1; active
--   127.0.6.1  Y, ip_group_name virtual-hk (a group with no IP rule): group 5; active
--   127.0.3.2  Y: group 3; present activating (tarsnode starting it)
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, flow_state, enable_group, ip_group_name, bak_flag, enable_set, set_name, set_area, set_group, server_type, process_id, registry_timestamp) VALUES
  ('Demo', 'HelloServer', '127.0.2.2', 'active', 'active', 'active', 'N', '', 0, 'N', '', '', '', 'tars_cpp', 2101, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.1.1', 'active', 'active', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_cpp', 2102, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.4.1', 'inactive', 'inactive', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_cpp', 0, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.1.2', 'active', 'inactive', 'active', 'y', '', 0, 'N', '', '', '', 'tars_cpp', 0, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.2.1', 'active', 'active', 'active', 'Y', 'idc-bj', 0, 'N', '', '', '', 'tars_cpp', 2105, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.4.2', 'active', 'active', 'inactive', 'Y', '', 0, 'N', '', '', '', 'tars_cpp', 2106, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.3.1', 'active', 'active', 'active', 'Y', '', 1, 'N', '', '', '', 'tars_cpp', 2107, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.5.1', 'active', 'active', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_cpp', 2108, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.6.1', 'active', 'active', 'active', 'Y', 'virtual-hk', 0, 'N', '', '', '', 'tars_cpp', 2109, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.3.2', 'active', 'activating', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_cpp', 2110, CURRENT_TIMESTAMP);

INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, protocol, thread_num, max_connections, queuecap, queuetimeout, registry_timestamp) VALUES
  ('Demo', 'HelloServer', '127.0.2.2', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -h 127.0.2.2 -p 10102 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.1.1', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -h 127.0.1.1 -p 10101 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.4.1', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -h 127.0.4.1 -p 10141 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.1.2', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -h 127.0.1.2 -p 10112 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.2.1', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -h 127.0.2.1 -p 10121 -t 60000 -w 50 -v 1', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.4.2', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -h 127.0.4.2 -p 10142 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.3.1', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -h 127.0.3.1 -p 10131 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.5.1', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -h 127.0.5.1 -p 10151 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.6.1', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -h 127.0.6.1 -p 10161 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'HelloServer', '127.0.3.2', 'Demo.HelloServer.HelloObjAdapter', 'Demo.HelloServer.HelloObj', 'tcp -h 127.0.3.2 -p 10132 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP);

-- Object B: Demo.SetServer.SetObj, set servers (set id name.area.group) and two that are not in a set.
--   127.0.1.1  set app.sz.1; group 1; active
--   127.0.2.1  set app.sz.* (the area's wildcard group); enable_group N; active
--   127.0.1.2  set app.sz.2; group 1; active
--   127.0.2.2  set app.sh.1; group 2; present deactivating
--   127.0.3.1  set app.sh.*; group 3; active
--   127.0.4.1  set other.sz.1; enable_group N; active
--   127.0.4.2  enable_set N although set fields are filled; group 4; active
--   127.0.6.1  enable_set Y but set area '*' (invalid: not in any set, yet its setId is sent); active
--   127.0.5.1  set app.sz.1; bak_flag 1: never answered
--   127.0.3.2  set app.sz.1; group 3; flow_state inactive
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, flow_state, enable_group, ip_group_name, bak_flag, enable_set, set_name, set_area, set_group, server_type, process_id, registry_timestamp) VALUES
  ('Demo', 'SetServer', '127.0.1.1', 'active', 'active', 'active', 'Y', '', 0, 'Y', 'app', 'sz', '1', 'tars_cpp', 2201, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.2.1', 'active', 'active', 'active', 'N', '', 0, 'Y', 'app', 'sz', '*', 'tars_cpp', 2202, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.1.2', 'active', 'active', 'active', 'Y', '', 0, 'Y', 'app', 'sz', '2', 'tars_cpp', 2203, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.2.2', 'active', 'deactivating', 'active', 'Y', '', 0, 'Y', 'app', 'sh', '1', 'tars_cpp', 2204, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.3.1', 'active', 'active', 'active', 'Y', '', 0, 'Y', 'app', 'sh', '*', 'tars_cpp', 2205, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.4.1', 'active', 'active', 'active', 'N', '', 0, 'Y', 'other', 'sz', '1', 'tars_cpp', 2206, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.4.2', 'active', 'active', 'active', 'Y', '', 0, 'N', 'app', 'sz', '1', 'tars_cpp', 2207, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.6.1', 'active', 'active', 'active', 'Y', '', 0, 'Y', 'app', '*', '1', 'tars_cpp', 2208, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.5.1', 'active', 'active', 'active', 'Y', '', 1, 'Y', 'app', 'sz', '1', 'tars_cpp', 2209, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.3.2', 'active', 'active', 'inactive', 'Y', '', 0, 'Y', 'app', 'sz', '1', 'tars_cpp', 2210, CURRENT_TIMESTAMP);

INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, protocol, thread_num, max_connections, queuecap, queuetimeout, registry_timestamp) VALUES
  ('Demo', 'SetServer', '127.0.1.1', 'Demo.SetServer.SetObjAdapter', 'Demo.SetServer.SetObj', 'tcp -h 127.0.1.1 -p 10201 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.2.1', 'Demo.SetServer.SetObjAdapter', 'Demo.SetServer.SetObj', 'tcp -h 127.0.2.1 -p 10202 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.1.2', 'Demo.SetServer.SetObjAdapter', 'Demo.SetServer.SetObj', 'tcp -h 127.0.1.2 -p 10203 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.2.2', 'Demo.SetServer.SetObjAdapter', 'Demo.SetServer.SetObj', 'tcp -h 127.0.2.2 -p 10204 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.3.1', 'Demo.SetServer.SetObjAdapter', 'Demo.SetServer.SetObj', 'tcp -h 127.0.3.1 -p 10205 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.4.1', 'Demo.SetServer.SetObjAdapter', 'Demo.SetServer.SetObj', 'tcp -h 127.0.4.1 -p 10206 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.4.2', 'Demo.SetServer.SetObjAdapter', 'Demo.SetServer.SetObj', 'tcp -h 127.0.4.2 -p 10207 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.6.1', 'Demo.SetServer.SetObjAdapter', 'Demo.SetServer.SetObj', 'tcp -h 127.0.6.1 -p 10208 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.5.1', 'Demo.SetServer.SetObjAdapter', 'Demo.SetServer.SetObj', 'tcp -h 127.0.5.1 -p 10209 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'SetServer', '127.0.3.2', 'Demo.SetServer.SetObjAdapter', 'Demo.SetServer.SetObj', 'tcp -h 127.0.3.2 -p 10210 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP);

-- Object C: Demo.EpServer.EpObj, the EndpointF fields from endpoint options.
--   127.0.1.1  -w 30 -v 1 -g 7 -q 3 (grid and qos in the string)
--   127.0.1.2  ssl, -e 1 (auth)
--   127.0.2.1  udp, -v 2 (dynamic weight) and no -w
--   127.0.2.2  -w 250 -v 1 (over 100); ip_group_name names no group: -1, not the host's group 2
--   127.0.4.1  -w 40 -v 2, present inactive (dynamic weight in the inactive list)
--   127.0.5.1  no -t, -w 70 without -v; enable_group N
--   127.0.3.1  endpoint host 127.0.1.99 (group 1), not the node's address (group 3)
--   127.0.3.2  -e 5: an endpoint the C++ parser rejects (the row is skipped)
--   127.0.6.1  -w 0 -v 1
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, flow_state, enable_group, ip_group_name, bak_flag, enable_set, set_name, set_area, set_group, server_type, process_id, registry_timestamp) VALUES
  ('Demo', 'EpServer', '127.0.1.1', 'active', 'active', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_cpp', 2301, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.1.2', 'active', 'active', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_cpp', 2302, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.2.1', 'active', 'active', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_cpp', 2303, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.2.2', 'active', 'active', 'active', 'Y', 'no-such-group', 0, 'N', '', '', '', 'tars_cpp', 2304, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.4.1', 'active', 'inactive', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_cpp', 0, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.5.1', 'active', 'active', 'active', 'N', '', 0, 'N', '', '', '', 'tars_cpp', 2306, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.3.1', 'active', 'active', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_cpp', 2307, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.3.2', 'active', 'active', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_cpp', 2308, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.6.1', 'active', 'active', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_cpp', 2309, CURRENT_TIMESTAMP);

INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, protocol, thread_num, max_connections, queuecap, queuetimeout, registry_timestamp) VALUES
  ('Demo', 'EpServer', '127.0.1.1', 'Demo.EpServer.EpObjAdapter', 'Demo.EpServer.EpObj', 'tcp -h 127.0.1.1 -p 10301 -t 3000 -w 30 -v 1 -g 7 -q 3', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.1.2', 'Demo.EpServer.EpObjAdapter', 'Demo.EpServer.EpObj', 'ssl -h 127.0.1.2 -p 10302 -t 5000 -e 1', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.2.1', 'Demo.EpServer.EpObjAdapter', 'Demo.EpServer.EpObj', 'udp -h 127.0.2.1 -p 10303 -t 6000 -v 2', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.2.2', 'Demo.EpServer.EpObjAdapter', 'Demo.EpServer.EpObj', 'tcp -h 127.0.2.2 -p 10304 -t 60000 -w 250 -v 1', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.4.1', 'Demo.EpServer.EpObjAdapter', 'Demo.EpServer.EpObj', 'tcp -h 127.0.4.1 -p 10305 -t 60000 -w 40 -v 2', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.5.1', 'Demo.EpServer.EpObjAdapter', 'Demo.EpServer.EpObj', 'tcp -h 127.0.5.1 -p 10306 -w 70', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.3.1', 'Demo.EpServer.EpObjAdapter', 'Demo.EpServer.EpObj', 'tcp -h 127.0.1.99 -p 10307 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.3.2', 'Demo.EpServer.EpObjAdapter', 'Demo.EpServer.EpObj', 'tcp -h 127.0.3.2 -p 10308 -t 60000 -e 5', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'EpServer', '127.0.6.1', 'Demo.EpServer.EpObjAdapter', 'Demo.EpServer.EpObj', 'tcp -h 127.0.6.1 -p 10309 -t 60000 -w 0 -v 1', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP);

-- Object D: Demo.GroupOnly.GroupObj, every endpoint grouped and only group 2 has an active one.
--   127.0.1.1  group 1; crashed (present inactive)
--   127.0.2.1  group 2; active
--   127.0.4.1  group 4; present inactive
--   127.0.4.2  group 4; present destroyed
INSERT INTO t_server_conf (application, server_name, node_name, setting_state, present_state, flow_state, enable_group, ip_group_name, bak_flag, enable_set, set_name, set_area, set_group, server_type, process_id, registry_timestamp) VALUES
  ('Demo', 'GroupOnly', '127.0.1.1', 'active', 'inactive', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_go', 0, CURRENT_TIMESTAMP),
  ('Demo', 'GroupOnly', '127.0.2.1', 'active', 'active', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_go', 2402, CURRENT_TIMESTAMP),
  ('Demo', 'GroupOnly', '127.0.4.1', 'active', 'inactive', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_go', 0, CURRENT_TIMESTAMP),
  ('Demo', 'GroupOnly', '127.0.4.2', 'inactive', 'destroyed', 'active', 'Y', '', 0, 'N', '', '', '', 'tars_go', 0, CURRENT_TIMESTAMP);

INSERT INTO t_adapter_conf (application, server_name, node_name, adapter_name, servant, endpoint, protocol, thread_num, max_connections, queuecap, queuetimeout, registry_timestamp) VALUES
  ('Demo', 'GroupOnly', '127.0.1.1', 'Demo.GroupOnly.GroupObjAdapter', 'Demo.GroupOnly.GroupObj', 'tcp -h 127.0.1.1 -p 10401 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'GroupOnly', '127.0.2.1', 'Demo.GroupOnly.GroupObjAdapter', 'Demo.GroupOnly.GroupObj', 'tcp -h 127.0.2.1 -p 10402 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'GroupOnly', '127.0.4.1', 'Demo.GroupOnly.GroupObjAdapter', 'Demo.GroupOnly.GroupObj', 'tcp -h 127.0.4.1 -p 10403 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP),
  ('Demo', 'GroupOnly', '127.0.4.2', 'Demo.GroupOnly.GroupObjAdapter', 'Demo.GroupOnly.GroupObj', 'tcp -h 127.0.4.2 -p 10404 -t 60000', 'tars', 5, 10000, 10000, 60000, CURRENT_TIMESTAMP);

-- Every node's heartbeat now (what tarsnode's keepAlive does every few seconds). A test that
-- asks long after loading runs this again just before asking.
UPDATE t_node_info SET last_heartbeat = CURRENT_TIMESTAMP;
