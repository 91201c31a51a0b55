/**
 * Golden files for typical meta files (genconf/testdata/<case>/: _server_meta.yaml, env.json,
 * merge.conf when merging; expected.conf and expected_server_info.yaml), each expected config
 * also read by the official Node reader, and every error case of a run leaving the files alone.
 * Set UPDATE_GOLDEN=1 to rewrite the expected files after a deliberate change.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runGenconf } from "./genconf.ts";
import { readServerInfo } from "./server_info.ts";
import { readGenconfSettings } from "./settings.ts";
import { type ConfigSection, parseTarsConfig } from "../lib/tars_config.ts";
import { exists } from "../lib/not_found.ts";

const TESTDATA = fileURLToPath(new URL("./testdata/", import.meta.url));
const CASES = ["one_adapter", "several_adapters", "set_id", "merge"];
const ALL_FREE = () => Promise.resolve(true);
const FIXED_IP = (podIp: string | undefined) => Promise.resolve(podIp ?? "10.0.0.3");

/** A fresh TARS_PATH with `meta` as its bin/_server_meta.yaml (no file when undefined). */
async function tarsDir(meta: string | undefined): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "genconf_" });
  await Deno.mkdir(join(dir, "bin"));
  if (meta !== undefined) await Deno.writeTextFile(join(dir, "bin", "_server_meta.yaml"), meta);
  return dir;
}

