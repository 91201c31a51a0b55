import assert from "node:assert/strict";
import { join } from "node:path";
import {
  ADAPTER_DEFAULTS,
  parseServerMeta,
  readServerMeta,
  SERVER_META_DEFAULTS,
} from "./server_meta.ts";

const source = "/tars/bin/_server_meta.yaml";

function parse(text: string) {
  return parseServerMeta(text, { source });
}

Deno.test("parseServerMeta", async (t) => {
  await t.step("an empty file gives every default", () => {
    assert.deepEqual(parse(""), { meta: SERVER_META_DEFAULTS, warnings: [] });
    assert.deepEqual(parse("# only a comment\n"), { meta: SERVER_META_DEFAULTS, warnings: [] });
  });

  await t.step("defaults are those of K8STARS (the server type the framework's)", () => {
    assert.deepEqual(SERVER_META_DEFAULTS, {
      setId: "",
      serverType: "tars_cpp",
      locator:
        "tars.tarsregistry.QueryObj@tcp -h tars-registry.${namespace}.svc.cluster.local -p 17890",
      adapters: [],
      local: "tcp -h 127.0.0.1 -p ${random_port} -t 5000",
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
    });
    assert.deepEqual(ADAPTER_DEFAULTS, {
      endpoint: "tcp -h ${local_ip} -p ${random_port} -t 30000",
      maxconns: 200000,
      protocol: "tars",
      queuecap: 10000,
      queuetimeout: 60000,
      threads: 5,
    });
  });

  await t.step("every key is read", () => {
    const { meta, warnings } = parse(`
application: App
server: Server
set_id: mtt.s.1
server_type: tars_nodejs
locator: tars.tarsregistry.QueryObj@tcp -h 10.0.0.1 -p 17890
adapters:
  - object: MainObj
    endpoint: tcp -h \${local_ip} -p 10000
    maxconns: 100
    protocol: not_tars
    queuecap: 20
    queuetimeout: 30
    threads: 2
  - object: OtherObj
local: tcp -h 127.0.0.1 -p 19999
logSize: 1G
logNum: 9
logLevel: info
configObj: c.c.C
notifyObj: n.n.N
logObj: l.l.L
statObj: s.s.S
propertyObj: p.p.P
sample_rate: 1000
max_sample_count: 10
asyncThreadNum: 4
sync_invoke_timeout: 1000
async_invoke_timeout: 2000
report_interval: 3000
refresh_endpoint_interval: 4000
deactivating_timeout: 0
`);
    assert.deepEqual(warnings, []);
    assert.deepEqual(meta, {
      application: "App",
      server: "Server",
      setId: "mtt.s.1",
      serverType: "tars_nodejs",
      locator: "tars.tarsregistry.QueryObj@tcp -h 10.0.0.1 -p 17890",
      adapters: [
        {
          object: "MainObj",
          endpoint: "tcp -h ${local_ip} -p 10000",
          maxconns: 100,
          protocol: "not_tars",
          queuecap: 20,
          queuetimeout: 30,
          threads: 2,
        },
        { object: "OtherObj", ...ADAPTER_DEFAULTS },
      ],
      local: "tcp -h 127.0.0.1 -p 19999",
      logSize: "1G",
      logNum: 9,
      logLevel: "INFO",
      configObj: "c.c.C",
      notifyObj: "n.n.N",
      logObj: "l.l.L",
      statObj: "s.s.S",
      propertyObj: "p.p.P",
      sampleRate: 1000,
      maxSampleCount: 10,
      asyncThreadNum: 4,
      syncInvokeTimeout: 1000,
      asyncInvokeTimeout: 2000,
      reportInterval: 3000,
      refreshEndpointInterval: 4000,
      deactivatingTimeout: 0,
    });
    assert.ok(
      Object.isFrozen(meta) && Object.isFrozen(meta.adapters) && Object.isFrozen(meta.adapters[0]),
    );
  });

  await t.step("empty values keep the default, numbers are accepted as text", () => {
    const { meta } = parse("application: 123\nlogSize: 10240\nlocator:\nadapters:\n");
    assert.equal(meta.application, "123");
    assert.equal(meta.logSize, "10240");
    assert.equal(meta.locator, SERVER_META_DEFAULTS.locator);
    assert.deepEqual(meta.adapters, []);
  });

  await t.step("unknown keys far from every known key are warnings with their place", () => {
    const { meta, warnings } = parse(
      "server: S\nowner: team-a\nadapters:\n  - object: A\n    weight: 4\n",
    );
    assert.equal(meta.server, "S");
    assert.deepEqual(warnings, [
      `${source}:2:1: unknown key "owner" ignored; known keys: version, application, server, set_id, server_type, locator, local, ` +
      "logSize, logNum, logLevel, configObj, notifyObj, logObj, statObj, propertyObj, sample_rate, " +
      "max_sample_count, asyncThreadNum, sync_invoke_timeout, async_invoke_timeout, report_interval, " +
      "refresh_endpoint_interval, deactivating_timeout, adapters",
      `${source}:5:5: unknown key "weight" in adapters[0] ignored; known keys: object, endpoint, maxconns, ` +
      "protocol, queuecap, queuetimeout, threads",
    ]);
  });

  await t.step(
    "a key one or two edits from a known key is an error naming its line and that key",
    () => {
      const refusal = (key: string, meant: string) =>
        `unknown key "${key}" (did you mean "${meant}"?): correct it; a key this close to a known ` +
        "one is an error, not a warning, so that a typo does not drop its setting unseen";
      assert.throws(() => parse("application: A\nserver: S\nadapter:\n  - object: HelloObj\n"), {
        name: "TypeError",
        message: `${source}:3:1: ${refusal("adapter", "adapters")}`,
      });
      assert.throws(() => parse("server: S\nadapters:\n  - object: A\n    endpiont: tcp\n"), {
        name: "TypeError",
        message: `${source}:4:5: ${
          refusal("endpiont", "endpoint").replace('" (did', '" in adapters[0] (did')
        }`,
      });
      // The config file's spelling of a key, and two edits in a long key.
      assert.throws(() => parse("logsize: 1G\n"), {
        message: `${source}:1:1: ${refusal("logsize", "logSize")}`,
      });
      assert.throws(() => parse("\n\nlog_levle: INFO\n"), {
        message: `${source}:3:1: ${refusal("log_levle", "logLevel")}`,
      });
    },
  );

  await t.step("keys a K8STARS file may carry besides the known ones stay warnings", () => {
    // Other tools' keys, the config file's own names for what the meta file sets differently,
    // and the server info's keys: none is a typo of a meta key, so each is only a warning.
    const top = [
      "name",
      "desc",
      "owner",
      "image",
      "env",
      "id",
      "ip",
      "app",
      "tag",
      "conf",
      "local_ip",
      "localip",
      "tars_path",
      "servant",
      "config",
      "notify",
      "log",
      "stat",
      "property",
      "template",
      "profile",
      "enableset",
      "setdivision",
      "asyncthread",
      "modulename",
      "replicas",
      "service",
    ];
    for (const key of top) {
      const { warnings } = parse(`server: S\n${key}: x\n`);
      assert.equal(warnings.length, 1, key);
      assert.match(warnings[0], new RegExp(`:2:1: unknown key "${key}" ignored`), key);
    }
    const inAdapter = ["name", "port", "timeout", "obj", "servant", "handlegroup", "allow", "id"];
    for (const key of inAdapter) {
      const { warnings } = parse(`adapters:\n  - object: A\n    ${key}: x\n`);
      assert.equal(warnings.length, 1, key);
      assert.match(
        warnings[0],
        new RegExp(`:3:5: unknown key "${key}" in adapters\\[0\\] ignored`),
      );
    }
  });

  await t.step("K8STARS files are read without a warning: version is accepted and unused", () => {
    // The original's example and template meta files, as K8STARS ships them.
    const files = [
      "version: v1\napplication: TestApp\nserver: HelloGo\nadapters:\n  - object: SayHelloObj\n",
      "version: v1\napplication: tars\nserver: tarsregistry\nadapters:\n" +
      "  - object: QueryObj\n    endpoint: tcp -h ${local_ip} -p 17890\n",
      // The shapes of its other files: every adapter key with a comment among them, and a second
      // adapter on a fixed port.
      "version: v1\napplication: App\nserver: Server1\nadapters:\n  - object: MainObj\n" +
      "    # optional from here\n    endpoint: tcp -h ${local_ip} -p ${random_port}\n" +
      "    maxconns: 1000\n    protocol: tars\n    queuecap: 100\n    queuetimeout: 6000\n" +
      "    threads: 2\n  - object: QueryObj\n",
      "version: v1\napplication: App\nserver: Simple\nadapters:\n  - object: MainObj\n" +
      "  - object: HttpObj\n    endpoint: tcp -h ${local_ip} -p 80",
    ];
    for (const text of files) {
      const { meta, warnings } = parse(text);
      assert.deepEqual(warnings, [], text);
      assert.equal("version" in meta, false);
    }
    assert.deepEqual(parse("version: 2\nserver: S\n").warnings, []);
  });

  await t.step("a log level outside the known set is passed on as written, with a warning", () => {
    const { meta, warnings } = parse("server: S\nlogLevel: verbose\n");
    assert.equal(meta.logLevel, "verbose");
    assert.deepEqual(warnings, [
      `${source}:2:11: logLevel "verbose" is not one of NONE, ERROR, WARN, INFO, DEBUG, TARS; ` +
      "it is written to the config as it is, for the service's framework to read",
    ]);
    assert.equal(parse("logLevel: warn\n").meta.logLevel, "WARN");
  });

  await t.step("YAML syntax errors give file, line and column", () => {
    const cases: [string, string][] = [
      [
        "server: S\nadapters: [\n  - object: A\n",
        "3:3: YAML syntax error: Block collections are not allowed within flow collections",
      ],
      ['application: App\nserver: "Srv\n', '3:1: YAML syntax error: Missing closing "quote'],
      [
        "adapters:\n  - object: A\n   threads: 3\n",
        "3:1: YAML syntax error: Sequence item without - indicator",
      ],
      ["a: b\n\tc: d\n", "2:1: YAML syntax error: Tabs are not allowed as indentation"],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parse(text), {
        name: "SyntaxError",
        message: `${source}:${message}; fix the file`,
      });
    }
  });

  await t.step("a key given twice is a syntax error", () => {
    assert.throws(() => parse("server: A\nserver: B\n"), {
      name: "SyntaxError",
      message: `${source}:2:1: YAML syntax error: Map keys must be unique; fix the file`,
    });
  });

  await t.step("wrong types name the field", () => {
    const cases: [string, string][] = [
      [
        "adapters:\n  - object: A\n    threads: many\n",
        `${source}:3:14: adapters[0].threads must be a whole number of at least 1, got "many"; write e.g. threads: 5`,
      ],
      [
        "logNum: 0\n",
        `${source}:1:9: logNum must be a whole number of at least 1, got 0; write e.g. logNum: 5`,
      ],
      [
        "sample_rate: 1.5\n",
        `${source}:1:14: sample_rate must be a whole number of at least 1, got 1.5; write e.g. sample_rate: 5`,
      ],
      [
        "deactivating_timeout: -1\n",
        `${source}:1:23: deactivating_timeout must be a whole number of at least 0, got -1; write e.g. deactivating_timeout: 5`,
      ],
      [
        "server: [a, b]\n",
        `${source}:1:9: server must be text, got a YAML list; write e.g. server: "value"`,
      ],
      [
        "server: true\n",
        `${source}:1:9: server must be text, got true; write e.g. server: "value"`,
      ],
      [
        "logLevel: [INFO]\n",
        `${source}:1:11: logLevel must be a log level such as INFO, got a YAML list`,
      ],
      [
        "server_type: tars_rust\n",
        `${source}:1:14: server_type must be one of tars_cpp, tars_go, tars_java, tars_nodejs, tars_php, not_tars, got "tars_rust"`,
      ],
      [
        "logSize: huge\n",
        `${source}:1:10: logSize must be a size such as 100M, 1G or 10240, got "huge"`,
      ],
      [
        "adapters: MainObj\n",
        `${source}:1:11: adapters must be a list; write each adapter as '- object: MainObj'`,
      ],
      [
        "adapters:\n  - MainObj\n",
        `${source}:2:5: adapters[0] must be a mapping with at least "object", e.g. '- object: MainObj'`,
      ],
      [
        "adapters:\n  - threads: 3\n",
        `${source}:2:5: adapters[0] has no object; add e.g. 'object: MainObj'`,
      ],
      [
        "adapters:\n  - object: Main.Obj\n",
        `${source}:2:13: adapters[0].object "Main.Obj" must be a name without dots, spaces or any of @ : < > = # /`,
      ],
      [
        "- a\n- b\n",
        `${source}:1:1: the file must be a YAML mapping with keys such as application, server and adapters`,
      ],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => parse(text), { name: "TypeError", message }, text);
    }
  });

  await t.step("duplicate adapter objects", () => {
    assert.throws(
      () =>
        parse(
          "adapters:\n  - object: MainObj\n  - object: Other\n  - object: MainObj\n    threads: 3\n",
        ),
      {
        name: "TypeError",
        message:
          `${source}:4:13: adapter object "MainObj" appears twice (first on line 2); give each adapter its own object`,
      },
    );
  });
});

