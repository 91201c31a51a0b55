import assert from "node:assert/strict";
import { serverInfoPath, stringifyServerInfo } from "../genconf/server_info.ts";
import { run } from "./prestop_command.ts";
import { readStateFile, stateFilePath } from "./state_file.ts";
import { startFakeTars } from "./test_fakes.ts";
import { fakeServerInfo } from "../tests/support/server_info.ts";
import { commandModules } from "../tests/support/module_graph.ts";

Deno.test("tarscli prestop", async (t) => {
  const fake = startFakeTars();
  const tarsPath = await Deno.makeTempDir();
  const out: string[] = [];
  const err: string[] = [];
  const ctx = {
    env: { TARS_PATH: tarsPath, TARS_PRESTOP_WAITTIME: "0s" },
    out: (line: string) => out.push(line),
    err: (line: string) => err.push(line),
  };
  try {
    await t.step("without server info it fails, saying to run genconf", async () => {
      await assert.rejects(run([], ctx), /server_info\.yaml.*run "tarscli genconf" first/);
      assert.deepEqual(fake.calls, []);
    });

    const info = fakeServerInfo(tarsPath, { locator: fake.locator, local: fake.local });
    await Deno.mkdir(info.paths.data, { recursive: true });
    await Deno.writeTextFile(serverInfoPath(tarsPath), stringifyServerInfo(info));

    await t.step("runs the sequence against the registry and the service", async () => {
      assert.equal(await run([], ctx), 0);
      const methods = fake.calls.map((c) => c.method).filter((m) => m !== "QueryF.findObjectById");
      assert.deepEqual(methods.slice(0, 2).sort(), ["AdminF.notify", "Registry.keepAlive"]);
      assert.deepEqual(methods.slice(2), ["Registry.onPrestop"]);
      assert.equal((await readStateFile(stateFilePath(tarsPath)))?.state, "deactivating");
      assert.equal(out.at(-1), "prestop: done");
      assert.ok(out.some((line) => line.includes("onPrestop sent")), out.join("\n"));
      assert.deepEqual(err, []);
    });

    await t.step("a second run (the supervisor's SIGTERM) does nothing and exits 0", async () => {
      const calls = fake.calls.length;
      out.length = 0;
      assert.equal(await run([], ctx), 0);
      assert.equal(fake.calls.length, calls);
      assert.match(out.join("\n"), /already run in this pod/);
    });

    await t.step("arguments are a usage error", async () => {
      await assert.rejects(run(["now"], ctx), { name: "UsageError" });
    });
  } finally {
    await fake.stop();
    await Deno.remove(tarsPath, { recursive: true });
  }
});

Deno.test("prestop_command.ts loads no YAML, npm, node: or RPC server module", async () => {
  // it waits in the pod for the whole TARS_PRESTOP_WAITTIME: the yaml package alone brings Deno's Node layer (about 10 MiB).
  const modules = await commandModules("supervisor/prestop_command.ts");
  assert.ok(modules.includes("protocol/client.ts"), modules.join(", "));
  assert.deepEqual(
    modules.filter((m) => /yaml|^npm:|^node:|protocol\/(server|mod)\.ts|registry\//.test(m)),
    [],
  );
});
