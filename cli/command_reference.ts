/**
 * The README's generated sections: the command reference (commands and the variables each reads)
 * and the registry's flags, from the tables `tarscli help` and `tarsregistry --help` print, and
 * the `_server_meta.yaml` reference (genconf/meta_reference.ts, from the table genconf parses
 * with). `deno run cli/command_reference.ts` prints all three; cli/command_reference_test.ts keeps
 * README.md equal to them.
 *
 * @module
 */
import {
  type FlagSpec,
  REGISTRY_FLAGS,
  shownDefault,
  shownName,
  type VariableSpec,
} from "../lib/mod.ts";
import { renderMetaReference } from "../genconf/meta_reference.ts";
import { COMMANDS, type CommandSpec } from "./command_table.ts";
import { aliasNote, variablesFor } from "./help.ts";

/** Markers around the generated command reference in README.md. */
export const REFERENCE_BEGIN =
  "<!-- commands: generated from cli/command_table.ts and lib/settings.ts -->";
/** End marker of the generated command reference. */
export const REFERENCE_END = "<!-- commands: end -->";
/** Markers around the generated table of the registry's flags in README.md. */
export const FLAGS_BEGIN = "<!-- registry flags: generated from lib/settings.ts -->";
/** End marker of the generated flag table. */
export const FLAGS_END = "<!-- registry flags: end -->";

/** A Markdown table of settings: name, default, meaning. */
function settingsTable(
  heading: string,
  specs: readonly (VariableSpec | FlagSpec)[],
): string[] {
  const lines = [`| ${heading} | default | meaning |`, "|---|---|---|"];
  for (const spec of specs) {
    const dflt = spec.default || spec.unset ? `\`${shownDefault(spec)}\`` : "unset";
    lines.push(`| \`${shownName(spec)}\` | ${dflt} | ${spec.description} |`);
  }
  return lines;
}

/** The README's command and variable reference, in Markdown, from the table `help` prints. */
export function renderCommandReference(commands: readonly CommandSpec[] = COMMANDS): string {
  const lines = [REFERENCE_BEGIN];
  for (const spec of commands) {
    const also = aliasNote(spec, (name) => `\`${name}\``);
    lines.push("", `### \`${spec.name}\``, "", `\`${spec.usage}\`${also}: ${spec.summary}.`);
    const variables = variablesFor(spec);
    if (variables.length > 0) lines.push("", ...settingsTable("variable", variables));
  }
  lines.push("", REFERENCE_END);
  return lines.join("\n");
}

/** The README's table of the registry's flags, from the table `--help` prints. */
export function renderFlagReference(): string {
  return [FLAGS_BEGIN, "", ...settingsTable("flag", REGISTRY_FLAGS), "", FLAGS_END].join("\n");
}

if (import.meta.main) {
  console.log(
    [renderCommandReference(), renderFlagReference(), renderMetaReference()].join("\n\n"),
  );
}
