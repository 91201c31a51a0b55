import assert from "node:assert/strict";
import { GroupRules, NO_GROUP, serverGroups } from "./group_rules.ts";

const RULE_ROWS = [
  { groupId: 1, allowIpRule: "10.1.0.7|10.1.1.*", groupName: "sz" },
  { groupId: 2, allowIpRule: "10.1.0.*||10.2.0.9", groupName: "sh" },
  { groupId: 3, allowIpRule: "", groupName: "zone-c" },
];
const PRIORITY_ROWS = [
  { id: 7, groupList: "1|2", station: "south" },
  { id: 8, groupList: " 2;3,,x", station: "east" },
  { id: 9, groupList: "3", station: "south" },
];
const RULES = new GroupRules(RULE_ROWS, PRIORITY_ROWS);

Deno.test("group rules: a caller's group by its address", async (t) => {
  await t.step("an exact rule comes before its a.b.c.* rule", () => {
    assert.equal(RULES.groupOfAddress("10.1.0.7"), 1);
    assert.equal(RULES.groupOfAddress("10.1.0.8"), 2);
  });
  await t.step("a.b.c.* covers the last part only", () => {
    assert.equal(RULES.groupOfAddress("10.1.1.200"), 1);
    assert.equal(RULES.groupOfAddress("10.1.2.1"), NO_GROUP);
  });
  await t.step("an address in no rule, or text that is no IPv4 address, is in no group", () => {
    assert.equal(RULES.groupOfAddress("192.168.0.1"), NO_GROUP);
    assert.equal(RULES.groupOfAddress("::1"), NO_GROUP);
    assert.equal(RULES.groupOfAddress(""), NO_GROUP);
  });
  await t.step("empty parts of a rule are no address", () => {
    assert.equal(RULES.groupOfAddress("10.2.0.9"), 2);
  });
  await t.step(
    "a later group wins an address two rules list, as the C++ map keeps the last",
    () => {
      const rules = new GroupRules([
        { groupId: 4, allowIpRule: "10.0.0.1", groupName: "a" },
        { groupId: 5, allowIpRule: "10.0.0.1", groupName: "b" },
      ], []);
      assert.equal(rules.groupOfAddress("10.0.0.1"), 5);
    },
  );
});

Deno.test("group rules: names, priorities and stations", async (t) => {
  await t.step("a group by its name; an unknown or empty name is none", () => {
    assert.equal(RULES.groupNamed("sh"), 2);
    assert.equal(RULES.groupNamed("zone-c"), 3);
    assert.equal(RULES.groupNamed("nowhere"), NO_GROUP);
    assert.equal(
      new GroupRules([{ groupId: 6, allowIpRule: "", groupName: "" }], [])
        .groupNamed(""),
      NO_GROUP,
    );
  });
  await t.step("group lists split on | , and ; reading numbers as C++ does", () => {
    assert.deepEqual(RULES.priorities.map((p) => [...p.groups]), [[1, 2], [2, 3, 0], [3]]);
  });
  await t.step("a station is its first entry", () => {
    assert.equal(RULES.station("south")?.id, 7);
    assert.equal(RULES.station("east")?.id, 8);
    assert.equal(RULES.station("west"), undefined);
  });
  await t.step("no rows is empty; rules or priorities alone are not", () => {
    assert.equal(GroupRules.NONE.isEmpty, true);
    assert.equal(RULES.isEmpty, false);
    assert.equal(new GroupRules([], [{ id: 1, groupList: "1", station: "" }]).isEmpty, false);
  });
  await t.step("sameAs compares the rows", () => {
    // Rows read again (equal, not the same objects).
    const again = new GroupRules(structuredClone(RULE_ROWS), structuredClone(PRIORITY_ROWS));
    assert.equal(RULES.sameAs(again), true);
    assert.equal(RULES.sameAs(GroupRules.NONE), false);
    const changed = new GroupRules([
      { groupId: 1, allowIpRule: "10.1.0.7", groupName: "sz" },
    ], []);
    assert.equal(
      changed.sameAs(new GroupRules([{ groupId: 1, allowIpRule: "", groupName: "sz" }], [])),
      false,
    );
  });
});

Deno.test("group rules: a server's real and work groups", async (t) => {
  await t.step("by the endpoint's host without ip_group_name", () => {
    assert.deepEqual(
      serverGroups(RULES, { host: "10.1.1.5", groupName: "", groupEnabled: true }),
      { realId: 1, workId: 1 },
    );
  });
  await t.step("ip_group_name overrides the host, trimmed", () => {
    assert.deepEqual(
      serverGroups(RULES, { host: "10.1.1.5", groupName: " sh ", groupEnabled: true }),
      { realId: 2, workId: 2 },
    );
  });
  await t.step("an unknown ip_group_name is no group, whatever the host", () => {
    assert.deepEqual(
      serverGroups(RULES, { host: "10.1.1.5", groupName: "nowhere", groupEnabled: true }),
      { realId: NO_GROUP, workId: NO_GROUP },
    );
  });
  await t.step("enable_group off keeps the real group and no work group", () => {
    assert.deepEqual(
      serverGroups(RULES, { host: "10.1.1.5", groupName: "", groupEnabled: false }),
      { realId: 1, workId: NO_GROUP },
    );
  });
});
