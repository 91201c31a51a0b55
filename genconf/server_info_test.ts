import assert from "node:assert/strict";
import { join } from "node:path";
import {
  parseServerInfo,
  readServerInfo,
  type ServerInfo,
  serverPaths,
  stringifyServerInfo,
} from "./server_info.ts";

const INFO: ServerInfo = {
  application: "App",
  server: "Srv",
  buildServer: "srv_bin",
  setId: "",
  serverType: "tars_nodejs",
  locator: "tars.tarsregistry.QueryObj@tcp -h r -p 17890",
  localIp: "10.0.0.3",
  local: "tcp -h 127.0.0.1 -p 13001 -t 5000",
  adapters: [{
    object: "MainObj",
    servant: "App.Srv.MainObj",
    adapter: "App.Srv.MainObjAdapter",
    endpoint: "tcp -h 10.0.0.3 -p 13000 -t 30000",
    maxconns: 200000,
    protocol: "tars",
    queuecap: 10000,
    queuetimeout: 60000,
    threads: 5,
  }],
  logSize: "100M",
  logNum: 5,
  logLevel: "DEBUG",
  configObj: "tars.tarsconfig.ConfigObj",
  notifyObj: "tars.tarsnotify.NotifyObj",
  logObj: "tars.tarslog.LogObj",
  statObj: "tars.tarsstat.StatObj",
  propertyObj: "tars.tarsproperty.PropertyObj",
  sampleRate: 100000,
  maxSampleCount: 50,
  asyncThreadNum: 3,
  syncInvokeTimeout: 3000,
  asyncInvokeTimeout: 5000,
  reportInterval: 6000,
  refreshEndpointInterval: 60000,
  deactivatingTimeout: 3000,
  paths: serverPaths("/tars", "srv_bin"),
};

Deno.test("server info", async (t) => {
  await t.step("paths under TARS_PATH", () => {
    assert.deepEqual(serverPaths("/tars", "srv_bin"), {
      tarsPath: "/tars",
      bin: "/tars/bin",
      conf: "/tars/conf",
      data: "/tars/data",
      log: "/tars/log",
      configFile: "/tars/conf/srv_bin.conf",
    });
  });

  await t.step("stringify then parse gives the same frozen value", async () => {
    const back = await parseServerInfo(stringifyServerInfo(INFO), { source: "info.yaml" });
    assert.deepEqual(back, INFO);
    assert.ok(
      Object.isFrozen(back) && Object.isFrozen(back.adapters[0]) && Object.isFrozen(back.paths),
    );
  });

  await t.step("the file is JSON after its comment lines, so it is YAML as well", async () => {
    const text = stringifyServerInfo(INFO);
    const lines = text.split("\n");
    assert.match(lines[0], /^# Written by tarscli genconf/);
    const body = lines.filter((line) => !line.startsWith("#")).join("\n");
    assert.deepEqual(JSON.parse(body), INFO);
    const { parse } = await import("yaml");
    assert.deepEqual(parse(text), INFO);
  });

  await t.step("a file edited into block-style YAML is read the same", async () => {
    const { stringify } = await import("yaml");
    const yaml = `# edited by hand\n${stringify(INFO)}`;
    assert.deepEqual(await parseServerInfo(yaml, { source: "info.yaml" }), INFO);
  });

  await t.step("malformed files say to run genconf again", async () => {
    const text = stringifyServerInfo(INFO);
    const cases: [string, string][] = [
      ["a: [\n", "not valid YAML"],
      ['{ "a": [\n', "not valid YAML"],
      ["- a\n", "not a mapping"],
      ["[1, 2]\n", "the file is not a mapping"],
      [text.replace('"logNum": 5', '"logNum": "five"'), "logNum is not a number"],
      [text.replace('"server": "Srv",', ""), "server is not a string"],
      [text.replace('"threads": 5', '"threads": "many"'), "adapters[0].threads is not a number"],
      [text.replace(/"paths": \{[^}]*\}/, '"paths": 3'), "paths is not a mapping"],
      ["application: App\n", "server is not a string"],
    ];
    for (const [bad, what] of cases) {
      assert.notEqual(bad, text, `the case "${what}" did not change the text`);
      await assert.rejects(parseServerInfo(bad, { source: "/tars/data/server_info.yaml" }), {
        name: "SyntaxError",
        message: new RegExp(
          `^/tars/data/server_info\\.yaml: ${
            what.replace(/[[\]]/g, "\\$&")
          }.*; run "tarscli genconf" again to rewrite it$`,
        ),
      }, what);
    }
  });

  await t.step("a missing file says to run genconf first", async () => {
    const dir = await Deno.makeTempDir();
    try {
      await assert.rejects(readServerInfo(dir), {
        message: new RegExp(
          `^Cannot read ${join(dir, "data", "server_info.yaml")}: .+; run "tarscli genconf" first$`,
        ),
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
