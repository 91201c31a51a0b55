/**
 * `tarscli hzcheck`: the readiness probe, run by the kubelet every few seconds. Ready when the
 * state file says `active` or `deactivating` and the supervisor wrote it within 2 x
 * `TARS_REPORT_INTERVAL` (readiness.ts, which the supervisor's HTTP probe answers with too). It
 * loads only the settings and the state file modules (no protocol, YAML or database code), so a
 * probe costs little more than starting Deno.
 *
 * @module
 */
import type { CommandContext } from "../lib/context.ts";
import { readSettings } from "../lib/settings.ts";
import { checkSwitches } from "../lib/usage_error.ts";
import { readiness } from "./readiness.ts";
import { stateFilePath } from "./state_file.ts";

/** Exits 0 when ready; otherwise 1 with one line on stderr saying why. */
export async function run(args: string[], ctx: CommandContext): Promise<number> {
  checkSwitches("hzcheck", args, { reads: "TARS_PATH and TARS_REPORT_INTERVAL" });
  const settings = readSettings(ctx.env, "hzcheck", { cwd: Deno.cwd() });
  const answer = await readiness(stateFilePath(settings.tarsPath), {
    reportInterval: settings.reportInterval,
    now: Date.now(),
  });
  if (answer.ready) return 0;
  ctx.err(answer.reason);
  return 1;
}
