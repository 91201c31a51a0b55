/**
 * The registry's memory: nodes, servers, the index from object name to adapters that lookups
 * read, the node objects, and the answers lookups built, each dropped when something it depends
 * on changes. Writes apply here once the store acknowledged them; reads of the store stream in
 * through {@linkcode RegistryState.sweep} (a full read) and
 * {@linkcode RegistryState.replaceServers} (a node's servers).
 *
 * @module
 */
import { type Endpoint, parseEndpoint, parseObjectRef } from "../protocol/endpoint.ts";
import { NODE_OBJ } from "../protocol/interfaces/node_f.ts";
import { asActive, type EndpointFInput, toEndpointF } from "../protocol/interfaces/endpoint_f.ts";
import { GroupRules, NO_GROUP, serverGroups } from "./group_rules.ts";
import type { LookupAnswer } from "./lookup.ts";
import { KeySumBuilder, type KeySums } from "./store/key_sums.ts";
import type {
  AdapterRow,
  FlowRows,
  KeepAliveRows,
  MetricsRow,
  NodeRecord,
  ServerKey,
  ServerRecord,
  ServerTarget,
  SettingState,
  StartupRows,
} from "./store/mod.ts";

/** An adapter ready for lookups: its server and the answer for it, built once. */
export interface IndexedAdapter {
  readonly server: ServerRecord;
  /** What an inactive list answers for it, built once (frozen: answers share it). */
  readonly endpointF: Readonly<EndpointFInput>;
  /** What an active list answers for it (the same object but for a dynamic weight type). */
  readonly activeEndpointF: Readonly<EndpointFInput>;
}

/** A node's own object (`tars.tarsnode.NodeObj`, served by the pod's supervisor), ready for lookups. */
export interface IndexedNodeObject {
  readonly nodeName: string;
  /** `tars.tarsnode.NodeObj@tcp -h IP -p PORT -t 60000`, as `t_node_info.node_obj` holds it. */
  readonly objectName: string;
  readonly endpoint: Endpoint;
  /** What lookups answer for it, built once (frozen: answers share it). */
  readonly endpointF: Readonly<EndpointFInput>;
}

/**
 * The node object a `node_obj` value names, or undefined when it names none: the K8STARS
 * placeholder (port 0), another object, or text that does not parse.
 */
export function nodeObjectOf(nodeName: string, nodeObj: string): IndexedNodeObject | undefined {
  let ref;
  try {
    ref = parseObjectRef(nodeObj);
  } catch {
    return undefined;
  }
  const endpoint = ref.endpoints[0];
  if (ref.name !== NODE_OBJ || !endpoint || endpoint.port === 0 || endpoint.transport !== "tcp") {
    return undefined;
  }
  const endpointF = Object.freeze(
    toEndpointF(endpoint, { setId: "", nodeName, realGroup: NO_GROUP, workGroup: NO_GROUP }),
  );
  return { nodeName, objectName: nodeObj, endpoint, endpointF };
}

/** Where a registered endpoint string could not be parsed (skipped in lookups). */
export interface SkippedAdapter {
  readonly application: string;
  readonly server: string;
  readonly nodeName: string;
  readonly servant: string;
  readonly reason: string;
}

/** An object's answer as lookups last built it, and until when it holds. */
export interface CachedAnswer {
  readonly answer: LookupAnswer;
  /** Epoch ms after which an endpoint it answers as active has outlived its heartbeat. */
  readonly validUntil: number;
  /**
   * The answers made of it for one group of callers or one station (registry/group_routing.ts),
   * by a key of the lookup's making; dropped with it. Only configured groups and stations are
   * kept, so this stays as small as the group tables.
   */
  readonly routed: Map<string, LookupAnswer>;
}

/** Adapters in the order the stores read them back: by name, comparing code units. */
function byAdapterName(a: AdapterRow, b: AdapterRow): number {
  return a.adapterName < b.adapterName ? -1 : a.adapterName > b.adapterName ? 1 : 0;
}

