import { NODE_OBJ } from "../protocol/interfaces/node_f.ts";
import {
  findAll,
  findInSet,
  findNodeObjects,
  isActive,
  isNodeActive,
  isServerActive,
  type LookupAnswer,
  type LookupOptions,
} from "./lookup.ts";
import type { Endpoint } from "../protocol/endpoint.ts";
import type { RegistryGauges } from "./metrics.ts";
import { foreignServantLines, foreignServants } from "./own_servants.ts";
import { RegistryState, type SkippedAdapter } from "./registry_state.ts";
import { addSums, NO_ROWS, sameSums } from "./store/key_sums.ts";
import type {
  ChangeMark,
  CleanResult,
  FlowRows,
  KeepAliveResult,
  KeySums,
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
export interface RegistryServiceOptions {
  /** Clock in epoch ms. */
  readonly now: () => number;
  /** Heartbeat age (ms) after which a node's endpoints count as inactive (`--node-timeout`). */
  readonly nodeTimeout: number;
  /**
   * A shared store (MySQL): how often (ms) the whole store is read again; the reloads between
   * read what changed only (`--full-reload-interval`; default 5 minutes).
   */
  readonly fullReloadInterval?: number;
  /**
   * A shared store: how often (ms) a reload also compares the row counts and key checksums of
   * the store with memory, to notice rows another replica deleted (default 30 s).
   */
  readonly keySumInterval?: number;
  /** Where skipped rows and reload problems are reported. */
  readonly log?: (line: string) => void;
}

/** Default {@linkcode RegistryServiceOptions.fullReloadInterval}: 5 minutes. */
export const FULL_RELOAD_INTERVAL = 300_000;
/** Default {@linkcode RegistryServiceOptions.keySumInterval}: 30 s. */
export const KEY_SUM_INTERVAL = 30_000;

/**
 * The registry: answers lookups from memory and changes memory only after the store has made a
 * write durable. Each write validates its request once (validate.ts: a bad one throws a
 * ValidationError before anything is written) and hands the rows to the store.
 *
 * A shared store (MySQL) is read again every reload for what other replicas and tools wrote:
 * what changed since the last read (the store finds it by `registry_timestamp` and heartbeats),
 * every {@linkcode RegistryServiceOptions.keySumInterval} also the tables' row counts and key
 * checksums, which show a deletion (a change read cannot see one): when they differ from memory,
 * and every {@linkcode RegistryServiceOptions.fullReloadInterval} in any case, the whole store.
 * Reads stream into memory in place; the writes applied meanwhile are applied again after a read.
 */
export class RegistryService {
  readonly #store: RegistryStore;
  readonly #now: () => number;
  readonly #nodeTimeout: number;
  readonly #fullReloadInterval: number;
  readonly #keySumInterval: number;
  readonly #log: (line: string) => void;
  readonly #state: RegistryState;
  /** Writes applied while the store is read, applied again after the read. */
  #replay: ((state: RegistryState) => void)[] | undefined;
  /** Writes that added or removed a row (onStartup, onPrestop, clean) so far. */
  #rowWrites = 0;
  /** A shared store: where the next change read starts (undefined before the first read). */
  #mark: ChangeMark | undefined;
  /** A shared store: what its key sums hold that memory does not (rows no record is made of). */
  #unread: KeySums = NO_ROWS;
  #lastFullReload = -Infinity;
  /** When memory last agreed with the store's key sums (or was read whole). */
  #lastAgreed = -Infinity;

  private constructor(store: RegistryStore, options: RegistryServiceOptions) {
    this.#store = store;
    this.#now = options.now;
    this.#nodeTimeout = options.nodeTimeout;
    this.#fullReloadInterval = options.fullReloadInterval ?? FULL_RELOAD_INTERVAL;
    this.#keySumInterval = options.keySumInterval ?? KEY_SUM_INTERVAL;
    this.#log = options.log ?? ((line) => console.error(line));
    this.#state = new RegistryState({ nodeTimeout: options.nodeTimeout });
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
    for (const line of foreignServantLines(foreignServants(service.#state.allServers()))) {
      service.#log(line);
    }
    return service;
  }

  /** The store behind the service. */
  get store(): RegistryStore {
    return this.#store;
  }

  #lookupOptions(): LookupOptions {
    return { now: this.#now(), nodeTimeout: this.#nodeTimeout };
  }

  /**
   * Every endpoint of an object, active and inactive; for `tars.tarsnode.NodeObj`, the node object
   * of every pod that serves one.
   */
  find(id: string): LookupAnswer {
    if (id === NODE_OBJ) return findNodeObjects(this.#state, this.#lookupOptions());
    return findAll(this.#state, id, this.#lookupOptions());
  }

  /** Endpoints of an object in a set (`name.area.group`); nodes are in no set. */
  findInSet(id: string, setId: string): LookupAnswer {
    if (id === NODE_OBJ) return this.find(id);
    return findInSet(this.#state, id, setId, this.#lookupOptions());
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
    const now = this.#now();
    this.#rowWrites++;
    this.#apply((state) => state.applyStartup(rows, now));
  }

  /** A heartbeat: refreshes the node and sets the server state. */
  async keepAlive(req: KeepAliveRequest): Promise<KeepAliveResult> {
    const rows = keepAliveRows(req);
    const result = await this.#store.keepAlive(rows);
    const now = this.#now();
    this.#apply((state) => state.applyKeepAlive(rows, now));
    return result;
  }

  /** Removes a pod's server (or its whole node). */
  async onPrestop(req: PrestopRequest): Promise<PrestopResult> {
    const target = prestopTarget(req);
    const result = await this.#store.onPrestop(target);
    this.#rowWrites++;
    this.#apply((state) => state.applyPrestop(target));
    return result;
  }

  /** Stores a server's metrics port. */
  async registerMetrics(req: MetricsRequest): Promise<boolean> {
    const row = metricsRow(req);
    const found = await this.#store.registerMetrics(row);
    this.#apply((state) => state.applyMetrics(row));
    return found;
  }

  /**
   * Sets a server's setting state (the console's start and stop: lookups answer an `inactive`
   * server's endpoints as inactive); resolves false for a server not registered.
   */
  async setSettingState(key: ServerKey, state: SettingState): Promise<boolean> {
    const checked = serverKeyOf(key);
    const found = await this.#store.setSettingState(checked, state);
    this.#apply((s) => s.applySettingState(checked, state));
    return found;
  }

  /**
   * Sets the console's traffic switch of a server on the nodes named (`updateServerFlowState`);
   * resolves how many of them are registered. It outlives a pod's re-registration.
   */
  async setFlowState(req: FlowRows): Promise<number> {
    const rows = flowRows(req);
    const found = await this.#store.setFlowState(rows);
    this.#apply((s) => s.applyFlow(rows));
    return found;
  }

  /** A registered server as lookups see it, or undefined. */
  server(key: ServerKey): ServerView | undefined {
    const s = this.#state.server(key);
    if (!s) return undefined;
    const options = this.#lookupOptions();
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
      this.#rowWrites++;
      this.#apply((state) => state.applyClean(result.nodes));
    }
    return result;
  }

  /** Row counts of the store. */
  counts(): Promise<StoreCounts> {
    return this.#store.counts();
  }

  /**
   * Prometheus targets (`host:metricsPort`) grouped by application, server and set, for servers
   * that registered a metrics port; `filter` keeps groups whose labels match every entry.
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
      group.targets.push(`${s.nodeName}:${s.metricsPort}`);
    }
    return [...groups.values()];
  }

  /** The registered servers in memory, sorted by application, server and node. */
  servers(): ServerView[] {
    const options = this.#lookupOptions();
    return [...this.#state.allServers()].map((s) => {
      const node = this.#state.nodes.get(s.nodeName);
      return {
        server: s,
        active: isServerActive(this.#state, s, options),
        heartbeatAge: node ? options.now - node.lastHeartbeat : undefined,
      };
    }).sort((a, b) => viewKey(a).localeCompare(viewKey(b)));
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
    return {
      nodes: this.#state.nodes.size,
      servers: this.#state.serverCount,
      endpoints,
      activeEndpoints,
    };
  }

  /**
   * The periodic work (every `--reload-interval`): the node check, which marks nodes without a
   * heartbeat for `--node-timeout` and their servers inactive in the store as the C++ registry's
   * check does (and in memory); then a shared store (MySQL) is read again for what other
   * replicas and tools wrote. The embedded store is this process's alone.
   */
  async refresh(): Promise<void> {
    const expired = await this.#store.expireNodes(this.#nodeTimeout);
    this.#apply((state) => state.applyExpired(expired.nodes));
    if (!this.#store.readChanges) return;
    const now = this.#now();
    if (this.#mark === undefined || now - this.#lastFullReload >= this.#fullReloadInterval) {
      await this.reload();
      return;
    }
    const check = now - this.#lastAgreed >= this.#keySumInterval;
    const verdict = await this.#readChanges(this.#mark, check);
    if (verdict === "agrees") return;
    this.#log(
      verdict === "differs"
        ? "The database's row counts or key checksums differ from memory (rows another " +
          "replica or tool deleted, or wrote late): reading it whole"
        : "Registrations and removals here kept the database's row counts and key checksums " +
          "from being compared with memory: reading it whole",
    );
    await this.reload();
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
  async reload(): Promise<void> {
    const shared = this.#store.readChanges !== undefined;
    await this.#reading(async (live) => {
      const rowWrites = this.#rowWrites;
      const sweep = this.#state.sweep(this.#now());
      const result = await this.#store.load({
        node: (record) => live() && sweep.node(record),
        server: (record) => live() && sweep.server(record),
      }, { sums: shared });
      this.#report(sweep.finish());
      if (!shared) return;
      this.#mark = result.mark;
      this.#lastFullReload = this.#lastAgreed = result.takenAt;
      // Rows the store has and memory makes nothing of (adapters of no server, duplicates),
      // known only when no write changed the rows in memory during the read.
      this.#unread = result.sums && rowWrites === this.#rowWrites
        ? addSums(result.sums, this.#state.keySums(), -1)
        : NO_ROWS;
    });
  }

  /**
   * Reads what changed in a shared store since `mark`, and with `check` its key sums: whether
   * memory agrees with them, differs, or could not be compared for too long (`unsettled`).
   */
  async #readChanges(
    mark: ChangeMark,
    check: boolean,
  ): Promise<"agrees" | "differs" | "unsettled"> {
    let verdict: "agrees" | "differs" | "unsettled" = "agrees";
    await this.#reading(async (live) => {
      const rowWrites = this.#rowWrites;
      const now = this.#now();
      const gone: ServerRecord[] = [];
      const skipped: SkippedAdapter[] = [];
      const result = await this.#store.readChanges!(mark, {
        node: (record) => live() && this.#state.putNode(record, now),
        serversOn: (nodeName, servers) => {
          if (!live()) return;
          for (const server of this.#state.serversOn(nodeName)) {
            const kept = servers.some((s) =>
              s.server === server.server && s.application === server.application
            );
            if (!kept) gone.push(server);
          }
          for (const server of servers) skipped.push(...this.#state.putServer(server));
        },
      }, { sums: check });
      for (const server of gone) this.#state.removeServer(server);
      this.#report(skipped);
      this.#mark = result.mark;
      if (!result.sums) return;
      // A write that added or removed a row during the read makes the comparison moot: the
      // next reload compares again, and reads the whole store when that went on for half a
      // check interval more, so a deletion shows within about twice the interval however busy.
      if (rowWrites !== this.#rowWrites) {
        const waited = result.takenAt - this.#lastAgreed;
        if (waited >= this.#keySumInterval * 1.5) verdict = "unsettled";
        return;
      }
      if (sameSums(addSums(this.#state.keySums(), this.#unread), result.sums)) {
        this.#lastAgreed = result.takenAt;
      } else {
        verdict = "differs";
      }
    });
    return verdict;
  }

  /**
   * Runs a read of the store; the writes applied meanwhile are applied again after it, whether
   * it succeeded or not (what it read may be older than they). What a store hands over once the
   * read has settled (a read given up at its deadline goes on) is dropped: `live()` says false.
   */
  async #reading(read: (live: () => boolean) => Promise<void>): Promise<void> {
    if (this.#replay) return;
    const replay: ((state: RegistryState) => void)[] = this.#replay = [];
    let settled = false;
    try {
      await read(() => !settled);
    } finally {
      settled = true;
      this.#replay = undefined;
      for (const write of replay) write(this.#state);
    }
  }

  #report(skipped: readonly SkippedAdapter[]): void {
    for (const s of skipped) {
      this.#log(
        `Skipping ${s.servant} of ${s.application}.${s.server} on ${s.nodeName}: ${s.reason}`,
      );
    }
  }

  #apply(write: (state: RegistryState) => void): void {
    write(this.#state);
    this.#replay?.push(write);
  }
}
