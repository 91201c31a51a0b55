import assert from "node:assert/strict";
import { join } from "./posix_path.ts";
import { exists, ifExists, ifExistsSync } from "./not_found.ts";

Deno.test("not found", async (t) => {
  const dir = await Deno.makeTempDir();
  const file = join(dir, "file");
  const missing = join(dir, "missing");
  await Deno.writeTextFile(file, "text");
  await Deno.symlink(missing, join(dir, "dangling"));
  try {
    await t.step("ifExists: the value, or undefined when there is nothing", async () => {
      assert.equal(await ifExists(Deno.readTextFile(file)), "text");
      assert.equal(await ifExists(Deno.readTextFile(missing)), undefined);
      assert.equal(await ifExists(Deno.remove(missing)), undefined);
    });

    await t.step("ifExistsSync: the same for a call that does not wait", () => {
      assert.equal(ifExistsSync(() => Deno.readTextFileSync(file)), "text");
      assert.equal(ifExistsSync(() => Deno.statSync(missing)), undefined);
    });

    await t.step("any other error is thrown as it came", async () => {
      await assert.rejects(
        ifExists(Deno.readTextFile(join(file, "below"))),
        Deno.errors.NotADirectory,
      );
      assert.throws(() => ifExistsSync(() => Deno.readDirSync(file).next()), Error);
      const boom = new Error("boom");
      await assert.rejects(ifExists(Promise.reject(boom)), (error) => error === boom);
      assert.throws(() =>
        ifExistsSync(() => {
          throw boom;
        }), (error) => error === boom);
    });

    await t.step("exists: a file, a directory, a link to nothing; not a missing path", async () => {
      assert.equal(await exists(file), true);
      assert.equal(await exists(dir), true);
      assert.equal(await exists(join(dir, "dangling")), true);
      assert.equal(await exists(missing), false);
      assert.equal(await exists(join(file, "below")), false, "under a file nothing can be");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
