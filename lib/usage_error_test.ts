import assert from "node:assert/strict";
import { checkSwitches, UsageError } from "./usage_error.ts";

Deno.test("checkSwitches: the switches given, each once", () => {
  assert.deepEqual(checkSwitches("genconf", [], { switches: ["--json"] }), new Set());
  assert.deepEqual(
    checkSwitches("genconf", ["--json"], { switches: ["--json"] }),
    new Set(["--json"]),
  );
  assert.deepEqual(checkSwitches("hzcheck", []), new Set());
});

Deno.test("checkSwitches: an argument it does not take is named, with what it takes and reads", () => {
  const cases: [string[], { switches?: string[]; reads?: string }, string][] = [
    [
      ["--jsn"],
      { switches: ["--json"], reads: "the TARS_* variables" },
      'unknown option "--jsn"; genconf takes only --json, and reads the TARS_* variables ' +
      "(see tarscli help genconf)",
    ],
    [
      ["--json", "now"],
      { switches: ["--json"] },
      'unexpected argument "now"; genconf takes only --json (see tarscli help genconf)',
    ],
    [
      ["--json", "--json"],
      { switches: ["--json"] },
      "--json is given twice; give it once (see tarscli help genconf)",
    ],
    [
      ["-x"],
      { reads: "TARS_PATH" },
      'unknown option "-x"; genconf takes no arguments, and reads TARS_PATH ' +
      "(see tarscli help genconf)",
    ],
    [
      ["--quiet"],
      { switches: ["--json", "--all"] },
      'unknown option "--quiet"; genconf takes only --json, --all (see tarscli help genconf)',
    ],
  ];
  for (const [args, options, message] of cases) {
    assert.throws(() => checkSwitches("genconf", args, options), (error) => {
      assert.ok(error instanceof UsageError);
      assert.equal(error.message, message);
      assert.equal(error.exitCode, 2);
      return true;
    }, args.join(" "));
  }
});
