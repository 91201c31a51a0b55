/**
 * `tarscli version`: the release and the Deno runtime it runs on.
 *
 * @module
 */
import { type CommandContext, UsageError, VERSION } from "../lib/mod.ts";

/** `tarscli version`: prints the version, and the Deno runtime it was built with. */
export function run(args: string[], ctx: CommandContext): Promise<number> {
  if (args.length > 0) {
    throw new UsageError(`version takes no arguments (got "${args.join(" ")}")`);
  }
  ctx.out(`tarscli ${VERSION} (deno ${Deno.version.deno})`);
  return Promise.resolve(0);
}
