/**
 * `tarscli version`: the release and the Deno runtime it runs on.
 *
 * @module
 */
import { checkSwitches, type CommandContext, VERSION } from "../lib/mod.ts";

/** `tarscli version`: prints the version, and the Deno runtime it was built with. */
export function run(args: string[], ctx: CommandContext): Promise<number> {
  checkSwitches("version", args);
  ctx.out(`tarscli ${VERSION} (deno ${Deno.version.deno})`);
  return Promise.resolve(0);
}
