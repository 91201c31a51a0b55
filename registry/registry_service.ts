/**
 * The registry service: lookups answered from memory, and the registration calls (validated
 * into rows, made durable by the store, then applied to memory), with the views the admin calls,
 * the metrics targets and the node check read. Memory is registry_state.ts; how it follows the
 * store (the reads at start and of other replicas' writes) is replica_reads.ts.
 *
 * @module
 */
import { NODE_OBJ } from "../protocol/interfaces/node_f.ts";
import { NO_GROUP } from "./group_rules.ts";
import {
  findAll,
  findByGroup,
  findInSet,
  findInStation,
  findNodeObjects,
  isActive,
  isNodeActive,
  isServerActive,
  type LookupAnswer,
  type LookupOptions,
} from "./lookup.ts";
import type { Endpoint } from "../protocol/endpoint.ts";
import type { RegistryGauges } from "./metrics.ts";
import { nodeAddress } from "./node_name.ts";
import { foreignServantLines, foreignServants } from "./own_servants.ts";
import { RegistryState } from "./registry_state.ts";
import { ReplicaReads, type ReplicaReadsOptions } from "./replica_reads.ts";
import { type PreservationStatus, SelfPreservation } from "./self_preservation.ts";
import type {
  CleanResult,
  FlowRows,
  KeepAliveResult,
  NodeRecord,
  PrestopResult,
  RegistryInfoRows,
  RegistryStore,
  ServerKey,
  ServerRecord,
  SettingState,
  StoreCounts,
} from "./store/mod.ts";
import {
  cleanCutoff,
  type CleanOptions,
  flowRows,
  type KeepAliveRequest,
  keepAliveRows,
  type MetricsRequest,
  metricsRow,
  type PrestopRequest,
  prestopTarget,
  serverKeyOf,
  type StartupRequest,
  startupRows,
  ValidationError,
} from "./validate.ts";

/** Prometheus targets of one application / server / set group. */
export interface MetricsTargetGroup {
  readonly targets: string[];
  readonly labels: Map<string, string>;
}

/** A node's own object, for the admin registry (see `RegistryService.nodeObject`). */
export interface NodeObjectView {
  readonly nodeName: string;
  /** `tars.tarsnode.NodeObj@tcp -h IP -p PORT -t 60000`: a proxy string a client can call. */
  readonly objectName: string;
  readonly endpoint: Endpoint;
  /** Whether the node is alive: present state active and a heartbeat within `--node-timeout`. */
  readonly active: boolean;
}

/** A registered server as lookups see it. */
export interface ServerView {
  readonly server: Readonly<ServerRecord>;
  /** Whether lookups answer its endpoints as active. */
  readonly active: boolean;
  /** Milliseconds since its node's last heartbeat; undefined without a node row. */
  readonly heartbeatAge: number | undefined;
}

function viewKey(view: ServerView): string {
  const s = view.server;
  return `${s.application}.${s.server}\u0000${s.nodeName}`;
}

/** Settings and dependencies of the registry service. */
export interface RegistryServiceOptions
  extends Pick<ReplicaReadsOptions, "fullReloadInterval" | "keySumInterval"> {
  /** Clock in epoch ms. */
  readonly now: () => number;
  /** Heartbeat age (ms) after which a node's endpoints count as inactive (`--node-timeout`). */
  readonly nodeTimeout: number;
  /**
   * `--expiry-protect-rate` as a fraction: more than this share of the nodes' heartbeats stopping
   * at once expires none of them (registry/self_preservation.ts); 0 or absent: off.
   */
  readonly expiryProtectRate?: number;
  /** Where skipped rows and reload problems are reported. */
  readonly log?: (line: string) => void;
}

/**
 * The registry: answers lookups from memory and changes memory only after the store has made a
 * write durable. Each write validates its request once (validate.ts: a bad one throws a
 * ValidationError before anything is written), hands the rows to the store, and then applies
 * them to memory through the replica reads (replica_reads.ts), which also read into memory what
 * other replicas and tools wrote to a shared store.
 */
export class RegistryService {
  readonly #store: RegistryStore;
  readonly #now: () => number;
  readonly #nodeTimeout: number;
  readonly #state: RegistryState;
  readonly #reads: ReplicaReads;
  readonly #preservation: SelfPreservation;

