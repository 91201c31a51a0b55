/**
 * A task item's parameters as db_tars keeps them in `t_task_item.parameters`, the way the C++
 * framework writes them (its `TC_Parsepara`): `key=value&key=value` in key order, where `=`, `&`,
 * `%`, CR and LF in a key or a value are written `%XX` (upper-case hex).
 *
 * @module
 */

const ESCAPED = /[=&%\r\n]/g;

function escape(text: string): string {
  return text.replace(
    ESCAPED,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`,
  );
}

function unescape(text: string): string {
  return text.replace(
    /%([0-9A-Fa-f]{2})/g,
    (_, hex: string) => String.fromCharCode(parseInt(hex, 16)),
  );
}

/** The stored text of `parameters`. */
export function encodeParameters(parameters: ReadonlyMap<string, string>): string {
  return [...parameters].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${escape(key)}=${escape(value)}`)
    .join("&");
}

/** The parameters of stored text; a part without `=` is a key with an empty value. */
export function decodeParameters(text: string): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const part of text.split("&")) {
    if (part === "") continue;
    const at = part.indexOf("=");
    const key = at < 0 ? part : part.slice(0, at);
    parameters.set(unescape(key), at < 0 ? "" : unescape(part.slice(at + 1)));
  }
  return parameters;
}
