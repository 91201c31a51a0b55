/**
 * The registry store contract: what the TARS registry persists and reads back.
 *
 * Writes take rows that registry/validate.ts made from the requests (every value fits its
 * column); the store checks nothing again. Every write call runs in one transaction, is durable
 * before its promise resolves and leaves nothing behind when it fails. The SQLite store takes its
 * times from the clock it was opened with; the MySQL store writes the database's own clock
 * (`NOW()`, as the TARS framework does) and measures heartbeat ages against it, unless a test
 * pins that clock to the store's.
 */
import type { ServerType } from "../../lib/settings.ts";
import type { AdminStore } from "./admin_types.ts";
import type { KeySums } from "./key_sums.ts";

export type { KeySum, KeySums } from "./key_sums.ts";
export type { ServerType };

/** Values of `t_server_conf.present_state`, the state a service reports. */
export const PRESENT_STATES = [
  "active",
  "inactive",
  "activating",
  "deactivating",
  "destroyed",
] as const;

/** A service's reported state (`t_server_conf.present_state`). */
export type PresentState = typeof PRESENT_STATES[number];

/** Values of `setting_state` (servers and nodes) and of a node's `present_state`. */
export type SettingState = "active" | "inactive";

/** What `keepAlive` touched. */
export interface KeepAliveResult {
  /** True when the node was registered (its heartbeat was refreshed). */
  node: boolean;
  /** Number of server rows whose present state was set. */
  servers: number;
}

/** What `onPrestop` removed. */
export interface PrestopResult {
  /** Server rows removed. */
  servers: number;
  /** Adapter rows removed. */
  adapters: number;
  /** True when the node row was removed too (old-client form, or its last server left). */
  node: boolean;
}

/** What a node timeout check changed. */
export interface ExpiredNodes {
  /** Nodes past the timeout that were still active (or had active servers), ordered by name. */
  nodes: string[];
}

/** How a node check runs. */
export interface ExpireOptions {
  /** True leaves every node and server as it is (self-preservation holds them). */
  readonly holdNodes?: boolean;
}

/** A node (pod) as stored. */
export interface NodeRecord {
  /** Node name (pod IP). */
  nodeName: string;
  presentState: SettingState;
  /**
   * Last heartbeat, epoch ms on the store's clock; MySQL's is the time of the snapshot less the
   * heartbeat's age on the database's clock (whole seconds stored).
   */
  lastHeartbeat: number;
  /**
   * `node_obj` as stored: `tars.tarsnode.NodeObj@tcp -h IP -p PORT -t 60000` where the pod serves
   * its node object, K8STARS's `... -p 0` where it serves none, empty when the column is NULL or
   * missing.
   */
  nodeObj: string;
}

/** Column widths of db_tars that bound the strings of a row. */
export const COLUMN_LIMITS = {
  tarsVersion: 128,
  nodeName: 50,
  nodeObj: 128,
  application: 50,
  server: 128,
  adapterName: 100,
  servant: 128,
  endpoint: 128,
  protocol: 64,
  version: 128,
  setName: 16,
  setArea: 16,
  setGroup: 64,
  groupName: 64,
} as const;

/** One adapter row: what `onStartup` writes and a load reads back. */
export interface AdapterRow {
  /** `App.Server.ObjAdapter`. */
  adapterName: string;
  /** `App.Server.Obj`. */
  servant: string;
  /** Endpoint string as registered. */
  endpoint: string;
  protocol: string;
  /** Handler threads. */
  threadNum: number;
  maxConns: number;
  queueCap: number;
  /** Queue timeout in ms. */
  queueTimeout: number;
}

/** A server (one service on one node) with its adapters. */
export interface ServerRecord {
  application: string;
  server: string;
  /** Node (pod) it runs on. */
  nodeName: string;
  /** Setting state (`active` when registered by a pod). */
  settingState: SettingState;
  /** Reported state. */
  presentState: PresentState;
  /** False when traffic is off (`grid_flag` `NO_FLOW` or `flow_state` inactive). */
  flowEnabled: boolean;
  /** `name.area.group`, or empty when the server is in no set. */
  setId: string;
  /** Set name, empty without a set. */
  setName: string;
  /** Set area, empty without a set. */
  setArea: string;
  /** Set group, empty without a set. */
  setGroup: string;
  /** Registered version (`patch_version`). */
  version: string;
  /** The service's pid (`process_id`); 0 when unknown or not running. */
  processId: number;
  /** `server_type` as stored; empty when the column holds NULL or is missing. */
  serverType: string;
  /** Metrics port, 0 when none was registered. */
  metricsPort: number;
  /** `ip_group_name`: the IDC group named for it; "" for none (its endpoints' hosts decide). */
  groupName: string;
  /** `enable_group` is `Y` (or `y`): lookups route it by its group. */
  groupEnabled: boolean;
  /** `bak_flag`: 1 for a standby server, which lookups never answer. */
  bakFlag: number;
  /** The server's adapters, ordered by adapter name. */
  adapters: AdapterRow[];
}

