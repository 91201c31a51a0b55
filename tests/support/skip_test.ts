import assert from "node:assert/strict";
import { rootMissing, skipWhen } from "./skip.ts";

Deno.test("rootMissing: nothing for uid 0, the need and the uid otherwise", () => {
  assert.equal(rootMissing(0, "unshare --pid"), undefined);
  assert.equal(
    rootMissing(65534, "unshare --pid"),
    "it needs root (unshare --pid); this runs as uid 65534",
  );
});

Deno.test("skipWhen prints one line naming the test and what it lacks", () => {
  const printed: string[] = [];
  const log = (line: string) => printed.push(line);
  assert.equal(skipWhen("a test", undefined, { log }), false);
  assert.equal(skipWhen("a test", "it needs root", { log }), true);
  assert.deepEqual(printed, ['Skipping "a test": it needs root']);
});
