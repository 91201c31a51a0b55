import assert from "node:assert/strict";
import { main } from "./main.ts";
import { VERSION } from "./lib/mod.ts";

/** Runs `tarscli ARGS…` in-process and returns its exit code and output lines. */
async function tarscli(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, { env: {}, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

Deno.test("tarscli --help and -h print the help, --version and -v the version, exit 0", async () => {
  const help = await tarscli("help");
  for (const flag of ["--help", "-h"]) {
    assert.deepEqual(await tarscli(flag), help, flag);
  }
  assert.equal(help.code, 0);
  assert.match(help.out.join("\n"), /tarscli help \[COMMAND\] \(also tarscli --help, tarscli -h\)/);
  for (const flag of ["version", "--version", "-v"]) {
    const run = await tarscli(flag);
    assert.equal(run.code, 0, flag);
    assert.match(run.out[0], new RegExp(`^tarscli ${VERSION.replaceAll(".", "\\.")} \\(deno `));
  }
  assert.deepEqual((await tarscli()).out, help.out);
});

/** The commands that take switches only, and what each takes. */
const TAKES = {
  version: "no arguments",
  genconf: "only --json",
  syncdir: "no arguments",
  supervisor: "no arguments",
  hzcheck: "no arguments",
  prestop: "no arguments",
};

Deno.test("extra arguments and unknown commands are usage errors (exit 2)", async () => {
  const refusal = 'tarscli version: unexpected argument "x"; version takes no arguments ' +
    "(see tarscli help version)";
  assert.deepEqual(await tarscli("version", "x"), { code: 2, out: [], err: [refusal] });
  assert.deepEqual(await tarscli("-v", "x"), { code: 2, out: [], err: [refusal] });
  // Every command that takes no operands names the argument it does not take and what it takes.
  for (const [command, takes] of Object.entries(TAKES)) {
    const run = await tarscli(command, "--bogus");
    assert.equal(run.code, 2, command);
    assert.deepEqual(run.out, [], command);
    assert.match(
      run.err.join("\n"),
      new RegExp(`^tarscli ${command}: unknown option "--bogus"; ${command} takes ${takes}[,( ]`),
    );
  }
  assert.deepEqual(await tarscli("--nope"), {
    code: 2,
    out: [],
    err: ['tarscli --nope: Unknown command "--nope"; run "tarscli help" for the list'],
  });
});
