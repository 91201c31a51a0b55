import assert from "node:assert/strict";
import {
  readRegistryFlags,
  readSettings,
  REGISTRY_FLAGS,
  VARIABLES,
  variablesOf,
} from "./settings.ts";

Deno.test("the supervisor's settings", async (t) => {
  await t.step("defaults", () => {
    const s = readSettings({}, "supervisor", { cwd: "/x" });
    assert.equal(s.tarsPath, "/tars");
    assert.equal(s.startPath, "/tars/bin/start.sh");
    assert.equal(s.stopPath, undefined);
    assert.equal(s.reportInterval, 30_000);
    assert.equal(s.checkInterval, 10_000);
    assert.equal(s.checkScriptTimeout, 2_000);
    assert.equal(s.prestopWaitTime, 80_000);
    assert.equal(s.activatingTimeout, 300_000);
    assert.equal(s.checkRetryTimeout, 5_000);
    assert.equal(s.stopGrace, 10_000);
    assert.equal(s.disableFlow, false);
    assert.equal(s.serverVersion, "");
    assert.equal(s.nodePort, undefined);
    assert.deepEqual([s.randPortMin, s.randPortMax], [13000, 16000]);
  });

  await t.step("TARS_NODE_PORT: a port, or 0 for no node object", () => {
    const port = (value: string) =>
      readSettings({ TARS_NODE_PORT: value }, "supervisor", { cwd: "/" }).nodePort;
    assert.equal(port("19385"), 19385);
    assert.equal(port("0"), 0);
    assert.throws(() => port("70000"), {
      name: "RangeError",
      message: 'TARS_NODE_PORT="70000" is not a port; set it to a number from 1 to 65535, or 0 ' +
        "for off",
    });
  });

  await t.step("values from the environment", () => {
    const s = readSettings(
      {
        TARS_PATH: "svc",
        TARS_START_PATH: "/opt/run.sh",
        TARS_STOP_PATH: "/opt/stop.sh",
        TARS_REPORT_INTERVAL: "1m30s",
        TARS_CHECK_INTERVAL: "500ms",
        TARS_DISABLE_FLOW: "true",
        TARS_PRESTOP_WAITTIME: "5s",
        SERVER_VERSION: "v1.2",
        TARS_BEFORE_CHECK_SCRIPT: "echo hi",
      },
      "supervisor",
      { cwd: "/work" },
    );
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
      () => readSettings({ TARS_CHECK_INTERVAL: "often" }, "supervisor", { cwd: "/" }),
      (e: Error) => e instanceof SyntaxError && e.message.startsWith("TARS_CHECK_INTERVAL:"),
    );
    assert.throws(
      () => readSettings({ TARS_REPORT_INTERVAL: "0s" }, "supervisor", { cwd: "/" }),
      /TARS_REPORT_INTERVAL must be above 0/,
    );
  });

  await t.step("a number without a unit is refused (the original did), but for 0", () => {
    assert.throws(
      () => readSettings({ TARS_REPORT_INTERVAL: "30" }, "supervisor", { cwd: "/" }),
      {
        name: "SyntaxError",
        message: 'TARS_REPORT_INTERVAL: Duration "30" has no unit: write 30s for seconds or ' +
          "30ms for milliseconds (units: ns, us, ms, s, m, h, d)",
      },
    );
    assert.equal(
      readSettings({ TARS_PRESTOP_WAITTIME: "0" }, "supervisor", { cwd: "/" }).prestopWaitTime,
      0,
    );
  });
});

Deno.test("the settings table", async (t) => {
  await t.step("names are unique, and keys are unique among a command's variables", () => {
    const names = [...VARIABLES, ...REGISTRY_FLAGS].map((v) => v.name);
    assert.deepEqual(names, [...new Set(names)]);
    const readers = new Set(VARIABLES.flatMap((v) => v.readBy));
    for (const command of readers) {
      const keys = variablesOf(command).map((v) => v.key);
      assert.deepEqual(keys, [...new Set(keys)], command);
    }
    const flagKeys = REGISTRY_FLAGS.map((f) => f.key);
    assert.deepEqual(flagKeys, [...new Set(flagKeys)]);
  });

  await t.step("each command reads only what it declares", () => {
    assert.deepEqual(readSettings({ TARS_CHECK_INTERVAL: "often" }, "hzcheck", { cwd: "/" }), {
      tarsPath: "/tars",
      reportInterval: 30_000,
    });
    assert.deepEqual(readSettings({}, "prestop", { cwd: "/" }), {
      tarsPath: "/tars",
      prestopWaitTime: 80_000,
    });
    assert.deepEqual(readSettings({}, "notify", { cwd: "/" }), { tarsPath: "/tars" });
  });

  await t.step("a default under $TARS_PATH follows TARS_PATH", () => {
    const s = readSettings({ TARS_PATH: "srv/" }, "supervisor", { cwd: "/w" });
    assert.equal(s.tarsPath, "/w/srv/");
    assert.equal(s.startPath, "/w/srv/bin/start.sh");
  });

  await t.step("a verbatim variable keeps its spaces, the others are trimmed", () => {
    const s = readSettings(
      { DB_PASS: " secret ", DB_USER: " tars ", POD_IP: "  " },
      "registry",
      { cwd: "/" },
    );
    assert.equal(s.dbPass, " secret ");
    assert.equal(s.dbUser, "tars");
    assert.equal(s.podIp, undefined);
  });

  await t.step("registry flags: defaults, given values, a switch", () => {
    const { adminAllow, ...others } = readRegistryFlags({}, { cwd: "/" });
    assert.deepEqual(adminAllow.map((range) => range.text), ["127.0.0.1/32", "::1/128"]);
    assert.deepEqual(others, {
      endpoint: "tcp -h 0.0.0.0 -p 17890",
      store: undefined,
      metrics: { host: "0.0.0.0", port: 9325 },
      advertise: undefined,
      nodeTimeout: 250_000,
      expiryProtectRate: 0.3,
      reloadInterval: 10_000,
      fullReloadInterval: 300_000,
      trustNodeNames: false,
      registrationTokens: undefined,
      requireTokens: false,
      nodeCallTimeout: 25_000,
      taskItemTimeout: 300_000,
      maxConnsPerPeer: 1000,
      maxBuffered: 256 * 1024 * 1024,
      storeTimeout: 3000,
      maxPendingWrites: 1000,
      initDb: false,
    });
    const given = readRegistryFlags(
      { "node-timeout": "60s", metrics: "[::1]:9", "init-db": true, "task-item-timeout": "2m" },
      { cwd: "/" },
    );
    assert.equal(given.nodeTimeout, 60_000);
    assert.equal(given.taskItemTimeout, 120_000);
    assert.deepEqual(given.metrics, { host: "::1", port: 9 });
    assert.equal(given.initDb, true);
  });

  await t.step("every declared default parses", () => {
    for (const command of new Set(VARIABLES.flatMap((v) => v.readBy))) {
      readSettings({}, command, { cwd: "/" });
    }
    readRegistryFlags({}, { cwd: "/" });
  });
});

