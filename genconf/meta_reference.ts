/**
 * The README's reference of `_server_meta.yaml`: every key with its default, what it sets and an
 * example, from the table the parser reads ({@linkcode META_KEYS}, {@linkcode ADAPTER_KEYS}), so
 * a key added there appears in the README. `deno run cli/command_reference.ts` prints it with the
 * other generated sections; cli/command_reference_test.ts keeps README.md equal to it.
 *
 * @module
 */
import { ADAPTER_KEYS, META_KEYS, type MetaKeySpec } from "./server_meta.ts";

/** Marker before the generated meta file reference in README.md. */
export const META_REFERENCE_BEGIN = "<!-- server meta: generated from genconf/server_meta.ts -->";
/** Marker after it. */
export const META_REFERENCE_END = "<!-- server meta: end -->";

/** A key's default as the README shows it: the value in code, or words. */
function shownDefault(spec: MetaKeySpec): string {
  if (spec.shownDefault !== undefined) return spec.shownDefault;
  return spec.default === undefined ? "unset" : `\`${spec.default}\``;
}

function table(specs: readonly MetaKeySpec[]): string[] {
  return [
    "| key | default | meaning | example |",
    "|---|---|---|---|",
    ...specs.map((spec) =>
      `| \`${spec.key}\` | ${shownDefault(spec)} | ${spec.description} | ` +
      `\`${spec.key}: ${spec.example}\` |`
    ),
  ];
}

/** The README's reference of the meta file's keys and of an adapter's keys, in Markdown. */
export function renderMetaReference(): string {
  return [
    META_REFERENCE_BEGIN,
    "",
    ...table(META_KEYS),
    "",
    "Each item of `adapters`:",
    "",
    ...table(ADAPTER_KEYS),
    "",
    META_REFERENCE_END,
  ].join("\n");
}
