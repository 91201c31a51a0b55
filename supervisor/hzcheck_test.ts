import assert from "node:assert/strict";
import { denoInfo, repositoryPath, staticModules } from "../tests/support/module_graph.ts";
import { run } from "./hzcheck.ts";
import { type ServiceState, stateFilePath, writeStateFile } from "./state_file.ts";

async function probe(tarsPath: string, env: Record<string, string> = {}) {
  const err: string[] = [];
  const out: string[] = [];
  const code = await run([], {
    env: { TARS_PATH: tarsPath, ...env },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
  });
  assert.deepEqual(out, []);
  return { code, err };
}

Deno.test("hzcheck", async (t) => {
  const tarsPath = await Deno.makeTempDir();
  const path = stateFilePath(tarsPath);
  const write = (state: ServiceState, age = 0) =>
    writeStateFile(path, { state, writtenAt: Date.now() - age });
  try {
    await t.step("no state file: not ready, saying where it looked", async () => {
      assert.deepEqual(await probe(tarsPath), {
        code: 1,
        err: [`not ready: no state file at ${path} (supervisor not started?)`],
      });
    });

    await t.step("active and deactivating are ready; the others say their state", async () => {
      await write("active");
      assert.deepEqual(await probe(tarsPath), { code: 0, err: [] });
      await write("deactivating");
      assert.deepEqual(await probe(tarsPath), { code: 0, err: [] });
      await write("activating");
      assert.deepEqual(await probe(tarsPath), { code: 1, err: ["not ready: activating"] });
      await write("inactive");
      assert.deepEqual(await probe(tarsPath), { code: 1, err: ["not ready: inactive"] });
    });

    await t.step("a state older than 2 x TARS_REPORT_INTERVAL: supervisor not alive", async () => {
      await write("active", 95_000);
      assert.deepEqual(await probe(tarsPath, { TARS_REPORT_INTERVAL: "30s" }), {
        code: 1,
        err: ["supervisor not alive: state 95 s old"],
      });
      assert.deepEqual(await probe(tarsPath, { TARS_REPORT_INTERVAL: "1m" }), { code: 0, err: [] });
    });

    await t.step("a damaged state file: its message", async () => {
      await Deno.writeTextFile(path, "running\n1\n");
      const { code, err } = await probe(tarsPath);
      assert.equal(code, 1);
      assert.equal(err.length, 1);
      assert.match(err[0], /check_status: "running" is not a state/);
    });

    await t.step("arguments are a usage error", async () => {
      await assert.rejects(
        run(["now"], { env: {}, out: () => {}, err: () => {} }),
        { name: "UsageError" },
      );
    });
  } finally {
    await Deno.remove(tarsPath, { recursive: true });
  }
});

Deno.test("hzcheck loads nothing but the settings and the state file", async (t) => {
  await t.step("every module hzcheck.ts reaches is on the allow-list", async () => {
    const allowed = new Set([
      "supervisor/hzcheck.ts",
      "lib/settings.ts",
      "supervisor/state_file.ts",
      "supervisor/readiness.ts",
      "lib/duration.ts",
      "lib/ip_address.ts",
      "lib/write_atomic.ts",
      "lib/not_found.ts",
      "lib/usage_error.ts",
      "lib/posix_path.ts",
    ]);
    const modules = await staticModules(["supervisor/hzcheck.ts"]);
    assert.ok(modules.includes("supervisor/state_file.ts"), modules.join(", "));
    assert.deepEqual(modules.filter((m) => !allowed.has(m)), []);
  });

  await t.step("no node: module, not even node:path", async () => {
    // Any node: import sets up Deno's Node layer: about +5 MiB and +6-8 ms per probe.
    const modules = await staticModules(["supervisor/hzcheck.ts"]);
    assert.deepEqual(
      modules.filter((m) => m.startsWith("node:")),
      [],
      "use lib/posix_path.ts for paths; keep node: imports out of the probe's modules",
    );
  });

  await t.step("main.ts loads no protocol, YAML or database code before the command", async () => {
    const loaded = await staticModules(["main.ts"]);
    assert.ok(loaded.includes("cli/command_table.ts"), loaded.join(", "));
    assert.deepEqual(
      loaded.filter((m) => /protocol\/|registry\/|genconf\/|yaml|sqlite|mysql|npm:|^node:/.test(m)),
      [],
    );
    // The dynamic import of hzcheck's table entry points at the module checked above.
    const table = (await denoInfo("main.ts")).find((m) =>
      repositoryPath(m.specifier) === "cli/command_table.ts"
    );
    const lazy = (table?.dependencies ?? []).filter((d) => d.isDynamic && d.code?.specifier).map((
      d,
    ) => repositoryPath(d.code!.specifier!));
    assert.ok(lazy.includes("supervisor/hzcheck.ts"), lazy.join(", "));
  });
});
