#!/bin/sh
// 2>/dev/null; exec "$(dirname "$0")/../deno/deno" "$@"
/**
 * `node_modules/.bin/deno`, linked here by package.json's postinstall script, so that `npx deno …`
 * and the `deno` of npm scripts run the Deno that package.json pins.
 *
 * The file is read two ways. As a shell script (npx, npm scripts), the line above runs
 * node_modules/deno/deno in place of the shell: its `//` is a failing command whose complaint goes
 * to /dev/null, and to JavaScript the line is a comment.
 *
 * As JavaScript: Deno 2.9.6's `deno task` runs every node_modules/.bin entry with `deno run -A`,
 * native binaries included, so a task's `deno` command arrives here (and with the native link the
 * deno package's install script leaves there, every such task failed on the binary's first byte).
 * This part replaces its process with the Deno running the task and the command's arguments (libc
 * execv: same pid, signals and exit code), as the task runs `deno` when node_modules/.bin has none.
 */
const libc = Deno.dlopen(Deno.build.os === "darwin" ? "libSystem.B.dylib" : "libc.so.6", {
  execv: { parameters: ["buffer", "buffer"], result: "i32" },
});
const encoder = new TextEncoder();
const argv = [Deno.execPath(), ...Deno.args].map((arg) => encoder.encode(`${arg}\0`));
const pointers = new BigUint64Array(argv.length + 1);
argv.forEach((arg, i) => {
  pointers[i] = BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(arg)));
});
libc.symbols.execv(argv[0], pointers);
throw new Error(`Cannot run ${Deno.execPath()}: execv failed`);
