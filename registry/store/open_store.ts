/**
 * Opens a registry store from a `--store` spec, and turns the original registry's
 * `DB_DSN` / `DB_HOST`… settings into that spec.
 *
 * @module
 */

import { exists, ifExists } from "../../lib/not_found.ts";
import { dirname, join } from "../../lib/posix_path.ts";
import type { ConnectOptions } from "./mysql_schema.ts";
import { SqliteStore } from "./sqlite_store.ts";
import type { RegistryStore, StoreOptions } from "./types.ts";

/** Options of {@link openStore}. */
export interface OpenStoreOptions extends StoreOptions, ConnectOptions {
  /** MySQL only: create the database when missing, then the db_tars tables (`--init-db`). */
  initDb?: boolean;
  /** MySQL only: DDL file for `initDb` (default `baseserver/db/db_tars.sql`). */
  ddlPath?: string | URL;
  /** MySQL only: connection pool size (default 8). */
  poolSize?: number;
  /** MySQL only, tests: the database's `NOW()` follows `now` (`MysqlStoreOptions.pinClock`). */
  pinClock?: boolean;
}

/** The SQLite file of a `sqlite:PATH` spec; undefined for another store. */
function sqlitePath(spec: string): string | undefined {
  return spec.startsWith("sqlite:") ? spec.slice("sqlite:".length) : undefined;
}

/**
 * Opens `sqlite:PATH` or `mysql://USER:PASS@HOST:PORT/db_tars[?socket=/path]`. A store that
 * cannot be opened is an error saying why and naming `options.setting`, the setting that gave
 * the spec.
 */
export async function openStore(spec: string, options: OpenStoreOptions): Promise<RegistryStore> {
  const path = sqlitePath(spec);
  if (path !== undefined) {
    if (path === "") {
      throw new RangeError(
        `Invalid store "sqlite:": give a file, e.g. sqlite:/tars/data/registry.db`,
      );
    }
    try {
      return SqliteStore.open(path, { now: options.now });
    } catch (error) {
      // Creating the directories above a file fails with EEXIST (or ENOTDIR below it).
      const file = error instanceof Deno.errors.AlreadyExists ||
          error instanceof Deno.errors.NotADirectory
        ? fileInPlaceOfDirectory(path)
        : undefined;
      const reason = file !== undefined
        ? `${file} is a file, not a directory: move that file, or keep the store under another path`
        : isDirectory(path)
        ? `it is a directory: name a file in it, e.g. sqlite:${join(path, "tarsregistry.db")}`
        : error instanceof Deno.errors.NotADirectory
        ? "a directory on its path is a file"
        : error instanceof Deno.errors.PermissionDenied
        ? "permission denied; let the registry's user write there"
        : (error as Error).message;
      throw new Error(
        `Cannot open the SQLite store ${path} (${options.setting ?? "--store"}): ${reason}`,
        { cause: error },
      );
    }
  }
  if (spec.startsWith("mysql://")) {
    // Loaded here: a registry on SQLite does not load the MySQL driver at all.
    const { MysqlStore } = await import("./mysql_store.ts");
    return await MysqlStore.open(spec, options);
  }
  throw new RangeError(
    `Invalid store ${JSON.stringify(spec)}: use sqlite:PATH or ` +
      `mysql://USER:PASS@HOST:PORT/db_tars`,
  );
}

/** Whether `path` is a directory (false when it cannot be told). */
function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** The nearest existing ancestor of `path` when it is a file, where a directory must be; else undefined. */
function fileInPlaceOfDirectory(path: string): string | undefined {
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      return Deno.statSync(dir).isDirectory ? undefined : dir;
    } catch (error) {
      // Missing, or under the file: look further up.
      if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)) {
        return undefined;
      }
    }
  }
  return undefined;
}

/**
 * What opening `spec` would create that does not exist yet, deepest first: for `sqlite:PATH`, the
 * file, its `-wal` and `-shm` companions and the directories above it. A registry that does not
 * start removes them, so a failed start leaves no store behind; another store creates no file.
 */
