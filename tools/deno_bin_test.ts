import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SHIM = join(ROOT, "tools", "deno_bin.js");

/** A temp project whose node_modules/.bin/deno links to the shim, as the postinstall leaves it. */
async function projectWithShim(tasks: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "deno_bin_" });
  await Deno.mkdir(join(dir, "node_modules", ".bin"), { recursive: true });
  await Deno.symlink(SHIM, join(dir, "node_modules", ".bin", "deno"));
  await Deno.writeTextFile(join(dir, "package.json"), '{ "private": true }\n');
  await Deno.writeTextFile(
    join(dir, "deno.json"),
    JSON.stringify({ nodeModulesDir: "manual", tasks }),
  );
  return dir;
}

async function run(command: string, options: { args: string[]; cwd?: string }) {
  const output = await new Deno.Command(command, {
    ...options,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

Deno.test("deno_bin as a shell script: runs node_modules/deno/deno with the arguments", async () => {
  const dir = await projectWithShim({});
  try {
    // A stand-in for the pinned Deno, so the test sees which program ran and with what.
    const pinned = join(dir, "node_modules", "deno", "deno");
    await Deno.mkdir(join(dir, "node_modules", "deno"));
    await Deno.writeTextFile(pinned, '#!/bin/sh\necho "pinned deno: $*"\nexit 7\n', {
      mode: 0o755,
    });
    const result = await run(join(dir, "node_modules", ".bin", "deno"), {
      args: ["task", "two words"],
    });
    assert.deepEqual(result, { code: 7, stdout: "pinned deno: task two words\n", stderr: "" });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno_bin under deno task: the task's deno is Deno itself, in the same process", async () => {
  const dir = await projectWithShim({
    parent: `deno eval "console.log(Deno.ppid, Deno.execPath())"`,
    exit: `deno eval "Deno.exit(7)"`,
  });
  try {
    const task = new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "parent"],
      cwd: dir,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = await task.output();
    const stderr = new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, stderr);
    // The eval's parent is `deno task` itself: the shim's process became the command.
    assert.equal(
      new TextDecoder().decode(output.stdout),
      `${task.pid} ${Deno.execPath()}\n`,
      stderr,
    );
    const exit = await run(Deno.execPath(), { args: ["task", "--quiet", "exit"], cwd: dir });
    assert.equal(exit.code, 7, exit.stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("deno task runs a native .bin/deno as a script and fails (why the shim exists)", async () => {
  // Deno 2.9.6 runs a native binary there as a script (a small one stands in for Deno's 95 MB).
  // When a Deno upgrade makes this test fail, the shim's JavaScript half can go.
  const dir = await projectWithShim({ version: "deno --version" });
  try {
    await Deno.remove(join(dir, "node_modules", ".bin", "deno"));
    await Deno.symlink("/bin/true", join(dir, "node_modules", ".bin", "deno"));
    const result = await run(Deno.execPath(), { args: ["task", "--quiet", "version"], cwd: dir });
    assert.notEqual(result.code, 0, result.stdout);
    assert.match(result.stderr, /SyntaxError/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("postinstall replaces the native node_modules/.bin/deno with a link to the shim", async () => {
  const pkg = JSON.parse(await Deno.readTextFile(join(ROOT, "package.json")));
  const dir = await Deno.makeTempDir({ prefix: "deno_bin_" });
  try {
    const bin = join(dir, "node_modules", ".bin");
    await Deno.mkdir(bin, { recursive: true });
    await Deno.symlink("../deno/deno", join(bin, "deno"));
    const result = await run("sh", { args: ["-c", pkg.scripts.postinstall], cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await Deno.readLink(join(bin, "deno")), "../../tools/deno_bin.js");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("each npm script but postinstall runs the deno task of its name", async () => {
  const pkg = JSON.parse(await Deno.readTextFile(join(ROOT, "package.json")));
  const config = JSON.parse(await Deno.readTextFile(join(ROOT, "deno.json")));
  const { postinstall: _, ...scripts } = pkg.scripts as Record<string, string>;
  assert.deepEqual(
    Object.keys(scripts).sort(),
    ["bench", "check", "compile", "demo", "example", "start", "test"],
  );
  for (const [name, script] of Object.entries(scripts)) {
    assert.equal(script, `deno task ${name}`);
    assert.ok(config.tasks[name], `deno.json has no task ${name}`);
  }
});
