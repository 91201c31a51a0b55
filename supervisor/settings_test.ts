import assert from "node:assert/strict";
import { LIFECYCLE_DEFAULTS, readLifecycleSettings } from "./settings.ts";

Deno.test("readLifecycleSettings", async (t) => {
  await t.step("defaults", () => {
    const s = readLifecycleSettings({}, { cwd: "/x" });
    assert.equal(s.tarsPath, "/tars");
    assert.equal(s.startPath, "/tars/bin/start.sh");
    assert.equal(s.stopPath, undefined);
    assert.equal(s.reportInterval, 30_000);
    assert.equal(s.checkInterval, 10_000);
    assert.equal(s.checkScriptTimeout, 2_000);
    assert.equal(s.prestopWaitTime, 80_000);
    assert.equal(s.activatingTimeout, 300_000);
    assert.equal(s.checkRetryTimeout, 5_000);
    assert.equal(s.stopGrace, LIFECYCLE_DEFAULTS.stopGrace);
    assert.equal(s.disableFlow, false);
    assert.equal(s.serverVersion, "");
  });

  await t.step("values from the environment", () => {
    const s = readLifecycleSettings({
      TARS_PATH: "svc",
      TARS_START_PATH: "/opt/run.sh",
      TARS_STOP_PATH: "/opt/stop.sh",
      TARS_REPORT_INTERVAL: "1m30s",
      TARS_CHECK_INTERVAL: "500ms",
      TARS_DISABLE_FLOW: "true",
      TARS_PRESTOP_WAITTIME: "5s",
      SERVER_VERSION: "v1.2",
      TARS_BEFORE_CHECK_SCRIPT: "echo hi",
    }, { cwd: "/work" });
    assert.equal(s.tarsPath, "/work/svc");
    assert.equal(s.startPath, "/opt/run.sh");
    assert.equal(s.stopPath, "/opt/stop.sh");
    assert.equal(s.reportInterval, 90_000);
    assert.equal(s.checkInterval, 500);
    assert.equal(s.disableFlow, true);
    assert.equal(s.prestopWaitTime, 5_000);
    assert.equal(s.serverVersion, "v1.2");
    assert.equal(s.beforeCheckScript, "echo hi");
  });

  await t.step("bad durations name the variable", () => {
    assert.throws(
      () => readLifecycleSettings({ TARS_CHECK_INTERVAL: "often" }, { cwd: "/" }),
      (e: Error) => e instanceof SyntaxError && e.message.startsWith("TARS_CHECK_INTERVAL:"),
    );
    assert.throws(
      () => readLifecycleSettings({ TARS_REPORT_INTERVAL: "0s" }, { cwd: "/" }),
      /TARS_REPORT_INTERVAL must be above 0/,
    );
  });
});
