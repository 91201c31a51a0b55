import assert from "node:assert/strict";
import { LIFECYCLE_DEFAULTS, readLifecycleSettings } from "../supervisor/settings.ts";
import { COMMANDS, findCommand } from "./command_table.ts";
import { parseDuration } from "../lib/duration.ts";

const DURATIONS: Record<string, keyof typeof LIFECYCLE_DEFAULTS> = {
  TARS_REPORT_INTERVAL: "reportInterval",
  TARS_CHECK_INTERVAL: "checkInterval",
  TARS_CHECK_SCRIPT_TIMEOUT: "checkScriptTimeout",
  TARS_PRESTOP_WAITTIME: "prestopWaitTime",
  TARS_ACTIVATING_TIMEOUT: "activatingTimeout",
  TARS_CHECK_RETRY_TIMEOUT: "checkRetryTimeout",
  TARS_STOP_GRACE: "stopGrace",
};

Deno.test("command table", async (t) => {
  await t.step("names are unique, and each command lists a variable once", () => {
    const names = COMMANDS.map((c) => c.name);
    assert.deepEqual(names, [...new Set(names)]);
    for (const spec of COMMANDS) {
      const vars = spec.variables.map((v) => v.name);
      assert.deepEqual(vars, [...new Set(vars)], spec.name);
    }
  });

  await t.step("the lifecycle commands show the defaults the settings use", () => {
    const defaults = readLifecycleSettings({}, { cwd: "/" });
    for (const command of ["supervisor", "hzcheck", "prestop"]) {
      for (const v of findCommand(command)!.variables) {
        const key = DURATIONS[v.name];
        if (key) assert.equal(parseDuration(v.default), defaults[key], `${command} ${v.name}`);
      }
    }
    const supervisor = findCommand("supervisor")!.variables.map((v) => v.name);
    for (const name of [...Object.keys(DURATIONS), "TARS_START_PATH", "SERVER_VERSION"]) {
      assert.ok(supervisor.includes(name), name);
    }
  });

  await t.step("the supervisor reads every genconf variable (it runs genconf)", () => {
    const supervisor = findCommand("supervisor")!.variables;
    for (const v of findCommand("genconf")!.variables) assert.ok(supervisor.includes(v), v.name);
  });

  await t.step("every command module loads and has run()", async () => {
    for (const spec of COMMANDS) {
      assert.equal(typeof (await spec.load()).run, "function", spec.name);
    }
  });
});
