/**
 * Opens a registry store from a `--store` spec, and turns the original registry's
 * `DB_DSN` / `DB_HOST`… settings into that spec.
 */

import { MysqlStore } from "./mysql_store.ts";
import { SqliteStore } from "./sqlite_store.ts";
import type { RegistryStore, StoreOptions } from "./types.ts";

/** Options of {@link openStore}. */
export interface OpenStoreOptions extends StoreOptions {
  /** MySQL only: create the db_tars tables first (`--init-db`). */
  initDb?: boolean;
  /** MySQL only: DDL file for `initDb` (default `baseserver/db/db_tars.sql`). */
  ddlPath?: string | URL;
  /** MySQL only: connection pool size (default 8). */
  poolSize?: number;
  /** MySQL only, tests: the database's `NOW()` follows `now` (`MysqlStoreOptions.pinClock`). */
  pinClock?: boolean;
}

/** Opens `sqlite:PATH` or `mysql://USER:PASS@HOST:PORT/db_tars[?socket=/path]`. */
export async function openStore(spec: string, options: OpenStoreOptions): Promise<RegistryStore> {
  if (spec.startsWith("sqlite:")) {
    const path = spec.slice("sqlite:".length);
    if (path === "") {
      throw new RangeError(
        `Invalid store "sqlite:": give a file, e.g. sqlite:/tars/data/registry.db`,
      );
    }
    return SqliteStore.open(path, { now: options.now });
  }
  if (spec.startsWith("mysql://")) return await MysqlStore.open(spec, options);
  throw new RangeError(
    `Invalid store ${JSON.stringify(spec)}: use sqlite:PATH or ` +
      `mysql://USER:PASS@HOST:PORT/db_tars`,
  );
}

/** Parts of a MySQL location, as in `DB_HOST`, `DB_PORT`, `DB_USER`, `DB_PASS`. */
export interface MysqlParts {
  /** Host name or IP. */
  host: string;
  /** Port; default 3306. */
  port?: number | string;
  /** User name. */
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