  private constructor(store: RegistryStore, options: RegistryServiceOptions) {
    this.#store = store;
    this.#now = options.now;
    this.#nodeTimeout = options.nodeTimeout;
    this.#state = new RegistryState({ nodeTimeout: options.nodeTimeout });
    const log = options.log ?? ((line) => console.error(line));
    this.#reads = new ReplicaReads(store, this.#state, {
      now: options.now,
      fullReloadInterval: options.fullReloadInterval,
      keySumInterval: options.keySumInterval,
      log,
    });
    this.#preservation = new SelfPreservation({
      rate: options.expiryProtectRate ?? 0,
      nodeTimeout: options.nodeTimeout,
      log,
    });
  }

  /**
   * Loads the store into memory and returns the service; the adapters it holds that serve another
   * server's servant are listed in the log (own_servants.ts).
   */
  static async open(
    store: RegistryStore,
    options: RegistryServiceOptions,
  ): Promise<RegistryService> {
    const service = new RegistryService(store, options);
    await service.reload();
    // Before any lookup: a store whose nodes all fell silent meanwhile is held from the start.
    service.#assess();
    const log = options.log ?? ((line) => console.error(line));
    for (const line of foreignServantLines(foreignServants(service.#state.allServers()))) log(line);
    return service;
  }

  /** The store behind the service. */
  get store(): RegistryStore {
    return this.#store;
  }

  /** While self-preservation holds, no heartbeat is too old: lookups answer nodes as they were. */
  #lookupOptions(): LookupOptions {
    return {
      now: this.#now(),
      nodeTimeout: this.#preservation.holding ? Infinity : this.#nodeTimeout,
    };
  }

  /** Decides self-preservation from memory; answers built under the other rule are dropped. */
  #assess(): void {
    if (this.#preservation.assess(this.#state.nodes.values(), this.#now())) {
      this.#state.forgetAnswers();
    }
  }

  /** Self-preservation as of the last node check (registry/self_preservation.ts). */
  get selfPreservation(): PreservationStatus {
    return this.#preservation.status;
  }

  /** Why `/healthz` is not 200 while self-preservation holds; undefined otherwise. */
  selfPreservationProblem(): string | undefined {
    return this.#preservation.problem();
  }

  /**
   * Whether the node's registration lapsed: known, its last heartbeat older than
   * `--node-timeout`, and not held by self-preservation.
   */
  heartbeatLapsed(nodeName: string): boolean {
    const node = this.#state.nodes.get(nodeName);
    if (!node) return false;
    const options = this.#lookupOptions();
    return options.now - node.lastHeartbeat > options.nodeTimeout;
  }

  /**
   * Every endpoint of an object, active and inactive; for `tars.tarsnode.NodeObj`, the node object
   * of every pod that serves one.
   */
  find(id: string): LookupAnswer {
    if (id === NODE_OBJ) return findNodeObjects(this.#state, this.#lookupOptions());
    return findAll(this.#state, id, this.#lookupOptions());
  }

  /**
   * The endpoints of an object for a caller at `caller` by its IDC group (`findObjectById4All`,
   * `findObjectByIdInSameGroup`); node objects are in no group.
   */
  findForCaller(id: string, caller: string): LookupAnswer {
    if (id === NODE_OBJ) return this.find(id);
    return findByGroup(this.#state, id, caller, this.#lookupOptions());
  }

  /** The endpoints of an object in a station's groups (`findObjectByIdInSameStation`). */
  findInStation(id: string, station: string): LookupAnswer {
    if (id === NODE_OBJ) return this.find(id);
    return findInStation(this.#state, id, station, this.#lookupOptions());
  }

  /**
   * Endpoints of an object in a set (`name.area.group`), by the caller's group when the object
   * has no server in that set name; nodes are in no set.
   */
  findInSet(id: string, setId: string, caller: string): LookupAnswer {
    if (id === NODE_OBJ) return this.find(id);
    return findInSet(this.#state, id, setId, { ...this.#lookupOptions(), caller });
  }

  /**
   * The node object of the node (pod) `nodeName`, as the admin registry calls it: its object
   * string (`tars.tarsnode.NodeObj@tcp -h IP -p PORT -t 60000`, `t_node_info.node_obj`), its
   * endpoint, and whether the node is alive (present state active, a heartbeat within
   * `--node-timeout`; the C++ admin registry calls only such nodes and answers the others
   * `EM_TARS_NODE_NOT_REGISTRY_ERR`). Undefined when the node is unknown or serves no node object
   * (a pod of an older tarscli, or `TARS_NODE_PORT=0`).
   */
  nodeObject(nodeName: string): NodeObjectView | undefined {
    const object = this.#state.nodeObject(nodeName);
    if (!object) return undefined;
    return {
      nodeName,
      objectName: object.objectName,
      endpoint: object.endpoint,
      active: isNodeActive(this.#state, nodeName, this.#lookupOptions()),
    };
  }

  /** Registers a pod's server and adapters. */
  async onStartup(req: StartupRequest): Promise<void> {
    const rows = startupRows(req);
    await this.#store.onStartup(rows);
    // A group named for the first time was added to the store's groups: read them to route by it.
    const group = rows.server?.groupName;
    if (group && this.#state.groupRules.groupNamed(group) === NO_GROUP) {
      await this.#reads.readGroups();
    }
    const now = this.#now();
    this.#reads.apply((state) => state.applyStartup(rows, now), { changesRows: true });
  }

  /** A heartbeat: refreshes the node and sets the server state. */
  async keepAlive(req: KeepAliveRequest): Promise<KeepAliveResult> {
    const rows = keepAliveRows(req);
    const result = await this.#store.keepAlive(rows);
    const now = this.#now();
    this.#reads.apply((state) => state.applyKeepAlive(rows, now));
    return result;
  }

  /** Removes a pod's server (or its whole node). */
  async onPrestop(req: PrestopRequest): Promise<PrestopResult> {
    const target = prestopTarget(req);
    const result = await this.#store.onPrestop(target);
    this.#reads.apply((state) => state.applyPrestop(target), { changesRows: true });
    return result;
  }

  /** Stores a server's metrics port. */
  async registerMetrics(req: MetricsRequest): Promise<boolean> {
    const row = metricsRow(req);
    const found = await this.#store.registerMetrics(row);
    this.#reads.apply((state) => state.applyMetrics(row));
    return found;
  }

  /**
   * Sets a server's setting state (the console's start and stop: lookups answer an `inactive`
   * server's endpoints as inactive); resolves false for a server not registered.
   */
  async setSettingState(key: ServerKey, state: SettingState): Promise<boolean> {
    const checked = serverKeyOf(key);
    const found = await this.#store.setSettingState(checked, state);
    this.#reads.apply((s) => s.applySettingState(checked, state));
    return found;
  }

  /**
   * Sets the console's traffic switch of a server on the nodes named (`updateServerFlowState`);
   * resolves how many of them are registered. It outlives a pod's re-registration.
   */
  async setFlowState(req: FlowRows): Promise<number> {
    const rows = flowRows(req);
    const found = await this.#store.setFlowState(rows);
    this.#reads.apply((s) => s.applyFlow(rows));
    return found;
  }

  /** A registered server as lookups see it, or undefined. */
  server(key: ServerKey): ServerView | undefined {
    const s = this.#state.server(key);
    return s && this.#view(s, this.#lookupOptions());
  }

  #view(s: Readonly<ServerRecord>, options: LookupOptions): ServerView {
    const node = this.#state.nodes.get(s.nodeName);
    return {
      server: s,
      active: isServerActive(this.#state, s, options),
      heartbeatAge: node ? options.now - node.lastHeartbeat : undefined,
    };
  }

  /** The servers registered on a node, in memory. */
  serversOn(nodeName: string): readonly Readonly<ServerRecord>[] {
    return this.#state.serversOn(nodeName);
  }

  /** A registered node (its state and last heartbeat), or undefined. */
  node(nodeName: string): Readonly<NodeRecord> | undefined {
    return this.#state.nodes.get(nodeName);
  }

  /** Heartbeat age (ms) after which a node counts as inactive (`--node-timeout`). */
  get nodeTimeout(): number {
    return this.#nodeTimeout;
  }

  /**
   * Removes nodes whose heartbeat is older than `before` (or lists them on a dry run). A `before`
   * later than now minus `--node-timeout` is refused: a node that sent a heartbeat within
   * `--node-timeout` is alive and is never removed.
   */
  async clean(options: CleanOptions): Promise<CleanResult> {
    const cutoff = cleanCutoff(options);
    const latest = this.#now() - this.#nodeTimeout;
    if (cutoff.before > latest) {
      throw new ValidationError(
        `Invalid time ${new Date(cutoff.before).toISOString()}: it is later than now minus ` +
          `--node-timeout (${new Date(latest).toISOString()}); nodes with a heartbeat since then ` +
          `are alive and are never cleaned: give an earlier time`,
      );
    }
    // Whole seconds down, as MySQL keeps heartbeats: a heartbeat within --node-timeout is never
    // older than the cutoff, in either store.
    const before = Math.floor(cutoff.before / 1000) * 1000;
    const result = await this.#store.clean({ ...cutoff, before });
    if (!result.dryRun) {
      this.#reads.apply((state) => state.applyClean(result.nodes), { changesRows: true });
    }
    return result;
  }

  /** Row counts of the store. */
  counts(): Promise<StoreCounts> {
    return this.#store.counts();
  }

  /**
   * Prometheus targets (`host:metricsPort`, the host its node's address) grouped by application,
   * server and set, for servers that registered a metrics port; `filter` keeps groups whose
   * labels match every entry.
   */
  metricsTargets(filter?: ReadonlyMap<string, string>): MetricsTargetGroup[] {
    const groups = new Map<string, MetricsTargetGroup>();
    for (const s of this.#state.allServers()) {
      if (s.metricsPort <= 0) continue;
      const labels = new Map([
        ["application", s.application],
        ["server", s.server],
        ["set", s.setId],
      ]);
      if (filter && [...filter].some(([k, v]) => labels.get(k) !== v)) continue;
      const key = `${s.application}|${s.server}|${s.setId}`;
      let group = groups.get(key);
      if (!group) groups.set(key, group = { targets: [], labels });
      group.targets.push(`${nodeAddress(s.nodeName)}:${s.metricsPort}`);
    }
    return [...groups.values()];
  }

  /** The registered servers in memory, sorted by application, server and node. */
  servers(): ServerView[] {
    const options = this.#lookupOptions();
    return [...this.#state.allServers()].map((s) => this.#view(s, options))
      .sort((a, b) => viewKey(a).localeCompare(viewKey(b)));
  }

  /** Sizes of the view in memory. */
  gauges(): RegistryGauges {
    const options = this.#lookupOptions();
    let endpoints = 0;
    let activeEndpoints = 0;
    for (const adapter of this.#state.allAdapters()) {
      endpoints++;
      if (isActive(this.#state, adapter, options)) activeEndpoints++;
    }
    const preservation = this.#preservation.status;
    return {
      nodes: this.#state.nodes.size,
      servers: this.#state.serverCount,
      endpoints,
      activeEndpoints,
      selfPreservation: preservation.holding,
      stoppedNodes: preservation.stopped,
      heldNodes: preservation.holding ? preservation.overdue : 0,
    };
  }

  /**
   * The periodic work (every `--reload-interval`): the node check, which marks nodes without a
   * heartbeat for `--node-timeout` and their servers inactive in the store as the C++ registry's
   * check does (and in memory), unless self-preservation, decided first from memory, holds them;
   * then a shared store (MySQL) is read again for what other replicas and tools wrote
   * ({@linkcode ReplicaReads.catchUp}). The embedded store is this process's alone.
   */
  async refresh(): Promise<void> {
    this.#assess();
    const expired = await this.#store.expireNodes(this.#nodeTimeout, {
      holdNodes: this.#preservation.holding,
    });
    this.#reads.apply((state) => state.applyExpired(expired.nodes));
    await this.#reads.catchUp();
  }

  /** Writes this registry's own objects to `t_registry_info` (with its heartbeat). */
  async announceRegistry(rows: RegistryInfoRows): Promise<void> {
    await this.#store.announceRegistry(rows);
  }

  /** Removes this registry's own objects from `t_registry_info` (it is stopping). */
  async withdrawRegistry(locatorId: string): Promise<void> {
    await this.#store.withdrawRegistry(locatorId);
  }

  /**
   * Reads the whole store into memory (other replicas' writes; what it no longer has goes);
   * writes made meanwhile are kept. A reload already running makes this one a no-op.
   */
  reload(): Promise<void> {
    return this.#reads.readAll();
  }
}
