/**
 * The console's log view through the pod's node object (`getLogFileList`, `getLogData`): the
 * files of the pod's `log/` directory and a bounded part of one of them.
 *
 * The console (TarsWeb's log view) sends `getLogData` a shell pipeline, which tarsnode runs in a
 * shell after putting the file's path in place of `__log_file_name__`. The node object runs no
 * shell: it parses the pipeline the console builds and does each step itself:
 *
 *     (tail|head) -N __log_file_name__ [| grep [-a] [-i] [-v] WORD] [| (tail|head) -N] [| cat -v]
 *
 * (`-n N` is taken for `-N`; the word is matched as plain text, as `grep -F` matches it, not as a
 * regular expression). Anything else is refused with a message that shows this form. A file is
 * named relative to `log/` and must stay in it (no `..`, no symbolic link out of it). At most
 * {@linkcode LOG_VIEW_LIMITS}.scanBytes of the file are read and
 * {@linkcode LOG_VIEW_LIMITS}.answerBytes answered; a line in the answer says what was left out.
 *
 * @module
 */
import { isAbsolute, join } from "../lib/posix_path.ts";
import { ifExists } from "../lib/not_found.ts";

/** What one log view call may read and answer. */
export const LOG_VIEW_LIMITS = {
  /** Bytes of the file read for one `getLogData`, from its end for `tail`, its start for `head`. */
  scanBytes: 8 * 1024 * 1024,
  /** Bytes of one `getLogData` answer. */
  answerBytes: 1024 * 1024,
  /** The largest line count of a `head` or `tail` step. */
  maxLines: 1_000_000,
  /** Names one `getLogFileList` answers. */
  maxFiles: 1000,
  /** Directory entries one `getLogFileList` looks at. */
  maxEntries: 10_000,
  /** How deep under `log/` it looks (`log/App/Server/x.log` is depth 3). */
  maxDepth: 3,
} as const;

/** The word of the log file's path in a console command. */
export const LOG_FILE_PLACEHOLDER = "__log_file_name__";

/** One `head` or `tail` step. */
export interface LineStep {
  readonly from: "head" | "tail";
  readonly lines: number;
}

/** A parsed log view command. */
export interface LogViewCommand {
  /** The step that reads the file. */
  readonly read: LineStep;
  readonly grep?: { readonly word: string; readonly ignoreCase: boolean; readonly invert: boolean };
  /** A `head` or `tail` step after the grep. */
  readonly then?: LineStep;
  /** `cat -v`: control characters and bytes above 127 shown as `^X` and `M-X`. */
  readonly showControl: boolean;
}

const FORM = `(tail|head) -N ${LOG_FILE_PLACEHOLDER} [| grep [-a] [-i] [-v] WORD] ` +
  "[| (tail|head) -N] [| cat -v]";

function refuse(cmd: string, why: string): never {
  throw new SyntaxError(
    `Log command ${JSON.stringify(cmd)}: ${why}; the node runs no shell and takes ${FORM}`,
  );
}

/** `head -N` / `tail -N` / `tail -n N`, with `rest` the words after the count. */
function lineStep(cmd: string, words: string[]): { step: LineStep; rest: string[] } {
  const [name, ...args] = words;
  if (name !== "head" && name !== "tail") refuse(cmd, `"${name}" is not head or tail`);
  let count: string | undefined;
  if (args[0] === "-n") {
    count = args[1];
    args.splice(0, 2);
  } else if (/^-\d+$/.test(args[0] ?? "")) {
    count = args[0].slice(1);
    args.splice(0, 1);
  }
  if (count === undefined || !/^\d+$/.test(count)) {
    refuse(cmd, `${name} needs a line count such as -1000`);
  }
  const lines = Number(count);
  if (lines > LOG_VIEW_LIMITS.maxLines) {
    refuse(cmd, `${name} -${count}: at most ${LOG_VIEW_LIMITS.maxLines} lines`);
  }
  return { step: { from: name, lines }, rest: args };
}

function unquote(word: string): string {
  return /^'.*'$|^".*"$/s.test(word) ? word.slice(1, -1) : word;
}

