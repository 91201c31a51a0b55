/**
 * The MySQL store's connection errors: the driver's reason and what to change, from real failures
 * (a private MariaDB for the server's answers, loopback sockets for the network's) and for
 * `--init-db` creating a missing database.
 */
import assert from "node:assert/strict";
import {
  mariadbMissing,
  mariadbSearchPath,
  type MariadbServer,
  startMariadb,
} from "../../tests/support/mariadb.ts";
import { skipWhen } from "../../tests/support/skip.ts";
import { explainMysqlError, MysqlConnectError, mysqlProblem } from "./mysql_errors.ts";
import { openStore } from "./open_store.ts";

const TARGET = { host: "db.example", port: 3306, user: "tars", database: "db_tars" };

Deno.test("explainMysqlError: each driver error in its words, with the setting to change", () => {
  const explain = (error: object, setting = "DB_DSN") =>
    explainMysqlError(error, TARGET, { setting, connectTimeout: 10_000 });
  const cases: [object, string, string][] = [
    [
      { code: "ECONNREFUSED" },
      "connection refused",
      "Cannot connect to MySQL at db.example:3306: connection refused (ECONNREFUSED), no server " +
      "listens there; start MySQL, or fix the host and port in DB_DSN",
    ],
    [
      { code: "ENOTFOUND" },
      "unknown host",
      'Cannot connect to MySQL at db.example:3306: unknown host "db.example" (ENOTFOUND); fix ' +
      "the host in DB_DSN",
    ],
    [
      { code: "ETIMEDOUT" },
      "timed out",
      "Cannot connect to MySQL at db.example:3306: timed out (ETIMEDOUT) after 10 s, nothing " +
      "answered; check the host and port in DB_DSN, and that no firewall drops the connection",
    ],
    [
      { code: "ER_ACCESS_DENIED_ERROR", errno: 1045 },
      "access denied",
      'MySQL at db.example:3306 denied access to user "tars" (ER_ACCESS_DENIED_ERROR): wrong ' +
      "password, or no such user for this client's address; fix the user and password in DB_DSN",
    ],
    [
      { code: "ER_BAD_DB_ERROR", errno: 1049 },
      "unknown database",
      'MySQL at db.example:3306 has no database "db_tars": unknown database (ER_BAD_DB_ERROR); ' +
      "create it (CREATE DATABASE db_tars), start the registry with --init-db once, which " +
      "creates it when the user may, or fix the database in DB_DSN",
    ],
    [
      { code: "ER_DBACCESS_DENIED_ERROR", errno: 1044 },
      "access denied",
      'MySQL at db.example:3306 denied user "tars" access to database "db_tars" ' +
      "(ER_DBACCESS_DENIED_ERROR) (or it does not exist); grant the user access to it (GRANT " +
      "ALL ON db_tars.* TO …), or fix the user or database in DB_DSN",
    ],
    [
      { code: "EPROTO", message: "handshake failed" },
      "other",
      'Cannot connect to MySQL at db.example:3306 as user "tars": handshake failed (EPROTO); ' +
      "check DB_DSN",
    ],
  ];
  for (const [driver, problem, message] of cases) {
    const error = explain(driver);
    assert.ok(error instanceof MysqlConnectError);
    assert.equal(error.problem, problem);
    assert.equal(mysqlProblem(driver), problem);
    assert.equal(error.message, message);
    assert.equal(error.cause, driver);
  }
  const socket = explainMysqlError({ code: "ENOENT" }, { ...TARGET, socketPath: "/run/m.sock" }, {
    setting: "--store",
    connectTimeout: 10_000,
  });
  assert.equal(
    socket.message,
    "Cannot connect to MySQL at /run/m.sock: no such socket (ENOENT); start MySQL, or fix " +
      "?socket= in --store",
  );
});

