import assert from "node:assert/strict";
import { UsageError } from "../lib/usage_error.ts";
import { readRegistryConfig, type RegistryConfig } from "./config.ts";

function read(args: string[], env: Record<string, string> = {}): RegistryConfig {
  const config = readRegistryConfig(args, env, { cwd: "/" });
  assert.notEqual(config, "help");
  return config as RegistryConfig;
}

Deno.test("registry config: defaults, flags and the original's variables", async (t) => {
  await t.step("defaults", () => {
    const { adminAllow, ...others } = read([], { TARS_PATH: "/srv/tars" });
    assert.deepEqual(adminAllow.map((range) => range.text), ["127.0.0.1/32", "::1/128"]);
    assert.deepEqual(others, {
      endpoint: "tcp -h 0.0.0.0 -p 17890",
      store: "sqlite:/srv/tars/data/tarsregistry.db",
      storeSetting: "TARS_PATH=/srv/tars",
      metrics: { host: "0.0.0.0", port: 9325 },
      advertise: "127.0.0.1",
      nodeTimeout: 250_000,
      expiryProtectRate: 0.3,
      reloadInterval: 10_000,
      fullReloadInterval: 300_000,
      heartbeatInterval: 10_000,
      trustNodeNames: false,
      registrationTokens: undefined,
      requireTokens: false,
      nodeCallTimeout: 25_000,
      taskItemTimeout: 300_000,
      maxConnsPerPeer: 1000,
      maxBuffered: 256 * 1024 * 1024,
      storeTimeout: 3000,
      maxPendingWrites: 1000,
      initDb: false,
    });
  });

  await t.step("the store comes from flags, then TARS_REGISTRY_STORE, DB_DSN, DB_HOST", () => {
    const env = {
      TARS_REGISTRY_STORE: "sqlite:/a.db",
      DB_DSN: "u:p@tcp(db:3306)/db_tars",
      DB_HOST: "h",
    };
    const store = (config: RegistryConfig) => [config.store, config.storeSetting];
    assert.deepEqual(store(read(["--store", "sqlite:/flag.db"], env)), [
      "sqlite:/flag.db",
      "--store",
    ]);
    assert.deepEqual(store(read([], env)), ["sqlite:/a.db", "TARS_REGISTRY_STORE"]);
    assert.deepEqual(store(read([], { DB_DSN: env.DB_DSN })), [
      "mysql://u:p@db:3306/db_tars",
      "DB_DSN",
    ]);
    assert.deepEqual(store(read([], { DB_HOST: "db", DB_USER: "tars", DB_PASS: "x@y" })), [
      "mysql://tars:x%40y@db:3306/db_tars",
      "DB_HOST, DB_PORT, DB_USER and DB_PASS",
    ]);
  });

  await t.step("the advertised address: flag, POD_IP, endpoint host", () => {
    assert.equal(read(["--advertise", "10.1.1.1"], { POD_IP: "10.2.2.2" }).advertise, "10.1.1.1");
    assert.equal(read([], { POD_IP: "10.2.2.2" }).advertise, "10.2.2.2");
    assert.equal(read(["--endpoint", "tcp -h 10.3.3.3 -p 1"]).advertise, "10.3.3.3");
  });

  await t.step("durations, and a heartbeat well inside a short node timeout", () => {
    const c = read(["--node-timeout", "3s", "--reload-interval", "500ms", "--init-db"]);
    assert.equal(c.nodeTimeout, 3000);
    assert.equal(c.reloadInterval, 500);
    assert.equal(c.heartbeatInterval, 1000);
    assert.equal(c.initDb, true);
  });

  await t.step("the registration tokens file: the flag, then TARS_REGISTRY_TOKENS", () => {
    const env = { TARS_REGISTRY_TOKENS: "tokens" };
    assert.equal(read(["--registration-tokens", "/etc/t"], env).registrationTokens, "/etc/t");
    assert.equal(read([], env).registrationTokens, "/tokens", "relative to the directory");
    assert.equal(read([]).registrationTokens, undefined);
    const required = read(["--require-tokens"], env);
    assert.equal(required.requireTokens, true);
    assert.throws(
      () => read(["--require-tokens"]),
      (e: Error) =>
        e instanceof UsageError &&
        e.message === "--require-tokens needs the registration tokens file: give it with " +
            "--registration-tokens FILE or TARS_REGISTRY_TOKENS",
    );
  });

  await t.step("bad input is a usage error that names the flag", () => {
    const cases: [string[], RegExp][] = [
      [["--endpoint", "tcp -h x"], /--endpoint: Bad endpoint "tcp -h x": -p PORT is missing/],
      [["--endpoint", "udp -h x -p 1"], /--endpoint: only tcp/],
      [["--metrics", "9325"], /--metrics "9325": write HOST:PORT/],
      [["--node-timeout", "soon"], /--node-timeout: Bad duration "soon"/],
      [["--node-timeout", "250"], /--node-timeout: Duration "250" has no unit: write 250s/],
      [["--reload-interval", "0"], /--reload-interval must be above 0/],
      [["--nope"], /Unknown option '--nope'.*--help/],
    ];
    for (const [args, message] of cases) {
      assert.throws(() => readRegistryConfig(args, {}, { cwd: "/" }), (e: Error) => {
        assert.ok(e instanceof UsageError);
        assert.match(e.message, message);
        return true;
      });
    }
    assert.equal(readRegistryConfig(["--help"], {}, { cwd: "/" }), "help");
  });
});
