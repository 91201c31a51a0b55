/**
 * `$TARS_PATH/data/check_status`: the service's state as the supervisor last saw it, read by the
 * readiness probe. Two lines, `<state>` and the time it was written in epoch milliseconds; the
 * file is replaced atomically, so a reader never sees half of it. Imports nothing heavy.
 *
 * @module
 */
import { join } from "../lib/posix_path.ts";
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
}

/** The state file of the service under `tarsPath`. */
export function stateFilePath(tarsPath: string): string {
  return join(tarsPath, "data", "check_status");
}

/** Writes the state file atomically (temp file and rename). */
export async function writeStateFile(path: string, record: StateRecord): Promise<void> {
  await writeFilesAtomic([{ path, data: `${record.state}\n${Math.round(record.writtenAt)}\n` }]);
}

/** Parses the state file's text; throws a SyntaxError naming `path` when it is not one. */
export function parseStateFile(text: string, path: string): StateRecord {
  const [state = "", at = ""] = text.split("\n");
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
  return { state: state.trim() as ServiceState, writtenAt };
}

/** Reads the state file; `undefined` when it does not exist yet. */
export async function readStateFile(path: string): Promise<StateRecord | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  return parseStateFile(text, path);
}
