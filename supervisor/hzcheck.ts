/**
 * `tarscli hzcheck`: the readiness probe, run by the kubelet every few seconds. Ready when the
 * state file says `active` or `deactivating` and the supervisor wrote it within 2 x
 * `TARS_REPORT_INTERVAL`. It loads only the settings and the state file modules (no protocol,
 * YAML or database code), so a probe costs little more than starting Deno.
 *
 * @module
 */
import type { CommandContext } from "../lib/context.ts";
import { readSettings } from "../lib/settings.ts";
import { UsageError } from "../lib/usage_error.ts";
import { readStateFile, stateFilePath } from "./state_file.ts";

/** Exits 0 when ready; otherwise 1 with one line on stderr saying why. */
export async function run(args: string[], ctx: CommandContext): Promise<number> {
  if (args.length > 0) {
    throw new UsageError(
      "hzcheck takes no arguments; it reads TARS_PATH and TARS_REPORT_INTERVAL",
    );
  }
  const settings = readSettings(ctx.env, "hzcheck", { cwd: Deno.cwd() });
  const path = stateFilePath(settings.tarsPath);
  let record;
  try {
    record = await readStateFile(path);
  } catch (error) {
    ctx.err((error as Error).message);
    return 1;
  }
  if (!record) {
    ctx.err(`not ready: no state file at ${path} (supervisor not started?)`);
    return 1;
  }
  const age = Date.now() - record.writtenAt;
  if (age > 2 * settings.reportInterval) {
    ctx.err(`supervisor not alive: state ${Math.floor(age / 1000)} s old`);
    return 1;
  }
  if (record.state === "active" || record.state === "deactivating") return 0;
  ctx.err(`not ready: ${record.state}`);
  return 1;
}
