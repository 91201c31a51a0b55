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
  await t.step("lines before genconf's message go to err; a message may span lines", async () => {
    const { result, err } = runChild(
      shell('echo "Warning: from deno" >&2; printf "tarscli genconf: one\\ntwo\\n" >&2; exit 1'),
      {},
    );
    await assert.rejects(result, { message: "one\ntwo" });
    assert.deepEqual(err, ["Warning: from deno"]);
  });

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

  await t.step("the child gets exactly the given environment", async () => {
    const { result } = runChild(shell('echo "{\\"env\\": \\"$ONLY:${HOME:-unset}\\"}"'), {
      ONLY: "this",
    });
    assert.deepEqual(await result, { env: "this:unset" });
  });
});

Deno.test("genconf child: the supervisor itself loads no YAML, genconf or node: module", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "supervisor/command.ts"],
    cwd: new URL("../", import.meta.url),
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  const modules: { specifier: string; dependencies?: DenoInfoDependency[] }[] =
    JSON.parse(new TextDecoder().decode(out.stdout)).modules;
  const bySpecifier = new Map(modules.map((m) => [m.specifier, m]));
  const root = new URL("./command.ts", import.meta.url).href;
  // What runs: code imports only (type imports are erased, there is no dynamic one).
  const loaded = new Set([root]);
  const queue = [root];
  while (queue.length > 0) {
    for (const dep of bySpecifier.get(queue.pop()!)?.dependencies ?? []) {
      const next = dep.code?.specifier;
      if (next && !dep.isDynamic && !loaded.has(next)) {
        loaded.add(next);
        queue.push(next);
      }
    }
  }
  const base = new URL("../", import.meta.url).href;
  const names = [...loaded].map((s) => s.replace(base, ""));
  assert.ok(names.includes("supervisor/genconf_child.ts"), names.join(", "));
  assert.deepEqual(
    names.filter((m) => /^node:|^npm:|yaml|^genconf\//.test(m)),
    [],
    "run genconf through genconf_child.ts and use lib/posix_path.ts: the supervisor lives long",
  );
});

interface DenoInfoDependency {
  readonly code?: { readonly specifier?: string };
  readonly isDynamic?: boolean;
}