Deno.test("readServerMeta", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    await t.step("a missing file gives the defaults", async () => {
      assert.deepEqual(await readServerMeta(join(dir, "none.yaml")), {
        meta: SERVER_META_DEFAULTS,
        warnings: [],
        found: false,
      });
    });
    await t.step("a file is read with its path in messages", async () => {
      const path = join(dir, "_server_meta.yaml");
      await Deno.writeTextFile(path, "server: S\nextra: 1\n");
      const result = await readServerMeta(path);
      assert.equal(result.found, true);
      assert.equal(result.meta.server, "S");
      assert.match(result.warnings[0], new RegExp(`^${path}:2:1: unknown key "extra"`));
    });
    await t.step("a file where a directory should be is an error saying so", async () => {
      await Deno.writeTextFile(join(dir, "afile"), "");
      await assert.rejects(readServerMeta(join(dir, "afile", "bin", "_server_meta.yaml")), {
        message: `Cannot read ${
          join(dir, "afile", "bin", "_server_meta.yaml")
        }: a directory on its path is a file`,
      });
    });
    await t.step("a directory in the file's place is an error", async () => {
      await Deno.mkdir(join(dir, "adir"));
      await assert.rejects(readServerMeta(join(dir, "adir")), {
        message: `Cannot read ${
          join(dir, "adir")
        }: it is a directory; put the meta file there instead`,
      });
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