/** Whether two server records say the same (their adapters too). */
function sameServer(a: ServerRecord, b: ServerRecord): boolean {
  return a.application === b.application && a.server === b.server &&
    a.nodeName === b.nodeName && a.settingState === b.settingState &&
    a.presentState === b.presentState && a.flowEnabled === b.flowEnabled &&
    a.setId === b.setId && a.setName === b.setName && a.setArea === b.setArea &&
    a.setGroup === b.setGroup && a.version === b.version && a.processId === b.processId &&
    a.serverType === b.serverType && a.metricsPort === b.metricsPort &&
    a.groupName === b.groupName && a.groupEnabled === b.groupEnabled && a.bakFlag === b.bakFlag &&
    a.adapters.length === b.adapters.length &&
    a.adapters.every((x, i) => sameAdapter(x, b.adapters[i]));
}

function sameAdapter(a: AdapterRow, b: AdapterRow): boolean {
  return a.adapterName === b.adapterName && a.servant === b.servant &&
    a.endpoint === b.endpoint && a.protocol === b.protocol && a.threadNum === b.threadNum &&
    a.maxConns === b.maxConns && a.queueCap === b.queueCap && a.queueTimeout === b.queueTimeout;
}

/** A full read of the store streaming into the state: what it did not see goes at the end. */
export interface Sweep {
  /** A node as the store has it. */
  node(record: NodeRecord): void;
  /** A server as the store has it (kept as it is when unchanged). */
  server(record: ServerRecord): void;
  /** Removes the servers and nodes the read did not see; returns what it skipped. */
  finish(): SkippedAdapter[];
}

/**
 * The registry's view in memory: nodes, servers, an index from object name to adapters, and the
 * answers lookups built, kept until something they depend on changes. Lookups read it; writes
 * change it only after the store acknowledged them.
 */
export class RegistryState {
  readonly #nodes = new Map<string, NodeRecord>();
  /** Servers by node: a node has few, so a server is found by its node, without a key string. */
  readonly #byNode = new Map<string, ServerRecord[]>();
  #serverCount = 0;
  readonly #byObject = new Map<string, Map<ServerRecord, IndexedAdapter>>();
  readonly #answers = new Map<string, CachedAnswer>();
  readonly #nodeObjects = new Map<string, IndexedNodeObject>();
  /** The work group of each node that runs a server registered with a group (`TARS_GROUP`). */
  readonly #nodeGroups = new Map<string, number>();
  #groupRules = GroupRules.NONE;
  readonly #nodeTimeout: number;
  #sums: { nodes: KeySumBuilder; servers: KeySumBuilder; adapters: KeySumBuilder } | undefined;

  /** `nodeTimeout`: heartbeat age (ms) after which a node's endpoints are inactive. */
  constructor(options: { nodeTimeout: number }) {
    this.#nodeTimeout = options.nodeTimeout;
  }

  /** Nodes by name. */
  get nodes(): ReadonlyMap<string, Readonly<NodeRecord>> {
    return this.#nodes;
  }

  /** How many servers there are. */
  get serverCount(): number {
    return this.#serverCount;
  }

