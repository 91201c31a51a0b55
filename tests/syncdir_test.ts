/** End to end: `deno run main.ts syncdir` as a subprocess with the permissions it documents. */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

async function syncdir(
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", join(ROOT, "main.ts"), "syncdir"],
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("tarscli syncdir (subprocess)", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "tarscli_syncdir_" });
  try {
    await t.step("nothing to do without TARS_SYNC_DIRECTORY", async () => {
      const run = await syncdir({ TARS_PATH: root });
      assert.deepEqual(run, {
        code: 0,
        stdout: "TARS_SYNC_DIRECTORY is not set: nothing to sync\n",
        stderr: "",
      });
    });

    await t.step("copies into $TARS_PATH/bin by default, then finds nothing changed", async () => {
      const src = join(root, "pkg");
      await Deno.mkdir(src);
      await Deno.writeTextFile(join(src, "server"), "binary");
      await Deno.chmod(join(src, "server"), 0o755);
      const first = await syncdir({ TARS_PATH: root, TARS_SYNC_DIRECTORY: src });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(
        first.stdout,
        `copied server\nSynced ${src} to ${root}/bin: 1 copied, 0 unchanged, 0 skipped\n`,
      );
      assert.equal((await Deno.stat(join(root, "bin", "server"))).mode! & 0o777, 0o755);
      const second = await syncdir({ TARS_PATH: root, TARS_SYNC_DIRECTORY: src });
      assert.equal(
        second.stdout,
        `Synced ${src} to ${root}/bin: 0 copied, 1 unchanged, 0 skipped\n`,
      );
    });

    await t.step("a missing source directory: one line, exit 1", async () => {
      const run = await syncdir({ TARS_PATH: root, TARS_SYNC_DIRECTORY: join(root, "none") });
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        /^tarscli syncdir: Cannot read TARS_SYNC_DIRECTORY \S+\/none: .+; fix the path or unset it\n$/,
      );
    });
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
