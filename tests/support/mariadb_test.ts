import assert from "node:assert/strict";
import mysql from "mysql2/promise";
import { dirname } from "node:path";
import { mariadbMissing, mariadbSearchPath, startMariadb } from "./mariadb.ts";
import { skipWhen } from "./skip.ts";

function env(vars: Record<string, string>) {
  return { get: (name: string) => vars[name] };
}

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

Deno.test("mariadbMissing: TARS_SKIP_MYSQL=1, or the package to install", async () => {
  const empty = await Deno.makeTempDir({ prefix: "tars-nopath-" });
  try {
    assert.equal(mariadbMissing(env({ TARS_SKIP_MYSQL: "1" })), "TARS_SKIP_MYSQL=1 is set");
    assert.match(
      mariadbMissing(env({}), { searchPath: empty }) ?? "",
      /^it needs the MariaDB server binaries .*: install the Debian package mariadb-server/,
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

const START_TEST = "startMariadb runs a private server as the current user, root or not";
Deno.test(START_TEST, { ignore: skipWhen(START_TEST, mariadbMissing(Deno.env)) }, async () => {
  const server = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
  const dir = dirname(server.socket);
  try {
    assert.equal((await Deno.stat(server.socket)).uid, Deno.uid());
    const conn = await mysql.createConnection(server.url);
    try {
      const [rows] = await conn.query("SELECT DATABASE() AS db");
      assert.deepEqual(rows, [{ db: "db_tars" }]);
    } finally {
      await conn.end();
    }
  } finally {
    await server.stop();
  }
  await assert.rejects(() => Deno.stat(dir), Deno.errors.NotFound);
});