  /** Every server, node by node. */
  *allServers(): Iterable<Readonly<ServerRecord>> {
    for (const list of this.#byNode.values()) yield* list;
  }

  /** A server by its names. */
  server(key: ServerKey): Readonly<ServerRecord> | undefined {
    return this.#find(key.application, key.server, key.nodeName);
  }

  /** Adapters serving an object. */
  adaptersOf(objectName: string): Iterable<IndexedAdapter> {
    return this.#byObject.get(objectName)?.values() ?? [];
  }

  /** The node objects of the nodes that serve one. */
  nodeObjects(): Iterable<IndexedNodeObject> {
    return this.#nodeObjects.values();
  }

  /** The node object of `nodeName`, when the node is known and serves one. */
  nodeObject(nodeName: string): IndexedNodeObject | undefined {
    return this.#nodeObjects.get(nodeName);
  }

  /** Every indexed adapter. */
  *allAdapters(): Iterable<IndexedAdapter> {
    for (const index of this.#byObject.values()) yield* index.values();
  }

  /** The servers on a node. */
  serversOn(nodeName: string): readonly ServerRecord[] {
    return this.#byNode.get(nodeName) ?? [];
  }

  /** The answer lookups built for an object, while nothing it depends on changed. */
  cachedAnswer(objectName: string): CachedAnswer | undefined {
    return this.#answers.get(objectName);
  }

  /** Drops every answer lookups built (the rule they were built by changed). */
  forgetAnswers(): void {
    this.#answers.clear();
  }

  /** Keeps an object's answer (only for an object that has adapters: the cache stays bounded). */
  cacheAnswer(objectName: string, cached: CachedAnswer): void {
    if (this.#byObject.has(objectName)) this.#answers.set(objectName, cached);
  }

  /** The IDC group rules and priorities in force. */
  get groupRules(): GroupRules {
    return this.#groupRules;
  }

  /**
   * Puts the group rules a read of the store gave in force: when they differ from those in force,
   * every endpoint's groups are worked out again and every answer is built anew.
   */
  setGroupRules(rules: GroupRules): void {
    if (rules === this.#groupRules || rules.sameAs(this.#groupRules)) return;
    this.#groupRules = rules;
    this.#answers.clear();
    for (const list of this.#byNode.values()) {
      for (const server of list) this.#index(server);
    }
    this.#nodeGroups.clear();
    for (const nodeName of this.#byNode.keys()) this.#groupNode(nodeName);
  }

  /**
   * The group of a caller at `address`: the group rules' (an exact rule, then its `a.b.c.*`
   * rule), else the group of the pod at that address when it registered with one; -1 for none.
   */
  callerGroup(address: string): number {
    if (this.#groupRules.isEmpty) return NO_GROUP;
    const group = this.#groupRules.groupOfAddress(address);
    if (group !== NO_GROUP || this.#nodeGroups.size === 0) return group;
    return this.#nodeGroups.get(address) ?? NO_GROUP;
  }

  /**
   * Applies an acknowledged `onStartup`: a known server keeps its setting state and its traffic
   * switch (unless the pod turns traffic off), and its type and pid when the request sent none, as
   * in the store.
   */
  applyStartup(rows: StartupRows, now: number): void {
    this.#heartbeat(rows.nodeName, now, rows.nodeObj);
    if (!rows.server) return;
    const s = rows.server;
    const before = this.#find(s.application, s.server, rows.nodeName);
    this.#put({
      application: s.application,
      server: s.server,
      nodeName: rows.nodeName,
      settingState: before?.settingState ?? "active",
      presentState: s.presentState,
      // The console's switch outlives a re-registration, unless the pod turns traffic off.
      flowEnabled: s.flowState === "active" && (before?.flowEnabled ?? true),
      setId: s.enableSet === "Y" ? `${s.setName}.${s.setArea}.${s.setGroup}` : "",
      setName: s.setName,
      setArea: s.setArea,
      setGroup: s.setGroup,
      version: s.version,
      processId: s.processId ?? before?.processId ?? 0,
      serverType: s.serverType ?? before?.serverType ?? "tars_cpp",
      metricsPort: before?.metricsPort ?? 0,
      // A pod that names no group keeps what the store has (the console may have set it).
      groupName: s.groupName ?? before?.groupName ?? "",
      groupEnabled: s.groupName !== null || (before?.groupEnabled ?? false),
      bakFlag: before?.bakFlag ?? 0,
      adapters: [...s.adapters].sort(byAdapterName),
    });
  }

  /** Applies an acknowledged `keepAlive`. */
  applyKeepAlive(rows: KeepAliveRows, now: number): void {
    const node = this.#nodes.get(rows.nodeName);
    if (node) {
      this.#setHeartbeat(node, now, now);
      node.presentState = "active";
    }
    for (const server of this.#serversOf(rows)) {
      this.#setPresentState(server, rows.presentState);
      if (rows.processId !== null) server.processId = rows.processId;
    }
  }

  /**
   * Applies an acknowledged `onPrestop`: the server, or everything on the node; the node goes
   * with its last server.
   */
  applyPrestop(target: ServerTarget): void {
    for (const server of [...this.#serversOf(target)]) this.#remove(server);
    if (!this.#byNode.has(target.nodeName)) this.#deleteNode(target.nodeName);
  }

  /** Applies a node check: the nodes and their servers inactive, the servers' pids 0. */
  applyExpired(nodeNames: readonly string[]): void {
    for (const nodeName of nodeNames) {
      const node = this.#nodes.get(nodeName);
      if (node) node.presentState = "inactive";
      for (const server of this.serversOn(nodeName)) {
        this.#setPresentState(server, "inactive");
        server.processId = 0;
      }
    }
  }

  /** Applies an acknowledged `registerMetrics`. */
  applyMetrics(row: MetricsRow): void {
    const server = this.#find(row.application, row.server, row.nodeName);
    if (server) server.metricsPort = row.metricsPort;
  }

  /** Applies an acknowledged setting state (an operator's start or stop). */
  applySettingState(key: ServerKey, state: SettingState): void {
    const server = this.#find(key.application, key.server, key.nodeName);
    if (!server || server.settingState === state) return;
    server.settingState = state;
    this.#forgetServer(server);
  }

  /** Applies an acknowledged traffic switch. */
  applyFlow(rows: FlowRows): void {
    for (const nodeName of rows.nodeNames) {
      const server = this.#find(rows.application, rows.server, nodeName);
      if (!server || server.flowEnabled === rows.active) continue;
      server.flowEnabled = rows.active;
      this.#forgetServer(server);
    }
  }

  /** Removes what a `clean` removed. */
  applyClean(nodeNames: readonly string[]): void {
    for (const nodeName of nodeNames) {
      this.applyPrestop({ nodeName, application: null, server: null });
    }
  }

  /**
   * A node as a store read has it (`now`: the clock when it was read); a new one is kept as given.
   * Its heartbeat is taken as read, even when older than the one in memory: a reload replays the
   * writes made meanwhile.
   */
  putNode(record: NodeRecord, now: number): void {
    const node = this.#nodes.get(record.nodeName);
    if (!node) {
      this.#addNode(record);
      this.#forgetNode(record.nodeName);
      return;
    }
    this.#setHeartbeat(node, record.lastHeartbeat, now);
    node.presentState = record.presentState;
    this.#setNodeObj(node, record.nodeObj);
  }

  /** Removes a node (its servers stay, inactive without it). */
  removeNode(nodeName: string): void {
    if (this.#deleteNode(nodeName)) this.#forgetNode(nodeName);
  }

  /**
   * Makes `servers` the servers of `nodeName` (each on that node), as a store read has them: one
   * that says the same as the one in memory leaves it as it is (its index and answers too), and a
   * server of the node that `servers` lacks is removed. Both reads of the store go through it: a
   * change read for each node it reads, a full read ({@linkcode sweep}) when it ends. Returns the
   * adapters whose endpoints do not parse.
   */
  replaceServers(nodeName: string, servers: readonly ServerRecord[]): SkippedAdapter[] {
    const kept: ServerRecord[] = [];
    const skipped: SkippedAdapter[] = [];
    for (const record of servers) {
      const put = this.#putIfChanged(record);
      kept.push(put.kept);
      if (put.skipped.length > 0) skipped.push(...put.skipped);
    }
    for (const server of [...this.serversOn(nodeName)]) {
      if (!kept.includes(server)) this.#remove(server);
    }
    return skipped;
  }

  #putIfChanged(record: ServerRecord): { kept: ServerRecord; skipped: SkippedAdapter[] } {
    const before = this.#find(record.application, record.server, record.nodeName);
    if (before && (before === record || sameServer(before, record))) {
      return { kept: before, skipped: [] };
    }
    return { kept: record, skipped: this.#put(record) };
  }

  /**
   * Starts a full read of the store into this state: what the read gives replaces what is here as
   * it streams in, and what it does not give is removed by {@linkcode Sweep.finish}, node by node
   * through {@linkcode replaceServers}. Into an empty state (the
   * first load) nothing is tracked: there is nothing to remove.
   */
  sweep(now: number): Sweep {
    const tracking = this.#serverCount > 0 || this.#nodes.size > 0;
    const seenServers = new Set<ServerRecord>();
    const seenNodes = new Set<string>();
    const skipped: SkippedAdapter[] = [];
    return {
      node: (record) => {
        if (!tracking) {
          this.#addNode(record);
          return;
        }
        seenNodes.add(record.nodeName);
        this.putNode(record, now);
      },
      server: (record) => {
        if (!tracking) {
          const put = this.#put(record);
          if (put.length > 0) skipped.push(...put);
          return;
        }
        const put = this.#putIfChanged(record);
        seenServers.add(put.kept);
        if (put.skipped.length > 0) skipped.push(...put.skipped);
      },
      finish: () => {
        if (!tracking) return skipped;
        // A node keeps what the read gave of it (put already, so kept as it is). Only its own
        // entry can go while the map is iterated, which iteration allows.
        for (const [nodeName, servers] of this.#byNode) {
          if (servers.every((s) => seenServers.has(s))) continue;
          this.replaceServers(nodeName, servers.filter((s) => seenServers.has(s)));
        }
        for (const nodeName of [...this.#nodes.keys()]) {
          if (!seenNodes.has(nodeName)) this.removeNode(nodeName);
        }
        return skipped;
      },
    };
  }

  /**
   * Row counts and key checksums of what is here, as a shared store computes its own: computed
   * at the first call, then kept up to date by every change (a store this process alone writes
   * never asks, and pays nothing).
   */
  keySums(): KeySums {
    if (!this.#sums) {
      const sums = this.#sums = {
        nodes: new KeySumBuilder(),
        servers: new KeySumBuilder(),
        adapters: new KeySumBuilder(),
      };
      for (const nodeName of this.#nodes.keys()) sums.nodes.add(1, nodeName);
      for (const s of this.allServers()) this.#count(s, 1);
    }
    return {
      nodes: this.#sums.nodes.sum,
      servers: this.#sums.servers.sum,
      adapters: this.#sums.adapters.sum,
    };
  }

  /** Adds (1) or takes out (-1) a server and its adapters from the key sums, when kept. */
  #count(s: ServerRecord, sign: 1 | -1): void {
    const sums = this.#sums;
    if (!sums) return;
    sums.servers.add(sign, s.application, s.server, s.nodeName);
    for (const a of s.adapters) {
      sums.adapters.add(sign, s.application, s.server, s.nodeName, a.adapterName);
    }
  }

  #addNode(record: NodeRecord): void {
    if (this.#nodes.has(record.nodeName)) this.#sums?.nodes.add(-1, record.nodeName);
    this.#nodes.set(record.nodeName, record);
    this.#sums?.nodes.add(1, record.nodeName);
    this.#indexNodeObject(record);
  }

  #deleteNode(nodeName: string): boolean {
    if (!this.#nodes.delete(nodeName)) return false;
    this.#sums?.nodes.add(-1, nodeName);
    this.#nodeObjects.delete(nodeName);
    return true;
  }

  /** A node's `node_obj` as written now: its node object indexed again when it changed. */
  #setNodeObj(node: NodeRecord, nodeObj: string): void {
    if (node.nodeObj === nodeObj) return;
    node.nodeObj = nodeObj;
    this.#indexNodeObject(node);
  }

  #indexNodeObject(node: NodeRecord): void {
    const object = nodeObjectOf(node.nodeName, node.nodeObj);
    if (object) this.#nodeObjects.set(node.nodeName, object);
    else this.#nodeObjects.delete(node.nodeName);
  }

  *#serversOf(target: ServerTarget): Generator<ServerRecord> {
    if (target.application !== null && target.server !== null) {
      const one = this.#find(target.application, target.server, target.nodeName);
      if (one) yield one;
      return;
    }
    yield* this.serversOn(target.nodeName);
  }

  /** A registration now: the node, created when missing, active, with its node object. */
  #heartbeat(nodeName: string, now: number, nodeObj: string): void {
    const node = this.#nodes.get(nodeName);
    if (node) {
      this.#setHeartbeat(node, now, now);
      node.presentState = "active";
      this.#setNodeObj(node, nodeObj);
    } else {
      this.#addNode({ nodeName, presentState: "active", lastHeartbeat: now, nodeObj });
      this.#forgetNode(nodeName);
    }
  }

  /**
   * Sets a node's heartbeat. The answers of its objects hold on while it only moves forward on a
   * node that was alive; they are built again when it moves back or revives a node past the
   * timeout (whose endpoints they answer as inactive).
   */
  #setHeartbeat(node: NodeRecord, lastHeartbeat: number, now: number): void {
    const revived = now - node.lastHeartbeat > this.#nodeTimeout;
    if (lastHeartbeat < node.lastHeartbeat || revived) this.#forgetNode(node.nodeName);
    node.lastHeartbeat = lastHeartbeat;
  }

  #setPresentState(server: ServerRecord, state: ServerRecord["presentState"]): void {
    if (server.presentState === state) return;
    server.presentState = state;
    this.#forgetServer(server);
  }

  /** Drops the answers of every object served on the node. */
  #forgetNode(nodeName: string): void {
    for (const server of this.serversOn(nodeName)) this.#forgetServer(server);
  }

  /** Drops the answers of the server's objects. */
  #forgetServer(server: ServerRecord): void {
    if (this.#answers.size === 0) return;
    for (const adapter of server.adapters) this.#answers.delete(adapter.servant);
  }

  #find(application: string, server: string, nodeName: string): ServerRecord | undefined {
    const list = this.#byNode.get(nodeName);
    if (!list) return undefined;
    for (const s of list) {
      if (s.server === server && s.application === application) return s;
    }
    return undefined;
  }

  /** Puts a server in place of the one of the same names, and indexes its adapters. */
  #put(server: ServerRecord): SkippedAdapter[] {
    const list = this.#byNode.get(server.nodeName);
    if (!list) {
      this.#byNode.set(server.nodeName, [server]);
      this.#serverCount++;
    } else {
      const at = list.findIndex((s) =>
        s.server === server.server && s.application === server.application
      );
      if (at < 0) {
        list.push(server);
        this.#serverCount++;
      } else {
        this.#unindex(list[at]);
        this.#count(list[at], -1);
        list[at] = server;
      }
    }
    this.#count(server, 1);
    const skipped = this.#index(server);
    this.#groupNode(server.nodeName);
    return skipped;
  }

