import assert from "node:assert/strict";
import { join } from "node:path";
import { parseStateFile, readStateFile, stateFilePath, writeStateFile } from "./state_file.ts";

Deno.test("state file", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "state_file_test_" });
  const path = stateFilePath(dir);

  await t.step("lives in data/check_status", () => {
    assert.equal(path, join(dir, "data", "check_status"));
  });

  await t.step("missing file reads as undefined", async () => {
    assert.equal(await readStateFile(path), undefined);
  });

  await t.step("round trip, replacing the previous content", async () => {
    await writeStateFile(path, { state: "activating", writtenAt: 1 });
    await writeStateFile(path, { state: "active", writtenAt: 1_700_000_000_123 });
    assert.deepEqual(await readStateFile(path), { state: "active", writtenAt: 1_700_000_000_123 });
    const leftovers = [...Deno.readDirSync(join(dir, "data"))].map((e) => e.name);
    assert.deepEqual(leftovers, ["check_status"]);
  });

  await t.step("bad content names the file", () => {
    assert.throws(
      () => parseStateFile("running\n1\n", path),
      /check_status: "running" is not a state/,
    );
    assert.throws(() => parseStateFile("active\nsoon\n", path), /line 2 "soon" is not a time/);
    assert.throws(() => parseStateFile("", path), SyntaxError);
  });
});
