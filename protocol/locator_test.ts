import assert from "node:assert/strict";
import type { EndpointFValue } from "./interfaces/endpoint_f.ts";
import { Locator, type LookupOptions } from "./locator.ts";
import { fakeClock } from "../tests/support/fake_clock.ts";

function endpoint(host: string): EndpointFValue {
  return { host, port: 13000, timeout: 3000, istcp: 1 } as EndpointFValue;
}

/** A registry whose lookups wait until the test answers or fails them, one by one. */
function heldRegistry() {
  const pending: {
    id: string;
    options?: LookupOptions;
    answer: (hosts: string[]) => void;
    fail: (message: string) => void;
  }[] = [];
  const lookup = (id: string, options?: LookupOptions) =>
    new Promise<{ ret: number; activeEp: EndpointFValue[] }>((resolve, reject) => {
      pending.push({
        id,
        options,
        answer: (hosts) => resolve({ ret: 0, activeEp: hosts.map(endpoint) }),
        fail: (message) => reject(new Error(message)),
      });
    });
  return {
    pending,
    query: {
      findObjectByIdInSameGroup: ({ id }: { id: string }, options?: LookupOptions) =>
        lookup(id, options),
      findObjectByIdInSameSet: ({ id, setId }: { id: string; setId: string }, o?: LookupOptions) =>
        lookup(`${id}#${setId}`, o),
    },
  };
}

/** Whether `promise` has settled after the callbacks queued so far ran. */
async function settledNow(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  return settled;
}

const hostsOf = (eps: EndpointFValue[]) => eps.map((e) => e.host);

Deno.test("locator: calls go on with the cached answer while it is refreshed", async (t) => {
  const clock = fakeClock();
  const registry = heldRegistry();
  const logged: string[] = [];
  const locator = new Locator(registry.query, {
    refreshInterval: 60_000,
    now: clock.now,
    log: (line) => logged.push(line),
  });

  await t.step("a first lookup is waited for, within the caller's timeout", async () => {
    const first = locator.resolve("App.Srv.Obj", { timeout: 2500 });
    const second = locator.resolve("App.Srv.Obj");
    assert.equal(registry.pending.length, 1, "one lookup for both callers");
    assert.deepEqual(registry.pending[0].options, { timeout: 2500 });
    assert.equal(await settledNow(first), false);
    registry.pending.shift()!.answer(["10.0.0.1"]);
    assert.deepEqual(hostsOf(await first), ["10.0.0.1"]);
    assert.deepEqual(hostsOf(await second), ["10.0.0.1"]);
  });

  await t.step("a due answer is answered at once; one lookup runs behind it", async () => {
    clock.advance(60_000);
    for (let i = 0; i < 5; i++) {
      const calls = locator.resolve("App.Srv.Obj");
      assert.equal(await settledNow(calls), true, "a call does not wait for the lookup");
      assert.deepEqual(hostsOf(await calls), ["10.0.0.1"]);
    }
    assert.equal(registry.pending.length, 1, "one lookup in flight for the name");
    assert.equal(registry.pending[0].options, undefined, "with the query's own timeout");
    registry.pending.shift()!.answer(["10.0.0.1", "10.0.0.2"]);
    await locator.settled();
    assert.deepEqual(hostsOf(await locator.resolve("App.Srv.Obj")), ["10.0.0.1", "10.0.0.2"]);
    assert.equal(registry.pending.length, 0, "fresh again: no lookup");
  });

  await t.step("a lookup that fails keeps the last answer and is tried 1 s later", async () => {
    clock.advance(60_000);
    await locator.resolve("App.Srv.Obj");
    registry.pending.shift()!.fail("no endpoint answered: 10.9.0.1:17890: timed out");
    await locator.settled();
    assert.match(logged.join("\n"), /Looking up App\.Srv\.Obj failed, using the last answer/);
    assert.deepEqual(hostsOf(await locator.resolve("App.Srv.Obj")), ["10.0.0.1", "10.0.0.2"]);
    assert.equal(registry.pending.length, 0);
    clock.advance(999);
    await locator.resolve("App.Srv.Obj");
    assert.equal(registry.pending.length, 0);
    clock.advance(1);
    assert.deepEqual(hostsOf(await locator.resolve("App.Srv.Obj")), ["10.0.0.1", "10.0.0.2"]);
    assert.equal(registry.pending.length, 1);
    registry.pending.shift()!.answer(["10.0.0.3"]);
    await locator.settled();
    assert.deepEqual(hostsOf(await locator.resolve("App.Srv.Obj")), ["10.0.0.3"]);
  });

  await t.step(
    "invalidate starts a lookup with the next call, which keeps the answer",
    async () => {
      locator.invalidate("App.Srv.Obj");
      assert.deepEqual(hostsOf(await locator.resolve("App.Srv.Obj")), ["10.0.0.3"]);
      assert.equal(registry.pending.length, 1);
      registry.pending.shift()!.answer(["10.0.0.4"]);
      await locator.settled();
      assert.deepEqual(hostsOf(await locator.resolve("App.Srv.Obj")), ["10.0.0.4"]);
    },
  );

  await t.step("renew: the lookup in flight, or a new one, waited for", async () => {
    clock.advance(60_000);
    await locator.resolve("App.Srv.Obj");
    assert.equal(registry.pending.length, 1, "a lookup behind the call");
    const renewed = locator.renew("App.Srv.Obj", { timeout: 900 });
    assert.equal(registry.pending.length, 1, "renew joins it");
    registry.pending.shift()!.answer(["10.0.0.6"]);
    assert.deepEqual(hostsOf(await renewed), ["10.0.0.6"]);
    const again = locator.renew("App.Srv.Obj", { timeout: 900 });
    assert.deepEqual(registry.pending[0].options, { timeout: 900 }, "a fresh answer asked again");
    registry.pending.shift()!.fail("timed out");
    assert.deepEqual(hostsOf(await again), ["10.0.0.6"], "failed: the last good answer");
    await locator.settled();
  });

  await t.step("an empty answer is kept 10 s, then waited for", async () => {
    const empty = locator.resolve("App.New.Obj", { setId: "app.sz.1" });
    assert.equal(registry.pending[0].id, "App.New.Obj#app.sz.1");
    registry.pending.shift()!.answer([]);
    assert.deepEqual(await empty, []);
    clock.advance(9_999);
    assert.deepEqual(await locator.resolve("App.New.Obj", { setId: "app.sz.1" }), []);
    assert.equal(registry.pending.length, 0);
    clock.advance(1);
    const next = locator.resolve("App.New.Obj", { setId: "app.sz.1" });
    assert.equal(await settledNow(next), false, "no endpoint to go on with: it waits");
    registry.pending.shift()!.answer(["10.0.0.5"]);
    assert.deepEqual(hostsOf(await next), ["10.0.0.5"]);
  });

  await t.step("a first lookup that fails fails its callers and is not kept", async () => {
    const first = locator.resolve("App.Gone.Obj");
    registry.pending.shift()!.fail("no endpoint answered");
    await assert.rejects(first, /no endpoint answered/);
    locator.resolve("App.Gone.Obj").catch(() => {});
    assert.equal(registry.pending.length, 1, "the next call asks again");
    registry.pending.shift()!.fail("still not");
    await locator.settled();
  });
});
