import assert from "node:assert/strict";
import { join } from "node:path";
import {
  mysqlUrlFromDsn,
  mysqlUrlFromParts,
  newStoreFiles,
  openStore,
  removeNewStoreFiles,
} from "./open_store.ts";
import { parseMysqlUrl } from "./mysql_schema.ts";

Deno.test("mysqlUrlFromDsn converts the original's DB_DSN", () => {
  assert.equal(
    mysqlUrlFromDsn("tars:tars2015@tcp(tars-db:3306)/db_tars"),
    "mysql://tars:tars2015@tars-db:3306/db_tars",
  );
  assert.equal(
    mysqlUrlFromDsn("root:p@ss:w)rd@tcp(10.0.0.3:3307)/db_tars?charset=utf8&parseTime=true"),
    "mysql://root:p%40ss%3Aw)rd@10.0.0.3:3307/db_tars",
  );
  assert.equal(mysqlUrlFromDsn("u@tcp(db)/x"), "mysql://u@db:3306/x");
  assert.equal(
    mysqlUrlFromDsn("u:p@tcp([fd00::5]:3306)/db_tars"),
    "mysql://u:p@[fd00::5]:3306/db_tars",
  );
  assert.equal(mysqlUrlFromDsn("u:p@/db_tars"), "mysql://u:p@127.0.0.1:3306/db_tars");
  assert.equal(
    mysqlUrlFromDsn("u:p@unix(/run/mysqld/mysqld.sock)/db_tars"),
    "mysql://u:p@localhost/db_tars?socket=%2Frun%2Fmysqld%2Fmysqld.sock",
  );
  assert.throws(() => mysqlUrlFromDsn("tars@tars-db:3306"), /Invalid DB_DSN.*tcp\(host:port\)/);
});

Deno.test("mysqlUrlFromParts builds a URL from DB_HOST, DB_PORT, DB_USER, DB_PASS", () => {
  assert.equal(
    mysqlUrlFromParts({ host: "db", port: "3306", user: "tars", password: "a/b@c" }),
    "mysql://tars:a%2Fb%40c@db:3306/db_tars",
  );
  assert.equal(mysqlUrlFromParts({ host: "db", user: "tars" }), "mysql://tars@db:3306/db_tars");
  assert.throws(() => mysqlUrlFromParts({ host: "db", port: "x", user: "u" }), /port "x"/);
  assert.throws(() => mysqlUrlFromParts({ host: "", user: "u" }), /host/);
});

Deno.test("parseMysqlUrl reads credentials, database and socket", () => {
  const config = parseMysqlUrl(mysqlUrlFromDsn("root:p@ss:w)rd@tcp(10.0.0.3:3307)/db_tars"));
  assert.deepStrictEqual(config, {
    host: "10.0.0.3",
    port: 3307,
    user: "root",
    password: "p@ss:w)rd",
    database: "db_tars",
  });
  assert.deepStrictEqual(parseMysqlUrl("mysql://u:p@localhost/db_tars?socket=%2Ftmp%2Fs"), {
    host: "localhost",
    port: 3306,
    user: "u",
    password: "p",
    database: "db_tars",
    socketPath: "/tmp/s",
  });
  assert.throws(
    () => parseMysqlUrl("mysql://u:p@db:3306/"),
    /mysql:\/\/USER:PASS@HOST:PORT\/db_tars/,
  );
  assert.throws(() => parseMysqlUrl("mysql://u:p@db/db_tars?ssl=1"), /"ssl"/);
});

Deno.test("newStoreFiles lists what a new SQLite store creates, removeNewStoreFiles removes it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tars-open-" });
  try {
    const path = join(dir, "a", "b", "registry.db");
    const created = await newStoreFiles(`sqlite:${path}`);
    assert.deepEqual(created, [
      path,
      `${path}-wal`,
      `${path}-shm`,
      `${path}-journal`,
      join(dir, "a", "b"),
      join(dir, "a"),
    ]);
    const store = await openStore(`sqlite:${path}`, { now: () => 0 });
    await store.close();
    await Deno.writeTextFile(join(dir, "a", "kept"), "");
    await removeNewStoreFiles(created);
    assert.deepEqual([...Deno.readDirSync(join(dir, "a"))].map((e) => e.name), ["kept"]);
    assert.deepEqual(await newStoreFiles(`sqlite:${join(dir, "a", "kept")}`), []);
    assert.deepEqual(await newStoreFiles("mysql://u:p@db/db_tars"), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openStore picks the store from the spec", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tars-open-" });
  try {
    const store = await openStore(`sqlite:${join(dir, "data", "registry.db")}`, { now: () => 0 });
    assert.equal(store.kind, "sqlite");
    await store.close();
    await assert.rejects(() => openStore("sqlite:", { now: () => 0 }), /sqlite:\/tars/);
    await assert.rejects(
      () => openStore("postgres://x/y", { now: () => 0 }),
      /sqlite:PATH or mysql:/,
    );
    await assert.rejects(
      () => openStore("mysql://u:p@127.0.0.1:1/db_tars", { now: () => 0 }),
      {
        message: /^Cannot connect to MySQL at 127\.0\.0\.1:1: connection refused \(ECONNREFUSED\)/,
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openStore: a SQLite path it cannot use is named with its cause and the fix", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "tars-open-" });
  const file = join(dir, "afile");
  await Deno.writeTextFile(file, "");
  const refusal = (path: string, reason: string) =>
    `Cannot open the SQLite store ${path} (--store): ${reason}`;
  const inPlace = `${file} is a file, not a directory: move that file, or keep the store under ` +
    "another path";
  try {
    await t.step("its directory is a file", async () => {
      const path = join(file, "registry.db");
      await assert.rejects(() => openStore(`sqlite:${path}`, { now: () => 0 }), {
        message: refusal(path, inPlace),
      });
    });
    await t.step("a directory above it is a file", async () => {
      const path = join(file, "data", "registry.db");
      await assert.rejects(() => openStore(`sqlite:${path}`, { now: () => 0 }), {
        message: refusal(path, inPlace),
      });
    });
    await t.step("it is a directory", async () => {
      await assert.rejects(() => openStore(`sqlite:${dir}`, { now: () => 0 }), {
        message: refusal(
          dir,
          `it is a directory: name a file in it, e.g. sqlite:${join(dir, "tarsregistry.db")}`,
        ),
      });
    });
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["afile"]);
    assert.equal(await Deno.readTextFile(file), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
