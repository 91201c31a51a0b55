import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../lib/usage_error.ts";
import { TokensFile } from "./tokens_file.ts";
import { delay } from "../lib/timers.ts";
import { eventually } from "../tests/support/eventually.ts";

/** A temp directory, a log, and the file opened from it. */
async function scope() {
  const dir = await Deno.makeTempDir({ prefix: "tokens_file_test_" });
  const logged: string[] = [];
  const files: TokensFile[] = [];
  return {
    dir,
    logged,
    path: join(dir, "tokens"),
    async open(path: string, checkInterval?: number): Promise<TokensFile> {
      const file = await TokensFile.open(path, { log: (l) => logged.push(l), checkInterval });
      files.push(file);
      return file;
    },
    async close() {
      for (const file of files) await file.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("tokens file: at start, a file that cannot be read stops the registry", async () => {
  const s = await scope();
  try {
    for (const path of [join(s.dir, "missing"), s.dir]) {
      await assert.rejects(s.open(path), (error: Error) => {
        assert.ok(error instanceof UsageError);
        assert.match(
          error.message,
          new RegExp(
            `^The registration tokens file ${path} cannot be read \\(.+\\); give the path of a ` +
              "readable file with --registration-tokens or TARS_REGISTRY_TOKENS$",
          ),
        );
        return true;
      });
    }
  } finally {
    await s.close();
  }
});

Deno.test("tokens file: read at start, again when it changes, kept when it cannot be", async (t) => {
  const s = await scope();
  try {
    await Deno.writeTextFile(s.path, "App one\nApp two\nbroken\n");
    const file = await s.open(s.path);

    await t.step("read at start; a bad line is named and ignored", () => {
      assert.deepEqual(s.logged.splice(0), [
        `Registration tokens: read ${s.path}: 2 token(s) for 1 name(s)`,
        `Registration tokens: ${s.path}:3: expected NAME TOKEN (two fields separated by ` +
        "spaces), found 1 fields; the line is ignored",
      ]);
      assert.equal(file.tokens.verify("App", "S", "two"), "valid");
    });

    await t.step("unchanged: not read again", async () => {
      await file.check();
      await file.check();
      assert.deepEqual(s.logged, []);
    });

    await t.step("changed: read again, the new tokens in force at once", async () => {
      await Deno.writeTextFile(s.path, "App three\nOther four\n");
      await file.check();
      assert.deepEqual(s.logged.splice(0), [
        `Registration tokens: read again (it changed) ${s.path}: 2 token(s) for 2 name(s)`,
      ]);
      assert.equal(file.tokens.verify("App", "S", "two"), "wrong");
      assert.equal(file.tokens.verify("App", "S", "three"), "valid");
    });

    await t.step("a bad line after start is not fatal either", async () => {
      await Deno.writeTextFile(s.path, "App three\nApp.S.X five\n");
      await file.check();
      assert.equal(s.logged.length, 2);
      assert.match(s.logged[1], /tokens:2: the name is not an application or/);
      s.logged.length = 0;
      assert.equal(file.tokens.verify("App", "S", "three"), "valid");
    });

    await t.step("gone: the tokens read before stay, said once", async () => {
      await Deno.remove(s.path);
      await file.check();
      await file.check();
      assert.equal(s.logged.length, 1);
      assert.match(
        s.logged.splice(0)[0],
        new RegExp(
          `^Registration tokens: ${s.path} cannot be read \\(.+\\); the 1 token\\(s\\) for 1 ` +
            "name\\(s\\) read before stay in force until it can be read again$",
        ),
      );
      assert.equal(file.tokens.verify("App", "S", "three"), "valid");
    });

    await t.step("back: read again", async () => {
      await Deno.writeTextFile(s.path, "App six\n");
      await file.check();
      assert.deepEqual(s.logged.splice(0), [
        `Registration tokens: read again (it changed) ${s.path}: 1 token(s) for 1 name(s)`,
      ]);
      assert.equal(file.tokens.verify("App", "S", "six"), "valid");
    });

    await t.step("SIGHUP's reload reads it whether it changed or not", async () => {
      await file.reload();
      assert.deepEqual(s.logged.splice(0), [
        `Registration tokens: read again (SIGHUP) ${s.path}: 1 token(s) for 1 name(s)`,
      ]);
    });
  } finally {
    await s.close();
  }
});

Deno.test("tokens file: a Secret volume's update (a swapped link) is seen", async () => {
  const s = await scope();
  try {
    // As the kubelet lays out a Secret: tokens -> ..data/tokens, ..data -> a timestamped directory.
    const first = join(s.dir, "..2026_01_01_00_00_00.1");
    const second = join(s.dir, "..2026_01_01_00_01_00.2");
    await Deno.mkdir(first);
    await Deno.mkdir(second);
    await Deno.writeTextFile(join(first, "tokens"), "App old\n");
    await Deno.writeTextFile(join(second, "tokens"), "App new\n");
    await Deno.symlink(first, join(s.dir, "..data"));
    await Deno.symlink(join("..data", "tokens"), s.path);
    const file = await s.open(s.path);
    assert.equal(file.tokens.verify("App", "S", "old"), "valid");
    await Deno.symlink(second, join(s.dir, "..data_tmp"));
    await Deno.rename(join(s.dir, "..data_tmp"), join(s.dir, "..data"));
    await Deno.remove(first, { recursive: true });
    await file.check();
    assert.equal(file.tokens.verify("App", "S", "old"), "wrong");
    assert.equal(file.tokens.verify("App", "S", "new"), "valid");
  } finally {
    await s.close();
  }
});

Deno.test("tokens file: with a check interval, a change is read without a call", async () => {
  const s = await scope();
  try {
    await Deno.writeTextFile(s.path, "App old\n");
    const file = await s.open(s.path, 20);
    await Deno.writeTextFile(s.path, "App newer\n");
    await eventually(
      5000,
      "the new token in force",
      () => file.tokens.verify("App", "S", "newer") === "valid",
    );
    await file.stop();
    await Deno.writeTextFile(s.path, "App newest token-too-long-for-the-old-size\n");
    const logged = s.logged.length;
    await delay(100);
    assert.equal(s.logged.length, logged, "stopped: not read again");
  } finally {
    await s.close();
  }
});
