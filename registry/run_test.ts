import assert from "node:assert/strict";
import { join } from "node:path";
import { main } from "../main.ts";
import { exists } from "../lib/not_found.ts";
import { staticModules } from "../tests/support/module_graph.ts";
import { readRegistryConfig, type RegistryConfig } from "./config.ts";
import { startRegistry } from "./run.ts";
import { openStore } from "./store/open_store.ts";
import { startupRows } from "./validate.ts";
import { TarsClient } from "../protocol/client.ts";
import { QUERY_OBJ, QueryF } from "../protocol/interfaces/query_f.ts";
import { REGISTRY_OBJ, RegistryF } from "../protocol/interfaces/registry_f.ts";
import { eventually } from "../tests/support/eventually.ts";
import { fakeClock } from "../tests/support/fake_clock.ts";
import { freePort } from "../tests/support/free_port.ts";
import { readSnapshot } from "../tests/support/store_snapshot.ts";

const DEPS = { now: () => Date.now(), log: () => {}, pid: 1 };

function config(args: string[], env: Record<string, string> = {}): RegistryConfig {
  const read = readRegistryConfig(
    ["--endpoint", "tcp -h 127.0.0.1 -p 0", "--metrics", "127.0.0.1:0", ...args],
    env,
    { cwd: "/" },
  );
  assert.notEqual(read, "help");
  return read as RegistryConfig;
}