export async function newStoreFiles(spec: string): Promise<string[]> {
  const path = sqlitePath(spec);
  if (!path || path === ":memory:" || await exists(path)) return [];
  const created = [path, `${path}-wal`, `${path}-shm`, `${path}-journal`];
  for (
    let dir = dirname(path);
    dir !== dirname(dir) && !await exists(dir);
    dir = dirname(dir)
  ) {
    created.push(dir);
  }
  return created;
}

/** Removes what {@linkcode newStoreFiles} listed, as far as it exists and is empty (a directory). */
export async function removeNewStoreFiles(created: readonly string[]): Promise<void> {
  for (const path of created) {
    try {
      await ifExists(Deno.remove(path));
    } catch (error) {
      // Under a file nothing is; a directory something else wrote into meanwhile stays.
      const underFile = error instanceof Deno.errors.NotADirectory;
      const inUse = (error as { code?: string }).code === "ENOTEMPTY";
      if (!underFile && !inUse) throw error;
    }
  }
}

/** Parts of a MySQL location, as in `DB_HOST`, `DB_PORT`, `DB_USER`, `DB_PASS`. */
export interface MysqlParts {
  /** Host name or IP. */
  host: string;
  /** Port; default 3306. */
  port?: number | string;
  user: string;
  /** Password; default empty. */
  password?: string;
  /** Database; default `db_tars`. */
  database?: string;
}

/** Builds a `mysql://` store spec from its parts, escaping user and password. */
export function mysqlUrlFromParts(parts: MysqlParts): string {
  const port = parts.port === undefined || parts.port === "" ? 3306 : Number(parts.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`Invalid MySQL port ${JSON.stringify(parts.port)}: use 1 to 65535`);
  }
  if (!parts.host) throw new RangeError(`Invalid MySQL host "": give a host name or IP`);
  const host = parts.host.includes(":") && !parts.host.startsWith("[")
    ? `[${parts.host}]`
    : parts.host;
  const auth = encodeURIComponent(parts.user) +
    (parts.password ? `:${encodeURIComponent(parts.password)}` : "");
  return `mysql://${auth}@${host}:${port}/${encodeURIComponent(parts.database ?? "db_tars")}`;
}

const DSN =
  /^(?:(?<user>[^:@/]*)(?::(?<password>.*))?@)?(?:(?<net>tcp|unix)\((?<address>[^)]*)\))?\/(?<database>[^?/]+)(?:\?.*)?$/;

/**
 * Converts the original's Go-style `DB_DSN` (`user:pass@tcp(host:port)/db_tars`, also
 * `unix(/path/sock)`) into a `mysql://` store spec. Go driver parameters after `?`
 * are dropped.
 */
export function mysqlUrlFromDsn(dsn: string): string {
  const match = DSN.exec(dsn.trim());
  if (!match?.groups) {
    throw new RangeError(
      `Invalid DB_DSN ${JSON.stringify(dsn)}: use user:pass@tcp(host:port)/db_tars`,
    );
  }
  const { user = "", password = "", net = "tcp", address = "", database } = match.groups;
  if (net === "unix") {
    const auth = encodeURIComponent(user) + (password ? `:${encodeURIComponent(password)}` : "");
    return `mysql://${auth}@localhost/${encodeURIComponent(database)}?socket=${
      encodeURIComponent(address || "/var/run/mysqld/mysqld.sock")
    }`;
  }
  const hostPort = /^(?<host>\[[^\]]+\]|[^:]*)(?::(?<port>\d+))?$/.exec(address)?.groups;
  if (!hostPort) {
    throw new RangeError(
      `Invalid DB_DSN address ${JSON.stringify(address)}: use host:port inside tcp(…)`,
    );
  }
  return mysqlUrlFromParts({
    host: hostPort.host || "127.0.0.1",
    port: hostPort.port,
    user,
    password,
    database,
  });
}
