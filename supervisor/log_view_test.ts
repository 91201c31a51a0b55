import assert from "node:assert/strict";
import { join } from "../lib/posix_path.ts";
import {
  listLogFiles,
  LOG_VIEW_LIMITS,
  parseLogCommand,
  readLogView,
  showControlCharacters,
} from "./log_view.ts";

/** The command TarsWeb's log view builds (LogviewService.getQueryParam), for these choices. */
function consoleCommand(options: {
  searchLines: number;
  fromEnd: boolean;
  keyword?: string;
  ignoreCase?: boolean;
  lines: number;
  viewFromEnd: boolean;
}): string {
  let cmd = `${options.fromEnd ? "tail" : "head"} -${options.searchLines} __log_file_name__`;
  if (options.keyword) {
    cmd += ` | grep  -a ${options.ignoreCase ? " -i " : ""}${options.keyword}`;
  }
  cmd += `${options.viewFromEnd ? "|tail" : "|head"} -${options.lines}`;
  return `${cmd} | cat -v `;
}

async function logDir(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "log_view_" });
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    await Deno.mkdir(join(path, ".."), { recursive: true });
    if (typeof content === "string") await Deno.writeTextFile(path, content);
    else await Deno.writeFile(path, content);
  }
  return dir;
}

const LINES = Array.from({ length: 100 }, (_, i) => `${i % 10 === 0 ? "ERROR" : "info"} line ${i}`);

