import assert from "node:assert/strict";
import { parseDuration } from "../lib/duration.ts";
import { readSettings, shownDefault, VARIABLES } from "../lib/settings.ts";
import { COMMANDS, findCommand } from "./command_table.ts";
import { variablesFor } from "./help.ts";

const DURATIONS = [
  "TARS_REPORT_INTERVAL",
  "TARS_CHECK_INTERVAL",
  "TARS_CHECK_SCRIPT_TIMEOUT",
  "TARS_PRESTOP_WAITTIME",
  "TARS_ACTIVATING_TIMEOUT",
  "TARS_CHECK_RETRY_TIMEOUT",
  "TARS_STOP_GRACE",
];

Deno.test("command table", async (t) => {
  await t.step("names are unique, and each command lists a variable once", () => {
    const names = COMMANDS.map((c) => c.name);
    assert.deepEqual(names, [...new Set(names)]);
    for (const spec of COMMANDS) {
      const vars = variablesFor(spec).map((v) => v.name);
      assert.deepEqual(vars, [...new Set(vars)], spec.name);
    }
  });

  await t.step("every command a variable names as its reader is in the table", () => {
    for (const v of VARIABLES) {
      for (const reader of v.readBy) assert.ok(findCommand(reader), `${v.name}: ${reader}`);
    }
  });

  await t.step("the lifecycle commands show the defaults the settings use", () => {
    for (const command of ["supervisor", "hzcheck", "prestop"] as const) {
      const defaults: Record<string, unknown> = readSettings({}, command, { cwd: "/" });
      for (const v of variablesFor(findCommand(command)!)) {
        if (!DURATIONS.includes(v.name)) continue;
        assert.equal(parseDuration(shownDefault(v)), defaults[v.key], `${command} ${v.name}`);
      }
    }
    const supervisor = variablesFor(findCommand("supervisor")!).map((v) => v.name);
    for (const name of [...DURATIONS, "TARS_START_PATH", "SERVER_VERSION"]) {
      assert.ok(supervisor.includes(name), name);
    }
  });

  await t.step("the supervisor reads every genconf variable (it runs genconf)", () => {
    const supervisor = variablesFor(findCommand("supervisor")!);
    for (const v of variablesFor(findCommand("genconf")!)) {
      assert.ok(supervisor.includes(v), v.name);
    }
  });

  await t.step("every command module loads and has run()", async () => {
    for (const spec of COMMANDS) {
      assert.equal(typeof (await spec.load()).run, "function", spec.name);
    }
  });
});
