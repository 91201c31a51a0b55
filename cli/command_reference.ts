import { COMMANDS, type CommandSpec } from "./command_table.ts";

/** Markers around the generated command reference in README.md. */
export const REFERENCE_BEGIN = "<!-- commands: generated from cli/command_table.ts -->";
/** End marker of the generated command reference. */
export const REFERENCE_END = "<!-- commands: end -->";

/** The README's command and variable reference, in Markdown, from the table `help` prints. */
export function renderCommandReference(commands: readonly CommandSpec[] = COMMANDS): string {
  const lines = [REFERENCE_BEGIN];
  for (const spec of commands) {
    lines.push("", `### \`${spec.name}\``, "", `\`${spec.usage}\`: ${spec.summary}.`);
    if (spec.variables.length === 0) continue;
    lines.push("", "| variable | default | meaning |", "|---|---|---|");
    for (const v of spec.variables) {
      const dflt = v.default === "" ? "unset" : `\`${v.default}\``;
      lines.push(`| \`${v.name}\` | ${dflt} | ${v.description} |`);
    }
  }
  lines.push("", REFERENCE_END);
  return lines.join("\n");
}

if (import.meta.main) console.log(renderCommandReference());
