import assert from "node:assert/strict";
import type { EndpointFInput } from "../protocol/interfaces/endpoint_f.ts";
import { GroupRules, NO_GROUP } from "./group_rules.ts";
import { NOT_FOUND, routeByGroup, routeByStation } from "./group_routing.ts";
import type { LookupAnswer } from "./lookup.ts";

function ep(host: string, workId: number, realId = workId): EndpointFInput {
  return {
    host,
    port: 9000,
    timeout: 3000,
    istcp: 1,
    grid: 0,
    groupworkid: workId,
    grouprealid: realId,
  };
}

function hosts(answer: LookupAnswer): { ret: number; active: string[]; inactive: string[] } {
  return {
    ret: answer.ret,
    active: answer.activeEp.map((e) => e.host),
    inactive: answer.inactiveEp.map((e) => e.host),
  };
}

const RULES = new GroupRules([], [
  { id: 1, groupList: "2|3", station: "north" },
  { id: 2, groupList: "1|4", station: "south" },
  { id: 3, groupList: "1|2", station: "" },
]);

const ALL: LookupAnswer = {
  ret: 0,
  activeEp: [ep("a1", 1), ep("b2", 2), ep("c3", 3), ep("n", NO_GROUP, 4), ep("d4", 4)],
  inactiveEp: [ep("a1x", 1), ep("b2x", 2), ep("nx", NO_GROUP, 1)],
};

Deno.test("group routing: findObjectById4All and findObjectByIdInSameGroup", async (t) => {
  await t.step("a caller in no group gets every endpoint, the same answer object", () => {
    assert.equal(routeByGroup(ALL, NO_GROUP, RULES.priorities), ALL);
  });
  await t.step("a caller's own work group first, inactive filtered alike", () => {
    assert.deepEqual(hosts(routeByGroup(ALL, 1, RULES.priorities)), {
      ret: 0,
      active: ["a1"],
      inactive: ["a1x"],
    });
  });
  await t.step("without an active endpoint there, the priority entries that hold its group", () => {
    const answer: LookupAnswer = {
      ret: 0,
      activeEp: [ep("b2", 2), ep("c3", 3), ep("d4", 4), ep("n", NO_GROUP)],
      inactiveEp: [ep("a1x", 1), ep("d4x", 4)],
    };
    // Group 1 is in entries 2 (1|4) and 3 (1|2), in list order: entry 2 answers.
    assert.deepEqual(hosts(routeByGroup(answer, 1, RULES.priorities)), {
      ret: 0,
      active: ["d4"],
      inactive: ["a1x", "d4x"],
    });
  });
  await t.step("an entry with no active endpoint gives way to the next", () => {
    const answer: LookupAnswer = {
      ret: 0,
      activeEp: [ep("b2", 2), ep("c3", 3), ep("n", NO_GROUP)],
      inactiveEp: [ep("a1x", 1), ep("d4x", 4)],
    };
    assert.deepEqual(hosts(routeByGroup(answer, 1, RULES.priorities)), {
      ret: 0,
      active: ["b2"],
      inactive: ["a1x"],
    });
  });
  await t.step("a group with only inactive endpoints and no entry: those in no work group", () => {
    const answer: LookupAnswer = {
      ret: 0,
      activeEp: [ep("c3", 3), ep("n", NO_GROUP)],
      inactiveEp: [ep("e5x", 5), ep("nx", NO_GROUP)],
    };
    assert.deepEqual(hosts(routeByGroup(answer, 5, RULES.priorities)), {
      ret: 0,
      active: ["n"],
      inactive: ["nx"],
    });
  });
  await t.step("with nothing active anywhere it would look, every endpoint", () => {
    const answer: LookupAnswer = {
      ret: 0,
      activeEp: [ep("c3", 3)],
      inactiveEp: [ep("e5x", 5), ep("nx", NO_GROUP)],
    };
    assert.equal(routeByGroup(answer, 5, RULES.priorities), answer);
  });
  await t.step("an unknown object stays empty", () => {
    const empty: LookupAnswer = { ret: 0, activeEp: [], inactiveEp: [] };
    assert.deepEqual(hosts(routeByGroup(empty, 1, RULES.priorities)), {
      ret: 0,
      active: [],
      inactive: [],
    });
  });
  await t.step("a routed answer is frozen, lists too", () => {
    const answer = routeByGroup(ALL, 2, RULES.priorities);
    assert.equal(Object.isFrozen(answer), true);
    assert.equal(Object.isFrozen(answer.activeEp), true);
    assert.equal(Object.isFrozen(answer.inactiveEp), true);
  });
});

Deno.test("group routing: findObjectByIdInSameStation", async (t) => {
  await t.step("the endpoints whose real group is the station's, work group ignored", () => {
    assert.deepEqual(hosts(routeByStation(ALL, RULES.station("south"))), {
      ret: 0,
      active: ["a1", "n", "d4"],
      inactive: ["a1x", "nx"],
    });
  });
  await t.step("an unknown station is -1 with empty lists", () => {
    assert.equal(routeByStation(ALL, RULES.station("west")), NOT_FOUND);
    assert.deepEqual(hosts(NOT_FOUND), { ret: -1, active: [], inactive: [] });
  });
});
