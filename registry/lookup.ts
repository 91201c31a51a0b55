/**
 * The lookups: which endpoints of an object are answered active and which inactive, from the
 * {@linkcode RegistryState} in memory. The hot path of the registry: an object's answer is built
 * once and kept, frozen, until something it depends on changes or an active endpoint outlives its
 * heartbeat.
 *
 * @module
 */
import type { EndpointFInput } from "../protocol/interfaces/endpoint_f.ts";
import type { IndexedAdapter, RegistryState } from "./registry_state.ts";
import type { ServerRecord } from "./store/mod.ts";

/** Active and inactive endpoints of an object, with the QueryF return code. */
export interface LookupAnswer {
  readonly ret: number;
  readonly activeEp: readonly EndpointFInput[];
  readonly inactiveEp: readonly EndpointFInput[];
}

/** What decides whether an endpoint is active. */
export interface LookupOptions {
  /** Clock in epoch ms. */
  readonly now: number;
  /** A node whose heartbeat is older than this (ms) counts as dead: its endpoints are inactive. */
  readonly nodeTimeout: number;
}

/**
 * An endpoint is active when its server's setting and present states are active, its traffic is
 * on and its node sent a heartbeat within the node timeout.
 */
export function isActive(
  state: RegistryState,
  adapter: IndexedAdapter,
  options: LookupOptions,
): boolean {
  return isServerActive(state, adapter.server, options);
}

/**
 * Whether a node is alive: present state active (the node check has not expired it) and a
 * heartbeat within the node timeout. Its node object is answered as active then.
 */
export function isNodeActive(
  state: RegistryState,
  nodeName: string,
  options: LookupOptions,
): boolean {
  const node = state.nodes.get(nodeName);
  return node !== undefined && node.presentState === "active" &&
    options.now - node.lastHeartbeat <= options.nodeTimeout;
}

/**
 * The node objects (`tars.tarsnode.NodeObj`) of every node that serves one, split by whether the
 * node is alive ({@linkcode isNodeActive}). The C++ registry has no lookup of a node's own object:
 * its admin registry reads `t_node_info.node_obj`; here the pods' node objects are answered as
 * the endpoints of one object, a node's own by its host (the node's address).
 */
export function findNodeObjects(state: RegistryState, options: LookupOptions): LookupAnswer {
  const activeEp: EndpointFInput[] = [];
  const inactiveEp: EndpointFInput[] = [];
  for (const object of state.nodeObjects()) {
    (isNodeActive(state, object.nodeName, options) ? activeEp : inactiveEp).push(
      object.endpointF,
    );
  }
  return { ret: 0, activeEp, inactiveEp };
}

/** Whether the endpoints of a server are active (the rule of {@linkcode isActive}). */
export function isServerActive(
  state: RegistryState,
  s: ServerRecord,
  options: LookupOptions,
): boolean {
  return activeUntil(state, s, options) !== undefined;
}

/**
 * Until when (epoch ms) the server's endpoints stay active by the rule of
 * {@linkcode isActive} unless something changes; undefined when they are not active now.
 */
function activeUntil(
  state: RegistryState,
  s: ServerRecord,
  options: LookupOptions,
): number | undefined {
  if (s.settingState !== "active" || s.presentState !== "active" || !s.flowEnabled) return;
  const node = state.nodes.get(s.nodeName);
  if (node === undefined) return;
  const until = node.lastHeartbeat + options.nodeTimeout;
  return options.now <= until ? until : undefined;
}

function split(
  state: RegistryState,
  adapters: Iterable<IndexedAdapter>,
  options: LookupOptions,
): LookupAnswer {
  const activeEp: EndpointFInput[] = [];
  const inactiveEp: EndpointFInput[] = [];
  for (const a of adapters) {
    (isActive(state, a, options) ? activeEp : inactiveEp).push(a.endpointF);
  }
  return { ret: 0, activeEp, inactiveEp };
}

/**
 * Every endpoint of an object, split into active and inactive. Without IDC group rules the
 * group, station and "any" lookups all give this answer; an unknown object gives empty lists.
 *
 * The answer is built once and kept, frozen, until something it depends on changes (the state
 * drops it) or an endpoint it answers as active outlives its node's heartbeat: its lists are then
 * encoded once too (protocol/codec/writer.ts), so a lookup of an object of 1,000 endpoints costs
 * as little as one of 3.
 */
export function findAll(state: RegistryState, id: string, options: LookupOptions): LookupAnswer {
  const cached = state.cachedAnswer(id);
  if (cached && options.now <= cached.validUntil) return cached.answer;
  const activeEp: EndpointFInput[] = [];
  const inactiveEp: EndpointFInput[] = [];
  let validUntil = Infinity;
  for (const a of state.adaptersOf(id)) {
    const until = activeUntil(state, a.server, options);
    if (until === undefined) {
      inactiveEp.push(a.endpointF);
    } else {
      activeEp.push(a.endpointF);
      if (until < validUntil) validUntil = until;
    }
  }
  const answer: LookupAnswer = Object.freeze({
    ret: 0,
    activeEp: Object.freeze(activeEp),
    inactiveEp: Object.freeze(inactiveEp),
  });
  state.cacheAnswer(id, { answer, validUntil });
  return answer;
}

/**
 * Set routing as the TARS registry does it: the set id is `name.area.group`; group `*` takes
 * every group of `name.area`; otherwise the exact set first, then `name.area.*`. An object with
 * no server in set `name` falls back to {@link findAll}; a malformed set id, or a set with no
 * matching server, answers -1.
 */
export function findInSet(
  state: RegistryState,
  id: string,
  setId: string,
  options: LookupOptions,
): LookupAnswer {
  const parts = setId.split(".");
  if (parts.length !== 3 || parts[0] === "*" || parts[1] === "*" || parts.some((p) => p === "")) {
    return { ret: -1, activeEp: [], inactiveEp: [] };
  }
  const [name, area, group] = parts;
  const inSetName = [...state.adaptersOf(id)].filter((a) =>
    a.server.setId !== "" && a.server.setName === name
  );
  if (inSetName.length === 0) return findAll(state, id, options);
  const inArea = inSetName.filter((a) => a.server.setArea === area);
  let chosen: IndexedAdapter[];
  if (group === "*") {
    chosen = inArea;
  } else {
    chosen = inArea.filter((a) => a.server.setGroup === group);
    if (chosen.length === 0) chosen = inArea.filter((a) => a.server.setGroup === "*");
  }
  if (chosen.length === 0) return { ret: -1, activeEp: [], inactiveEp: [] };
  return split(state, chosen, options);
}
