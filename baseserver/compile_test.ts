import assert from "node:assert/strict";
import { BINARIES, compileAll, compileArgs } from "./compile.ts";

Deno.test("compile: each binary bakes in its permissions and the schema file", () => {
  const [tarscli, registry] = BINARIES.map(compileArgs);
  assert.deepEqual(tarscli.slice(-3), ["--output", "dist/tarscli", "main.ts"]);
  assert.deepEqual(registry.slice(-3), ["--output", "dist/tarsregistry", "registry/main.ts"]);
  for (const args of [tarscli, registry]) {
    assert.ok(!args.includes("--allow-all") && !args.includes("-A"));
    assert.ok(args.includes("--include") && args.includes("baseserver/db/db_tars.sql"));
  }
});

Deno.test("compile: a DENORT_BIN that does not exist is a clear error before any build", async () => {
  const lines: string[] = [];
  const code = await compileAll({
    deno: Deno.execPath(),
    env: { DENORT_BIN: "/nonexistent/denort" },
    log: (line) => lines.push(line),
  });
  assert.equal(code, 1);
  assert.deepEqual(lines, [
    "DENORT_BIN=/nonexistent/denort does not exist: point it at a denort binary of this Deno",
  ]);
});
