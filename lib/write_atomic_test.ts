import assert from "node:assert/strict";
import { join } from "node:path";
import { writeFilesAtomic } from "./write_atomic.ts";

Deno.test("writeFilesAtomic", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await t.step("creates directories and writes each file with its mode", async () => {
      const a = join(dir, "conf", "S.conf");
      const b = join(dir, "data", "deep", "info.yaml");
      await writeFilesAtomic([
        { path: a, data: "text" },
        { path: b, data: new Uint8Array([1, 2, 3]), mode: 0o755 },
      ]);
      assert.equal(await Deno.readTextFile(a), "text");
      assert.deepEqual(await Deno.readFile(b), new Uint8Array([1, 2, 3]));
      assert.equal((await Deno.stat(a)).mode! & 0o777, 0o644);
      assert.equal((await Deno.stat(b)).mode! & 0o777, 0o755);
    });

    await t.step("replaces an existing file and leaves no temp file", async () => {
      const a = join(dir, "conf", "S.conf");
      await writeFilesAtomic([{ path: a, data: "new" }]);
      assert.equal(await Deno.readTextFile(a), "new");
      const names = [...Deno.readDirSync(join(dir, "conf"))].map((e) => e.name);
      assert.deepEqual(names, ["S.conf"]);
    });

    await t.step("a failure on a later file leaves earlier targets untouched", async () => {
      const a = join(dir, "conf", "S.conf");
      await Deno.writeTextFile(join(dir, "blocker"), "a file where a directory should be");
      await assert.rejects(
        writeFilesAtomic([
          { path: a, data: "must not land" },
          { path: join(dir, "blocker", "x.yaml"), data: "x" },
        ]),
        {
          message: new RegExp(
            `^Cannot write ${
              join(dir, "blocker", "x.yaml")
            }: .+; check the directory's permissions$`,
          ),
        },
      );
      assert.equal(await Deno.readTextFile(a), "new");
      const names = [...Deno.readDirSync(join(dir, "conf"))].map((e) => e.name);
      assert.deepEqual(names, ["S.conf"]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
