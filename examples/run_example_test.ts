import assert from "node:assert/strict";
import { join } from "node:path";
import { settlesWithin } from "../lib/timers.ts";
import { runChild, spawnChild, startRegistryProcess } from "../local/mod.ts";
import { TarsClient } from "../protocol/client.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { exists } from "../lib/not_found.ts";
import { freePort } from "../tests/support/free_port.ts";
import { processesWith } from "../tests/support/processes.ts";
import { noRegistryMessage } from "./run_example.ts";
import { DEFAULT_LOCATOR } from "./simple/client.ts";
import { HELLO_OBJ } from "./simple/hello_f.ts";

const ROOT = new URL("../", import.meta.url);

/** The temp directories of example pods there are now. */
function examplePodDirs(): string[] {
  const temp = Deno.env.get("TMPDIR") ?? "/tmp";
  return [...Deno.readDirSync(temp)].map((e) => e.name).filter((n) =>
    n.startsWith("pod_hello-example_")
  );
}

Deno.test("npm run example runs deno task example, against the registry npm start runs", async () => {
  const pkg = JSON.parse(await Deno.readTextFile(new URL("package.json", ROOT)));
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  assert.equal(pkg.scripts.example, "deno task example");
  assert.equal(config.tasks.example, "deno run --allow-all examples/run_example.ts");
  assert.equal(pkg.scripts.start, "deno task start");
  const endpoint = /--endpoint '([^']+)'/.exec(config.tasks.start)?.[1];
  assert.equal(DEFAULT_LOCATOR, `${QUERY_OBJ}@${endpoint}`);
});

Deno.test("example: no registry answers: it says so and what to do", async (t) => {
  await t.step("at the default locator: start it with npm start", () => {
    assert.equal(
      noRegistryMessage(DEFAULT_LOCATOR, "Cannot connect to 127.0.0.1:17890: Connection refused"),
      "No registry answers at tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890 (Cannot " +
        "connect to 127.0.0.1:17890: Connection refused), so nothing was started: start the " +
        "registry in another terminal with `npm start`, wait for its 'tarsregistry listening' " +
        "line, then run `npm run example` again",
    );
  });

  await t.step("npm run example -- LOCATOR: one line, exit 1, no pod started", async () => {
    const port = freePort();
    const locator = `${QUERY_OBJ}@tcp -h 127.0.0.1 -p ${port}`;
    const before = examplePodDirs();
    const run = await runChild("npm", {
      args: ["run", "--silent", "example", "--", locator],
      cwd: ROOT,
      timeout: 30_000,
    });
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stdout, `Asking the registry at ${locator}...`);
    // deno task names the task on stderr first.
    const failure = run.stderr.split("\n").filter((line) => !line.includes("Task example"));
    assert.deepEqual(failure, [
      `The example did not run: ${
        noRegistryMessage(
          locator,
          `Cannot connect to 127.0.0.1:${port}: Connection refused (os error 111)`,
        )
      }`,
    ]);
    assert.deepEqual(examplePodDirs(), before);
  });
});

Deno.test("npm run example: a pod on an npm start registry answers the example client; Ctrl-C leaves no process and no file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "run_example_test_" });
  // The registry as npm start runs it (its start task's flags), on a port of its own.
  const registry = await startRegistryProcess(["--store", `sqlite:${join(dir, "registry.db")}`]);
  // Its own process group stands for the terminal's job, as the demo's test does.
  const example = spawnChild("npm run example", "npm", {
    args: ["run", "--silent", "example", "--", registry.locator],
    cwd: ROOT,
    detached: true,
  });
  let tarsPath = "";
  const client = new TarsClient({ timeout: 3000, log: () => {} });
  try {
    tarsPath = (await example.waitForLine(/^Its TARS_PATH is (\S+) /, 30_000))[1];
    await example.waitForLine(
      /^Ready: TestApp\.Hello\.HelloObj is registered and answers "Hello example, from hello-example"\.$/,
      60_000,
    );
    // The example client from another terminal, as the README says.
    const call = await runChild(Deno.execPath(), {
      args: ["run", "--allow-net", "examples/simple/client.ts", registry.locator, "you"],
      cwd: ROOT,
      timeout: 30_000,
    });
    assert.equal(call.code, 0, call.stderr);
    assert.equal(call.stdout, "Hello you, from hello-example");

    // Ctrl-C in its terminal; a second one while it stops (npm and deno task pass the first on
    // again) changes nothing.
    Deno.kill(-example.pid, "SIGINT");
    await example.waitForLine(/^Ctrl-C: stopping the example pod\.$/, 10_000);
    Deno.kill(-example.pid, "SIGINT");
    assert.ok(await settlesWithin(example.done, 30_000), "it stops within 30 s");
    const status = await example.done;
    const out = example.stdout.join("\n");
    assert.equal(status.code, 130, out);
    assert.match(
      out,
      /^ {2}prestop: registry onPrestop sent: TestApp\.Hello on 127\.0\.0\.2 removed$/m,
    );
    assert.match(out, /^ {2}\S+ supervisor exits$/m);
    assert.equal(
      example.stdout.at(-1),
      "Stopped: every process of the pod ended, and its TARS_PATH is removed.",
    );
    assert.equal(await exists(tarsPath), false, "the pod's directory is removed");
    assert.deepEqual(await processesWith(`TARS_PATH=${tarsPath}`), []);
    assert.throws(() => Deno.kill(-example.pid, "SIGCONT"), Deno.errors.NotFound);
    // The pod left the registry.
    const lookup = await client.proxy(QueryF, registry.locator).findObjectById4Any({
      id: HELLO_OBJ,
    });
    assert.deepEqual([lookup.activeEp, lookup.inactiveEp], [[], []]);
  } finally {
    await client.close();
    if (!example.exited) Deno.kill(-example.pid, "SIGKILL");
    await example.done;
    // A pod left by a failure above: its processes, then its directory.
    if (tarsPath) {
      for (const pid of await processesWith(`TARS_PATH=${tarsPath}`)) Deno.kill(pid, "SIGKILL");
      if (await exists(tarsPath)) await Deno.remove(tarsPath, { recursive: true });
    }
    await registry.terminate();
    await Deno.remove(dir, { recursive: true });
  }
});
