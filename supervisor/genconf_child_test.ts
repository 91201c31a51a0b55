import assert from "node:assert/strict";
import { join } from "node:path";
import { runGenconf } from "../genconf/genconf.ts";
import { readServerInfo } from "../genconf/server_info.ts";
import { readGenconfSettings } from "../genconf/settings.ts";
import {
  currentTarscli,
  runGenconfChild,
  type TarscliCommand,
  tarscliCommand,
} from "./genconf_child.ts";
import { createProcessRunner } from "../lib/process_group.ts";
import { fakeServerInfo } from "../tests/support/server_info.ts";
import { commandModules, staticModules } from "../tests/support/module_graph.ts";

/** Fixed endpoints and IP, so a run in the child and one in-process give the same result. */
const META = `application: TestApp
server: HelloServer
adapters:
  - object: HelloObj
    endpoint: tcp -h 127.0.0.1 -p 23456 -t 60000
local: tcp -h 127.0.0.1 -p 23457 -t 5000
`;

async function pod(meta: string | undefined): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "genconf_child_" });
  await Deno.mkdir(join(dir, "bin"));
  if (meta !== undefined) await Deno.writeTextFile(join(dir, "bin", "_server_meta.yaml"), meta);
  return dir;
}

/** Runs the child through a runner whose spawns are recorded; collects what went to `err`. */
function runChild(tarscli: TarscliCommand, env: Record<string, string>) {
  const runner = createProcessRunner();
  const spawned: { command: string; options?: Deno.CommandOptions; live: boolean }[] = [];
  const err: string[] = [];
  const result = runGenconfChild({
    tarscli,
    runner: {
      live: runner.live,
      spawn(command, options) {
        const child = runner.spawn(command, options);
        spawned.push({ command, options, live: runner.live.has(child.pid) });
        return child;
      },
    },
    env,
    cwd: Deno.cwd(),
    err: (line) => err.push(line),
  });
  return { result, spawned, err };
}

/** A result as `tarscli genconf --json` prints it. */
const RESULT = {
  info: fakeServerInfo("/tars"),
  configPath: "/tars/conf/Srv.conf",
  infoPath: "/tars/data/server_info.yaml",
  warnings: [],
};

/** A stand-in tarscli: `sh -c SCRIPT sh` (its $1 $2 are then "genconf" "--json"). */
function shell(script: string): TarscliCommand {
  return { program: "sh", args: ["-c", script, "sh"] };
}

Deno.test("genconf child: the command line of this tarscli", () => {
  assert.deepEqual(
    tarscliCommand({
      standalone: true,
      execPath: "/usr/bin/tarscli",
      mainUrl: "file:///x/main.ts",
    }),
    { program: "/usr/bin/tarscli", args: [] },
  );
  assert.deepEqual(
    tarscliCommand({ standalone: false, execPath: "/bin/deno", mainUrl: "file:///x/main.ts" }),
    { program: "/bin/deno", args: ["run", "--allow-all", "file:///x/main.ts"] },
  );
  assert.deepEqual(currentTarscli(), {
    program: Deno.execPath(),
    args: ["run", "--allow-all", new URL("../main.ts", import.meta.url).href],
  });
});

Deno.test("genconf child: same files and result as genconf in-process", async () => {
  const tarsPath = await pod(META);
  try {
    const env = { TARS_PATH: tarsPath, POD_IP: "127.0.0.1" };
    const { result, spawned, err } = runChild(currentTarscli(), env);
    const generated = await result;
    assert.deepEqual(err, []);
    assert.equal(spawned.length, 1);
    assert.ok(spawned[0].live, "the child was not in the runner's live set");
    assert.deepEqual(spawned[0].options?.args?.slice(-2), ["genconf", "--json"]);
    assert.deepEqual(spawned[0].options?.env, env);
    assert.equal(spawned[0].options?.clearEnv, true);
    const config = await Deno.readTextFile(generated.configPath);

    assert.deepEqual(generated.info, await readServerInfo(tarsPath));
    const inProcess = await runGenconf(readGenconfSettings(env, { cwd: Deno.cwd() }));
    assert.deepEqual(generated, JSON.parse(JSON.stringify(inProcess)));
    assert.equal(await Deno.readTextFile(inProcess.configPath), config);
  } finally {
    await Deno.remove(tarsPath, { recursive: true });
  }
});

Deno.test("genconf child: a failing genconf rejects with genconf's own message", async () => {
  const tarsPath = await pod(undefined);
  try {
    const env = { TARS_PATH: tarsPath, POD_IP: "127.0.0.1" };
    const inProcess = await runGenconf(readGenconfSettings(env, { cwd: Deno.cwd() })).then(
      () => assert.fail("genconf without a meta file succeeded"),
      (error: Error) => error.message,
    );
    const { result, err } = runChild(currentTarscli(), env);
    await assert.rejects(result, { message: inProcess });
    assert.deepEqual(err, []);
  } finally {
    await Deno.remove(tarsPath, { recursive: true });
  }
});

