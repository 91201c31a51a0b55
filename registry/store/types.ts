/**
 * The registry store contract: what the TARS registry servants persist and read back.
 *
 * Every write call runs in one transaction, is durable before its promise resolves and
 * leaves nothing behind when it fails. Times come from the clock the store was opened
 * with, so tests drive them.
 */

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

/** Port the original registers for metrics when a request carries port 0. */
export const DEFAULT_METRICS_PORT = 9325;

/** One adapter (servant endpoint) a service announces in `onStartup`. */
export interface AdapterSpec {
  /** Full object name `App.Server.Obj`; a bare `Obj` is qualified with the request's names. */
  servant: string;
  /** Endpoint string, e.g. `tcp -h 10.0.0.5 -p 13000 -t 30000`. */
  endpoint: string;
  /** Protocol name; default `tars`. */
  protocol?: string;
  /** Maximum connections; default 200000. */
  maxConns?: number;
  /** Handler threads; default 5. */
  threadNum?: number;
  /** Queue capacity; default 10000. */
  queueCap?: number;
  /** Queue timeout in ms; default 60000. */
  queueTimeout?: number;
}

/** `onStartupReq`: a pod announces its service and endpoints. */
export interface StartupRequest {
  /** The pod's node name (its IP). */
  nodeName: string;
  /** Application; empty together with `server` in the old-client form (node only). */
  application: string;
  /** Server; empty together with `application` in the old-client form (node only). */
  server: string;
  /** Set id `name.area.group`, or empty for no set. */
  setId?: string;
  /** The service's adapters; they replace those registered before. */
  adapters?: AdapterSpec[];
  /** True registers the service with traffic off (`NO_FLOW`). */
  disableFlow?: boolean;
  /** Reported state; default (and empty) `active`. */
  state?: string;
  /** Service version, stored as `patch_version`. */
  version?: string;
}

/** `keepAliveReq`: a heartbeat that also reports the service state. */
export interface KeepAliveRequest {
  /** The pod's node name. */
  nodeName: string;
  /** Reported state; empty means `active` as in the original. */
  state: string;
  /** Application; empty (or empty server) sets the state of every server on the node. */
  application?: string;
  /** Server; see `application`. */
  server?: string;
}

/** `onPrestopReq`: a pod is about to stop. */
export interface PrestopRequest {
  /** The pod's node name. */
  nodeName: string;
  /** Application; empty together with `server` removes everything on the node. */
  application?: string;
  /** Server; see `application`. */
  server?: string;
}

/** `RegisterMetricsReq`: where Prometheus scrapes a service. */
export interface MetricsRequest {
  /** The pod's node name. */
  nodeName: string;
  /** Application of a registered server. */
  application: string;
  /** Server name of a registered server. */
  server: string;
  /** Metrics port; 0 means {@link DEFAULT_METRICS_PORT}. */
  metricsPort: number;
}

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
  /** True when the node row was removed too (old-client form). */
  node: boolean;
}

/** A node (pod) as stored. */
export interface NodeRecord {
  /** Node name (pod IP). */
  nodeName: string;
  /** Node present state. */
  presentState: SettingState;
  /** Last heartbeat, epoch ms (MySQL keeps whole seconds). */
  lastHeartbeat: number;
}

/** An adapter as stored, for lookups. */
export interface AdapterRecord {
  /** `App.Server.ObjAdapter`. */
  adapterName: string;
  /** `App.Server.Obj`. */
  servant: string;
  /** Endpoint string as registered. */
  endpoint: string;
  /** Protocol name. */
  protocol: string;
  /** Handler threads. */
  threadNum: number;
  /** Maximum connections. */
  maxConns: number;
  /** Queue capacity. */
  queueCap: number;
  /** Queue timeout in ms. */
  queueTimeout: number;
}

/** A server (one service on one node) with its adapters. */
export interface ServerRecord {
  /** Application name. */
  application: string;
  /** Server name. */
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
  /** Metrics port, 0 when none was registered. */
  metricsPort: number;
  /** The server's adapters, ordered by adapter name. */
  adapters: AdapterRecord[];
}

/** Everything the lookup index and the metrics targets are built from. */
export interface StoreSnapshot {
  /** Clock time when the snapshot was read, epoch ms. */
  takenAt: number;
  /** All nodes, ordered by name. */
  nodes: NodeRecord[];
  /** All servers, ordered by application, server and node. */
  servers: ServerRecord[];
}

/** Options of {@link RegistryStore.clean}. */
export interface CleanOptions {
  /** Remove nodes whose last heartbeat is older than this. */
  before: Date;
  /** True only reports what would be removed. */
  dryRun: boolean;
}

/** Identifies one server row. */
export interface ServerKey {
  /** Application name. */
  application: string;
  /** Server name. */
  server: string;
  /** Node name. */
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
  /** Nodes. */
  nodes: number;
  /** Servers. */
  servers: number;
  /** Adapters. */
  adapters: number;
  /** Node-level config files (rows with a host). */
  configFiles: number;
}

/** Persistent registry state behind the `tars.tarsregistry.Registry` calls. */
export interface RegistryStore {
  /** `sqlite` or `mysql`. */
  readonly kind: "sqlite" | "mysql";
  /** Upserts the node and the server, and replaces the server's adapters on that node. */
  onStartup(req: StartupRequest): Promise<void>;
  /** Refreshes the node heartbeat and sets the present state of the server(s). */
  keepAlive(req: KeepAliveRequest): Promise<KeepAliveResult>;
  /** Removes the pod's server, adapters and node-level config files (or the whole node). */
  onPrestop(req: PrestopRequest): Promise<PrestopResult>;
  /** Stores the metrics port; resolves false when no such server is registered. */
  registerMetrics(req: MetricsRequest): Promise<boolean>;
  /** Reads every node and server with adapters. */
  snapshot(): Promise<StoreSnapshot>;
  /** Removes (or lists on a dry run) nodes whose heartbeat is older than `before`. */
  clean(options: CleanOptions): Promise<CleanResult>;
  /** Counts rows. */
  counts(): Promise<StoreCounts>;
  /** Releases the database; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** Options every store takes when opened. */
export interface StoreOptions {
  /** Clock in epoch ms. */
  now: () => number;
}
