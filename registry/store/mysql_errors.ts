/**
 * Why the registry cannot use its MySQL database, from the driver's own error: the reason in its
 * words (connection refused, unknown host, timed out, access denied, unknown database) and what to
 * change, naming the setting that gave the store (`--store`, `TARS_REGISTRY_STORE`, `DB_DSN` or
 * `DB_HOST`…). The store throws these where it connects, so whoever opens it (the registry's
 * start-up) logs a message a user can act on. Passwords never appear in them.
 *
 * @module
 */

/** Why a connection failed, as far as the fix goes. */
export type MysqlProblem =
  | "connection refused"
  | "unknown host"
  | "timed out"
  | "no socket"
  | "access denied"
  | "unknown database"
  | "other";

/** Where the store connects, for messages. */
export interface MysqlTarget {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly socketPath?: string;
}

/** The store could not connect to MySQL; `problem` says why, the message what to do. */
export class MysqlConnectError extends Error {
  readonly problem: MysqlProblem;

  constructor(problem: MysqlProblem, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "MysqlConnectError";
    this.problem = problem;
  }
}

/** What a driver error carries (mysql2 passes Node's socket codes and MySQL's error numbers). */
interface DriverError {
  readonly code?: string;
  readonly errno?: number;
  readonly sqlMessage?: string;
  readonly message?: string;
}

/** MySQL's "access denied for user … to database …" (also for a database that does not exist). */
export const ER_DBACCESS_DENIED = 1044;
/** The MySQL server's other error numbers this module explains. */
const ER_ACCESS_DENIED = 1045;
const ER_BAD_DB = 1049;

/** The problem a driver error is. */
export function mysqlProblem(error: unknown): MysqlProblem {
  const { code, errno } = (error ?? {}) as DriverError;
  if (errno === ER_BAD_DB) return "unknown database";
  if (errno === ER_ACCESS_DENIED || errno === ER_DBACCESS_DENIED) return "access denied";
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return "unknown host";
    case "ETIMEDOUT":
      return "timed out";
    case "ENOENT":
      return "no socket";
    default:
      return "other";
  }
}

/**
 * Explains `error`, thrown by the driver while connecting to `target`, as a
 * {@linkcode MysqlConnectError}: the driver's reason, then what to change in `setting`.
 * `connectTimeout` (ms) is how long the driver waited, for "timed out".
 */
export function explainMysqlError(
  error: unknown,
  target: MysqlTarget,
  options: { setting: string; connectTimeout: number },
): MysqlConnectError {
  const { setting } = options;
  const driver = error as DriverError;
  const where = target.socketPath ?? `${target.host}:${target.port}`;
  const code = driver.code ? ` (${driver.code})` : "";
  const problem = mysqlProblem(error);
  const connect = `Cannot connect to MySQL at ${where}`;
  const text = ((): string => {
    switch (problem) {
      case "connection refused":
        return `${connect}: connection refused${code}, no server listens there; start MySQL, ` +
          `or fix the host and port in ${setting}`;
      case "unknown host":
        return `${connect}: unknown host "${target.host}"${code}; fix the host in ${setting}`;
      case "timed out":
        return `${connect}: timed out${code} after ${options.connectTimeout / 1000} s, ` +
          `nothing answered; check the host and port in ${setting}, and that no firewall drops ` +
          "the connection";
      case "no socket":
        return `${connect}: no such socket${code}; start MySQL, or fix ?socket= in ${setting}`;
      case "access denied":
        return driver.errno === ER_DBACCESS_DENIED
          ? `MySQL at ${where} denied user "${target.user}" access to database ` +
            `"${target.database}"${code} (or it does not exist); grant the user access to it ` +
            `(GRANT ALL ON ${target.database}.* TO …), or fix the user or database in ${setting}`
          : `MySQL at ${where} denied access to user "${target.user}"${code}: wrong password, ` +
            `or no such user for this client's address; fix the user and password in ${setting}`;
      case "unknown database":
        return `MySQL at ${where} has no database "${target.database}": unknown database` +
          `${code}; create it (CREATE DATABASE ${target.database}), start the registry with ` +
          `--init-db once, which creates it when the user may, or fix the database in ${setting}`;
      case "other":
        return `${connect} as user "${target.user}": ${
          driver.sqlMessage ?? driver.message ?? String(error)
        }${code}; check ${setting}`;
    }
  })();
  return new MysqlConnectError(problem, text, { cause: error });
}
