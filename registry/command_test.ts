import assert from "node:assert/strict";
import { main } from "../main.ts";
import { REGISTRY_FLAGS } from "../lib/settings.ts";

const ROOT = new URL("../", import.meta.url);

Deno.test("the registry's help names the command as it was called", async (t) => {
  await t.step("tarscli registry --help", async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(["registry", "--help"], {
      env: {},
      out: (line) => out.push(line),
      err: (line) => err.push(line),
    });
    assert.equal(code, 0);
    assert.deepEqual(err, []);
    assert.equal(out[0], "Usage: tarscli registry [options]");
    for (const flag of REGISTRY_FLAGS) assert.ok(out.some((l) => l.includes(flag.name)), flag.name);
  });

  await t.step("tarsregistry --help (the binary's entry point)", async () => {
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-env", "registry/main.ts", "--help"],
      cwd: ROOT,
      env: { NO_COLOR: "1" },
    }).output();
    assert.equal(run.code, 0, new TextDecoder().decode(run.stderr));
    const lines = new TextDecoder().decode(run.stdout).split("\n");
    assert.equal(lines[0], "Usage: tarsregistry [options]");
  });
});