/** A row of `t_server_group_rule` (an IDC group), as the stores read them: by `group_id`. */
export interface GroupRuleRow {
  readonly groupId: number;
  /** `|`-separated exact addresses and `a.b.c.*` patterns; empty for a group of no address. */
  readonly allowIpRule: string;
  readonly groupName: string;
}

/** A row of `t_group_priority`, as the stores read them: by `list_order`, then `id`. */
export interface GroupPriorityRow {
  readonly id: number;
  /** Group ids separated by any of `|`, `,` and `;`. */
  readonly groupList: string;
  readonly station: string;
}

/** The IDC group tables as a store read them (registry/group_rules.ts makes the rules of them). */
export interface GroupRuleRows {
  readonly rules: readonly GroupRuleRow[];
  readonly priorities: readonly GroupPriorityRow[];
}

/** Takes a whole read of a store, record by record: how a load streams into memory. */
export interface LoadSink {
  /** A node as the store has it. */
  node(record: NodeRecord): void;
  /** A server with all its adapters (ordered by adapter name); each server once. */
  server(record: ServerRecord): void;
}

/** Takes what changed in a shared store since a {@linkcode ChangeMark}. */
export interface ChangeSink {
  /** A node whose heartbeat moved since the mark (or that is new). */
  node(record: NodeRecord): void;
  /**
   * Every server `nodeName` has now, each with all its adapters, for a node where a server or an
   * adapter changed; an empty list when it has none left.
   */
  serversOn(nodeName: string, servers: ServerRecord[]): void;
}

/** Where a read of a shared store began, in the database's clock: the next change read's start. */
export interface ChangeMark {
  /** The database's `NOW(3)` when the read began, as it wrote it. */
  readonly at: string;
}

/** What a read of the store says besides its records. */
export interface LoadResult {
  /** Clock time when the read began, epoch ms. */
  readonly takenAt: number;
  /** A shared store's: where the next change read starts. */
  readonly mark?: ChangeMark;
  /** A shared store's row counts and key checksums, as of the read, when asked for. */
  readonly sums?: KeySums;
}

/** The server row of a validated `onStartup`. */
export interface ServerRow {
  application: string;
  server: string;
  presentState: PresentState;
  version: string;
  /** The server type, or null when the client did not send one (a new row gets `tars_cpp`). */
  serverType: ServerType | null;
  /** The service's pid, or null when the client did not send one (the stored one is kept). */
  processId: number | null;
  enableSet: "Y" | "N";
  setName: string;
  setArea: string;
  setGroup: string;
  gridFlag: "NORMAL" | "NO_FLOW";
  flowState: "active" | "inactive";
  /**
   * The IDC group the pod named (`TARS_GROUP`): stored as `ip_group_name` with `enable_group`
   * `Y`, and added to `t_server_group_rule` (with no address) when no group has that name; null
   * keeps what the store has.
   */
  groupName: string | null;
  adapters: AdapterRow[];
}

/** A validated `onStartup`; `server` is null in the old-client (node only) form. */
export interface StartupRows {
  nodeName: string;
  /**
   * The node's address (`endpoint_ip`): the node name of a pod, the host of a registry
   * replica's `host:port` (registry/node_name.ts).
   */
  address: string;
  /** The tarscli version (the node's `tars_version`), or null when the client did not send it. */
  tarsVersion: string | null;
  /**
   * `node_obj`: `tars.tarsnode.NodeObj@` and the pod's node endpoint, or K8STARS's
   * `tars.tarsnode.NodeObj@tcp -h NODE -p 0` when the pod serves no node object.
   */
  nodeObj: string;
  /** The node object's port (`endpoint_port`), 0 when the pod serves none. */
  nodePort: number;
  /** Server row, or null when only the node is registered. */
  server: ServerRow | null;
}

/** A validated target: one server, or every server on the node when `application` is null. */
export interface ServerTarget {
  nodeName: string;
  /** Application, or null for the whole node. */
  application: string | null;
  /** Server, or null for the whole node. */
  server: string | null;
}

/** A validated `keepAlive`. */
export interface KeepAliveRows extends ServerTarget {
  /** State to set. */
  presentState: PresentState;
  /** The service's pid to set, or null to keep the stored one. */
  processId: number | null;
}

/** The registry's own servants, written to `t_registry_info` as the C++ registry does. */
export interface RegistryInfoRows {
  /** `host:port` of this registry's QueryObj endpoint: the same on each of its rows. */
  locatorId: string;
  /** Servant name and endpoint string of each servant it serves. */
  servants: { servant: string; endpoint: string }[];
  /** This registry's version (`tars_version`). */
  version: string;
}

/** A validated `registerMetrics`. */
export interface MetricsRow {
  nodeName: string;
  application: string;
  server: string;
  /** Port to store. */
  metricsPort: number;
}

