import assert from "node:assert/strict";
import { NOTIFY_OBJ, REGISTRY_OBJ, TarsClient, TarsCode } from "../protocol/mod.ts";
import { createObjectResolver, objectCachePath } from "./object_resolver.ts";
import { startFakeTars } from "./test_fakes.ts";
import { fakeClock } from "../tests/support/fake_clock.ts";
import { eventually } from "../tests/support/eventually.ts";

Deno.test("object resolver", async (t) => {
  const fake = startFakeTars();
  const client = new TarsClient({ log: () => {} });
  const dataDir = await Deno.makeTempDir();
  const clock = fakeClock(1_700_000_000_000);
  const logged: string[] = [];
  const make = () =>
    createObjectResolver({
      client,
      locator: fake.locator,
      dataDir,
      now: clock.now,
      log: (line) => logged.push(line),
    });
  const lookups = () => fake.argsOf("QueryF.findObjectById").length;
  const expected = `${REGISTRY_OBJ}@tcp -h 127.0.0.1 -p ${fake.port} -t 60000`;
  const cacheFile = objectCachePath(dataDir, REGISTRY_OBJ);
  try {
    await t.step("asks the locator once, then answers from its cache within the ttl", async () => {
      const resolver = make();
      const [a, b] = await Promise.all([
        resolver.resolve(REGISTRY_OBJ),
        resolver.resolve(REGISTRY_OBJ),
      ]);
      assert.equal(a, expected);
      assert.equal(b, expected);
      assert.equal(lookups(), 1);
      assert.equal(await Deno.readTextFile(cacheFile), `${expected}\n${clock.now()}\n`);
      clock.advance(9_999);
      assert.equal(await resolver.resolve(REGISTRY_OBJ), expected);
      assert.equal(lookups(), 1);
    });

    await t.step("another process (a new resolver) reads the cache file", async () => {
      assert.equal(await make().resolve(REGISTRY_OBJ), expected);
      assert.equal(lookups(), 1);
    });

    await t.step(
      "an entry 10 s old is answered, looked up again behind the call and rewritten",
      async () => {
        clock.advance(1);
        const resolver = make();
        fake.hanging.add("QueryF.findObjectById");
        // The lookup hangs: the call goes on with the answer it has.
        assert.equal(await resolver.resolve(REGISTRY_OBJ), expected);
        assert.equal(await resolver.resolve(REGISTRY_OBJ), expected);
        await eventually(1000, "one lookup behind the calls", () => lookups() === 2);
        fake.release();
        await resolver.settled();
        assert.equal(lookups(), 2);
        assert.equal(await Deno.readTextFile(cacheFile), `${expected}\n${clock.now()}\n`);
      },
    );

    await t.step("a lookup behind the call that fails keeps the answer, and says so", async () => {
      const resolver = make();
      await resolver.resolve(REGISTRY_OBJ);
      clock.advance(10_000);
      fake.failing.set("QueryF.findObjectById", TarsCode.UNKNOWN);
      logged.length = 0;
      assert.equal(await resolver.resolve(REGISTRY_OBJ), expected);
      await resolver.settled();
      assert.match(
        logged.join("\n"),
        /Cannot look up .*asked to fail; using its answer of 10 s ago/,
      );
      assert.equal(await resolver.resolve(REGISTRY_OBJ), expected);
      await resolver.settled();
      fake.failing.clear();
      assert.equal(await resolver.resolve(REGISTRY_OBJ), expected);
      await resolver.settled();
      assert.equal(await Deno.readTextFile(cacheFile), `${expected}\n${clock.now()}\n`);
    });

    await t.step("forget drops the file and the memory entry", async () => {
      const resolver = make();
      const before = lookups();
      await resolver.resolve(REGISTRY_OBJ);
      assert.equal(lookups(), before);
      await resolver.forget(REGISTRY_OBJ);
      await assert.rejects(Deno.stat(cacheFile), Deno.errors.NotFound);
      await resolver.resolve(REGISTRY_OBJ);
      assert.equal(lookups(), before + 1);
      await resolver.forget(NOTIFY_OBJ); // nothing cached: no error
    });

    await t.step("a corrupt cache file is logged, looked up and replaced", async () => {
      for (const bad of ["garbage\n", `${expected}\nyesterday\n`, `Other.Obj@tcp -h a -p 1\n1\n`]) {
        await Deno.writeTextFile(cacheFile, bad);
        const before = lookups();
        logged.length = 0;
        assert.equal(await make().resolve(REGISTRY_OBJ), expected);
        assert.equal(lookups(), before + 1);
        assert.equal(logged.length, 1);
        assert.match(logged[0], /not an endpoint cache/);
        assert.ok(logged[0].includes(cacheFile));
        assert.equal(await Deno.readTextFile(cacheFile), `${expected}\n${clock.now()}\n`);
      }
    });

    await t.step("a cache file from the future is not trusted", async () => {
      await Deno.writeTextFile(
        cacheFile,
        `${REGISTRY_OBJ}@tcp -h 10.9.9.9 -p 1\n${clock.now() + 5}\n`,
      );
      assert.equal(await make().resolve(REGISTRY_OBJ), expected);
    });

    await t.step("an object with no endpoints is an error naming the locator", async () => {
      fake.registered.delete(NOTIFY_OBJ);
      await assert.rejects(make().resolve(NOTIFY_OBJ), (error: Error) => {
        assert.match(error.message, /tars\.tarsnotify\.NotifyObj has no active tcp endpoints/);
        assert.ok(error.message.includes(fake.locator));
        return true;
      });
      await assert.rejects(Deno.stat(objectCachePath(dataDir, NOTIFY_OBJ)), Deno.errors.NotFound);
      fake.registered.add(NOTIFY_OBJ);
    });

    await t.step("a failing locator is an error saying which lookup failed", async () => {
      fake.failing.set("QueryF.findObjectById", TarsCode.UNKNOWN);
      await assert.rejects(
        make().resolve("App.Other.Obj"),
        /Cannot look up App\.Other\.Obj in the registry at .*asked to fail/,
      );
      fake.failing.clear();
    });

    await t.step("an object string with endpoints is used as it is", async () => {
      const before = lookups();
      const direct = "App.Srv.Obj@tcp -h 127.0.0.1 -p 1";
      assert.equal(await make().resolve(direct), direct);
      assert.equal(lookups(), before);
    });
  } finally {
    await client.close();
    await fake.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
