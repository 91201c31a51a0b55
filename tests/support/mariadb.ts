/**
 * Test harness: a private MariaDB server (Debian's `mariadb-server` binaries) in a
 * temporary directory, on its own socket and a free loopback port, with strict SQL mode.
 * It creates database `db_tars` and a password user, and removes everything on stop.
 */

import mysql from "mysql2/promise";
import { join } from "node:path";
import { ifExists, ifExistsSync } from "../../lib/not_found.ts";
import { freePort } from "./free_port.ts";

/** Strict SQL mode the test server runs with. */
export const STRICT_SQL_MODE = [
  "STRICT_ALL_TABLES",
  "STRICT_TRANS_TABLES",
  "NO_ZERO_IN_DATE",
  "NO_ZERO_DATE",
  "ERROR_FOR_DIVISION_BY_ZERO",
  "NO_ENGINE_SUBSTITUTION",
].join(",");

const USER = "tars";
const PASSWORD = "t@rs:pw/1";
const SYSTEM_DIRS = ["/usr/sbin", "/usr/local/sbin", "/usr/bin", "/usr/local/bin"];

/** The search path for the binaries: `envPath` (the PATH variable) plus the sbin dirs. */
export function mariadbSearchPath(envPath: string | undefined): string {
  return [envPath ?? "", ...SYSTEM_DIRS].filter(Boolean).join(":");
}

/** A running private MariaDB. */
export interface MariadbServer {
  /** `mysql://tars:…@127.0.0.1:PORT/db_tars` (TCP, password user). */
  url: string;
  /** Unix socket path of the server. */
  socket: string;
  /** TCP port on 127.0.0.1. */
  port: number;
  /** Process id of `mariadbd` (tests SIGSTOP it to make a hung database). */
  pid: number;
  /** URL of another database on the same server (created on demand by {@link createDatabase}). */
  urlFor(database: string, options?: { socket?: boolean }): string;
  /** Creates a database (as root) and returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Runs one statement as root on `database`; returns the rows. */
  rootQuery(database: string, sql: string, params?: unknown[]): Promise<unknown>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
}

/** Where to look for the binaries. */
export interface MariadbOptions {
  /** Colon-separated dirs to search, e.g. `mariadbSearchPath(Deno.env.get("PATH"))`. */
  searchPath: string;
  /** Seconds to wait for the server to answer; default 30. */
  startTimeout?: number;
  /** TCP port on 127.0.0.1; default a free one. */
  port?: number;
}

function findBinary(names: string[], searchPath: string): string | null {
  const dirs = searchPath.split(":").filter(Boolean);
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = join(dir, name);
      try {
        if (ifExistsSync(() => Deno.statSync(candidate))?.isFile) return candidate;
      } catch (error) {
        // A directory of PATH this user may not search (another user's home) holds nothing for it.
        if (!(error instanceof Deno.errors.PermissionDenied)) throw error;
      }
    }
  }
  return null;
}

async function run(command: string, options: { args: string[]; what: string }): Promise<void> {
  const { args, what } = options;
  const output = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!output.success) {
    const text = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
    throw new Error(`${what} failed (exit ${output.code}): ${text.trim().slice(-2000)}`);
  }
}

async function logTail(path: string): Promise<string> {
  const text = await ifExists(Deno.readTextFile(path));
  return text === undefined
    ? "(no error log written)"
    : text.trim().split("\n").slice(-15).join("\n");
}

/** The server and the data directory installer on `searchPath`, or null when one is missing. */
function findMariadb(searchPath: string): { server: string; installDb: string } | null {
  const server = findBinary(["mariadbd", "mysqld"], searchPath);
  const installDb = findBinary(["mariadb-install-db", "mysql_install_db"], searchPath);
  return server && installDb ? { server, installDb } : null;
}

const BINARIES = "MariaDB server binaries (mariadbd or mysqld, mariadb-install-db)";
const PACKAGE = "install the Debian package mariadb-server (apt-get install -y mariadb-server)";

/**
 * Why the tests on a private MariaDB cannot run here: `TARS_SKIP_MYSQL=1` is set in `env`, or the
 * server binaries are not on `searchPath` (default: env's PATH plus the sbin directories);
 * undefined when they can.
 */
export function mariadbMissing(
  env: { get(name: string): string | undefined },
  options: { searchPath?: string } = {},
): string | undefined {
  if (env.get("TARS_SKIP_MYSQL") === "1") return "TARS_SKIP_MYSQL=1 is set";
  if (findMariadb(options.searchPath ?? mariadbSearchPath(env.get("PATH")))) return undefined;
  return `it needs the ${BINARIES}: ${PACKAGE}`;
}

