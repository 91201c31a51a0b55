import assert from "node:assert/strict";
import { join } from "node:path";
import type { CommandContext } from "../lib/context.ts";
import { readSyncSettings, run, syncDirectory } from "./syncdir.ts";

const OLD = new Date("2023-05-06T07:08:09.000Z");

async function withDirs(fn: (src: string, dst: string) => Promise<void>): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "syncdir_" });
  try {
    await Deno.mkdir(join(root, "src"));
    await fn(join(root, "src"), join(root, "dst"));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function writeFile(
  path: string,
  text: string,
  options: { mode: number; mtime: Date },
): Promise<void> {
  const { mode, mtime } = options;
  await Deno.writeTextFile(path, text);
  await Deno.chmod(path, mode);
  await Deno.utime(path, mtime, mtime);
}

function capture(
  env: Record<string, string>,
): { ctx: CommandContext; out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { ctx: { env, out: (l) => out.push(l), err: (l) => err.push(l) }, out, err };
}

Deno.test("readSyncSettings", async (t) => {
  await t.step("defaults: no source, target $TARS_PATH/bin", () => {
    assert.deepEqual(readSyncSettings({}, { cwd: "/w" }), {
      source: undefined,
      target: "/tars/bin",
    });
    assert.deepEqual(
      readSyncSettings({ TARS_PATH: "/srv/t", TARS_SYNC_DIRECTORY: "" }, { cwd: "/w" }),
      {
        source: undefined,
        target: "/srv/t/bin",
      },
    );
  });
  await t.step("both set, relative paths from cwd", () => {
    const s = readSyncSettings({
      TARS_SYNC_DIRECTORY: "pkg",
      TARS_SYNC_TARGET_DIRECTORY: "/opt/bin",
    }, { cwd: "/w" });
    assert.deepEqual(s, { source: "/w/pkg", target: "/opt/bin" });
    assert.ok(Object.isFrozen(s));
  });
});

Deno.test("syncDirectory", async (t) => {
  await t.step("copies regular files keeping mtime and mode, creating the target", async () => {
    await withDirs(async (src, dst) => {
      await writeFile(join(src, "server"), "binary", { mode: 0o755, mtime: OLD });
      await writeFile(join(src, "start.sh"), "#!/bin/sh\n", { mode: 0o700, mtime: OLD });
      await writeFile(join(src, "notes.txt"), "text", { mode: 0o644, mtime: OLD });
      const result = await syncDirectory(src, dst);
      assert.deepEqual(result, {
        copied: ["notes.txt", "server", "start.sh"],
        unchanged: [],
        skipped: [],
      });
      for (
        const [name, mode] of [["server", 0o755], ["start.sh", 0o700], [
          "notes.txt",
          0o644,
        ]] as const
      ) {
        const st = await Deno.stat(join(dst, name));
        assert.equal(st.mode! & 0o777, mode, name);
        assert.equal(st.mtime?.getTime(), OLD.getTime(), name);
      }
      assert.equal(await Deno.readTextFile(join(dst, "server")), "binary");
    });
  });

  await t.step("unchanged files are left alone; size or mtime changes are copied", async () => {
    await withDirs(async (src, dst) => {
      await writeFile(join(src, "same"), "aaaa", { mode: 0o644, mtime: OLD });
      await writeFile(join(src, "resized"), "aaaa", { mode: 0o644, mtime: OLD });
      await writeFile(join(src, "touched"), "aaaa", { mode: 0o644, mtime: OLD });
      await syncDirectory(src, dst);
      await writeFile(join(src, "resized"), "aaaaaa", { mode: 0o644, mtime: OLD });
      await writeFile(join(src, "touched"), "bbbb", {
        mode: 0o644,
        mtime: new Date(OLD.getTime() + 1000),
      });
      // Same size and time as the source: not copied even though the bytes differ (as the original).
      await writeFile(join(dst, "same"), "zzzz", { mode: 0o644, mtime: OLD });
      const result = await syncDirectory(src, dst);
      assert.deepEqual(result, {
        copied: ["resized", "touched"],
        unchanged: ["same"],
        skipped: [],
      });
      assert.equal(await Deno.readTextFile(join(dst, "resized")), "aaaaaa");
      assert.equal(await Deno.readTextFile(join(dst, "touched")), "bbbb");
      assert.equal(await Deno.readTextFile(join(dst, "same")), "zzzz");
    });
  });

  await t.step("links: the target's content under the link's name; others skipped", async () => {
    await withDirs(async (src, dst) => {
      await Deno.mkdir(join(src, "lib"));
      await writeFile(join(src, "lib", "real.so"), "library", { mode: 0o755, mtime: OLD });
      await Deno.symlink("lib/real.so", join(src, "link.so"));
      await Deno.symlink("missing", join(src, "broken"));
      await Deno.symlink("lib", join(src, "dirlink"));
      const result = await syncDirectory(src, dst);
      assert.deepEqual(result, {
        copied: ["link.so"],
        unchanged: [],
        skipped: ["broken", "dirlink", "lib"],
      });
      const st = await Deno.lstat(join(dst, "link.so"));
      assert.ok(st.isFile, "a regular file, not a link");
      assert.equal(st.mode! & 0o777, 0o755);
      assert.equal(st.mtime?.getTime(), OLD.getTime());
      assert.equal(await Deno.readTextFile(join(dst, "link.so")), "library");
    });
  });

  await t.step("a running binary is replaced by rename, not rewritten in place", async () => {
    await withDirs(async (src, dst) => {
      await Deno.mkdir(dst);
      await writeFile(join(dst, "server"), "old", { mode: 0o755, mtime: OLD });
      const oldIno = (await Deno.stat(join(dst, "server"))).ino;
      await writeFile(join(src, "server"), "new!", { mode: 0o755, mtime: OLD });
      await syncDirectory(src, dst);
      assert.notEqual((await Deno.stat(join(dst, "server"))).ino, oldIno);
      assert.deepEqual([...Deno.readDirSync(dst)].map((e) => e.name), ["server"]);
    });
  });

  await t.step("a missing source is an error saying what to do", async () => {
    await withDirs(async (src, dst) => {
      await assert.rejects(syncDirectory(join(src, "nope"), dst), {
        message: new RegExp(
          `^Cannot read TARS_SYNC_DIRECTORY ${join(src, "nope")}: .+; fix the path or unset it$`,
        ),
      });
    });
  });
});

Deno.test("syncdir command", async (t) => {
  await t.step("no source directory: nothing to do, exit 0", async () => {
    const { ctx, out, err } = capture({});
    assert.equal(await run([], ctx), 0);
    assert.deepEqual(out, ["TARS_SYNC_DIRECTORY is not set: nothing to sync"]);
    assert.deepEqual(err, []);
  });

  await t.step("prints what it copied and a summary", async () => {
    await withDirs(async (src, dst) => {
      await writeFile(join(src, "a"), "1", { mode: 0o644, mtime: OLD });
      await Deno.mkdir(join(src, "sub"));
      const { ctx, out } = capture({ TARS_SYNC_DIRECTORY: src, TARS_SYNC_TARGET_DIRECTORY: dst });
      assert.equal(await run([], ctx), 0);
      assert.deepEqual(out, [
        "copied a",
        "skipped sub: not a regular file or a link to one",
        `Synced ${src} to ${dst}: 1 copied, 0 unchanged, 1 skipped`,
      ]);
    });
  });

  await t.step("arguments are a usage error", async () => {
    await assert.rejects(run(["x"], capture({}).ctx), {
      name: "UsageError",
      message: 'unexpected argument "x"; syncdir takes no arguments, and reads ' +
        "TARS_SYNC_DIRECTORY and TARS_SYNC_TARGET_DIRECTORY (see tarscli help syncdir)",
    });
  });
});