/** Parses a console log command; throws a SyntaxError naming what it does not take. */
export function parseLogCommand(cmd: string): LogViewCommand {
  const stages = cmd.split("|").map((stage) => stage.trim());
  const first = lineStep(cmd, stages[0].split(/\s+/));
  if (first.rest.length !== 1 || first.rest[0] !== LOG_FILE_PLACEHOLDER) {
    refuse(cmd, `the first step reads ${LOG_FILE_PLACEHOLDER} and nothing else`);
  }
  let grep: LogViewCommand["grep"];
  let then: LineStep | undefined;
  let showControl = false;
  for (const stage of stages.slice(1)) {
    const words = stage.split(/\s+/);
    if (showControl) refuse(cmd, "cat -v comes last");
    if (words[0] === "grep" && !grep && !then) {
      const flags = new Set<string>();
      let at = 1;
      while (/^-[aiv]+$/.test(words[at] ?? "")) {
        for (const flag of words[at].slice(1)) flags.add(flag);
        at++;
      }
      const match = /^grep(?:\s+-[aiv]+)*\s+(.+)$/s.exec(stage);
      const word = unquote(match?.[1]?.trim() ?? "");
      if (at >= words.length || word === "") refuse(cmd, "grep needs a word");
      grep = { word, ignoreCase: flags.has("i"), invert: flags.has("v") };
    } else if ((words[0] === "head" || words[0] === "tail") && !then) {
      const step = lineStep(cmd, words);
      if (step.rest.length > 0) refuse(cmd, `${words[0]} after the first step reads no file`);
      then = step.step;
    } else if (stage === "cat -v") {
      showControl = true;
    } else {
      refuse(cmd, `"${stage}" is not a step it takes here`);
    }
  }
  return { read: first.step, grep, then, showControl };
}

/**
 * The path of `logFile` under `logDir`, checked to name a regular file in it; throws a RangeError
 * for a name that leaves `log/`, a `Deno.errors.NotFound` when there is no such file.
 */
export async function logFilePath(logDir: string, logFile: string): Promise<string> {
  const parts = logFile.split("/");
  if (logFile === "" || isAbsolute(logFile) || logFile.includes("\0") || parts.some(badPart)) {
    throw new RangeError(
      `Log file ${JSON.stringify(logFile)}: name a file under log/ as getLogFileList lists it ` +
        "(no absolute path, no .. )",
    );
  }
  const root = await Deno.realPath(logDir);
  const real = await ifExists(Deno.realPath(join(logDir, logFile)));
  if (real === undefined) throw new Deno.errors.NotFound(`There is no log file ${logFile} in log/`);
  if (!real.startsWith(`${root}/`)) {
    throw new RangeError(`Log file ${JSON.stringify(logFile)} leads out of log/; it is refused`);
  }
  if (!(await Deno.stat(real)).isFile) {
    throw new RangeError(`Log file ${JSON.stringify(logFile)} is not a file`);
  }
  return real;
}

function badPart(part: string): boolean {
  return part === "" || part === "." || part === "..";
}

/**
 * The log files under `logDir` (names with `.log` in them, as tarsnode lists them), relative to
 * it, newest first; at most {@linkcode LOG_VIEW_LIMITS}.maxFiles.
 */
export async function listLogFiles(logDir: string): Promise<string[]> {
  const found: { name: string; mtime: number }[] = [];
  let entries = 0;
  const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
    for await (const entry of Deno.readDir(dir)) {
      if (++entries > LOG_VIEW_LIMITS.maxEntries) return;
      const name = `${prefix}${entry.name}`;
      if (entry.isDirectory && depth < LOG_VIEW_LIMITS.maxDepth) {
        await walk(join(dir, entry.name), `${name}/`, depth + 1);
      } else if (entry.isFile && entry.name.includes(".log")) {
        const info = await Deno.stat(join(dir, entry.name)).catch(() => undefined);
        found.push({ name, mtime: info?.mtime?.getTime() ?? 0 });
      }
    }
  };
  await walk(logDir, "", 1);
  found.sort((a, b) => b.mtime - a.mtime || a.name.localeCompare(b.name));
  return found.slice(0, LOG_VIEW_LIMITS.maxFiles).map((f) => f.name);
}

const CHUNK = 64 * 1024;

/** Reads `length` bytes at `offset` (fewer at the end of the file). */
async function readAt(file: Deno.FsFile, offset: number, length: number): Promise<Uint8Array> {
  await file.seek(offset, Deno.SeekMode.Start);
  const buf = new Uint8Array(length);
  let at = 0;
  while (at < length) {
    const n = await file.read(buf.subarray(at));
    if (n === null) break;
    at += n;
  }
  return buf.subarray(0, at);
}

function countNewlines(bytes: Uint8Array): number {
  let n = 0;
  for (const b of bytes) if (b === 10) n++;
  return n;
}