Deno.test("log view: the console's commands", async (t) => {
  const dir = await logDir({ "start.log": LINES.join("\n") + "\n" });
  try {
    await t.step("the last lines, then a head of them", async () => {
      const cmd = consoleCommand({ searchLines: 20, fromEnd: true, lines: 3, viewFromEnd: false });
      assert.equal(cmd, "tail -20 __log_file_name__|head -3 | cat -v ");
      assert.equal(
        await readLogView(dir, "start.log", cmd),
        "info line 80\ninfo line 81\ninfo line 82\n".replace("info line 80", "ERROR line 80"),
      );
    });

    await t.step("the first lines with a keyword, case ignored, the last of those", async () => {
      const cmd = consoleCommand({
        searchLines: 50,
        fromEnd: false,
        keyword: "error",
        ignoreCase: true,
        lines: 2,
        viewFromEnd: true,
      });
      assert.equal(cmd, "head -50 __log_file_name__ | grep  -a  -i error|tail -2 | cat -v ");
      assert.equal(await readLogView(dir, "start.log", cmd), "ERROR line 30\nERROR line 40\n");
    });

    await t.step("a keyword with its case, and one with spaces", async () => {
      const cmd = consoleCommand({
        searchLines: 50000,
        fromEnd: true,
        keyword: "error",
        lines: 10,
        viewFromEnd: true,
      });
      assert.equal(await readLogView(dir, "start.log", cmd), "");
      assert.equal(
        await readLogView(dir, "start.log", "tail -100 __log_file_name__ | grep -a line 9"),
        "info line 9\nERROR line 90\ninfo line 91\ninfo line 92\ninfo line 93\ninfo line 94\n" +
          "info line 95\ninfo line 96\ninfo line 97\ninfo line 98\ninfo line 99\n",
      );
    });

    await t.step("the IDL's own example form, -n, quotes and -v", async () => {
      assert.equal(
        await readLogView(dir, "start.log", "tail -n 2 __log_file_name__"),
        "info line 98\ninfo line 99\n",
      );
      assert.equal(
        await readLogView(dir, "start.log", "head -12 __log_file_name__ | grep -v 'info'"),
        "ERROR line 0\nERROR line 10\n",
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log view: what it refuses", async (t) => {
  const dir = await logDir({ "start.log": "one\n", "sub/TestApp.Hello.log": "two\n" });
  const outside = await logDir({ "secret.log": "secret\n" });
  try {
    await t.step("commands beyond the console's grammar, never run in a shell", () => {
      for (
        const cmd of [
          "cat /etc/passwd",
          "tail -10 /etc/passwd",
          "tail -10 __log_file_name__; rm -rf /",
          "tail -10 __log_file_name__ | sh",
          "tail -10 __log_file_name__ `id`",
          "tail -10 __log_file_name__ | cat -v | head -1",
          "head -NaN __log_file_name__",
          "tail -10 __log_file_name__ | grep -a ",
          `tail -${LOG_VIEW_LIMITS.maxLines + 1} __log_file_name__`,
        ]
      ) {
        assert.throws(() => parseLogCommand(cmd), {
          name: "SyntaxError",
          message: new RegExp(
            `^Log command .*: .*; the node runs no shell and takes \\(tail\\|head\\)`,
          ),
        }, cmd);
      }
    });

    await t.step("a file outside log/, by name or by a symbolic link", async () => {
      for (const name of ["../secret.log", "/etc/passwd", "sub/../../x.log", "", "a\0b"]) {
        await assert.rejects(readLogView(dir, name, "tail -1 __log_file_name__"), RangeError, name);
      }
      await Deno.symlink(join(outside, "secret.log"), join(dir, "link.log"));
      await assert.rejects(
        readLogView(dir, "link.log", "tail -1 __log_file_name__"),
        /leads out of log\/; it is refused/,
      );
      await assert.rejects(
        readLogView(dir, "missing.log", "tail -1 __log_file_name__"),
        Deno.errors.NotFound,
      );
      assert.equal(
        await readLogView(dir, "sub/TestApp.Hello.log", "tail -1 __log_file_name__"),
        "two\n",
      );
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("log view: bounded reads and answers", async (t) => {
  const line = "x".repeat(99);
  // 12 MiB of 100-byte lines: more than the scan bound.
  const count = Math.floor(12 * 1024 * 1024 / 100);
  const big = new TextEncoder().encode(
    Array.from({ length: count }, (_, i) => `${String(i).padStart(8, "0")} ${line.slice(9)}`)
      .join("\n") + "\n",
  );
  const dir = await logDir({ "big.log": big });
  try {
    await t.step("a tail past the scan bound reads its last 8 MiB and says so", async () => {
      const text = await readLogView(dir, "big.log", "tail -200000 __log_file_name__");
      const lines = text.split("\n");
      assert.equal(
        lines[0],
        `[only the last ${LOG_VIEW_LIMITS.scanBytes} bytes of big.log were read]`,
      );
      assert.ok(new TextEncoder().encode(text).length <= LOG_VIEW_LIMITS.answerBytes + 200);
      assert.match(lines[1], /^\[\d+ lines left out: an answer holds at most 1048576 bytes\]$/);
      assert.equal(lines.at(-2), `${String(count - 1).padStart(8, "0")} ${line.slice(9)}`);
    });

    await t.step("a head answers the start, the note at the end", async () => {
      const text = await readLogView(dir, "big.log", "head -50000 __log_file_name__");
      const lines = text.trimEnd().split("\n");
      assert.equal(lines[0], `00000000 ${line.slice(9)}`);
      assert.match(lines.at(-1)!, /lines left out/);
      assert.ok(new TextEncoder().encode(text).length <= LOG_VIEW_LIMITS.answerBytes + 100);
    });

    await t.step("a short tail reads only the end of the file", async () => {
      const text = await readLogView(dir, "big.log", "tail -2 __log_file_name__");
      assert.equal(text.split("\n").length, 3);
      assert.ok(text.startsWith(String(count - 2).padStart(8, "0")));
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("log view: cat -v shows control characters and high bytes as cat does", () => {
  assert.equal(showControlCharacters("a\tb\u0001c\u007f"), "a\tb^Ac^?");
  assert.equal(showControlCharacters("\u00e9"), "M-CM-)");
});

Deno.test("log view: the file list, newest first, tarsnode's .log rule", async () => {
  const dir = await logDir({
    "start.log": "a",
    "supervisor.log": "b",
    "TestApp/Hello/TestApp.Hello.log": "c",
    "notes.txt": "d",
    "start.log.1": "e",
  });
  try {
    const now = Date.now() / 1000;
    await Deno.utime(join(dir, "start.log.1"), now - 300, now - 300);
    await Deno.utime(join(dir, "supervisor.log"), now - 200, now - 200);
    await Deno.utime(join(dir, "start.log"), now - 100, now - 100);
    await Deno.utime(join(dir, "TestApp/Hello/TestApp.Hello.log"), now, now);
    assert.deepEqual(await listLogFiles(dir), [
      "TestApp/Hello/TestApp.Hello.log",
      "start.log",
      "supervisor.log",
      "start.log.1",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
