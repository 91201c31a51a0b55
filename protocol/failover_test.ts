import assert from "node:assert/strict";
import { Failover, MIN_TRY_MS } from "./failover.ts";
import { fakeClock } from "../tests/support/fake_clock.ts";

const A = "10.0.0.1:17890";
const B = "10.0.0.2:17890";
const C = "10.0.0.3:17890";

/** Tries that record what they were given; `hung` ones use their whole timeout, then fail. */
function replicas(clock: { advance(ms: number): void }, hung: Set<string>) {
  const tries: [string, number][] = [];
  const attempt = (endpoint: string, timeout: number) => {
    tries.push([endpoint, timeout]);
    if (!hung.has(endpoint)) return Promise.resolve(`answer of ${endpoint}`);
    clock.advance(timeout);
    return Promise.reject(new Error(`no reply from ${endpoint}`));
  };
  return { tries, attempt };
}

Deno.test("failover: callers spread over the endpoints by their names", () => {
  const counts = new Map<string, number>();
  for (let pod = 0; pod < 300; pod++) {
    const first = new Failover({ spreadBy: `10.1.${pod >> 8}.${pod & 255}` }).order([A, B, C])[0];
    counts.set(first, (counts.get(first) ?? 0) + 1);
  }
  for (const endpoint of [A, B, C]) {
    const share = counts.get(endpoint) ?? 0;
    assert.ok(share > 70 && share < 130, `${endpoint}: ${share} of 300 callers`);
  }

  const pod = new Failover({ spreadBy: "10.1.0.7" });
  const order = pod.order([A, B, C]);
  assert.deepEqual(pod.order([C, A, B]), order, "the list's own order does not matter");
  assert.deepEqual(pod.order([A, A, B, C]), order, "an endpoint listed twice is tried once");
  const without = order.filter((e) => e !== order[1]);
  assert.deepEqual(pod.order(without), without, "losing one endpoint moves nobody else");
  assert.deepEqual(
    new Failover({ spreadBy: "10.1.0.7" }).order([A, B, C]),
    order,
    "the same name, the same order (tarscli prestop tries what the supervisor tries)",
  );
});

Deno.test("failover: a call goes on to the next endpoint within its budget", async (t) => {
  await t.step("a hung first endpoint takes its share, the next one the rest", async () => {
    const clock = fakeClock();
    const failover = new Failover({ spreadBy: "pod", now: clock.now, random: () => 0 });
    const [first, second] = failover.order([A, B]);
    const { tries, attempt } = replicas(clock, new Set([first]));
    const retried: string[] = [];
    const answer = await failover.call([A, B], attempt, {
      budget: 3000,
      onRetry: (endpoint, error, quarantine) =>
        retried.push(`${endpoint} ${error.message} ${quarantine}`),
    });
    assert.equal(answer, `answer of ${second}`);
    assert.deepEqual(tries, [[first, 1500], [second, 1500]]);
    assert.deepEqual(retried, [`${first} no reply from ${first} 500`]);
  });

  await t.step("an endpoint that fails at once leaves the whole budget", async () => {
    const clock = fakeClock();
    const failover = new Failover({ spreadBy: "pod", now: clock.now });
    const [first, second] = failover.order([A, B]);
    const tries: [string, number][] = [];
    await failover.call([A, B], (endpoint, timeout) => {
      tries.push([endpoint, timeout]);
      return endpoint === first ? Promise.reject(new Error("refused")) : Promise.resolve();
    }, { budget: 3000 });
    assert.deepEqual(tries, [[first, 1500], [second, 3000]]);
  });

  await t.step("every endpoint failing: an AggregateError naming each", async () => {
    const clock = fakeClock();
    const failover = new Failover({ spreadBy: "pod", now: clock.now });
    const { tries, attempt } = replicas(clock, new Set([A, B, C]));
    await assert.rejects(failover.call([A, B, C], attempt, { budget: 900 }), (error) => {
      assert.ok(error instanceof AggregateError);
      assert.equal(error.errors.length, 3);
      for (const endpoint of [A, B, C]) {
        assert.ok(error.message.includes(`${endpoint}: no reply from ${endpoint}`), error.message);
      }
      return true;
    });
    assert.deepEqual(tries.map(([, timeout]) => timeout), [300, 300, 300]);
  });

  await t.step("no try begins with less than MIN_TRY_MS left", async () => {
    const clock = fakeClock();
    const failover = new Failover({ spreadBy: "pod", now: clock.now });
    const [, ...rest] = failover.order([A, B, C]);
    let tries = 0;
    await assert.rejects(
      failover.call([A, B, C], (endpoint) => {
        tries++;
        clock.advance(3000 - MIN_TRY_MS / 2);
        return Promise.reject(new Error(`slow ${endpoint}`));
      }, { budget: 3000 }),
      { message: new RegExp(`; not tried: ${rest.join(", ")} \\(the 3000 ms ran out\\)$`) },
    );
    assert.equal(tries, 1);
  });

  await t.step("a final error is the answer: no other endpoint, no quarantine", async () => {
    const clock = fakeClock();
    const failover = new Failover({ spreadBy: "pod", now: clock.now });
    const order = failover.order([A, B]);
    const refused = new Error("refused: not your node");
    let tries = 0;
    await assert.rejects(
      failover.call([A, B], () => (tries++, Promise.reject(refused)), {
        budget: 3000,
        final: (error) => error === refused,
      }),
      (error) => error === refused,
    );
    assert.equal(tries, 1);
    assert.deepEqual(failover.order([A, B]), order);
  });

  await t.step("no endpoints: an AggregateError that says so", async () => {
    await assert.rejects(
      new Failover().call([], () => Promise.resolve(), { budget: 1000 }),
      { name: "AggregateError", message: "no endpoint to call" },
    );
  });
});

Deno.test("failover: an endpoint that failed rests, jittered and doubling, then is probed", async () => {
  const clock = fakeClock();
  let jitter = 0;
  const failover = new Failover({ spreadBy: "pod", now: clock.now, random: () => jitter });
  const [first, second] = failover.order([A, B]);
  const hung = new Set([first]);
  const { tries, attempt } = replicas(clock, hung);
  const call = async () => {
    tries.length = 0;
    await failover.call([A, B], attempt, { budget: 3000 });
    return tries.map(([endpoint]) => endpoint);
  };

  assert.deepEqual(await call(), [first, second]);
  // random 0: the first quarantine is half of 1 s.
  assert.deepEqual(failover.order([A, B]), [second, first]);
  assert.deepEqual(await call(), [second], "in quarantine: the other endpoint first");
  clock.advance(499);
  assert.deepEqual(await call(), [second]);
  clock.advance(1);
  // The second failure in a row: 2 s, jittered (here hardly) down.
  jitter = 0.999;
  assert.deepEqual(await call(), [first, second], "over: the next call probes it");
  clock.advance(1500);
  assert.deepEqual(await call(), [second]);
  clock.advance(499);
  assert.deepEqual(await call(), [first, second], "probed again after 1,999 ms");

  for (let failures = 4; failures <= 8; failures++) {
    clock.advance(30_000);
    assert.deepEqual(await call(), [first, second]);
  }
  clock.advance(29_900);
  assert.deepEqual(await call(), [second], "the longest quarantine is 30 s");
  clock.advance(100);
  hung.clear();
  assert.deepEqual(await call(), [first], "it answers: its record is gone");
  hung.add(first);
  jitter = 0;
  assert.deepEqual(await call(), [first, second]);
  clock.advance(500);
  assert.deepEqual(await call(), [first, second], "a new failure after a success rests 0.5 s");
});
