import assert from "node:assert/strict";
import { serverInfoPath, stringifyServerInfo } from "../genconf/server_info.ts";
import { run } from "./notify_command.ts";
import { startFakeTars } from "./test_fakes.ts";
import { fakeServerInfo } from "../tests/support/server_info.ts";
import { commandModules } from "../tests/support/module_graph.ts";

Deno.test("tarscli notify", async (t) => {
  const fake = startFakeTars();
  const tarsPath = await Deno.makeTempDir();
  const out: string[] = [];
  const err: string[] = [];
  const ctx = {
    env: { TARS_PATH: tarsPath },
    out: (line: string) => out.push(line),
    err: (line: string) => err.push(line),
  };
  const writeInfo = (local: string) =>
    Deno.writeTextFile(
      serverInfoPath(tarsPath),
      stringifyServerInfo(fakeServerInfo(tarsPath, { local })),
    );
  try {
    await Deno.mkdir(`${tarsPath}/data`);
    await writeInfo(fake.local);

    await t.step("sends the words as one command and prints the answer", async () => {
      fake.adminAnswer = (command) => `[${command}]\nline two\n`;
      assert.equal(await run(["tars.setloglevel", "DEBUG"], ctx), 0);
      assert.deepEqual(fake.argsOf("AdminF.notify"), ["tars.setloglevel DEBUG"]);
      assert.deepEqual(out, ["[tars.setloglevel DEBUG]", "line two"]);
      assert.deepEqual(err, []);
    });

    await t.step("a service that does not answer: exit 1 with the reason", async () => {
      const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = closed.addr.port;
      closed.close();
      await writeInfo(`tcp -h 127.0.0.1 -p ${port} -t 5000`);
      out.length = 0;
      assert.equal(await run(["tars.viewstatus"], ctx), 1);
      assert.deepEqual(out, []);
      assert.equal(err.length, 1);
      assert.match(
        err[0],
        new RegExp(
          `^tarscli notify: App\\.Srv did not answer "tars\\.viewstatus" at AdminObj@tcp -h 127\\.0\\.0\\.1 -p ${port} -t 5000: .+; is the service running\\?$`,
        ),
      );
    });

    await t.step("no command is a usage error", async () => {
      await assert.rejects(run([], ctx), { name: "UsageError", exitCode: 2 });
    });
  } finally {
    await fake.stop();
    await Deno.remove(tarsPath, { recursive: true });
  }
});

Deno.test("notify_command.ts loads no YAML, npm, node: or RPC server module", async () => {
  // it runs at every admin command: the yaml package alone brings Deno's Node layer (about 10 MiB).
  const modules = await commandModules("supervisor/notify_command.ts");
  assert.ok(modules.includes("protocol/client.ts"), modules.join(", "));
  assert.deepEqual(
    modules.filter((m) => /yaml|^npm:|^node:|protocol\/(server|mod)\.ts|registry\//.test(m)),
    [],
  );
});
