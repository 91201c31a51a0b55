import assert from "node:assert/strict";
import { REGISTRY_OBJ, TarsClient, TarsCode } from "../protocol/mod.ts";
import { createObjectResolver, objectCachePath } from "./object_resolver.ts";
import { createRegistryLink } from "./registry_link.ts";
import { keepAliveRequest, prestopRequest, startupRequest } from "./registry_requests.ts";
import { fakeServerInfo, startFakeTars } from "./test_fakes.ts";

Deno.test("registry link", async (t) => {
  const fake = startFakeTars();
  const client = new TarsClient({ log: () => {} });
  const dataDir = await Deno.makeTempDir();
  const resolver = createObjectResolver({ client, locator: fake.locator, dataDir });
  const link = createRegistryLink(resolver, { client, timeout: 500 });
  const info = fakeServerInfo(dataDir);
  const lookups = () => fake.argsOf("QueryF.findObjectById").length;
  const cacheFile = objectCachePath(dataDir, REGISTRY_OBJ);
  try {
    await t.step("the three calls reach the Registry found through the locator", async () => {
      const startup = startupRequest(info, {
        state: "activating",
        disableFlow: false,
        version: "",
      });
      await link.onStartup(startup);
      await link.keepAlive(keepAliveRequest(info, "active"));
      await link.onPrestop(prestopRequest(info));
      assert.deepEqual(
        fake.calls.filter((c) => c.method.startsWith("Registry.")).map((c) => c.method),
        ["Registry.onStartup", "Registry.keepAlive", "Registry.onPrestop"],
      );
      assert.deepEqual(fake.argsOf("Registry.onStartup")[0], startup);
      assert.equal(lookups(), 1);
    });

    await t.step("a non-zero ret names the call, and the address is looked up again", async () => {
      fake.failing.set("Registry.keepAlive", TarsCode.UNKNOWN);
      await assert.rejects(
        link.keepAlive(keepAliveRequest(info, "active")),
        /^Error: Registry keepAlive to tars\.tarsregistry\.Registry@tcp .* failed: .*asked to fail/,
      );
      await assert.rejects(Deno.stat(cacheFile), Deno.errors.NotFound);
      fake.failing.clear();
      await link.keepAlive(keepAliveRequest(info, "active"));
      assert.equal(lookups(), 2);
    });

    await t.step("a call that does not answer fails after the timeout", async () => {
      fake.hanging.add("Registry.onPrestop");
      await assert.rejects(link.onPrestop(prestopRequest(info)), /Registry onPrestop .*timeout/i);
      fake.hanging.clear();
      await assert.rejects(Deno.stat(cacheFile), Deno.errors.NotFound);
    });

    await t.step("no registry in the locator: the error names the call and says so", async () => {
      fake.registered.delete(REGISTRY_OBJ);
      await assert.rejects(
        link.onStartup(
          startupRequest(info, { state: "activating", disableFlow: true, version: "" }),
        ),
        /^Error: Registry onStartup failed: tars\.tarsregistry\.Registry has no active tcp endpoints/,
      );
      fake.registered.add(REGISTRY_OBJ);
    });
  } finally {
    await client.close();
    await fake.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
