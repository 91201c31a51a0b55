/**
 * The IDC group steps of a lookup, as the C++ tarsregistry takes them (TarsFramework
 * RegistryServer/DbHandle.cpp, `findObjectByIdInGroupPriority` and `findObjectByIdInSameStation`):
 * pure functions from an object's whole answer (every endpoint, split into active and inactive,
 * each `EndpointF` carrying its `groupworkid` and `grouprealid`) to the answer for one caller.
 *
 * @module
 */

import type { EndpointFInput } from "../protocol/interfaces/endpoint_f.ts";
import { type GroupPriority, NO_GROUP } from "./group_rules.ts";
import type { LookupAnswer } from "./lookup.ts";

type Endpoints = readonly Readonly<EndpointFInput>[];

/** The answer a lookup gives when it finds no such station or no set server: -1, empty lists. */
export const NOT_FOUND: LookupAnswer = Object.freeze({
  ret: -1,
  activeEp: Object.freeze([]),
  inactiveEp: Object.freeze([]),
});

function inWorkGroups(list: Endpoints, groups: ReadonlySet<number>): Readonly<EndpointFInput>[] {
  return list.filter((ep) => groups.has(ep.groupworkid ?? NO_GROUP));
}

function inRealGroups(list: Endpoints, groups: ReadonlySet<number>): Readonly<EndpointFInput>[] {
  return list.filter((ep) => groups.has(ep.grouprealid ?? NO_GROUP));
}

function frozenAnswer(activeEp: Endpoints, inactiveEp: Endpoints): LookupAnswer {
  return Object.freeze({
    ret: 0,
    activeEp: Object.freeze(activeEp),
    inactiveEp: Object.freeze(inactiveEp),
  });
}

/**
 * The answer of `findObjectById4All` and `findObjectByIdInSameGroup` for a caller in group
 * `callerGroup`. A caller in no group gets `all`. Otherwise the first of these steps that has an
 * active endpoint gives the answer, its inactive endpoints filtered alike: the endpoints whose
 * work group is the caller's; the groups of each priority entry that holds the caller's group,
 * in order; the endpoints in no work group; every endpoint. The answer is frozen (so the codec
 * encodes its lists once when it is kept).
 */
export function routeByGroup(
  all: LookupAnswer,
  callerGroup: number,
  priorities: readonly GroupPriority[],
): LookupAnswer {
  if (callerGroup === NO_GROUP) return all;
  const steps: ReadonlySet<number>[] = [new Set([callerGroup])];
  for (const entry of priorities) {
    if (entry.groups.has(callerGroup)) steps.push(entry.groups);
  }
  steps.push(new Set([NO_GROUP]));
  for (const groups of steps) {
    const activeEp = inWorkGroups(all.activeEp, groups);
    if (activeEp.length > 0) {
      return frozenAnswer(activeEp, inWorkGroups(all.inactiveEp, groups));
    }
  }
  return all;
}

/**
 * The answer of `findObjectByIdInSameStation`: the endpoints whose real group is one of the
 * station's (its first priority entry), active and inactive; -1 with empty lists when no entry
 * names the station.
 */
export function routeByStation(
  all: LookupAnswer,
  station: GroupPriority | undefined,
): LookupAnswer {
  if (station === undefined) return NOT_FOUND;
  return frozenAnswer(
    inRealGroups(all.activeEp, station.groups),
    inRealGroups(all.inactiveEp, station.groups),
  );
}