/** The lines a `head` or `tail` of the file gives, and whether the scan bound cut it. */
async function readLines(path: string, step: LineStep): Promise<{ lines: string[]; cut: boolean }> {
  const file = await Deno.open(path);
  try {
    const size = (await file.stat()).size;
    const chunks: Uint8Array[] = [];
    let scanned = 0;
    let newlines = 0;
    const limit = Math.min(size, LOG_VIEW_LIMITS.scanBytes);
    // One newline more than the lines wanted: the line before them is whole then.
    while (scanned < limit && newlines <= step.lines) {
      const length = Math.min(CHUNK, limit - scanned);
      const offset = step.from === "tail" ? size - scanned - length : scanned;
      const chunk = await readAt(file, offset, length);
      if (chunk.length === 0) break;
      scanned += chunk.length;
      newlines += countNewlines(chunk);
      if (step.from === "tail") chunks.unshift(chunk);
      else chunks.push(chunk);
    }
    const bytes = new Uint8Array(scanned);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    const lines = new TextDecoder().decode(bytes).split("\n");
    const cut = scanned < size && newlines <= step.lines;
    if (step.from === "tail") {
      if (lines.at(-1) === "") lines.pop();
      // The first line is partial unless the scan reached the start of the file.
      if (scanned < size) lines.shift();
      return { lines: lines.slice(Math.max(0, lines.length - step.lines)), cut };
    }
    if (scanned < size || lines.at(-1) === "") lines.pop();
    return { lines: lines.slice(0, step.lines), cut };
  } finally {
    file.close();
  }
}

function take(lines: string[], step: LineStep): string[] {
  return step.from === "head"
    ? lines.slice(0, step.lines)
    : lines.slice(Math.max(0, lines.length - step.lines));
}

/** `cat -v`: control characters as `^X`, DEL as `^?`, bytes above 127 as `M-` and the rest. */
export function showControlCharacters(line: string): string {
  let out = "";
  for (const b of new TextEncoder().encode(line)) {
    const low = b & 0x7f;
    const prefix = b >= 0x80 ? "M-" : "";
    if (low === 0x7f) out += `${prefix}^?`;
    else if (low < 0x20 && !(b === 9 && prefix === "")) {
      out += `${prefix}^${String.fromCharCode(low + 64)}`;
    } else out += prefix + String.fromCharCode(low);
  }
  return out;
}

/**
 * What the console's `cmd` shows of `logFile` (relative to `logDir`), bounded by
 * {@linkcode LOG_VIEW_LIMITS}. Throws a SyntaxError for a command it does not take, a RangeError
 * for a name outside `log/`, a `Deno.errors.NotFound` for a missing file.
 */
export async function readLogView(logDir: string, logFile: string, cmd: string): Promise<string> {
  const command = parseLogCommand(cmd);
  const path = await logFilePath(logDir, logFile);
  let { lines, cut } = await readLines(path, command.read);
  if (command.grep) {
    const { word, ignoreCase, invert } = command.grep;
    const wanted = ignoreCase ? word.toLowerCase() : word;
    lines = lines.filter((line) =>
      (ignoreCase ? line.toLowerCase() : line).includes(wanted) !== invert
    );
  }
  if (command.then) lines = take(lines, command.then);
  if (command.showControl) lines = lines.map(showControlCharacters);
  const fromEnd = (command.then ?? command.read).from === "tail";
  const notes: string[] = [];
  if (cut) {
    notes.push(
      `[only the ${command.read.from === "tail" ? "last" : "first"} ` +
        `${LOG_VIEW_LIMITS.scanBytes} bytes of ${logFile} were read]`,
    );
  }
  return bound(lines, { fromEnd, notes });
}

/** The lines as text, at most `answerBytes`: the end kept for a tail, the start for a head. */
function bound(lines: string[], options: { fromEnd: boolean; notes: string[] }): string {
  const encoder = new TextEncoder();
  const budget = LOG_VIEW_LIMITS.answerBytes;
  let used = 0;
  const kept: string[] = [];
  const order = options.fromEnd ? [...lines].reverse() : lines;
  for (const line of order) {
    const size = encoder.encode(line).length + 1;
    if (used + size > budget) break;
    used += size;
    kept.push(line);
  }
  if (options.fromEnd) kept.reverse();
  const left = lines.length - kept.length;
  const notes = [...options.notes];
  if (left > 0) notes.push(`[${left} lines left out: an answer holds at most ${budget} bytes]`);
  const body = kept.map((line) => `${line}\n`).join("");
  const noteText = notes.map((note) => `${note}\n`).join("");
  return options.fromEnd ? noteText + body : body + noteText;
}
