import assert from "node:assert/strict";
import { fakeClock } from "../tests/support/fake_clock.ts";
import { backoffDelay, delay, retry, settlesWithin, withDeadline } from "./timers.ts";

Deno.test("timers", async (t) => {
  await t.step("delay resolves after the time, or at once when aborted", async () => {
    const started = performance.now();
    await delay(30);
    assert.ok(performance.now() - started >= 25);
    const abort = new AbortController();
    const waiting = delay(60_000, { signal: abort.signal });
    abort.abort();
    await waiting;
    await delay(60_000, { signal: abort.signal });
  });

  await t.step("withDeadline settles as the promise, or rejects with the timeout", async () => {
    assert.equal(await withDeadline(Promise.resolve(7), 1000, () => new Error("late")), 7);
    await assert.rejects(
      withDeadline(Promise.reject(new TypeError("own")), 1000, () => new Error("late")),
      TypeError,
    );
    await assert.rejects(
      withDeadline(new Promise(() => {}), 10, () => new RangeError("no answer within 10 ms")),
      { name: "RangeError", message: "no answer within 10 ms" },
    );
  });

  await t.step("settlesWithin tells whether the promise resolved in time", async () => {
    assert.equal(await settlesWithin(Promise.resolve(), 1000), true);
    assert.equal(await settlesWithin(new Promise(() => {}), 10), false);
    await assert.rejects(settlesWithin(Promise.reject(new Error("own")), 1000), /own/);
  });

  await t.step("backoffDelay doubles from the first wait up to the longest", () => {
    const backoff = { first: 100, max: 1000 };
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, backoff)), [
      100,
      200,
      400,
      800,
      1000,
      1000,
    ]);
  });

  await t.step("retry waits the back-off between tries and gives the value", async () => {
    const clock = fakeClock();
    const failures: string[] = [];
    let tries = 0;
    const value = await retry(() => {
      tries++;
      return tries < 4 ? Promise.reject(new Error(`try ${tries}`)) : Promise.resolve("up");
    }, {
      backoff: { first: 10, max: 25 },
      sleep: clock.sleep,
      onFailure: (error, wait) => {
        failures.push(`${(error as Error).message} ${wait}`);
      },
    });
    assert.equal(value, "up");
    assert.deepEqual(failures, ["try 1 10", "try 2 20", "try 3 25"]);
    assert.deepEqual(clock.sleeps, [10, 20, 25]);
  });

  await t.step("retry stops when its signal aborts", async () => {
    const abort = new AbortController();
    let tries = 0;
    const value = await retry(() => {
      if (++tries === 2) abort.abort();
      return Promise.reject(new Error("down"));
    }, { backoff: { first: 1, max: 1 }, signal: abort.signal, sleep: fakeClock().sleep });
    assert.equal(value, undefined);
    assert.equal(tries, 2);
  });
});