/** Reads a config file with @tars/utils' reader in Node. */
async function readWithTarsUtils(
  path: string,
): Promise<{ ok: boolean; data: Record<string, unknown> }> {
  const script = join(TESTDATA, "read_tars_config.cjs");
  const out = await new Deno.Command("node", { args: [script, path], stderr: "inherit" }).output();
  assert.equal(out.code, 0, `node ${script} ${path} failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** The same shape @tars/utils gives: sections as objects, values as strings, bare keys as null. */
function asTarsUtilsData(section: ConfigSection): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of section.items) {
    if (item.kind === "value") out[item.key] = item.value ?? null;
    if (item.kind === "section") out[item.name] = asTarsUtilsData(item);
  }
  return out;
}

Deno.test("genconf golden files", async (t) => {
  for (const name of CASES) {
    await t.step(name, async () => {
      const caseDir = join(TESTDATA, name);
      const tarsPath = await tarsDir(await Deno.readTextFile(join(caseDir, "_server_meta.yaml")));
      try {
        const env: Record<string, string> = JSON.parse(
          await Deno.readTextFile(join(caseDir, "env.json")),
        );
        const mergePath = join(caseDir, "merge.conf");
        if (await exists(mergePath)) env.TARS_MERGE_CONF = mergePath;
        const settings = readGenconfSettings({ ...env, TARS_PATH: tarsPath }, { cwd: caseDir });
        const result = await runGenconf(settings, { findLocalIp: FIXED_IP, probe: ALL_FREE });
        // The merge case adds an adapter on 127.0.0.1: the one warning of the golden runs.
        assert.deepEqual(
          result.warnings.map((w) => w.replace(/^Merge file \S+: /, "")),
          name === "merge"
            ? [
              '<server><App.Merged.ExtraObjAdapter> endpoint "tcp -h 127.0.0.1 -p 19999" is not ' +
              "on ${local_ip} (10.0.0.3); the registry gives clients that address",
            ]
            : [],
        );

        const normalize = (text: string) => text.replaceAll(tarsPath, "/tars");
        const conf = normalize(await Deno.readTextFile(result.configPath));
        const info = normalize(await Deno.readTextFile(result.infoPath));
        const expectedConf = join(caseDir, "expected.conf");
        const expectedInfo = join(caseDir, "expected_server_info.yaml");
        if (Deno.env.get("UPDATE_GOLDEN")) {
          await Deno.writeTextFile(expectedConf, conf);
          await Deno.writeTextFile(expectedInfo, info);
        }
        assert.equal(conf, await Deno.readTextFile(expectedConf));
        assert.equal(info, await Deno.readTextFile(expectedInfo));

        assert.deepEqual(await readServerInfo(tarsPath), result.info);
        const parsed = await readWithTarsUtils(result.configPath);
        assert.equal(parsed.ok, true);
        assert.deepEqual(
          parsed.data,
          asTarsUtilsData(parseTarsConfig(await Deno.readTextFile(result.configPath))),
        );
      } finally {
        await Deno.remove(tarsPath, { recursive: true });
      }
    });
  }
});

Deno.test("genconf: what the golden runs resolved", async (t) => {
  async function run(caseName: string) {
    const caseDir = join(TESTDATA, caseName);
    const tarsPath = await tarsDir(await Deno.readTextFile(join(caseDir, "_server_meta.yaml")));
    try {
      const env = JSON.parse(await Deno.readTextFile(join(caseDir, "env.json")));
      const settings = readGenconfSettings({ ...env, TARS_PATH: tarsPath }, { cwd: caseDir });
      return (await runGenconf(settings, { findLocalIp: FIXED_IP, probe: ALL_FREE })).info;
    } finally {
      await Deno.remove(tarsPath, { recursive: true });
    }
  }

  await t.step(
    "fixed ports are kept away from ${random_port}; adapters first, then local",
    async () => {
      const info = await run("several_adapters");
      assert.deepEqual(info.adapters.map((a) => a.endpoint), [
        "tcp -h 10.0.0.3 -p 13000 -t 30000",
        "tcp -h 10.0.0.3 -p 13001 -t 60000",
        "udp -h 10.0.0.3 -p 13002 -t 30000",
        "tcp -h 0.0.0.0 -p 13003",
      ]);
      assert.equal(info.local, "tcp -h 127.0.0.1 -p 13004 -t 3000");
      assert.equal(info.buildServer, "multi_server");
      assert.equal(info.paths.configFile.endsWith("/conf/multi_server.conf"), true);
      assert.equal(info.refreshEndpointInterval, 30000);
      assert.equal(
        info.locator,
        "tars.tarsregistry.QueryObj@tcp -h registry.prod -p 17890:tcp -h 10.0.0.100 -p 17890",
      );
    },
  );

  await t.step(
    "the environment wins over the file; POD_IP and the port range are used",
    async () => {
      const info = await run("set_id");
      assert.equal(info.application, "SetApp");
      assert.equal(info.setId, "mtt.sz.2");
      assert.equal(info.localIp, "10.244.1.7");
      assert.equal(info.adapters[0].endpoint, "tcp -h 10.244.1.7 -p 20000 -t 30000");
      assert.equal(info.local, "tcp -h 127.0.0.1 -p 20001 -t 5000");
    },
  );
});

interface ErrorCase {
  readonly name: string;
  /** The meta file's text; undefined: no meta file. */
  readonly meta: string | undefined;
  readonly env?: Record<string, string>;
  /** A merge file's text, written beside the TARS_PATH and named by TARS_MERGE_CONF. */
  readonly merge?: string;
  readonly probe?: () => Promise<boolean>;
  readonly message: string | RegExp;
}

const META = "application: App\nserver: Srv\nadapters:\n  - object: MainObj\n";

const ERROR_CASES: readonly ErrorCase[] = [
  {
    name: "no application or server anywhere",
    meta: "adapters:\n  - object: MainObj\n",
    message:
      "Application and server names are missing: set application and server in $TARS_PATH/bin/" +
      "_server_meta.yaml, or TARS_APPLICATION and TARS_SERVER in the environment",
  },
  {
    name: "no meta file and no names in the environment",
    meta: undefined,
    message: "No such file: $TARS_PATH/bin/_server_meta.yaml (TARS_PATH=$TARS_PATH): put the " +
      "service's _server_meta.yaml there, set TARS_PATH to the directory whose bin/ holds it, or " +
      "name the service with TARS_APPLICATION and TARS_SERVER",
  },
  {
    name: "no meta file and only one name in the environment",
    meta: undefined,
    env: { TARS_SERVER: "Srv" },
    message: /^No such file: \$TARS_PATH\/bin\/_server_meta\.yaml \(TARS_PATH=\$TARS_PATH\): /,
  },
  {
    name: "no server",
    meta: "application: App\n",
    message:
      "Server name is missing: set server in $TARS_PATH/bin/_server_meta.yaml, or TARS_SERVER in the environment",
  },
  {
    name: "no application",
    meta: "server: Srv\n",
    env: {},
    message:
      "Application name is missing: set application in $TARS_PATH/bin/_server_meta.yaml, or TARS_APPLICATION in the environment",
  },
  {
    name: "a bad server name from the environment",
    meta: META,
    env: { TARS_SERVER: "my.server" },
    message:
      'Server name "my.server" (from TARS_SERVER) must be a name without dots, spaces or any of @ : < > = # /',
  },
  {
    name: "YAML syntax",
    meta: 'application: App\nserver: "Srv\n',
    message:
      '$TARS_PATH/bin/_server_meta.yaml:3:1: YAML syntax error: Missing closing "quote; fix the file',
  },
  {
    name: "wrong type",
    meta: META + "    threads: many\n",
    message:
      '$TARS_PATH/bin/_server_meta.yaml:5:14: adapters[0].threads must be a whole number of at least 1, got "many"; write e.g. threads: 5',
  },
  {
    name: "duplicate adapter objects",
    meta: META + "  - object: MainObj\n",
    message:
      '$TARS_PATH/bin/_server_meta.yaml:5:13: adapter object "MainObj" appears twice (first on line 4); give each adapter its own object',
  },
  {
    name: "a bad adapter endpoint",
    meta: META + "    endpoint: tcp -h ${local_ip}\n",
    message:
      'adapter MainObj in $TARS_PATH/bin/_server_meta.yaml: Bad endpoint "tcp -h 10.0.0.3": -p PORT is ' +
      "missing; write e.g. tcp -h ${local_ip} -p ${random_port} -t 30000",
  },
  {
    name: "a bad transport keeps the placeholder in the message",
    meta: META + "    endpoint: http -h ${local_ip} -p ${random_port}\n",
    message:
      'adapter MainObj in $TARS_PATH/bin/_server_meta.yaml: Bad endpoint "http -h 10.0.0.3 -p ${random_port}": ' +
      "it must start with tcp, udp or ssl; write e.g. tcp -h ${local_ip} -p ${random_port} -t 30000",
  },
  {
    name: "a bad local endpoint",
    meta: META + "local: tcp -p ${random_port}\n",
    message:
      /^local in \$TARS_PATH\/bin\/_server_meta\.yaml: Bad endpoint "tcp -p \$\{random_port\}": -h HOST is missing/,
  },
  {
    name: "an unknown placeholder",
    meta: META + "    endpoint: tcp -h ${pod_ip} -p ${random_port}\n",
    message:
      "Unknown placeholder ${pod_ip} in adapter MainObj in $TARS_PATH/bin/_server_meta.yaml; use " +
      "${local_ip}, ${random_port} or ${namespace} there",
  },
  {
    name: "two endpoints on one fixed port",
    meta: META +
      "    endpoint: tcp -h 10.0.0.3 -p 10000\n  - object: B\n    endpoint: tcp -h 10.0.0.3 -p 10000\n",
    message:
      "adapter MainObj in $TARS_PATH/bin/_server_meta.yaml and adapter B in $TARS_PATH/bin/_server_meta.yaml " +
      "both use port 10000 on 10.0.0.3; give each its own port or ${random_port}",
  },
  {
    name: "a bad locator",
    meta: META,
    env: { TARS_LOCATOR: "tars.tarsregistry.QueryObj@tcp -h registry" },
    message:
      'TARS_LOCATOR: Bad object string "tars.tarsregistry.QueryObj@tcp -h registry": Bad endpoint "tcp -h registry": -p PORT is missing',
  },
  {
    name: "a locator without endpoints",
    meta: META + "locator: tars.tarsregistry.QueryObj\n",
    message:
      'locator in $TARS_PATH/bin/_server_meta.yaml: locator "tars.tarsregistry.QueryObj" has no endpoint; ' +
      "write e.g. tars.tarsregistry.QueryObj@tcp -h HOST -p 17890",
  },
  {
    name: "a bad set id",
    meta: META + "set_id: mtt\n",
    message:
      'Set id "mtt" (from set_id in $TARS_PATH/bin/_server_meta.yaml) must be NAME.AREA.GROUP, e.g. mtt.s.1',
  },
  {
    name: "an unreadable merge file",
    meta: META,
    env: { TARS_MERGE_CONF: "/nonexistent/merge.conf" },
    message:
      /^Cannot read the merge file \/nonexistent\/merge\.conf \(TARS_MERGE_CONF\): .+; fix the path or unset TARS_MERGE_CONF$/,
  },
  {
    name: "a merge file with mismatched tags",
    meta: META,
    merge: "<tars>\n<application>\n</tars>\n",
    message:
      "Merge file $MERGE (TARS_MERGE_CONF) line 3: </tars> does not match <application> opened on line 2; close <application> first",
  },
  {
    name: "a merge file with an unclosed section",
    meta: META,
    merge: "<tars>\n<application>\n</application>\n",
    message: "Merge file $MERGE (TARS_MERGE_CONF) line 1: <tars> is never closed; add </tars>",
  },
  {
    name: "a merge file of plain text (no section)",
    meta: META,
    merge: "just some text\n",
    message: 'Merge file $MERGE (TARS_MERGE_CONF) line 1: "just some text" is outside every ' +
      "section; put it inside the section it belongs to, e.g. <tars><application><server>",
  },
  {
    name: "a merge file with a value outside its sections",
    meta: META,
    merge: "<tars>\n</tars>\nlogLevel=INFO\n",
    message: 'Merge file $MERGE (TARS_MERGE_CONF) line 3: "logLevel=INFO" is outside every ' +
      "section; put it inside the section it belongs to, e.g. <tars><application><server>",
  },
  {
    name: "a merge file without a section (comments only, or empty)",
    meta: META,
    merge: "# nothing yet\n",
    message: "Merge file $MERGE (TARS_MERGE_CONF) has no section: write what it changes inside " +
      "<tars><application>…</application></tars> as in the generated config, or unset " +
      "TARS_MERGE_CONF",
  },
  {
    name: "no free port",
    meta: META,
    env: { TARS_RAND_PORT_MIN: "14000", TARS_RAND_PORT_MAX: "14002" },
    probe: () => Promise.resolve(false),
    message:
      "No free tcp port on 10.0.0.3 in 14000..14002; free one, or widen TARS_RAND_PORT_MIN..TARS_RAND_PORT_MAX",
  },
  {
    name: "ports run out for the local endpoint",
    meta: META,
    env: { TARS_RAND_PORT_MIN: "14000", TARS_RAND_PORT_MAX: "14000" },
    message:
      "No free tcp port on 127.0.0.1 in 14000..14000; free one, or widen TARS_RAND_PORT_MIN..TARS_RAND_PORT_MAX",
  },
];

Deno.test("genconf errors leave the files as they were", async (t) => {
  for (const c of ERROR_CASES) {
    await t.step(c.name, async () => {
      const tarsPath = await tarsDir(c.meta);
      const mergePath = join(tarsPath, "merge.conf");
      try {
        await Deno.mkdir(join(tarsPath, "conf"));
        await Deno.mkdir(join(tarsPath, "data"));
        await Deno.writeTextFile(join(tarsPath, "conf", "Srv.conf"), "old conf\n");
        await Deno.writeTextFile(join(tarsPath, "data", "server_info.yaml"), "old info\n");
        const env: Record<string, string> = { TARS_PATH: tarsPath, ...(c.env ?? {}) };
        if (c.merge !== undefined) {
          await Deno.writeTextFile(mergePath, c.merge);
          env.TARS_MERGE_CONF = mergePath;
        }
        const message = typeof c.message === "string"
          ? c.message.replaceAll("$TARS_PATH", tarsPath).replaceAll("$MERGE", mergePath)
          : c.message;
        await assert.rejects(
          (async () => {
            const settings = readGenconfSettings(env, { cwd: tarsPath });
            await runGenconf(settings, { findLocalIp: FIXED_IP, probe: c.probe ?? ALL_FREE });
          })(),
          (error: Error) => {
            const shown = error.message.replaceAll(tarsPath, "$TARS_PATH");
            if (typeof message === "string") assert.equal(error.message, message);
            else assert.match(shown, message);
            assert.ok(!error.message.includes("\n"), "one line");
            return true;
          },
        );
        const entries = (dir: string) =>
          [...Deno.readDirSync(join(tarsPath, dir))].map((e) => e.name);
        assert.deepEqual(entries("conf"), ["Srv.conf"]);
        assert.deepEqual(entries("data"), ["server_info.yaml"]);
        assert.equal(await Deno.readTextFile(join(tarsPath, "conf", "Srv.conf")), "old conf\n");
        assert.equal(
          await Deno.readTextFile(join(tarsPath, "data", "server_info.yaml")),
          "old info\n",
        );
      } finally {
        await Deno.remove(tarsPath, { recursive: true });
      }
    });
  }
});

Deno.test("genconf names TARS_PATH when it is the cause", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "genconf_" });
  try {
    await t.step("TARS_PATH is a file", async () => {
      const file = join(dir, "afile");
      await Deno.writeTextFile(file, "");
      await assert.rejects(
        runGenconf(readGenconfSettings({ TARS_PATH: file }, { cwd: dir }), {
          findLocalIp: FIXED_IP,
          probe: ALL_FREE,
        }),
        {
          message: `TARS_PATH=${file} is a file, not a directory: set TARS_PATH to the ` +
            "service's directory, the one whose bin/ holds _server_meta.yaml",
        },
      );
    });
    await t.step("no meta file, the environment names the service: a warning", async () => {
      const tarsPath = join(dir, "env_only");
      const env = { TARS_PATH: tarsPath, TARS_APPLICATION: "App", TARS_SERVER: "Srv" };
      const result = await runGenconf(readGenconfSettings(env, { cwd: dir }), {
        findLocalIp: FIXED_IP,
        probe: ALL_FREE,
      });
      assert.deepEqual(result.warnings, [
        `No such file: ${tarsPath}/bin/_server_meta.yaml (TARS_PATH=${tarsPath}); the service ` +
        "is named by TARS_APPLICATION and TARS_SERVER",
      ]);
      assert.equal(result.info.server, "Srv");
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("genconf warnings and in-place rewrite", async (t) => {
  await t.step("unknown keys are warnings and the files are still written", async () => {
    const tarsPath = await tarsDir(META + "    weight: 3\nowner: team-a\n");
    try {
      const settings = readGenconfSettings({ TARS_PATH: tarsPath }, { cwd: tarsPath });
      const result = await runGenconf(settings, { findLocalIp: FIXED_IP, probe: ALL_FREE });
      assert.equal(result.warnings.length, 2);
      assert.match(
        result.warnings[0],
        /_server_meta\.yaml:5:5: unknown key "weight" in adapters\[0\] ignored/,
      );
      assert.match(result.warnings[1], /_server_meta\.yaml:6:1: unknown key "owner" ignored/);
      assert.ok(await exists(result.configPath));
    } finally {
      await Deno.remove(tarsPath, { recursive: true });
    }
  });

  await t.step("a second run replaces both files and leaves no temp files", async () => {
    const tarsPath = await tarsDir(META);
    try {
      const settings = readGenconfSettings({ TARS_PATH: tarsPath }, { cwd: tarsPath });
      await runGenconf(settings, { findLocalIp: FIXED_IP, probe: ALL_FREE });
      await Deno.writeTextFile(
        join(tarsPath, "bin", "_server_meta.yaml"),
        META + "    threads: 7\n",
      );
      const result = await runGenconf(settings, { findLocalIp: FIXED_IP, probe: ALL_FREE });
      assert.match(await Deno.readTextFile(result.configPath), /threads=7/);
      assert.equal((await readServerInfo(tarsPath)).adapters[0].threads, 7);
      assert.deepEqual([...Deno.readDirSync(join(tarsPath, "conf"))].map((e) => e.name), [
        "Srv.conf",
      ]);
      assert.deepEqual([...Deno.readDirSync(join(tarsPath, "data"))].map((e) => e.name), [
        "server_info.yaml",
      ]);
    } finally {
      await Deno.remove(tarsPath, { recursive: true });
    }
  });
});