  /**
   * Indexes a server's adapters (again) under their objects, each with its answer built with the
   * group rules in force, and drops the answers of those objects. Returns the adapters whose
   * endpoints do not parse, which lookups cannot answer.
   */
  #index(server: ServerRecord): SkippedAdapter[] {
    this.#forgetServer(server);
    const skipped: SkippedAdapter[] = [];
    for (const adapter of server.adapters) {
      let endpointF: Readonly<EndpointFInput>;
      try {
        const endpoint = parseEndpoint(adapter.endpoint);
        const groups = serverGroups(this.#groupRules, {
          host: endpoint.host,
          groupName: server.groupName,
          groupEnabled: server.groupEnabled,
        });
        endpointF = Object.freeze(toEndpointF(endpoint, {
          setId: server.setId,
          nodeName: server.nodeName,
          realGroup: groups.realId,
          workGroup: groups.workId,
        }));
      } catch (error) {
        skipped.push({
          application: server.application,
          server: server.server,
          nodeName: server.nodeName,
          servant: adapter.servant,
          reason: (error as Error).message,
        });
        continue;
      }
      let index = this.#byObject.get(adapter.servant);
      if (!index) this.#byObject.set(adapter.servant, index = new Map());
      index.set(server, { server, endpointF, activeEndpointF: asActive(endpointF) });
    }
    return skipped;
  }

  /** Keeps the work group of the node's first server registered with a group, if any. */
  #groupNode(nodeName: string): void {
    for (const server of this.serversOn(nodeName)) {
      if (!server.groupEnabled || server.groupName.trim() === "") continue;
      const group = this.#groupRules.groupNamed(server.groupName.trim());
      if (group === NO_GROUP) continue;
      this.#nodeGroups.set(nodeName, group);
      return;
    }
    this.#nodeGroups.delete(nodeName);
  }

  #remove(server: ServerRecord): void {
    const list = this.#byNode.get(server.nodeName);
    const at = list ? list.indexOf(server) : -1;
    if (at < 0) return;
    list!.splice(at, 1);
    if (list!.length === 0) this.#byNode.delete(server.nodeName);
    this.#serverCount--;
    this.#count(server, -1);
    this.#unindex(server);
    this.#groupNode(server.nodeName);
  }

  /** Drops a server's adapters from the index (and the answers of its objects). */
  #unindex(server: ServerRecord): void {
    this.#forgetServer(server);
    for (const adapter of server.adapters) {
      const index = this.#byObject.get(adapter.servant);
      if (index?.delete(server) && index.size === 0) this.#byObject.delete(adapter.servant);
    }
  }
}