Deno.test("the registry's trust and limit flags", async (t) => {
  await t.step("defaults: loopback is the admin, limits as documented", () => {
    const flags = readRegistryFlags({}, { cwd: "/" });
    assert.deepEqual(flags.adminAllow.map((r) => r.text), ["127.0.0.1/32", "::1/128"]);
    assert.equal(flags.trustNodeNames, false);
    assert.equal(flags.maxConnsPerPeer, 1000);
    assert.equal(flags.maxBuffered, 256 * 1024 * 1024);
    assert.equal(flags.storeTimeout, 3000);
    assert.equal(flags.maxPendingWrites, 1000);
  });

  await t.step("values", () => {
    const flags = readRegistryFlags({
      "admin-allow": "10.0.0.0/8, 192.168.1.7",
      "trust-node-names": true,
      "max-conns-per-peer": "20",
      "max-buffered": "64MiB",
      "store-timeout": "500ms",
      "max-pending-writes": "5",
    }, { cwd: "/" });
    assert.deepEqual(flags.adminAllow.map((r) => [r.text, r.prefix]), [
      ["10.0.0.0/8", 8],
      ["192.168.1.7", 32],
    ]);
    assert.equal(flags.trustNodeNames, true);
    assert.equal(flags.maxConnsPerPeer, 20);
    assert.equal(flags.maxBuffered, 64 * 1024 * 1024);
    assert.equal(flags.storeTimeout, 500);
    assert.equal(flags.maxPendingWrites, 5);
  });

  await t.step("bad values name the flag", () => {
    const bad: [string, string, RegExp][] = [
      ["admin-allow", "10.0.0.0/40", /^--admin-allow: .*prefix length/],
      ["admin-allow", ",", /^--admin-allow needs at least one address range/],
      ["max-conns-per-peer", "0", /^--max-conns-per-peer="0" must be a whole number/],
      ["max-buffered", "12", /^--max-buffered="12" must be a size of at least 1KiB/],
      ["max-buffered", "1TB", /^--max-buffered="1TB"/],
      ["store-timeout", "0s", /^--store-timeout must be above 0/],
      ["max-pending-writes", "-3", /^--max-pending-writes="-3"/],
    ];
    for (const [flag, value, message] of bad) {
      assert.throws(() => readRegistryFlags({ [flag]: value }, { cwd: "/" }), { message }, flag);
    }
  });
});

Deno.test("--expiry-protect-rate: a percentage, 30% by default, 0 for off", () => {
  assert.equal(readRegistryFlags({}, { cwd: "/" }).expiryProtectRate, 0.3);
  for (const [text, rate] of [["0", 0], ["45%", 0.45], ["12.5", 0.125], ["99.5 %", 0.995]]) {
    const flags = readRegistryFlags({ "expiry-protect-rate": String(text) }, { cwd: "/" });
    assert.equal(flags.expiryProtectRate, rate, String(text));
  }
  for (const text of ["100", "100%", "-1", "0.3x", "", "thirty"]) {
    assert.throws(
      () => readRegistryFlags({ "expiry-protect-rate": text }, { cwd: "/" }),
      {
        message:
          `--expiry-protect-rate="${text}" must be a percentage from 0 to under 100, e.g. 30%`,
      },
      text,
    );
  }
});

Deno.test("POD_IP must be an IP address, and the error names it", () => {
  for (const ip of ["10.0.0.5", "127.0.0.1", "fd00::5", "::1", "2001:db8::1:2"]) {
    assert.equal(readSettings({ POD_IP: ip }, "genconf", { cwd: "/" }).podIp, ip);
  }
  for (const bad of ["notanip", "10.0.0", "10.0.0.256", "pod-1.example", "fd00::5::1"]) {
    for (const command of ["genconf", "registry"] as const) {
      assert.throws(() => readSettings({ POD_IP: bad }, command, { cwd: "/" }), {
        name: "RangeError",
        message: `POD_IP="${bad}" is not an IP address: set it to an address of this machine, ` +
          "e.g. 10.0.0.5 (in a pod, status.podIP from the downward API), or unset it",
      });
    }
  }
});
