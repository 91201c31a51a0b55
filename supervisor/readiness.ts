/**
 * Whether the pod is ready, from the state file: the one answer of the exec probe
 * (`tarscli hzcheck`) and the HTTP probe (`GET /ready`). Ready when the file says `active` or
 * `deactivating` and the supervisor wrote it within 2 x `TARS_REPORT_INTERVAL`; otherwise one
 * line saying why. Imports only the state file's module: hzcheck loads it on every probe.
 *
 * @module
 */
import { readStateFile, readStateFileSync, type StateRecord } from "./state_file.ts";

/** The probe's answer. */
export interface Readiness {
  readonly ready: boolean;
  /** Why not, in one line; empty when ready. */
  readonly reason: string;
}

/** Reads the state file at `path` and judges it at `now` (epoch ms). Never rejects. */
export async function readiness(
  path: string,
  options: { reportInterval: number; now: number },
): Promise<Readiness> {
  let record;
  try {
    record = await readStateFile(path);
  } catch (error) {
    return { ready: false, reason: (error as Error).message };
  }
  return judge(record, path, options);
}

/** {@linkcode readiness} reading the file without leaving the thread (the HTTP probe). */
export function readinessSync(
  path: string,
  options: { reportInterval: number; now: number },
): Readiness {
  let record;
  try {
    record = readStateFileSync(path);
  } catch (error) {
    return { ready: false, reason: (error as Error).message };
  }
  return judge(record, path, options);
}

function judge(
  record: StateRecord | undefined,
  path: string,
  options: { reportInterval: number; now: number },
): Readiness {
  if (!record) {
    return {
      ready: false,
      reason: `not ready: no state file at ${path} (supervisor not started?)`,
    };
  }
  const age = options.now - record.writtenAt;
  if (age > 2 * options.reportInterval) {
    return { ready: false, reason: `supervisor not alive: state ${Math.floor(age / 1000)} s old` };
  }
  if (record.state === "active" || record.state === "deactivating") {
    return { ready: true, reason: "" };
  }
  const why = record.reason ? ` (${record.reason})` : "";
  return { ready: false, reason: `not ready: ${record.state}${why}` };
}
