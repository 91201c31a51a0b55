import assert from "node:assert/strict";
import { editDistance, nearMisses } from "./near_miss.ts";
import { ADAPTER_KEYS, META_KEYS } from "./server_meta.ts";

const META = META_KEYS.map((spec) => spec.key);
const ADAPTER = ADAPTER_KEYS.map((spec) => spec.key);

Deno.test("editDistance counts insertions, deletions, substitutions and swaps as one each", () => {
  assert.equal(editDistance("adapters", "adapters"), 0);
  assert.equal(editDistance("adapter", "adapters"), 1);
  assert.equal(editDistance("threads", "thread"), 1);
  assert.equal(editDistance("logsise", "logsize"), 1);
  assert.equal(editDistance("versoin", "version"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("local", "localip"), 2);
});

Deno.test("nearMisses: the typos of meta keys", () => {
  const cases: [string, readonly string[], string[]][] = [
    ["adapter", META, ["adapters"]],
    ["Adapters", META, ["adapters"]],
    ["adaptors", META, ["adapters"]],
    ["servers", META, ["server"]],
    ["setid", META, ["set_id"]],
    ["logsize", META, ["logSize"]],
    ["LOGLEVEL", META, ["logLevel"]],
    ["log_level", META, ["logLevel"]],
    ["sample-rate", META, ["sample_rate"]],
    ["refresh_endpoint_intervall", META, ["refresh_endpoint_interval"]],
    ["thread", ADAPTER, ["threads"]],
    ["endpoints", ADAPTER, ["endpoint"]],
    ["max_conns", ADAPTER, ["maxconns"]],
    ["queue_cap", ADAPTER, ["queuecap"]],
  ];
  for (const [key, known, meant] of cases) assert.deepEqual(nearMisses(key, known), meant, key);
});

Deno.test("nearMisses: a short key takes fewer edits, so short unknown keys are near nothing", () => {
  // Two edits only from 8 characters on: localip is two from local (5), and no typo of it.
  assert.deepEqual(nearMisses("localip", META), []);
  assert.deepEqual(nearMisses("loca", META), ["local"]);
  assert.deepEqual(nearMisses("lcal", META), ["local"]);
  assert.deepEqual(nearMisses("lcl", META), []);
  // Under 4 characters a known key matches only as it is, or in another case.
  assert.deepEqual(nearMisses("ip", ["id"]), []);
  assert.deepEqual(nearMisses("ID", ["id"]), ["id"]);
  assert.deepEqual(nearMisses("tags", ["tag"]), []);
});

Deno.test("nearMisses: the nearest known keys, all of them when two are as near, in the table's order", () => {
  assert.deepEqual(nearMisses("logXum", ["logNum", "logSum", "logLevel"]), ["logNum", "logSum"]);
  // The nearer one wins: logNum1 is one edit from logNum, two from logNu (which takes only one).
  assert.deepEqual(nearMisses("logNum1", ["logNu", "logNum"]), ["logNum"]);
  assert.deepEqual(nearMisses("adaptr", ["adapters", "adapter"]), ["adapter"]);
});