Deno.test("genconf child: what else the child prints, and children that misbehave", async (t) => {
  await t.step(
    "stderr goes to err; the error of the JSON line is the message, lines and all",
    async () => {
      const { result, err } = runChild(
        shell(`echo "Warning: from deno" >&2; printf '%s\\n' '{"error":"one\\ntwo"}'; exit 1`),
        {},
      );
      await assert.rejects(result, { message: "one\ntwo" });
      assert.deepEqual(err, ["Warning: from deno"]);
    },
  );

  await t.step("a failure without a message names the command and says what to do", async () => {
    const { result } = runChild(shell("exit 3"), {});
    await assert.rejects(result, {
      message: "sh -c exit 3 sh genconf --json exited with code 3; run tarscli genconf by hand " +
        "to see why",
    });
  });

  await t.step("output that is not the JSON result", async () => {
    const { result } = runChild(shell('echo "Wrote a and b"'), {});
    await assert.rejects(result, {
      message: 'tarscli genconf --json printed no JSON result ("Wrote a and b"); is the ' +
        "tarscli binary the same version as this supervisor?",
    });
  });

  await t.step("a result that is not one is refused, naming the field", async () => {
    const line = { ...RESULT, info: { ...RESULT.info, adapters: "none" } };
    const { result } = runChild(shell(`echo '${JSON.stringify(line)}'`), {});
    await assert.rejects(result, {
      name: "SyntaxError",
      message: "the result of tarscli genconf --json: info: adapters is not a list; is the " +
        "tarscli binary the same version as this supervisor?",
    });
    const noPaths = runChild(shell(`echo '{"info":{},"warnings":[]}'`), {}).result;
    await assert.rejects(
      noPaths,
      /the result of tarscli genconf --json: configPath is not a string/,
    );
  });

  await t.step("the child gets exactly the given environment", async () => {
    const line = JSON.stringify({ ...RESULT, warnings: ["ENV"] }).replace(
      '"ENV"',
      `"'"$ONLY:\${HOME:-unset}"'"`,
    );
    const { result } = runChild(shell(`echo '${line}'`), { ONLY: "this" });
    assert.deepEqual((await result).warnings, ["this:unset"]);
  });
});

Deno.test("genconf child: the supervisor itself loads no YAML, genconf or node: module", async () => {
  // What runs: code imports only (type imports are erased, there is no dynamic one).
  const names = await staticModules(["supervisor/command.ts", "supervisor/run_supervisor.ts"]);
  assert.ok(names.includes("supervisor/genconf_child.ts"), names.join(", "));
  assert.deepEqual(
    names.filter((m) => /^node:|^npm:|yaml|^genconf\/(?!server_info\.ts$)/.test(m)),
    [],
    "run genconf through genconf_child.ts, read its result with genconf/server_info.ts and use " +
      "lib/posix_path.ts: the supervisor lives long",
  );
});

/** What `tarscli supervisor` loads: main.ts, the command and what it imports once it listens. */
const SUPERVISOR_MODULES = ["main.ts", "supervisor/command.ts", "supervisor/run_supervisor.ts"];

Deno.test("supervisor: the command loads only what its signal listeners need first", async () => {
  // A SIGTERM that comes before the listeners are in place is dropped (PID 1) or kills Deno.
  const first = await commandModules("supervisor/command.ts");
  assert.deepEqual(
    first.filter((m) =>
      !/^(main\.ts|cli\/command_table\.ts|lib\/|supervisor\/command\.ts)/.test(m)
    ),
    [],
  );
  assert.ok(first.length <= 8, first.join(", "));
});

/**
 * What the supervisor loads only when its node object gets its first connection (the console's
 * calls, which most pods never get): the TARS server, the servant and its log view.
 */
const NODE_OBJECT_MODULES = [
  "lib/bind_error.ts",
  "protocol/accept_loop.ts",
  "protocol/interfaces/node_f.ts",
  "protocol/peer_log.ts",
  "protocol/server.ts",
  "supervisor/log_view.ts",
  "supervisor/node_servant.ts",
];

Deno.test("supervisor: the node object's server and servant load with its first connection", async () => {
  // Each module a process loads stays for its life: the idle supervisor's memory (issue 14).
  const reachable = await staticModules(["supervisor/run_supervisor.ts"], { dynamic: true });
  assert.deepEqual(NODE_OBJECT_MODULES.filter((m) => !reachable.includes(m)), []);
  const loaded = await staticModules(SUPERVISOR_MODULES);
  assert.deepEqual(
    NODE_OBJECT_MODULES.filter((m) => loaded.includes(m)),
    [],
    "import these with import() where the node object needs them (node_server.ts, " +
      "run_supervisor.ts), and only types statically",
  );
});

Deno.test("the supervisor's modules are ASCII", async () => {
  // V8 keeps each module's source (with Deno's inline source map, about three times the file) for
  // the process's life, two bytes a character when a single character needs it: an arrow or an
  // ellipsis in a comment doubles that memory in a process that lives as long as the pod.
  const names = [...await staticModules(SUPERVISOR_MODULES), ...NODE_OBJECT_MODULES];
  const wide: string[] = [];
  for (const name of names.filter((n) => /\.ts$/.test(n))) {
    const text = await Deno.readTextFile(new URL(`../${name}`, import.meta.url));
    const at = [...text].findIndex((c) => c.charCodeAt(0) > 0x7f);
    if (at >= 0) wide.push(`${name}: "${[...text][at]}"`);
  }
  assert.deepEqual(wide, [], "write ... for an ellipsis, -> for an arrow, x for a times sign");
});
