/**
 * `tarscli genconf [--json]`: writes the service's TARS config and server info from
 * `$TARS_PATH/bin/_server_meta.yaml` and the environment.
 *
 * @module
 */
import { type CommandContext, UsageError } from "../lib/mod.ts";
import { runGenconf } from "./genconf.ts";
import { readGenconfSettings } from "./settings.ts";

/**
 * Runs genconf with the entry point's environment; warnings go to stderr, the written paths to
 * stdout. With `--json`, stdout gets the whole result (`GenconfResult`: server info, paths and
 * warnings) as one line of JSON instead: the supervisor runs genconf that way in a child process,
 * so that its own long-lived process never loads the YAML parser.
 */
export async function run(args: string[], ctx: CommandContext): Promise<number> {
  const json = args.length === 1 && args[0] === "--json";
  if (args.length > 0 && !json) {
    throw new UsageError(
      "genconf takes no arguments; it reads the TARS_* variables (see tarscli help genconf)",
    );
  }
  const settings = readGenconfSettings(ctx.env, { cwd: Deno.cwd() });
  const result = await runGenconf(settings);
  if (json) {
    ctx.out(JSON.stringify(result));
    return 0;
  }
  for (const warning of result.warnings) ctx.err(`tarscli genconf: warning: ${warning}`);
  ctx.out(`Wrote ${result.configPath} and ${result.infoPath}`);
  return 0;
}
