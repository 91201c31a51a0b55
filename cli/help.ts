/**
 * `tarscli help [COMMAND]`: the command table with the variables each command reads, as
 * lib/settings.ts declares them.
 *
 * @module
 */
import {
  type CommandContext,
  helpLines,
  UsageError,
  VARIABLES,
  type VariableSpec,
} from "../lib/mod.ts";
import { COMMANDS, type CommandSpec, findCommand } from "./command_table.ts";

/**
 * The variables a command reads, in table order: its own and those of the command it runs (the
 * supervisor passes genconf's on to the genconf child).
 */
export function variablesFor(spec: CommandSpec): VariableSpec[] {
  const readers: readonly string[] = spec.runs ? [spec.name, spec.runs] : [spec.name];
  return VARIABLES.filter((v) => v.readBy.some((reader) => readers.includes(reader)));
}

/** The other names of a command, for help: ` (also --help, -h)`, or nothing. */
export function aliasNote(spec: CommandSpec, quote: (name: string) => string): string {
  return spec.aliases ? ` (also ${spec.aliases.map(quote).join(", ")})` : "";
}

/** Renders the help of one command: usage, summary and its variables with defaults. */
export function renderCommandHelp(spec: CommandSpec): string[] {
  return [
    `  ${spec.usage}${aliasNote(spec, (name) => `tarscli ${name}`)}`,
    `      ${spec.summary}`,
    ...helpLines(variablesFor(spec), { indent: "      " }),
  ];
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