/** Runs `fn` with a listener holding a loopback port, and a temp directory. */
async function withTakenPort(fn: (port: number, dir: string) => Promise<void>): Promise<void> {
  const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const dir = await Deno.makeTempDir({ prefix: "registry_run_" });
  try {
    await fn((held.addr as Deno.NetAddr).port, dir);
  } finally {
    held.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("a registry that cannot start names the address, and leaves no store behind", async (t) => {
  await t.step("the endpoint's port is in use", async () => {
    await withTakenPort(async (port, dir) => {
      const store = join(dir, "data", "registry.db");
      await assert.rejects(
        startRegistry(
          config(["--store", `sqlite:${store}`, "--endpoint", `tcp -h 127.0.0.1 -p ${port}`]),
          DEPS,
        ),
        {
          message: `Cannot listen on tcp -h 127.0.0.1 -p ${port} (--endpoint): the address is in ` +
            "use; stop what listens there, or set another port in --endpoint",
        },
      );
      assert.deepEqual([...Deno.readDirSync(dir)], [], "no store file, no data directory");
    });
  });

  await t.step("the metrics port is in use (tarscli registry: one line, exit 1)", async () => {
    await withTakenPort(async (port, dir) => {
      const store = join(dir, "registry.db");
      const err: string[] = [];
      const code = await main(
        [
          "registry",
          "--store",
          `sqlite:${store}`,
          "--endpoint",
          "tcp -h 127.0.0.1 -p 0",
          "--metrics",
          `127.0.0.1:${port}`,
        ],
        { env: {}, out: () => {}, err: (line) => err.push(line) },
      );
      assert.equal(code, 1);
      assert.deepEqual(err, [
        `tarscli registry: Cannot listen on 127.0.0.1:${port} (--metrics): the address is in ` +
        "use; stop what listens there, or set another port in --metrics",
      ]);
      assert.deepEqual([...Deno.readDirSync(dir)], []);
    });
  });

  await t.step("a store file that was there stays", async () => {
    await withTakenPort(async (port, dir) => {
      const store = join(dir, "registry.db");
      const first = await startRegistry(config(["--store", `sqlite:${store}`]), DEPS);
      await first.stop();
      await assert.rejects(
        startRegistry(
          config(["--store", `sqlite:${store}`, "--metrics", `127.0.0.1:${port}`]),
          DEPS,
        ),
        /\(--metrics\): the address is in use/,
      );
      assert.equal(await exists(store), true);
      const again = await startRegistry(config(["--store", `sqlite:${store}`]), DEPS);
      await again.stop();
    });
  });

  await t.step(
    "a tokens file that cannot be read (tarscli registry: one line, exit 2)",
    async () => {
      const dir = await Deno.makeTempDir({ prefix: "registry_run_" });
      try {
        const tokens = join(dir, "tokens");
        const err: string[] = [];
        const code = await main(
          ["registry", "--store", `sqlite:${join(dir, "registry.db")}`, "--metrics", "127.0.0.1:0"],
          { env: { TARS_REGISTRY_TOKENS: tokens }, out: () => {}, err: (line) => err.push(line) },
        );
        assert.equal(code, 2);
        assert.equal(err.length, 1, err.join("\n"));
        assert.match(
          err[0],
          new RegExp(
            `^tarscli registry: The registration tokens file ${tokens} cannot be read \\(.+\\); ` +
              "give the path of a readable file with --registration-tokens or TARS_REGISTRY_TOKENS$",
          ),
        );
        assert.deepEqual([...Deno.readDirSync(dir)], [], "no store file");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );

  await t.step("TARS_PATH that is a file is named as the store's cause", async () => {
    const dir = await Deno.makeTempDir({ prefix: "registry_run_" });
    try {
      const file = join(dir, "tars");
      await Deno.writeTextFile(file, "");
      await assert.rejects(startRegistry(config([], { TARS_PATH: file }), DEPS), {
        message: `Cannot open the SQLite store ${file}/data/tarsregistry.db (TARS_PATH=${file}): ` +
          `${file} is a file, not a directory: move that file, or keep the store under another path`,
      });
      assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["tars"]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("a registry on SQLite does not load the MySQL driver: it is imported only for a MySQL store", async () => {
  const modules = await staticModules(["registry/main.ts", "registry/command.ts"]);
  const mysql = modules.filter((m) => /mysql/i.test(m));
  assert.deepEqual(mysql, [], "loaded statically by the registry");
  assert.ok(modules.includes("registry/store/sqlite_store.ts"));
});

Deno.test("a replica's registration under its host alone (before node names had the port) goes; another replica's stays", async () => {
  const dir = await Deno.makeTempDir({ prefix: "registry_run_" });
  const spec = `sqlite:${join(dir, "registry.db")}`;
  const port = freePort();
  const selfOnHost = (endpointPort: number) =>
    startupRows({
      nodeName: "127.0.0.1",
      application: "tars",
      server: "tarsregistry",
      adapters: [{
        servant: "tars.tarsregistry.QueryObj",
        endpoint: `tcp -h 127.0.0.1 -p ${endpointPort}`,
      }],
    });
  try {
    const before = await openStore(spec, { now: Date.now });
    await before.onStartup(selfOnHost(port));
    await before.onStartup(startupRows({ nodeName: "127.0.0.1", application: "Pod", server: "S" }));
    await before.close();
    const registry = await startRegistry(
      config(["--store", spec, "--endpoint", `tcp -h 127.0.0.1 -p ${port}`]),
      DEPS,
    );
    await registry.stop();
    const after = await openStore(spec, { now: Date.now });
    try {
      const snap = await readSnapshot(after);
      assert.deepEqual(snap.servers.map((s) => `${s.application}.${s.server} ${s.nodeName}`), [
        "Pod.S 127.0.0.1",
      ]);
      await after.onStartup(selfOnHost(1));
    } finally {
      await after.close();
    }
    // Another replica's (another port) is not this one's to remove.
    const again = await startRegistry(
      config(["--store", spec, "--endpoint", `tcp -h 127.0.0.1 -p ${port}`]),
      DEPS,
    );
    await again.stop();
    const last = await openStore(spec, { now: Date.now });
    try {
      assert.deepEqual(
        (await readSnapshot(last)).servers.map((s) => `${s.application}.${s.server} ${s.nodeName}`),
        ["Pod.S 127.0.0.1", "tars.tarsregistry 127.0.0.1"],
      );
    } finally {
      await last.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("self-preservation in a running registry: /healthz says why (the probes' /readyz does not), /metrics and lookups hold the pods", async () => {
  const dir = await Deno.makeTempDir({ prefix: "registry_run_" });
  const clock = fakeClock(Date.now());
  const client = new TarsClient({ log: () => {}, timeout: 5000 });
  const logged: string[] = [];
  const registry = await startRegistry(
    config([
      "--store",
      `sqlite:${join(dir, "registry.db")}`,
      "--reload-interval",
      "20ms",
      "--advertise",
      "127.0.0.1",
    ]),
    { ...DEPS, now: clock.now, log: (line) => logged.push(line) },
  );
  const at = `@tcp -h 127.0.0.1 -p ${registry.address.port} -t 5000`;
  const http = async (path: string) => {
    const answer = await fetch(`http://127.0.0.1:${registry.metricsAddress.port}${path}`);
    return { status: answer.status, text: await answer.text() };
  };
  try {
    const pods = client.proxy(RegistryF, REGISTRY_OBJ + at);
    for (let i = 1; i <= 20; i++) {
      const nodeName = `10.9.0.${i}`;
      await pods.onStartup({
        req: {
          nodeName,
          application: "Test",
          server: "Hello",
          adapters: [{ servant: "Test.Hello.HelloObj", endpoint: `tcp -h ${nodeName} -p 10000` }],
        },
      });
    }
    assert.deepEqual(await http("/healthz"), { status: 200, text: "ok\n" });
    // Every pod's heartbeat stops (and the registry's own, on this clock).
    clock.advance(300_000);
    await eventually(5000, "/healthz naming self-preservation", async () => {
      return (await http("/healthz")).status === 503;
    });
    const health = await http("/healthz");
    assert.match(
      health.text,
      /^self-preservation: the heartbeats of 2\d of 2\d nodes \(pods\) stopped at once \(100%, more than --expiry-protect-rate 30%\); 2\d of them overdue \(no heartbeat for --node-timeout\) are held: answered as before and not expired, until their heartbeats return or the share falls to 30%\n$/,
    );
    assert.deepEqual(await http("/readyz"), { status: 200, text: "ok\n" });
    const metrics = (await http("/metrics")).text;
    assert.match(metrics, /^tarsregistry_self_preservation 1$/m);
    assert.match(metrics, /^tarsregistry_nodes_held 2\d$/m);
    assert.match(metrics, /^tarsregistry_endpoints\{active="true"\} 2\d$/m);
    const query = client.proxy(QueryF, QUERY_OBJ + at);
    const { activeEp } = await query.findObjectById4Any({ id: "Test.Hello.HelloObj" });
    assert.equal(activeEp.length, 20);
    assert.ok(logged.some((line) => line.startsWith("Self-preservation on: ")), logged.join("\n"));
  } finally {
    await client.close();
    await registry.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
