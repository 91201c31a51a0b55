import { type Endpoint, parseEndpoint, parseObjectRef } from "../protocol/endpoint.ts";
import { NODE_OBJ } from "../protocol/interfaces/node_f.ts";
import { type EndpointFInput, toEndpointF } from "../protocol/interfaces/endpoint_f.ts";
import type {
  FlowRows,
  KeepAliveRows,
  MetricsRow,
  NodeRecord,
  ServerKey,
  ServerRecord,
  ServerTarget,
  SettingState,
  StartupRows,
  StoreSnapshot,
} from "./store/mod.ts";

/** An adapter with its endpoint parsed once, ready for lookups. */
export interface IndexedAdapter {
  readonly server: ServerRecord;
  readonly servant: string;
  readonly endpoint: Endpoint;
  /** What lookups answer for it, built once (frozen: answers share it). */
  readonly endpointF: Readonly<EndpointFInput>;
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
  const endpointF = Object.freeze(toEndpointF(endpoint, { setId: "" }));
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

function serverKey(application: string, server: string, nodeName: string): string {
  return `${application}\u0000${server}\u0000${nodeName}`;
}

/**
 * The registry's view in memory: nodes, servers and an index from object name to adapters.
 * Lookups read it; writes change it only after the store acknowledged them.
 */
export class RegistryState {
  readonly nodes = new Map<string, NodeRecord>();
  readonly servers = new Map<string, ServerRecord>();
  readonly #byObject = new Map<string, Map<string, IndexedAdapter>>();
  readonly #nodeObjects = new Map<string, IndexedNodeObject>();

  /** Builds the state from a store snapshot; unparseable endpoints are reported and skipped. */
  static fromSnapshot(
    snapshot: StoreSnapshot,
  ): { state: RegistryState; skipped: SkippedAdapter[] } {
    const state = new RegistryState();
    const skipped: SkippedAdapter[] = [];
    for (const node of snapshot.nodes) state.#putNode({ ...node });
    for (const server of snapshot.servers) skipped.push(...state.#putServer({ ...server }));
    return { state, skipped };
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

  /**
   * Applies an acknowledged `onStartup`: a known server keeps its setting state and its traffic
   * switch (unless the pod turns traffic off), and its type and pid when the request sent none, as
   * in the store.
   */
  applyStartup(rows: StartupRows, now: number): void {
    this.#putNode({
      nodeName: rows.nodeName,
      presentState: "active",
      lastHeartbeat: now,
      nodeObj: rows.nodeObj,
    });
    if (!rows.server) return;
    const s = rows.server;
    const key = serverKey(s.application, s.server, rows.nodeName);
    const before = this.servers.get(key);
    this.#putServer({
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
      adapters: [...s.adapters].sort((a, b) => a.adapterName.localeCompare(b.adapterName)),
    });
  }

  /** Applies an acknowledged `keepAlive`. */
  applyKeepAlive(rows: KeepAliveRows, now: number): void {
    const node = this.nodes.get(rows.nodeName);
    if (node) {
      node.lastHeartbeat = now;
      node.presentState = "active";
    }
    for (const server of this.#serversOf(rows)) {
      server.presentState = rows.presentState;
      if (rows.processId !== null) server.processId = rows.processId;
    }
  }

  /**
   * Applies an acknowledged `onPrestop`: the server, or everything on the node; the node goes
   * with its last server.
   */
  applyPrestop(target: ServerTarget): void {
    for (const server of [...this.#serversOf(target)]) this.#removeServer(server);
    const all = { nodeName: target.nodeName, application: null, server: null };
    if (this.#serversOf(all).next().done) {
      this.nodes.delete(target.nodeName);
      this.#nodeObjects.delete(target.nodeName);
    }
  }

  /** Applies a node check: the nodes and their servers inactive, the servers' pids 0. */
  applyExpired(nodeNames: readonly string[]): void {
    for (const nodeName of nodeNames) {
      const node = this.nodes.get(nodeName);
      if (node) node.presentState = "inactive";
      for (const server of this.#serversOf({ nodeName, application: null, server: null })) {
        server.presentState = "inactive";
        server.processId = 0;
      }
    }
  }

  /** Applies an acknowledged `registerMetrics`. */
  applyMetrics(row: MetricsRow): void {
    const server = this.servers.get(serverKey(row.application, row.server, row.nodeName));
    if (server) server.metricsPort = row.metricsPort;
  }

  /** Applies an acknowledged setting state (an operator's start or stop). */
  applySettingState(key: ServerKey, state: SettingState): void {
    const server = this.servers.get(serverKey(key.application, key.server, key.nodeName));
    if (server) server.settingState = state;
  }

  /** Applies an acknowledged traffic switch. */
  applyFlow(rows: FlowRows): void {
    for (const nodeName of rows.nodeNames) {
      const server = this.servers.get(serverKey(rows.application, rows.server, nodeName));
      if (server) server.flowEnabled = rows.active;
    }
  }

  /** The server of `key`, or undefined. */
  server(key: ServerKey): ServerRecord | undefined {
    return this.servers.get(serverKey(key.application, key.server, key.nodeName));
  }

  /** Removes what a `clean` removed. */
  applyClean(nodeNames: readonly string[]): void {
    for (const nodeName of nodeNames) {
      this.applyPrestop({ nodeName, application: null, server: null });
    }
  }

  *#serversOf(target: ServerTarget): Generator<ServerRecord> {
    if (target.application !== null && target.server !== null) {
      const one = this.servers.get(serverKey(target.application, target.server, target.nodeName));
      if (one) yield one;
      return;
    }
    for (const server of this.servers.values()) {
      if (server.nodeName === target.nodeName) yield server;
    }
  }

  #putNode(node: NodeRecord): void {
    this.nodes.set(node.nodeName, node);
    const object = nodeObjectOf(node.nodeName, node.nodeObj);
    if (object) this.#nodeObjects.set(node.nodeName, object);
    else this.#nodeObjects.delete(node.nodeName);
  }

  #putServer(server: ServerRecord): SkippedAdapter[] {
    const key = serverKey(server.application, server.server, server.nodeName);
    const before = this.servers.get(key);
    if (before) this.#removeServer(before);
    this.servers.set(key, server);
    const skipped: SkippedAdapter[] = [];
    for (const adapter of server.adapters) {
      let endpoint: Endpoint;
      try {
        endpoint = parseEndpoint(adapter.endpoint);
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
      const endpointF = Object.freeze(toEndpointF(endpoint, { setId: server.setId }));
      index.set(key, { server, servant: adapter.servant, endpoint, endpointF });
    }
    return skipped;
  }

  #removeServer(server: ServerRecord): void {
    const key = serverKey(server.application, server.server, server.nodeName);
    if (this.servers.get(key) !== server) return;
    this.servers.delete(key);
    for (const adapter of server.adapters) {
      const index = this.#byObject.get(adapter.servant);
      if (index?.delete(key) && index.size === 0) this.#byObject.delete(adapter.servant);
    }
  }
}
