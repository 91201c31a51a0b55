/**
 * End to end: `deno run main.ts genconf` as a subprocess with exactly the permissions the
 * command documents, real ports on 127.0.0.1, and the result read by @tars/utils in Node.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { listenRun } from "./support/port_run.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const READER = join(ROOT, "genconf", "testdata", "read_tars_config.cjs");
/** What `tarscli genconf` needs: files, the environment, binding ports, listing interfaces. */
const PERMISSIONS = [
  "--allow-read",
  "--allow-write",
  "--allow-env",
  "--allow-net",
  "--allow-sys=networkInterfaces",
];

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function tarscli(args: string[], env: Record<string, string>): Promise<Run> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, join(ROOT, "main.ts"), ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    clearEnv: true,
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

async function readWithTarsUtils(
  path: string,
): Promise<{ ok: boolean; data: Record<string, unknown> }> {
  const out = await new Deno.Command("node", { args: [READER, path], stderr: "inherit" }).output();
  assert.equal(out.code, 0);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

function portOf(l: Deno.TcpListener): number {
  return (l.addr as Deno.NetAddr).port;
}

const META = `application: TestApp
server: HelloServer
adapters:
  - object: HelloObj
    endpoint: tcp -h \${local_ip} -p \${random_port} -t 30000
  - object: PushObj
    threads: 2
local: tcp -h 127.0.0.1 -p \${random_port} -t 5000
`;

async function withTarsPath(meta: string, fn: (tarsPath: string) => Promise<void>): Promise<void> {
  const tarsPath = await Deno.makeTempDir({ prefix: "tarscli_genconf_" });
  try {
    await Deno.mkdir(join(tarsPath, "bin"));
    await Deno.writeTextFile(join(tarsPath, "bin", "_server_meta.yaml"), meta);
    await fn(tarsPath);
  } finally {
    await Deno.remove(tarsPath, { recursive: true });
  }
}

Deno.test("tarscli genconf (subprocess)", async (t) => {
  await t.step("writes a config @tars/utils reads, skipping taken ports", async () => {
    await withTarsPath(META, async (tarsPath) => {
      const [taken] = listenRun(1);
      const first = portOf(taken);
      let run: Run;
      try {
        run = await tarscli(["genconf"], {
          TARS_PATH: tarsPath,
          POD_IP: "127.0.0.1",
          TARS_RAND_PORT_MIN: String(first),
          TARS_RAND_PORT_MAX: String(first + 20),
          TARS_SET_ID: "app.sz.1",
          TARS_NAMESPACE: "e2e",
          TARS_EP_UPTIME: "2m",
          TARS_BUILD_SERVER: "hello_bin",
        });
      } finally {
        taken.close();
      }
      assert.equal(run.stderr, "");
      assert.equal(run.code, 0);
      const confPath = join(tarsPath, "conf", "hello_bin.conf");
      assert.equal(
        run.stdout,
        `Wrote ${confPath} and ${join(tarsPath, "data", "server_info.yaml")}\n`,
      );

      const { ok, data } = await readWithTarsUtils(confPath);
      assert.equal(ok, true);
      const p = (n: number) => String(first + n);
      assert.deepEqual(data, {
        tars: {
          application: {
            enableset: "y",
            setdivision: "app.sz.1",
            client: {
              locator:
                "tars.tarsregistry.QueryObj@tcp -h tars-registry.e2e.svc.cluster.local -p 17890",
              "sync-invoke-timeout": "3000",
              "async-invoke-timeout": "5000",
              "refresh-endpoint-interval": "120000",
              stat: "tars.tarsstat.StatObj",
              property: "tars.tarsproperty.PropertyObj",
              "report-interval": "6000",
              "sample-rate": "100000",
              "max-sample-count": "50",
              asyncthread: "3",
              modulename: "TestApp.HelloServer",
            },
            server: {
              app: "TestApp",
              server: "HelloServer",
              localip: "127.0.0.1",
              local: `tcp -h 127.0.0.1 -p ${p(3)} -t 5000`,
              "TestApp.HelloServer.HelloObjAdapter": {
                allow: null,
                handlegroup: "TestApp.HelloServer.HelloObjAdapter",
                servant: "TestApp.HelloServer.HelloObj",
                endpoint: `tcp -h 127.0.0.1 -p ${p(1)} -t 30000`,
                maxconns: "200000",
                protocol: "tars",
                queuecap: "10000",
                queuetimeout: "60000",
                threads: "5",
              },
              "TestApp.HelloServer.PushObjAdapter": {
                allow: null,
                handlegroup: "TestApp.HelloServer.PushObjAdapter",
                servant: "TestApp.HelloServer.PushObj",
                endpoint: `tcp -h 127.0.0.1 -p ${p(2)} -t 30000`,
                maxconns: "200000",
                protocol: "tars",
                queuecap: "10000",
                queuetimeout: "60000",
                threads: "2",
              },
              basepath: `${tarsPath}/bin/`,
              datapath: `${tarsPath}/data/`,
              logpath: `${tarsPath}/log/`,
              logLevel: "DEBUG",
              logsize: "100M",
              lognum: "5",
              config: "tars.tarsconfig.ConfigObj",
              notify: "tars.tarsnotify.NotifyObj",
              log: "tars.tarslog.LogObj",
              "deactivating-timeout": "3000",
            },
          },
        },
      });
    });
  });

  await t.step("merges TARS_MERGE_CONF; @tars/utils sees the merged values", async () => {
    await withTarsPath(META, async (tarsPath) => {
      const merge = join(tarsPath, "merge.conf");
      await Deno.writeTextFile(
        merge,
        "<tars>\n<application>\n<server>\nlogLevel=WARN\n<TestApp.HelloServer.PushObjAdapter>\nthreads=9\n" +
          "</TestApp.HelloServer.PushObjAdapter>\n</server>\n<extra>\nk=v\n</extra>\n</application>\n</tars>\n",
      );
      const run = await tarscli(["genconf"], {
        TARS_PATH: tarsPath,
        POD_IP: "127.0.0.1",
        TARS_MERGE_CONF: merge,
      });
      assert.equal(run.code, 0, run.stderr);
      const { data } = await readWithTarsUtils(join(tarsPath, "conf", "HelloServer.conf"));
      const app =
        (data.tars as Record<string, Record<string, Record<string, unknown>>>).application;
      assert.equal(app.server.logLevel, "WARN");
      assert.equal(
        (app.server["TestApp.HelloServer.PushObjAdapter"] as Record<string, string>).threads,
        "9",
      );
      assert.deepEqual(app.extra, { k: "v" });
    });
  });

  await t.step(
    "without POD_IP: an address of this machine, or a one-line request to set POD_IP",
    async () => {
      await withTarsPath(META, async (tarsPath) => {
        const run = await tarscli(["genconf"], { TARS_PATH: tarsPath });
        if (run.code === 0) {
          const { data } = await readWithTarsUtils(join(tarsPath, "conf", "HelloServer.conf"));
          const app =
            (data.tars as Record<string, Record<string, Record<string, string>>>).application;
          assert.ok(
            Deno.networkInterfaces().some((i) => i.address === app.server.localip),
            app.server.localip,
          );
        } else {
          assert.equal(run.code, 1);
          assert.match(run.stderr, /^tarscli genconf: Cannot tell the pod IP: .*; set POD_IP\n$/);
        }
      });
    },
  );

  await t.step("unknown keys: a warning on stderr, files written", async () => {
    await withTarsPath(META + "owner: team-a\n", async (tarsPath) => {
      const run = await tarscli(["genconf"], { TARS_PATH: tarsPath, POD_IP: "127.0.0.1" });
      assert.equal(run.code, 0);
      assert.match(
        run.stderr,
        new RegExp(
          `^tarscli genconf: warning: ${tarsPath}/bin/_server_meta\\.yaml:9:1: unknown key "owner" ignored; `,
        ),
      );
      assert.ok(await Deno.stat(join(tarsPath, "conf", "HelloServer.conf")));
    });
  });

  await t.step(
    "an argument it does not take is a usage error naming it and --json (exit 2)",
    async () => {
      for (
        const [arg, what] of [["--jsn", 'unknown option "--jsn"'], [
          "extra",
          'unexpected argument "extra"',
        ]]
      ) {
        const run = await tarscli(["genconf", arg], {});
        assert.equal(run.code, 2);
        assert.equal(
          run.stderr,
          `tarscli genconf: ${what}; genconf takes only --json, and reads the TARS_* variables ` +
            "(see tarscli help genconf)\n",
        );
        assert.equal(run.stdout, "");
      }
    },
  );

  await t.step("help lists every variable genconf reads", async () => {
    const run = await tarscli(["help", "genconf"], {});
    assert.equal(run.code, 0);
    for (
      const name of [
        "TARS_PATH",
        "TARS_APPLICATION",
        "TARS_SERVER",
        "TARS_BUILD_SERVER",
        "TARS_SET_ID",
        "TARS_LOCATOR",
        "TARS_MERGE_CONF",
        "TARS_EP_UPTIME",
        "POD_IP",
        "TARS_NAMESPACE",
        "TARS_RAND_PORT_MIN",
        "TARS_RAND_PORT_MAX",
      ]
    ) {
      assert.match(run.stdout, new RegExp(`^ +${name} `, "m"));
    }
  });
});

interface ErrorCase {
  readonly name: string;
  readonly meta: string;
  readonly env?: Record<string, string>;
  /** Ports to hold on 127.0.0.1 during the run; the range is set to exactly these. */
  readonly holdPorts?: number;
  readonly stderr: RegExp;
}

const ERRORS: readonly ErrorCase[] = [
  {
    name: "missing application and server",
    meta: "adapters:\n  - object: A\n",
    stderr:
      /^tarscli genconf: Application and server names are missing: set application and server in \S+\/bin\/_server_meta\.yaml, or TARS_APPLICATION and TARS_SERVER in the environment\n$/,
  },
  {
    name: "YAML syntax",
    meta: "application: A\nserver: [\n",
    stderr:
      /^tarscli genconf: \S+\/bin\/_server_meta\.yaml:\d+:\d+: YAML syntax error: .+; fix the file\n$/,
  },
  {
    name: "wrong type",
    meta: META + "logNum: many\n",
    stderr:
      /^tarscli genconf: \S+_server_meta\.yaml:9:9: logNum must be a whole number of at least 1, got "many"; write e.g. logNum: 5\n$/,
  },
  {
    name: "a misspelt key: adapter for adapters (the service would have no adapters)",
    meta: META.replace("adapters:", "adapter:"),
    stderr:
      /^tarscli genconf: \S+\/bin\/_server_meta\.yaml:3:1: unknown key "adapter" \(did you mean "adapters"\?\): correct it; /,
  },
  {
    name: "duplicate adapter objects",
    meta: META.replace("local:", "  - object: HelloObj\nlocal:"),
    stderr:
      /adapter object "HelloObj" appears twice \(first on line 4\); give each adapter its own object\n$/,
  },
  {
    name: "bad endpoint",
    meta: META.replace("-t 30000", "-t soon"),
    stderr:
      /^tarscli genconf: adapter HelloObj in \S+: Bad endpoint "tcp -h 127\.0\.0\.1 -p \$\{random_port\} -t soon": -t needs a number; write e\.g\. /,
  },
  {
    name: "unreadable merge file",
    meta: META,
    env: { TARS_MERGE_CONF: "/nonexistent/merge.conf" },
    stderr:
      /^tarscli genconf: Cannot read the merge file \/nonexistent\/merge\.conf \(TARS_MERGE_CONF\): .+; fix the path or unset TARS_MERGE_CONF\n$/,
  },
  {
    name: "every port of the range taken (real listeners)",
    meta: META,
    holdPorts: 3,
    stderr:
      /^tarscli genconf: No free tcp port on 127\.0\.0\.1 in \d+\.\.\d+; free one, or widen TARS_RAND_PORT_MIN\.\.TARS_RAND_PORT_MAX\n$/,
  },
  {
    name: "bad port variable",
    meta: META,
    env: { TARS_RAND_PORT_MIN: "low" },
    stderr:
      /^tarscli genconf: TARS_RAND_PORT_MIN="low" is not a port; set it to a number from 1 to 65535\n$/,
  },
];

Deno.test("tarscli genconf errors (subprocess): one line, exit 1, files unchanged", async (t) => {
  for (const c of ERRORS) {
    await t.step(c.name, async () => {
      await withTarsPath(c.meta, async (tarsPath) => {
        const conf = join(tarsPath, "conf", "HelloServer.conf");
        const info = join(tarsPath, "data", "server_info.yaml");
        await Deno.mkdir(join(tarsPath, "conf"));
        await Deno.mkdir(join(tarsPath, "data"));
        await Deno.writeTextFile(conf, "previous conf\n");
        await Deno.writeTextFile(info, "previous info\n");
        const before = [(await Deno.stat(conf)).mtime, (await Deno.stat(info)).mtime];
        const held = c.holdPorts ? listenRun(c.holdPorts) : [];
        const env: Record<string, string> = {
          TARS_PATH: tarsPath,
          POD_IP: "127.0.0.1",
          ...(c.env ?? {}),
        };
        if (held.length > 0) {
          env.TARS_RAND_PORT_MIN = String(portOf(held[0]));
          env.TARS_RAND_PORT_MAX = String(portOf(held[held.length - 1]));
        }
        let run: Run;
        try {
          run = await tarscli(["genconf"], env);
        } finally {
          held.forEach((l) => l.close());
        }
        assert.equal(run.code, 1);
        assert.equal(run.stdout, "");
        assert.match(run.stderr, c.stderr);
        assert.equal(run.stderr.split("\n").length, 2, "exactly one line");
        assert.equal(await Deno.readTextFile(conf), "previous conf\n");
        assert.equal(await Deno.readTextFile(info), "previous info\n");
        assert.deepEqual([(await Deno.stat(conf)).mtime, (await Deno.stat(info)).mtime], before);
        assert.deepEqual([...Deno.readDirSync(join(tarsPath, "conf"))].map((e) => e.name), [
          "HelloServer.conf",
        ]);
        assert.deepEqual([...Deno.readDirSync(join(tarsPath, "data"))].map((e) => e.name), [
          "server_info.yaml",
        ]);
      });
    });
  }
});

Deno.test("tarscli genconf (subprocess) names the setting that is the cause", async (t) => {
  await t.step("no _server_meta.yaml: the file and TARS_PATH", async () => {
    const tarsPath = await Deno.makeTempDir({ prefix: "tarscli_genconf_" });
    try {
      const run = await tarscli(["genconf"], { TARS_PATH: tarsPath, POD_IP: "127.0.0.1" });
      assert.equal(run.code, 1);
      assert.equal(
        run.stderr,
        `tarscli genconf: No such file: ${tarsPath}/bin/_server_meta.yaml (TARS_PATH=${tarsPath}): ` +
          "put the service's _server_meta.yaml there, set TARS_PATH to the directory whose bin/ " +
          "holds it, or name the service with TARS_APPLICATION and TARS_SERVER\n",
      );
    } finally {
      await Deno.remove(tarsPath, { recursive: true });
    }
  });

  await t.step("TARS_PATH is a file", async () => {
    const dir = await Deno.makeTempDir({ prefix: "tarscli_genconf_" });
    try {
      const file = join(dir, "tars");
      await Deno.writeTextFile(file, "");
      const run = await tarscli(["genconf"], { TARS_PATH: file });
      assert.equal(run.code, 1);
      assert.equal(
        run.stderr,
        `tarscli genconf: TARS_PATH=${file} is a file, not a directory: set TARS_PATH to the ` +
          "service's directory, the one whose bin/ holds _server_meta.yaml\n",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });

  await t.step("POD_IP that is not an IP address, or not this machine's", async () => {
    await withTarsPath(META, async (tarsPath) => {
      const bad = await tarscli(["genconf"], { TARS_PATH: tarsPath, POD_IP: "notanip" });
      assert.equal(bad.code, 1);
      assert.equal(
        bad.stderr,
        'tarscli genconf: POD_IP="notanip" is not an IP address: set it to an address of this ' +
          "machine, e.g. 10.0.0.5 (in a pod, status.podIP from the downward API), or unset it\n",
      );
      // 192.0.2.0/24 is TEST-NET-1: no machine has it, and binding it sends nothing.
      const foreign = await tarscli(["genconf"], { TARS_PATH: tarsPath, POD_IP: "192.0.2.1" });
      assert.equal(foreign.code, 1);
      assert.match(
        foreign.stderr,
        /^tarscli genconf: adapter HelloObj in \S+: Cannot listen on 192\.0\.2\.1:13000 to find a free port: it is not an address of this machine; 192\.0\.2\.1 is \$\{local_ip\}, from POD_IP: set POD_IP to an address of this machine\n$/,
      );
    });
  });

  await t.step("a fixed port that something else listens on", async () => {
    const [held] = listenRun(1);
    try {
      const port = portOf(held);
      const meta = META.replace(
        "tcp -h ${local_ip} -p ${random_port} -t 30000",
        `tcp -h \${local_ip} -p ${port} -t 30000`,
      );
      await withTarsPath(meta, async (tarsPath) => {
        const run = await tarscli(["genconf"], { TARS_PATH: tarsPath, POD_IP: "127.0.0.1" });
        assert.equal(run.code, 1);
        assert.equal(
          run.stderr,
          `tarscli genconf: adapter HelloObj in ${tarsPath}/bin/_server_meta.yaml: tcp port ` +
            `${port} on 127.0.0.1 is in use (or this user may not bind it); stop what listens ` +
            "there, or use ${random_port}\n",
        );
      });
    } finally {
      held.close();
    }
  });

  await t.step("a merge file of plain text", async () => {
    await withTarsPath(META, async (tarsPath) => {
      const merge = join(tarsPath, "merge.conf");
      await Deno.writeTextFile(merge, "loglevel=INFO\n");
      const run = await tarscli(["genconf"], {
        TARS_PATH: tarsPath,
        POD_IP: "127.0.0.1",
        TARS_MERGE_CONF: merge,
      });
      assert.equal(run.code, 1);
      assert.equal(
        run.stderr,
        `tarscli genconf: Merge file ${merge} (TARS_MERGE_CONF) line 1: "loglevel=INFO" is ` +
          "outside every section; put it inside the section it belongs to, e.g. " +
          "<tars><application><server>\n",
      );
    });
  });
});
