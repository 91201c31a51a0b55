import { COMMANDS, type CommandSpec, findCommand } from "./command_table.ts";
import { type CommandContext, UsageError } from "../lib/mod.ts";

/** Renders the help of one command: usage, summary and its variables with defaults. */
export function renderCommandHelp(spec: CommandSpec): string[] {
  const lines = [`  ${spec.usage}`, `      ${spec.summary}`];
  for (const v of spec.variables) {
    const dflt = v.default === "" ? "unset" : v.default;
    lines.push(`      ${v.name.padEnd(28)} ${v.description} (default: ${dflt})`);
  }
  return lines;
}

/** Renders the full help: every command and every variable it reads. */
export function renderHelp(commands: readonly CommandSpec[] = COMMANDS): string[] {
  const lines = [
    "tarscli: run TARS services in containers and on VMs",
    "",
    "Commands:",
  ];
  for (const spec of commands) lines.push(...renderCommandHelp(spec), "");
  lines.push("Durations take the suffixes ns, us, ms, s, m, h and d (e.g. 30s, 1m30s).");
  return lines;
}

/** `tarscli help [COMMAND]`. */
export function run(args: string[], ctx: CommandContext): Promise<number> {
  if (args.length > 1) throw new UsageError("help takes at most one command name");
  if (args.length === 1) {
    const spec = findCommand(args[0]);
    if (!spec) {
      throw new UsageError(`Unknown command "${args[0]}"; run "tarscli help" for the list`);
    }
    renderCommandHelp(spec).forEach(ctx.out);
    return Promise.resolve(0);
  }
  renderHelp().forEach(ctx.out);
  return Promise.resolve(0);
}