/** A loopback port nothing listens on: bound, then closed. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("the network's causes, on loopback: refused, unknown host, timed out", async (t) => {
  const now = () => 0;
  await t.step("a closed port: connection refused", async () => {
    const port = closedPort();
    await assert.rejects(
      openStore(`mysql://tars:secret@127.0.0.1:${port}/db_tars`, { now, setting: "DB_DSN" }),
      {
        name: "MysqlConnectError",
        message: `Cannot connect to MySQL at 127.0.0.1:${port}: connection refused ` +
          "(ECONNREFUSED), no server listens there; start MySQL, or fix the host and port in " +
          "DB_DSN",
      },
    );
  });

  await t.step("an unknown host (.invalid never resolves)", async () => {
    await assert.rejects(openStore("mysql://tars:secret@no-such-host.invalid/db_tars", { now }), {
      name: "MysqlConnectError",
      message:
        /^Cannot connect to MySQL at no-such-host\.invalid:3306: unknown host "no-such-host\.invalid" \((ENOTFOUND|EAI_AGAIN)\); fix the host in --store$/,
    });
  });

  await t.step("a server that accepts and never answers: timed out", async () => {
    const silent = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const held: Deno.Conn[] = [];
    const accepting = (async () => {
      for await (const conn of silent) held.push(conn);
    })();
    try {
      const { port } = silent.addr as Deno.NetAddr;
      await assert.rejects(
        openStore(`mysql://tars:secret@127.0.0.1:${port}/db_tars`, { now, connectTimeout: 300 }),
        {
          name: "MysqlConnectError",
          message: `Cannot connect to MySQL at 127.0.0.1:${port}: timed out (ETIMEDOUT) after ` +
            "0.3 s, nothing answered; check the host and port in --store, and that no firewall " +
            "drops the connection",
        },
      );
    } finally {
      silent.close();
      await accepting;
      held.forEach((conn) => conn.close());
    }
  });
});

const MYSQL_TEST =
  "the server's causes (private MariaDB): access denied, unknown database, --init-db";
Deno.test(MYSQL_TEST, { ignore: skipWhen(MYSQL_TEST, mariadbMissing(Deno.env)) }, async (t) => {
  const server = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
  try {
    await serverCauses(t, server);
  } finally {
    await server.stop();
  }
});

async function serverCauses(t: Deno.TestContext, server: MariadbServer) {
  const now = () => 0;
  const url = new URL(server.url);
  const where = `127.0.0.1:${url.port}`;

  await t.step("a wrong password: access denied, and the password is not shown", async () => {
    const wrong = `mysql://tars:not-the-password@${url.host}/db_tars`;
    await assert.rejects(openStore(wrong, { now, setting: "TARS_REGISTRY_STORE" }), (error) => {
      assert.ok(error instanceof MysqlConnectError);
      assert.equal(
        error.message,
        `MySQL at ${where} denied access to user "tars" (ER_ACCESS_DENIED_ERROR): wrong ` +
          "password, or no such user for this client's address; fix the user and password in " +
          "TARS_REGISTRY_STORE",
      );
      assert.ok(!error.message.includes("not-the-password"));
      return true;
    });
  });

  await t.step("a missing database: unknown database", async () => {
    await assert.rejects(openStore(server.urlFor("missing_db"), { now }), {
      name: "MysqlConnectError",
      message: `MySQL at ${where} has no database "missing_db": unknown database ` +
        "(ER_BAD_DB_ERROR); create it (CREATE DATABASE missing_db), start the registry with " +
        "--init-db once, which creates it when the user may, or fix the database in --store",
    });
  });

  await t.step("--init-db creates the missing database, then the tables", async () => {
    const store = await openStore(server.urlFor("created_db"), { now, initDb: true });
    try {
      assert.equal(store.kind, "mysql");
      assert.deepEqual((await store.counts()).servers, 0);
    } finally {
      await store.close();
    }
    const [row] = await server.rootQuery(
      "mysql",
      "SELECT DEFAULT_CHARACTER_SET_NAME AS charset FROM information_schema.SCHEMATA " +
        "WHERE SCHEMA_NAME = 'created_db'",
    ) as { charset: string }[];
    assert.equal(row.charset, "utf8mb4");
  });

  await t.step("--init-db by a user who may not create databases says so", async () => {
    await server.rootQuery("mysql", "CREATE USER 'reader'@'%' IDENTIFIED BY 'pw'");
    await server.rootQuery("mysql", "GRANT SELECT ON db_tars.* TO 'reader'@'%'");
    const reader = `mysql://reader:pw@${url.host}/not_created`;
    await assert.rejects(openStore(reader, { now }), {
      name: "MysqlConnectError",
      message: `MySQL at ${where} denied user "reader" access to database "not_created" ` +
        "(ER_DBACCESS_DENIED_ERROR) (or it does not exist); grant the user access to it (GRANT " +
        "ALL ON not_created.* TO …), or fix the user or database in --store",
    });
    await assert.rejects(openStore(reader, { now, initDb: true }), {
      message: 'Cannot create database "not_created" as user "reader" (--init-db): Access ' +
        "denied for user 'reader'@'%' to database 'not_created'; have an administrator run " +
        "CREATE DATABASE not_created and grant the user access to it",
    });
    const databases = await server.rootQuery("mysql", "SHOW DATABASES LIKE 'not_created'");
    assert.deepEqual(databases, []);
  });
}
