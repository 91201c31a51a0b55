/**
 * IDC groups as the TARS framework configures them: `t_server_group_rule` names the groups and
 * the addresses in each, `t_group_priority` lists groups that stand in for each other (in
 * `list_order`) and the groups of a station. Read as the C++ tarsregistry reads them
 * (TarsFramework RegistryServer/DbHandle.cpp, `load2GroupMap`, `loadGroupPriority`,
 * `getGroupId`, `getGroupIdByName`), so a `db_tars` configured for it routes the same here.
 *
 * @module
 */

import type { GroupPriorityRow, GroupRuleRow, GroupRuleRows } from "./store/mod.ts";

/** The group of an address or server that is in none. */
export const NO_GROUP = -1;

/** One entry of the priority list: groups that are answered together. */
export interface GroupPriority {
  readonly id: number;
  readonly station: string;
  readonly groups: ReadonlySet<number>;
}

/**
 * A number as C++'s stream extraction reads it, the way the C++ registry turns these columns into
 * ids: leading spaces skipped, the digits up to the first other character; none is 0.
 */
function cppInt(text: string): number {
  const n = Number.parseInt(text, 10);
  return Number.isNaN(n) ? 0 : n;
}

/** The `a.b.c.*` pattern that covers an IPv4 address, or undefined for any other text. */
function classCPattern(address: string): string | undefined {
  const last = address.lastIndexOf(".");
  if (last < 0 || address.indexOf(".") === last) return undefined;
  return address.slice(0, last + 1) + "*";
}

/**
 * The group rules and priorities in force: which group an address or a group name is in, and
 * the priority list. Built from the rows once per read of the tables; immutable.
 */
export class GroupRules {
  /** No group configured: every caller and server is in no group. */
  static readonly NONE: GroupRules = new GroupRules([], []);

  readonly #byAddress = new Map<string, number>();
  readonly #byName = new Map<string, number>();
  readonly #rows: { rules: readonly GroupRuleRow[]; priorities: readonly GroupPriorityRow[] };
  /** The priority list in `list_order`. */
  readonly priorities: readonly GroupPriority[];

  /** The rules and priorities of a store read: a later rule wins an address or name both give. */
  static of(rows: GroupRuleRows): GroupRules {
    return rows.rules.length === 0 && rows.priorities.length === 0
      ? GroupRules.NONE
      : new GroupRules(rows.rules, rows.priorities);
  }

  /** `rules` in `group_id` order, `priorities` in `list_order`: a later row wins a tie. */
  constructor(rules: readonly GroupRuleRow[], priorities: readonly GroupPriorityRow[]) {
    this.#rows = { rules, priorities };
    for (const rule of rules) {
      for (const address of rule.allowIpRule.split("|")) {
        if (address !== "") this.#byAddress.set(address, rule.groupId);
      }
      this.#byName.set(rule.groupName, rule.groupId);
    }
    this.priorities = priorities.map((row) => ({
      id: row.id,
      station: row.station,
      groups: new Set(row.groupList.split(/[|,;]/).filter((part) => part !== "").map(cppInt)),
    }));
  }

  /** Whether no group and no priority is configured (lookups then never look at groups). */
  get isEmpty(): boolean {
    return this.#rows.rules.length === 0 && this.#rows.priorities.length === 0;
  }

  /** The group of an address: an exact rule first, then its `a.b.c.*` rule; else -1. */
  groupOfAddress(address: string): number {
    const exact = this.#byAddress.get(address);
    if (exact !== undefined) return exact;
    if (this.#byAddress.size === 0) return NO_GROUP;
    const pattern = classCPattern(address);
    return pattern === undefined ? NO_GROUP : this.#byAddress.get(pattern) ?? NO_GROUP;
  }

  /** The group of that name (`t_server_group_rule.group_name`), -1 for none or an empty name. */
  groupNamed(name: string): number {
    if (name === "") return NO_GROUP;
    return this.#byName.get(name) ?? NO_GROUP;
  }

  /** The first priority entry of a station, as `findObjectByIdInSameStation` takes it. */
  station(name: string): GroupPriority | undefined {
    return this.priorities.find((p) => p.station === name);
  }

  /** Whether `other` was built from the same rows (a reload that changed nothing). */
  sameAs(other: GroupRules): boolean {
    const a = this.#rows, b = other.#rows;
    return a.rules.length === b.rules.length && a.priorities.length === b.priorities.length &&
      a.rules.every((r, i) =>
        r.groupId === b.rules[i].groupId && r.allowIpRule === b.rules[i].allowIpRule &&
        r.groupName === b.rules[i].groupName
      ) &&
      a.priorities.every((p, i) =>
        p.id === b.priorities[i].id && p.groupList === b.priorities[i].groupList &&
        p.station === b.priorities[i].station
      );
  }
}

/** A server's groups as the C++ registry works them out for each of its endpoints. */
export interface ServerGroups {
  /** `grouprealid`: the group of `ip_group_name` when set, else of the endpoint's host. */
  readonly realId: number;
  /** `groupworkid`: the real group when `enable_group` is `Y`, else -1. */
  readonly workId: number;
}

/**
 * The groups of an endpoint on `host` of a server whose `ip_group_name` is `groupName` (trimmed,
 * as the C++ registry does) and whose `enable_group` is `enabled`.
 */
export function serverGroups(
  rules: GroupRules,
  server: { host: string; groupName: string; groupEnabled: boolean },
): ServerGroups {
  const name = server.groupName.trim();
  const realId = name === "" ? rules.groupOfAddress(server.host) : rules.groupNamed(name);
  return { realId, workId: server.groupEnabled ? realId : NO_GROUP };
}
