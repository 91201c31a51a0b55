/**
 * `tarscli genconf [--json]`: writes the service's TARS config and server info from
 * `$TARS_PATH/bin/_server_meta.yaml` and the environment.
 *
 * @module
 */
import { checkSwitches, type CommandContext } from "../lib/mod.ts";
import { type GenconfResult, runGenconf } from "./genconf.ts";
import { readGenconfSettings } from "./settings.ts";

/**
 * The one line `tarscli genconf --json` prints: the result, or why genconf failed (it then exits
 * 1). supervisor/genconf_child.ts reads it.
 */
export type GenconfJsonLine = GenconfResult | { readonly error: string };

/**
 * Runs genconf with the entry point's environment; warnings go to stderr, the written paths to
 * stdout. With `--json`, stdout gets one line of JSON instead ({@linkcode GenconfJsonLine}): the
 * whole result (server info, paths and warnings), or the error. The supervisor runs genconf that
 * way in a child process, so that its own long-lived process never loads the YAML parser.
 */
export async function run(args: string[], ctx: CommandContext): Promise<number> {
  const json = checkSwitches("genconf", args, {
    switches: ["--json"],
    reads: "the TARS_* variables",
  }).has("--json");
  const generate = () => runGenconf(readGenconfSettings(ctx.env, { cwd: Deno.cwd() }));
  if (json) {
    let line: GenconfJsonLine;
    try {
      line = await generate();
    } catch (error) {
      line = { error: error instanceof Error ? error.message : String(error) };
    }
    ctx.out(JSON.stringify(line));
    return "error" in line ? 1 : 0;
  }
  const result = await generate();
  for (const warning of result.warnings) ctx.err(`tarscli genconf: warning: ${warning}`);
  ctx.out(`Wrote ${result.configPath} and ${result.infoPath}`);
  return 0;
}
