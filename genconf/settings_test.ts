import assert from "node:assert/strict";
import { readGenconfSettings } from "./settings.ts";

const cwd = "/work/dir";

Deno.test("readGenconfSettings", async (t) => {
  await t.step("defaults with an empty environment", () => {
    const s = readGenconfSettings({}, { cwd });
    assert.deepEqual(s, {
      tarsPath: "/tars",
      application: undefined,
      server: undefined,
      buildServer: undefined,
      setId: undefined,
      serverType: undefined,
      locator: undefined,
      mergeConf: undefined,
      refreshEndpointInterval: undefined,
      podIp: undefined,
      namespace: "tars-system",
      portRange: { min: 13000, max: 16000 },
    });
    assert.ok(Object.isFrozen(s) && Object.isFrozen(s.portRange));
  });

  await t.step("every variable", () => {
    const s = readGenconfSettings({
      TARS_PATH: "/srv/tars",
      TARS_APPLICATION: "App",
      TARS_SERVER: "Server",
      TARS_BUILD_SERVER: "Binary",
      TARS_SET_ID: "mtt.s.1",
      TARS_SERVER_TYPE: "tars_go",
      TARS_LOCATOR: "tars.tarsregistry.QueryObj@tcp -h r -p 1",
      TARS_MERGE_CONF: "/etc/merge.conf",
      TARS_EP_UPTIME: "30s",
      POD_IP: "10.1.2.3",
      TARS_NAMESPACE: "prod",
      TARS_RAND_PORT_MIN: "20000",
      TARS_RAND_PORT_MAX: "20010",
    }, { cwd });
    assert.deepEqual(s, {
      tarsPath: "/srv/tars",
      application: "App",
      server: "Server",
      buildServer: "Binary",
      setId: "mtt.s.1",
      serverType: "tars_go",
      locator: "tars.tarsregistry.QueryObj@tcp -h r -p 1",
      mergeConf: "/etc/merge.conf",
      refreshEndpointInterval: 30000,
      podIp: "10.1.2.3",
      namespace: "prod",
      portRange: { min: 20000, max: 20010 },
    });
  });

  await t.step("empty and blank values count as unset", () => {
    const s = readGenconfSettings({ TARS_PATH: "", TARS_SERVER: "  ", TARS_EP_UPTIME: "" }, {
      cwd,
    });
    assert.equal(s.tarsPath, "/tars");
    assert.equal(s.server, undefined);
    assert.equal(s.refreshEndpointInterval, undefined);
  });

  await t.step("a relative TARS_PATH is taken from cwd", () => {
    assert.equal(
      readGenconfSettings({ TARS_PATH: "tarsdir" }, { cwd }).tarsPath,
      "/work/dir/tarsdir",
    );
  });

  await t.step("TARS_EP_UPTIME: bare number is milliseconds, durations take units", () => {
    assert.equal(
      readGenconfSettings({ TARS_EP_UPTIME: "60000" }, { cwd }).refreshEndpointInterval,
      60000,
    );
    assert.equal(
      readGenconfSettings({ TARS_EP_UPTIME: "1m30s" }, { cwd }).refreshEndpointInterval,
      90000,
    );
    assert.throws(() => readGenconfSettings({ TARS_EP_UPTIME: "soon" }, { cwd }), {
      name: "SyntaxError",
      message: /^TARS_EP_UPTIME: Bad duration "soon": .*; a bare number is milliseconds$/,
    });
    assert.throws(() => readGenconfSettings({ TARS_EP_UPTIME: "0" }, { cwd }), {
      name: "RangeError",
      message: 'TARS_EP_UPTIME="0" must be at least 1ms in whole milliseconds, e.g. 60s',
    });
  });

  await t.step("TARS_SERVER_TYPE takes the framework's server types only", () => {
    assert.equal(
      readGenconfSettings({ TARS_SERVER_TYPE: "not_tars" }, { cwd }).serverType,
      "not_tars",
    );
    assert.throws(() => readGenconfSettings({ TARS_SERVER_TYPE: "go" }, { cwd }), {
      name: "RangeError",
      message: 'TARS_SERVER_TYPE="go" is not a server type; use one of tars_cpp, tars_go, ' +
        "tars_java, tars_nodejs, tars_php, not_tars",
    });
  });

  await t.step("bad port range", () => {
    assert.throws(() => readGenconfSettings({ TARS_RAND_PORT_MIN: "many" }, { cwd }), {
      name: "RangeError",
      message: 'TARS_RAND_PORT_MIN="many" is not a port; set it to a number from 1 to 65535',
    });
    assert.throws(() => readGenconfSettings({ TARS_RAND_PORT_MAX: "70000" }, { cwd }), {
      message: 'TARS_RAND_PORT_MAX="70000" is not a port; set it to a number from 1 to 65535',
    });
    assert.throws(
      () =>
        readGenconfSettings({ TARS_RAND_PORT_MIN: "2000", TARS_RAND_PORT_MAX: "1000" }, { cwd }),
      {
        name: "RangeError",
        message: "TARS_RAND_PORT_MIN (2000) is above TARS_RAND_PORT_MAX (1000); swap them",
      },
    );
  });
});
