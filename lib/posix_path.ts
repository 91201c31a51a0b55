/**
 * POSIX path helpers, the part of `node:path` this project uses (it runs on Linux only). Importing
 * any `node:` module makes Deno set up its Node compatibility layer (about 5 MiB and 6-8 ms at
 * start-up, see BENCHMARKS.md), which the readiness probe and the long-lived supervisor should
 * not pay for a few string operations. Results equal `node:path`'s (posix_path_test.ts checks).
 *
 * @module
 */

/** Whether `path` starts at the root. */
export function isAbsolute(path: string): boolean {
  return path.startsWith("/");
}

/** Resolves `.`, `..` and repeated slashes; keeps a leading and a trailing slash; "" is ".". */
export function normalize(path: string): string {
  if (path === "") return ".";
  const absolute = isAbsolute(path);
  const parts: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") parts.push(part);
    else if (parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else if (!absolute) parts.push("..");
  }
  const trailing = path.endsWith("/");
  const out = parts.join("/");
  if (out === "") return absolute ? "/" : trailing ? "./" : ".";
  return `${absolute ? "/" : ""}${out}${trailing ? "/" : ""}`;
}

/** Joins the non-empty segments with "/" and normalizes the result. */
export function join(...segments: string[]): string {
  const joined = segments.filter((s) => s !== "").join("/");
  return joined === "" ? "." : normalize(joined);
}

/** The path without its last segment (trailing slashes ignored); "." or "/" when none is left. */
export function dirname(path: string): string {
  if (path === "") return ".";
  const absolute = isAbsolute(path);
  let end = -1;
  let matchedSlash = true;
  for (let i = path.length - 1; i >= 1; i--) {
    if (path[i] === "/") {
      if (!matchedSlash) {
        end = i;
        break;
      }
    } else {
      matchedSlash = false;
    }
  }
  if (end === -1) return absolute ? "/" : ".";
  if (absolute && end === 1) return "//";
  return path.slice(0, end);
}

/** The last segment of `path`, trailing slashes ignored. */
export function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}
