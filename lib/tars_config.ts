/**
 * The TARS config format: nested `<name> … </name>` sections, `key=value` lines, bare keys
 * (`allow`) and `#` comments. Parse, print and merge live here and nowhere else.
 *
 * @module
 */

/** A `key=value` line; `value` is undefined for a bare key such as `allow`. */
export interface ConfigValue {
  readonly kind: "value";
  readonly key: string;
  readonly value: string | undefined;
}

/** A `#` comment line, kept so printing a parsed file keeps its notes. */
export interface ConfigComment {
  readonly kind: "comment";
  /** The text after `#`, leading space included. */
  readonly text: string;
}

/** A `<name> … </name>` section and its items in file order. */
export interface ConfigSection {
  readonly kind: "section";
  readonly name: string;
  readonly items: readonly ConfigItem[];
}

/** One line-level element of a section. */
export type ConfigItem = ConfigValue | ConfigComment | ConfigSection;

/** Makes a `key=value` item (value undefined: bare key). */
export function configValue(key: string, value: string | undefined): ConfigValue {
  return { kind: "value", key, value };
}

/** Makes a comment item. */
export function configComment(text: string): ConfigComment {
  return { kind: "comment", text: text === "" || text.startsWith(" ") ? text : ` ${text}` };
}

/** Makes a section item. */
export function configSection(name: string, items: readonly ConfigItem[]): ConfigSection {
  return { kind: "section", name, items };
}

interface OpenSection {
  readonly name: string;
  readonly line: number;
  readonly items: ConfigItem[];
}

/** Options of {@linkcode parseTarsConfig}. */
export interface ParseTarsConfigOptions {
  /** Names the text in messages (default "TARS config"). */
  readonly source?: string;
  /**
   * `"sections"`: a value at the top level, outside every section, is an error (a merge file
   * holds sections); default: it is kept.
   */
  readonly topLevel?: "sections" | "any";
}

/**
 * Parses TARS config text into a root section (name `""`) holding the top-level items.
 * Unbalanced or mismatched tags, and with `topLevel: "sections"` a value outside every section,
 * throw a SyntaxError naming `source` and the line.
 */
export function parseTarsConfig(
  text: string,
  options: ParseTarsConfigOptions = {},
): ConfigSection {
  const where = (line: number) => `${options.source ?? "TARS config"} line ${line}`;
  const stack: OpenSection[] = [{ name: "", line: 0, items: [] }];
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const line = lines[i].trim();
    const top = stack[stack.length - 1];
    if (line === "") continue;
    if (line.startsWith("#")) {
      top.items.push({ kind: "comment", text: line.slice(1) });
      continue;
    }
    if (line.startsWith("<")) {
      const tag = /^<(\/?)\s*([^<>/\s][^<>]*?)\s*>$/.exec(line);
      if (!tag) {
        throw new SyntaxError(
          `${
            where(lineNo)
          }: "${line}" is not a tag; write <name> to open a section, </name> to close it`,
        );
      }
      const [, closing, name] = tag;
      if (!closing) {
        stack.push({ name, line: lineNo, items: [] });
        continue;
      }
      if (stack.length === 1) {
        throw new SyntaxError(
          `${where(lineNo)}: </${name}> closes a section that was never opened`,
        );
      }
      if (top.name !== name) {
        throw new SyntaxError(
          `${
            where(lineNo)
          }: </${name}> does not match <${top.name}> opened on line ${top.line}; close <${top.name}> first`,
        );
      }
      stack.pop();
      stack[stack.length - 1].items.push(configSection(top.name, top.items));
      continue;
    }
    if (stack.length === 1 && options.topLevel === "sections") {
      throw new SyntaxError(
        `${where(lineNo)}: "${line}" is outside every section; put it inside the section it ` +
          "belongs to, e.g. <tars><application><server>",
      );
    }
    const eq = line.indexOf("=");
    const key = (eq < 0 ? line : line.slice(0, eq)).trim();
    if (key === "") {
      throw new SyntaxError(`${where(lineNo)}: "${line}" has no key before "="`);
    }
    top.items.push(configValue(key, eq < 0 ? undefined : line.slice(eq + 1).trim()));
  }
  if (stack.length > 1) {
    const open = stack[stack.length - 1];
    throw new SyntaxError(
      `${where(open.line)}: <${open.name}> is never closed; add </${open.name}>`,
    );
  }
  return configSection("", stack[0].items);
}

function printItems(items: readonly ConfigItem[], depth: number, out: string[]): void {
  const indent = "    ".repeat(depth);
  for (const item of items) {
    switch (item.kind) {
      case "comment":
        out.push(`${indent}#${item.text}`);
        break;
      case "value":
        out.push(
          item.value === undefined ? `${indent}${item.key}` : `${indent}${item.key}=${item.value}`,
        );
        break;
      case "section":
        out.push(`${indent}<${item.name}>`);
        printItems(item.items, depth + 1, out);
        out.push(`${indent}</${item.name}>`);
        break;
    }
  }
}

/** Prints a root section (as `parseTarsConfig` returns it) as TARS config text, four-space indented. */
export function printTarsConfig(root: ConfigSection): string {
  const out: string[] = [];
  printItems(root.items, 0, out);
  return out.length === 0 ? "" : `${out.join("\n")}\n`;
}

/**
 * Merges `overlay` over `base`: overlay values win, keys and sections missing from `base` are
 * added after its items in the overlay's order, and `base` keeps its order. A comment right
 * before an added key or section comes along with it; other overlay comments are dropped.
 */
export function mergeTarsConfig(base: ConfigSection, overlay: ConfigSection): ConfigSection {
  const items: ConfigItem[] = [...base.items];
  let pending: ConfigComment[] = [];
  for (const item of overlay.items) {
    if (item.kind === "comment") {
      pending.push(item);
      continue;
    }
    const matches = (other: ConfigItem) =>
      item.kind === "value"
        ? other.kind === "value" && other.key === item.key
        : other.kind === "section" && other.name === item.name;
    const at = items.findIndex(matches);
    if (at < 0) {
      items.push(...pending, item);
    } else if (item.kind === "value") {
      for (let i = at; i < items.length; i++) if (matches(items[i])) items[i] = item;
    } else {
      items[at] = mergeTarsConfig(items[at] as ConfigSection, item);
    }
    pending = [];
  }
  return configSection(base.name, items);
}
