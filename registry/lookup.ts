/**
 * The lookups: which endpoints of an object are answered active and which inactive, from the
 * {@linkcode RegistryState} in memory. The hot path of the registry: an object's answer is built
 * once and kept, frozen, until something it depends on changes or an active endpoint outlives its
 * heartbeat.
 *
 * @module
 */
import type { EndpointFInput } from "../protocol/interfaces/endpoint_f.ts";
import { NO_GROUP } from "./group_rules.ts";
import { NOT_FOUND, routeByGroup, routeByStation } from "./group_routing.ts";
import type { CachedAnswer, IndexedAdapter, RegistryState } from "./registry_state.ts";
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
  /**
   * A node whose heartbeat is older than this (ms) counts as dead: its endpoints are inactive.
   * Infinity while self-preservation holds (registry/self_preservation.ts).
   */
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
    if (isActive(state, a, options)) activeEp.push(a.activeEndpointF);
    else inactiveEp.push(a.endpointF);
  }
  return { ret: 0, activeEp, inactiveEp };
}

/**
 * Every endpoint of an object, split into active and inactive, as `findObjectById` and
 * `findObjectById4Any` answer it (and the group lookups for a caller in no group); standby
 * servers (`bak_flag` 1) are never answered; an unknown object gives empty lists.
 *
 * The answer is built once and kept, frozen, until something it depends on changes (the state
 * drops it) or an endpoint it answers as active outlives its node's heartbeat: its lists are then
 * encoded once too (protocol/codec/writer.ts), so a lookup of an object of 1,000 endpoints costs
 * as little as one of 3.
 */
export function findAll(state: RegistryState, id: string, options: LookupOptions): LookupAnswer {
  return currentAnswer(state, id, options).answer;
}

function currentAnswer(state: RegistryState, id: string, options: LookupOptions): CachedAnswer {
  const cached = state.cachedAnswer(id);
  if (cached && options.now <= cached.validUntil) return cached;
  const activeEp: EndpointFInput[] = [];
  const inactiveEp: EndpointFInput[] = [];
  let validUntil = Infinity;
  for (const a of state.adaptersOf(id)) {
    if (a.server.bakFlag === 1) continue;
    const until = activeUntil(state, a.server, options);
    if (until === undefined) {
      inactiveEp.push(a.endpointF);
    } else {
      activeEp.push(a.activeEndpointF);
      if (until < validUntil) validUntil = until;
    }
  }
  const answer: LookupAnswer = Object.freeze({
    ret: 0,
    activeEp: Object.freeze(activeEp),
    inactiveEp: Object.freeze(inactiveEp),
  });
  const current = { answer, validUntil, routed: new Map<string, LookupAnswer>() };
  state.cacheAnswer(id, current);
  return current;
}

/** The answer `route` makes of the object's current one, kept beside it under `key`. */
function routedAnswer(
  current: CachedAnswer,
  key: string,
  route: (all: LookupAnswer) => LookupAnswer,
): LookupAnswer {
  const kept = current.routed.get(key);
  if (kept) return kept;
  const answer = route(current.answer);
  current.routed.set(key, answer);
  return answer;
}

/**
 * `findObjectById4All` and `findObjectByIdInSameGroup`, as the C++ registry answers them: by the
 * IDC group of the caller at `caller` (registry/group_routing.ts, `routeByGroup`). A caller in
 * no group, or a registry without group rules, gets {@linkcode findAll}'s answer at its cost.
 */
export function findByGroup(
  state: RegistryState,
  id: string,
  caller: string,
  options: LookupOptions,
): LookupAnswer {
  const group = state.callerGroup(caller);
  const current = currentAnswer(state, id, options);
  if (group === NO_GROUP) return current.answer;
  const priorities = state.groupRules.priorities;
  return routedAnswer(current, `group ${group}`, (all) => routeByGroup(all, group, priorities));
}

/**
 * `findObjectByIdInSameStation`: the endpoints whose real group is one of the station's first
 * priority entry; -1 with empty lists for a station no entry names.
 */
export function findInStation(
  state: RegistryState,
  id: string,
  station: string,
  options: LookupOptions,
): LookupAnswer {
  const entry = state.groupRules.station(station);
  if (entry === undefined) return NOT_FOUND;
  return routedAnswer(
    currentAnswer(state, id, options),
    `station ${station}`,
    (all) => routeByStation(all, entry),
  );
}

/** Whether a server is in a set lookups route by: named, and no `*` as its name or area. */
function inValidSet(s: ServerRecord): boolean {
  return s.setId !== "" && s.setName !== "*" && s.setArea !== "*" && s.setGroup !== "";
}

/**
 * `findObjectByIdInSameSet`, as the C++ registry answers it (QueryImp.cpp and DbHandle.cpp
 * `findObjectByIdInSameSet`). The set id is `name.area.group` (empty parts dropped first, as the
 * C++ registry splits it); another number of parts, or `*` as name or area, is -1. When no set
 * server of the object has that set name, the answer is {@linkcode findByGroup}'s for the caller.
 * Otherwise: with group `*`, the set servers of `name.area`; else those of exactly that set, or
 * when there are none (active or not), those of `name.area.*`; none at all is -1.
 */
export function findInSet(
  state: RegistryState,
  id: string,
  setId: string,
  options: LookupOptions & { caller: string },
): LookupAnswer {
  const parts = setId.split(".").filter((part) => part !== "");
  if (parts.length !== 3 || parts[0] === "*" || parts[1] === "*") return NOT_FOUND;
  const [name, area, group] = parts;
  const inSetName = [...state.adaptersOf(id)].filter((a) =>
    a.server.bakFlag !== 1 && inValidSet(a.server) && a.server.setName === name
  );
  if (inSetName.length === 0) return findByGroup(state, id, options.caller, options);
  const inArea = inSetName.filter((a) => a.server.setArea === area);
  let chosen: IndexedAdapter[];
  if (group === "*") {
    chosen = inArea;
  } else {
    chosen = inArea.filter((a) => a.server.setGroup === group);
    if (chosen.length === 0) chosen = inArea.filter((a) => a.server.setGroup === "*");
  }
  if (chosen.length === 0) return NOT_FOUND;
  return split(state, chosen, options);
}