/** A validated `clean`. */
export interface CleanCutoff {
  /** Remove nodes whose last heartbeat is older than this, epoch ms. */
  before: number;
  /** True only reports what would be removed. */
  dryRun: boolean;
}

/** Identifies one server row. */
export interface ServerKey {
  application: string;
  server: string;
  nodeName: string;
}

/** What `clean` removed (or would remove on a dry run). */
export interface CleanResult {
  /** True when nothing was removed. */
  dryRun: boolean;
  /** Stale nodes, ordered by name. */
  nodes: string[];
  /** Their servers, ordered by application, server and node. */
  servers: ServerKey[];
  /** Their adapter rows. */
  adapters: number;
  /** Their node-level config file rows. */
  configFiles: number;
}

/** Row counts for a status command. */
export interface StoreCounts {
  nodes: number;
  servers: number;
  adapters: number;
  /** Node-level config files (rows with a host). */
  configFiles: number;
}

/**
 * Persistent registry state behind the `tars.tarsregistry.Registry` calls, and what the admin
 * registry keeps ({@linkcode AdminStore}).
 */
export interface RegistryStore extends AdminStore {
  /** `sqlite` or `mysql`. */
  readonly kind: "sqlite" | "mysql";
  /**
   * Upserts the node and the server, and replaces the server's adapters on that node. A new
   * server gets setting state `active` and template `tars.default`; an existing one keeps its
   * setting state (an operator's `inactive` survives a pod's re-registration) and its traffic
   * switch, unless the pod registers with traffic off.
   */
  onStartup(rows: StartupRows): Promise<void>;
  /** Refreshes the node heartbeat, marks it active and sets the present state of the server(s). */
  keepAlive(rows: KeepAliveRows): Promise<KeepAliveResult>;
  /**
   * Removes the pod's server, adapters and node-level config files, and the node once no server
   * of it is left (or the whole node in the old-client form).
   */
  onPrestop(target: ServerTarget): Promise<PrestopResult>;
  /**
   * The C++ registry's node check: a node whose last heartbeat is older than `timeout` ms gets
   * present state `inactive`, and so do its servers (with `process_id` 0); setting states and
   * rows stay. Registry rows (`t_registry_info`) that old become inactive too. With `holdNodes`
   * (self-preservation holds them: registry/self_preservation.ts) the nodes and servers stay as
   * they are and only the registry rows are checked.
   */
  expireNodes(timeout: number, options?: ExpireOptions): Promise<ExpiredNodes>;
  /** Writes (replaces) this registry's own rows of `t_registry_info`, active, heartbeat now. */
  announceRegistry(rows: RegistryInfoRows): Promise<void>;
  /** Removes this registry's own rows of `t_registry_info` (it is stopping). */
  withdrawRegistry(locatorId: string): Promise<void>;
  /** Stores the metrics port; resolves false when no such server is registered. */
  registerMetrics(row: MetricsRow): Promise<boolean>;
  /**
   * Reads every node and server with its adapters into `sink`, record by record (in no order), as
   * of one moment; `sums` asks a shared store for its key sums as of the same moment.
   */
  load(sink: LoadSink, options?: { sums?: boolean }): Promise<LoadResult>;
  /**
   * A store other processes write too (MySQL): reads what changed since `mark` (a read's
   * {@linkcode LoadResult.mark}) into `sink`: the nodes whose heartbeat moved, and the servers of
   * every node where a server or an adapter changed, each change committed since the mark's
   * read (a write stamped up to a safety overlap before it too). A deletion leaves nothing to
   * read: the key sums (`sums`, as of the same moment) show it. Undefined for a store this
   * process alone writes.
   */
  readChanges?(
    mark: ChangeMark,
    sink: ChangeSink,
    options?: { sums?: boolean },
  ): Promise<LoadResult>;
  /**
   * A store only this process writes (SQLite): whether another process (an operator's `sqlite3`
   * with a script of group rules, say) committed to it since the last call; the next reload then
   * reads it whole. Undefined for a shared store, whose change reads see others' writes.
   */
  changedOutside?(): boolean;
  /**
   * The IDC group tables: `t_server_group_rule` by `group_id`, `t_group_priority` by
   * `list_order` (registry/group_rules.ts says how lookups use them).
   */
  readGroupRules(): Promise<GroupRuleRows>;
  /** Removes (or lists on a dry run) nodes whose heartbeat is older than `before`. */
  clean(cutoff: CleanCutoff): Promise<CleanResult>;
  /** Counts rows. */
  counts(): Promise<StoreCounts>;
  /** Releases the database; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** Options every store takes when opened. */
export interface StoreOptions {
  /** Clock in epoch ms. */
  now: () => number;
  /** Where a store reports what it skipped (a column another tool dropped or narrowed). */
  log?: (line: string) => void;
}
