/**
 * The `tarscli` entry point. It reads the sub-command and loads only that command's module,
 * so a readiness probe does not pay for the registry, MySQL or YAML code.
 *
 * @module
 */
import { findCommand } from "./cli/command_table.ts";
import type { CommandContext } from "./lib/context.ts";
import { UsageError } from "./lib/usage_error.ts";

/** Runs one `tarscli` invocation and resolves to its exit code. */
export async function main(args: string[], ctx: CommandContext): Promise<number> {
  const [given = "help", ...rest] = args;
  const spec = findCommand(given);
  const name = spec?.name ?? given;
  try {
    if (!spec) {
      throw new UsageError(`Unknown command "${name}"; run "tarscli help" for the list`);
    }
    const mod = await spec.load();
    return await mod.run(rest, ctx);
  } catch (error) {
    if (error instanceof UsageError) {
      ctx.err(`tarscli ${name}: ${error.message}`);
      return error.exitCode;
    }
    ctx.err(`tarscli ${name}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

if (import.meta.main) {
  const code = await main(Deno.args, {
    env: Deno.env.toObject(),
    out: (line) => console.log(line),
    err: (line) => console.error(line),
  });
  Deno.exit(code);
}
