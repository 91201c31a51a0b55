/**
 * `$TARS_PATH/data/check_status`: the service's state as the supervisor last saw it, read by the
 * readiness probe. Two lines, `<state>` and the time it was written in epoch milliseconds, and a
 * third saying why in one line (readers that know only two lines ignore it); the file is replaced
 * atomically, so a reader never sees half of it. Imports nothing heavy.
 *
 * @module
 */
import { join } from "../lib/posix_path.ts";
import { ifExists, ifExistsSync } from "../lib/not_found.ts";
import { writeFilesAtomic } from "../lib/write_atomic.ts";

/** The states a service goes through (spec: States). */
export const SERVICE_STATES = ["activating", "active", "inactive", "deactivating"] as const;
/** One of {@linkcode SERVICE_STATES}. */
export type ServiceState = typeof SERVICE_STATES[number];

/** What the state file holds. */
export interface StateRecord {
  readonly state: ServiceState;
  /** When the supervisor wrote it, epoch milliseconds. */
  readonly writtenAt: number;
  /** Why the service is in this state, one line; empty when the file does not say. */
  readonly reason?: string;
}

/** The longest reason kept in the file. */
const MAX_REASON = 300;

/** `text` on one line of at most {@linkcode MAX_REASON} characters. */
function oneLine(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}...` : line;
}

/** The state file of the service under `tarsPath`. */
export function stateFilePath(tarsPath: string): string {
  return join(tarsPath, "data", "check_status");
}

/** Writes the state file atomically (temp file and rename). */
export async function writeStateFile(path: string, record: StateRecord): Promise<void> {
  const reason = record.reason ? `${oneLine(record.reason)}\n` : "";
  await writeFilesAtomic([{
    path,
    data: `${record.state}\n${Math.round(record.writtenAt)}\n${reason}`,
  }]);
}

/** Parses the state file's text; throws a SyntaxError naming `path` when it is not one. */
export function parseStateFile(text: string, path: string): StateRecord {
  const [state = "", at = "", reason = ""] = text.split("\n");
  if (!(SERVICE_STATES as readonly string[]).includes(state.trim())) {
    throw new SyntaxError(
      `${path}: "${state.trim()}" is not a state (${SERVICE_STATES.join(", ")}); ` +
        "it is written by tarscli supervisor",
    );
  }
  const writtenAt = Number(at.trim());
  if (!at.trim() || !Number.isFinite(writtenAt)) {
    throw new SyntaxError(`${path}: line 2 "${at.trim()}" is not a time in epoch milliseconds`);
  }
  const why = reason.trim();
  return { state: state.trim() as ServiceState, writtenAt, ...(why ? { reason: why } : {}) };
}

/**
 * Reads the state file without leaving the thread: a read of a few bytes that costs less than
 * handing it to the runtime's blocking pool (the HTTP probe reads it for every request).
 */
export function readStateFileSync(path: string): StateRecord | undefined {
  const text = ifExistsSync(() => Deno.readTextFileSync(path));
  return text === undefined ? undefined : parseStateFile(text, path);
}

/** Reads the state file; `undefined` when it does not exist yet. */
export async function readStateFile(path: string): Promise<StateRecord | undefined> {
  const text = await ifExists(Deno.readTextFile(path));
  return text === undefined ? undefined : parseStateFile(text, path);
}