/**
 * Starts a private MariaDB as the current user; throws naming the Debian package when it is not
 * installed.
 */
export async function startMariadb(options: MariadbOptions): Promise<MariadbServer> {
  const binaries = findMariadb(options.searchPath);
  if (!binaries) {
    throw new Error(
      `${BINARIES} were not found: ${PACKAGE}, or set TARS_SKIP_MYSQL=1 to skip the MySQL tests`,
    );
  }
  const { server, installDb } = binaries;
  // mariadbd refuses to run as root unless told --user=root. Any other user runs it as itself,
  // and mariadb-install-db then gets no --user: given one, it chowns the data directory and its
  // PAM helper, which needs root.
  const user = Deno.uid() === 0 ? ["--user=root"] : [];
  const dir = await Deno.makeTempDir({ prefix: "tars-mariadb-" });
  const dataDir = join(dir, "data");
  const socket = join(dir, "sock");
  const errorLog = join(dir, "error.log");
  // Its own temporary directory: in the shared /tmp, the bootstrap of one server failed to remove
  // its temporary table while other servers ran beside it.
  const tmpDir = join(dir, "tmp");
  await Deno.mkdir(tmpDir);
  const port = options.port ?? freePort();
  let child: Deno.ChildProcess | null = null;
  let exited = false;
  const stop = async () => {
    if (child && !exited) {
      // A test may have stopped it (SIGSTOP) to hang the database: it must run to end.
      child.kill("SIGCONT");
      child.kill("SIGTERM");
      const timer = setTimeout(() => {
        if (!exited) child?.kill("SIGKILL");
      }, 20_000);
      await child.status;
      clearTimeout(timer);
    }
    await Deno.remove(dir, { recursive: true });
  };
  try {
    await run(installDb, {
      args: [
        "--no-defaults",
        `--datadir=${dataDir}`,
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        `--tmpdir=${tmpDir}`,
        ...user,
      ],
      what: "mariadb-install-db",
    });
    child = new Deno.Command(server, {
      args: [
        "--no-defaults",
        `--datadir=${dataDir}`,
        `--socket=${socket}`,
        `--port=${port}`,
        `--tmpdir=${tmpDir}`,
        "--bind-address=127.0.0.1",
        ...user,
        `--sql-mode=${STRICT_SQL_MODE}`,
        `--log-error=${errorLog}`,
        `--pid-file=${join(dir, "mariadb.pid")}`,
        "--skip-log-bin",
        "--skip-name-resolve",
        "--performance-schema=OFF",
        "--innodb-buffer-pool-size=32M",
      ],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    child.status.then(() => exited = true);
    const root = await waitForRoot(socket, {
      seconds: options.startTimeout ?? 30,
      exited: () => exited,
      errorLog,
    });
    try {
      await root.query("CREATE DATABASE db_tars");
      await root.query(`CREATE USER '${USER}'@'%' IDENTIFIED BY ?`, [PASSWORD]);
      await root.query(`GRANT ALL PRIVILEGES ON *.* TO '${USER}'@'%'`);
    } finally {
      await root.end();
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const credentials = `${encodeURIComponent(USER)}:${encodeURIComponent(PASSWORD)}`;
  const urlFor = (database: string, opts: { socket?: boolean } = {}) =>
    opts.socket
      ? `mysql://${credentials}@localhost/${database}?socket=${encodeURIComponent(socket)}`
      : `mysql://${credentials}@127.0.0.1:${port}/${database}`;
  const rootQuery = async (database: string, sql: string, params: unknown[] = []) => {
    const root = await mysql.createConnection({ socketPath: socket, user: "root", database });
    try {
      const [rows] = await root.query(sql, params);
      return rows;
    } finally {
      await root.end();
    }
  };
  return {
    url: urlFor("db_tars"),
    socket,
    port,
    pid: child!.pid,
    urlFor,
    async createDatabase(name) {
      await rootQuery("mysql", `CREATE DATABASE \`${name}\``);
      return urlFor(name);
    },
    rootQuery,
    stop,
  };
}

async function waitForRoot(
  socket: string,
  wait: { seconds: number; exited: () => boolean; errorLog: string },
): Promise<mysql.Connection> {
  const deadline = Date.now() + wait.seconds * 1000;
  let lastError: unknown = null;
  while (Date.now() < deadline) {
    if (wait.exited()) {
      throw new Error(`MariaDB exited during start-up:\n${await logTail(wait.errorLog)}`);
    }
    try {
      return await mysql.createConnection({ socketPath: socket, user: "root" });
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(
    `MariaDB did not answer on ${socket} within ${wait.seconds} s (last error: ${
      String(lastError)
    }):\n${await logTail(wait.errorLog)}`,
  );
}
