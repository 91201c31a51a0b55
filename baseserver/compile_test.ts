import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { compiledGraph, localFiles, type ModuleGraph } from "./compiled_graph.ts";
import {
  BINARIES,
  COMPILE_CONFIG,
  COMPILE_ENV,
  compileAll,
  compileArgs,
  compileConfig,
} from "./compile.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

Deno.test("compile: the exact deno compile command line of each binary", () => {
  const [tarscli, registry] = BINARIES.map((spec) => compileArgs(spec, COMPILE_CONFIG));
  assert.deepEqual(tarscli, [
    "compile",
    "--config",
    ".tmp/compile/deno.json",
    "--exclude-unused-npm",
    "--allow-all",
    "--include",
    "baseserver/db/db_tars.sql",
    "--output",
    "dist/tarscli",
    "main.ts",
  ]);
  assert.deepEqual(registry, [
    "compile",
    "--config",
    ".tmp/compile/deno.json",
    "--exclude-unused-npm",
    "--v8-flags=--max-semi-space-size=8",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net",
    "--include",
    "baseserver/db/db_tars.sql",
    "--output",
    "dist/tarsregistry",
    "registry/main.ts",
  ]);
  assert.deepEqual(COMPILE_ENV, { DENO_NO_PACKAGE_JSON: "1" });
});

Deno.test("compile: the generated config maps only the runtime dependencies, exactly pinned", async (t) => {
  await t.step("each dependency and its sub-paths to npm:, no node_modules dir, no lock", () => {
    assert.deepEqual(
      compileConfig({ dependencies: { "mysql2": "3.15.3", "yaml": "2.9.1" } }),
      {
        nodeModulesDir: "none",
        lock: false,
        imports: {
          "mysql2": "npm:mysql2@3.15.3",
          "mysql2/": "npm:/mysql2@3.15.3/",
          "yaml": "npm:yaml@2.9.1",
          "yaml/": "npm:/yaml@2.9.1/",
        },
      },
    );
  });
  await t.step("a version range is refused, saying how to pin it", () => {
    assert.throws(
      () => compileConfig({ dependencies: { yaml: "^2.9.1" } }),
      {
        name: "RangeError",
        message: 'package.json pins yaml to "^2.9.1": pin an exact version ' +
          "(npm install --save-exact)",
      },
    );
  });
});

Deno.test("compile: a DENORT_BIN that does not exist is a clear error before any build", async () => {
  const lines: string[] = [];
  const code = await compileAll({
    deno: Deno.execPath(),
    root: ROOT,
    env: { DENORT_BIN: "/nonexistent/denort" },
    log: (line) => lines.push(line),
  });
  assert.equal(code, 1);
  assert.deepEqual(lines, [
    "DENORT_BIN=/nonexistent/denort does not exist: point it at a denort binary of this Deno",
  ]);
});

Deno.test("compile: without DENORT_BIN a failed runtime download says what to set", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.copyFile(join(ROOT, "package.json"), join(dir, "package.json"));
    // Stands in for deno where the runtime cannot be downloaded: it records its arguments and
    // environment and fails as deno does.
    const fake = join(dir, "deno");
    await Deno.writeTextFile(
      fake,
      '#!/bin/sh\necho "$DENO_NO_PACKAGE_JSON $*" > calls.txt\n' +
        'test -f .tmp/compile/deno.json && echo "config present" >> calls.txt\n' +
        "exit 1\n",
    );
    await Deno.chmod(fake, 0o755);
    const lines: string[] = [];
    const code = await compileAll({
      deno: fake,
      root: dir,
      env: { PATH: Deno.env.get("PATH") },
      log: (line) => lines.push(line),
    });
    assert.equal(code, 1);
    assert.deepEqual(lines, [
      "compiling main.ts into dist/tarscli",
      `deno compile failed for main.ts: it needs the denort runtime of Deno ${Deno.version.deno}, ` +
      "which it downloads unless DENORT_BIN names one; on a machine without internet, set " +
      "DENORT_BIN to a denort binary of that version",
    ]);
    assert.equal(
      await Deno.readTextFile(join(dir, "calls.txt")),
      `1 ${compileArgs(BINARIES[0], COMPILE_CONFIG).join(" ")}\nconfig present\n`,
    );
    await assert.rejects(Deno.stat(join(dir, COMPILE_CONFIG)), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "compile: each binary embeds only what its entry reaches (no tests, no dev packages)",
  async fn(t) {
    const lock = JSON.parse(await Deno.readTextFile(join(ROOT, "package-lock.json")));
    const locked: Record<string, { version: string; dev?: boolean }> = lock.packages;
    const graphs = new Map<string, ModuleGraph>();
    for (const spec of BINARIES) {
      graphs.set(spec.entry, await compiledGraph(ROOT, spec.entry));
    }

    await t.step("no test, test-support or bench file is reached", () => {
      for (const [entry, graph] of graphs) {
        const files = localFiles(ROOT, graph);
        assert.ok(files.includes(entry), `${entry} is not in its own graph`);
        const unwanted = files.filter((f) =>
          /_test\.ts$|(^|\/)testdata\//.test(f) || /^(tests|bench)\//.test(f)
        );
        assert.deepEqual(unwanted, [], `${entry} reaches ${unwanted.join(", ")}`);
      }
    });

    await t.step("tarscli includes every lazily loaded command module", async () => {
      const table = await Deno.readTextFile(join(ROOT, "cli/command_table.ts"));
      const lazy = [...table.matchAll(/import\("(\.\.?\/[^"]+)"\)/g)]
        .map((m) => fileURLToPath(new URL(m[1], new URL("cli/", `file://${ROOT}`))))
        .map((path) => path.slice(ROOT.length));
      assert.ok(lazy.length >= 5, `only ${lazy.length} lazy imports found in the command table`);
      const files = localFiles(ROOT, graphs.get("main.ts")!);
      assert.deepEqual(lazy.filter((f) => !files.includes(f)), []);
    });

    await t.step("npm packages: runtime ones only, at the versions package-lock.json has", () => {
      for (const [entry, graph] of graphs) {
        const packages = Object.values(graph.npmPackages ?? {});
        assert.ok(packages.some((p) => p.name === "mysql2"), `${entry} does not reach mysql2`);
        for (const p of packages) {
          const installed = locked[`node_modules/${p.name}`];
          assert.ok(installed, `${entry} reaches ${p.name}, which package-lock.json lacks`);
          assert.ok(!installed.dev, `${entry} reaches the devDependency ${p.name}`);
          assert.equal(p.version, installed.version, `${entry}: ${p.name} differs from the lock`);
        }
      }
      const registry = Object.values(graphs.get("registry/main.ts")!.npmPackages ?? {});
      assert.ok(!registry.some((p) => p.name === "yaml"), "tarsregistry reaches yaml");
    });
  },
});

Deno.test("compile: Deno still reads /proc only with --allow-all (why tarscli gets it)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const script = join(dir, "read_proc.ts");
    await Deno.writeTextFile(script, 'Deno.readTextFileSync("/proc/self/stat");\n');
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--no-prompt",
        ...BINARIES[1].permissions,
        "--allow-run",
        "--allow-ffi",
        script,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.notEqual(out.code, 0, "narrow permissions now read /proc: narrow tarscli's too");
    assert.match(
      new TextDecoder().decode(out.stderr),
      /Requires all access to "\/proc\/self\/stat"/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
