/**
 * Registry storage: the store contract, the SQLite and MySQL stores, and how to open
 * one from a `--store` spec or the original's `DB_DSN`.
 *
 * @module
 */

export * from "./types.ts";
export { mysqlUrlFromDsn, mysqlUrlFromParts, openStore } from "./open_store.ts";
export type { MysqlParts, OpenStoreOptions } from "./open_store.ts";
export { SqliteStore } from "./sqlite_store.ts";
export { createMysqlSchema, DEFAULT_DDL_PATH, MysqlStore, parseMysqlUrl } from "./mysql_store.ts";
export type { MysqlConfig, MysqlStoreOptions } from "./mysql_store.ts";
