import assert from "node:assert/strict";
import { mariadbSearchPath, startMariadb } from "./mariadb.ts";

Deno.test("startMariadb without the binaries names the package to install", async () => {
  const empty = await Deno.makeTempDir({ prefix: "tars-nopath-" });
  try {
    await assert.rejects(
      () => startMariadb({ searchPath: empty }),
      /install the Debian package mariadb-server.*TARS_SKIP_MYSQL=1/,
    );
  } finally {
    await Deno.remove(empty);
  }
});

Deno.test("mariadbSearchPath adds the sbin directories", () => {
  assert.equal(
    mariadbSearchPath("/bin"),
    "/bin:/usr/sbin:/usr/local/sbin:/usr/bin:/usr/local/bin",
  );
  assert.equal(mariadbSearchPath(undefined).split(":")[0], "/usr/sbin");
});
