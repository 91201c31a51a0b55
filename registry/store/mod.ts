/**
 * Registry storage: the store contract (the rows a store takes and what it reads back), the
 * SQLite and MySQL stores, and how to open one from a `--store` spec or the original's `DB_DSN`.
 * Other packages and tools import the store through this module; the registry's own modules import
 * the files they need directly, so that a registry on SQLite does not load the MySQL driver
 * (`open_store.ts` loads the MySQL store only for a MySQL spec; `registry/run_test.ts` checks).
 *
 * @module
 */

export * from "./types.ts";
export * from "./admin_types.ts";
export {
  mysqlUrlFromDsn,
  mysqlUrlFromParts,
  newStoreFiles,
  openStore,
  removeNewStoreFiles,
} from "./open_store.ts";
export type { MysqlParts, OpenStoreOptions } from "./open_store.ts";
export { SqliteStore } from "./sqlite_store.ts";
export { MysqlStore, type MysqlStoreOptions } from "./mysql_store.ts";
export {
  type ConnectOptions,
  createMysqlDatabase,
  createMysqlSchema,
  DEFAULT_DDL_PATH,
  type MysqlConfig,
  parseMysqlUrl,
} from "./mysql_schema.ts";
export {
  explainMysqlError,
  MysqlConnectError,
  type MysqlProblem,
  mysqlProblem,
  type MysqlTarget,
} from "./mysql_errors.ts";
