import assert from "node:assert/strict";
import { TarsCallError, TarsCode } from "../protocol/call_error.ts";
import { defineInterface, param } from "../protocol/interface.ts";
import { string } from "../protocol/codec/types.ts";
import type { CallContext, ServantImpl } from "../protocol/server.ts";
import { RegistryMetrics } from "./metrics.ts";
import { instrument } from "./servants.ts";
import { ValidationError } from "./validate.ts";

const Probe = defineInterface("Probe", {
  call: { params: [param("what", string)], ret: string },
});

/** A servant whose one method fails as `what` says, wrapped as the registry wraps its servants. */
function wrapped() {
  const logged: string[] = [];
  const metrics = new RegistryMetrics();
  const impl: ServantImpl<typeof Probe> = {
    call: ({ what }) => {
      if (what === "caller") throw new ValidationError('Invalid nodeName "": it is required');
      if (what === "bug") throw new RangeError("index 7 is out of range");
      if (what === "code") throw new TarsCallError(-7, "took too long");
      if (what === "later") return Promise.reject(new TypeError("store went away"));
      return { ret: `ok ${what}` };
    },
  };
  const servant = instrument(impl, { metrics, log: (line) => logged.push(line) });
  const call = (what: string) => servant.call({ what }, {} as CallContext);
  return { call, logged, metrics };
}

/** The TarsCallError `call` fails with. */
async function failure(call: () => unknown): Promise<TarsCallError> {
  try {
    await call();
  } catch (error) {
    assert.ok(error instanceof TarsCallError, String(error));
    return error;
  }
  assert.fail("the call did not fail");
}

Deno.test("registry servants answer failures by kind", async (t) => {
  await t.step("a caller's mistake: its message, nothing logged", async () => {
    const { call, logged, metrics } = wrapped();
    const error = await failure(() => call("caller"));
    assert.equal(error.code, TarsCode.UNKNOWN);
    assert.equal(error.message, 'call: Invalid nodeName "": it is required');
    assert.deepEqual(logged, []);
    assert.equal(metrics.calls("call"), 1);
  });

  await t.step(
    "a bug, even a RangeError: logged with its stack, answered as internal",
    async () => {
      const { call, logged } = wrapped();
      const error = await failure(() => call("bug"));
      assert.equal(error.code, TarsCode.UNKNOWN);
      assert.match(
        error.message,
        /^call: internal error of the registry \(index 7 is out of range\)/,
      );
      assert.equal(logged.length, 1);
      assert.match(logged[0], /^call failed: RangeError: index 7 is out of range\n\s+at /);
    },
  );

  await t.step("an asynchronous failure is answered the same way", async () => {
    const { call, logged } = wrapped();
    assert.match((await failure(() => call("later"))).message, /internal error/);
    assert.match(logged[0], /TypeError: store went away/);
  });

  await t.step("a TarsCallError keeps its code; success stays synchronous", async () => {
    const { call, logged } = wrapped();
    assert.equal((await failure(() => call("code"))).code, -7);
    assert.deepEqual(logged, []);
    assert.deepEqual(call("x"), { ret: "ok x" });
  });
});
