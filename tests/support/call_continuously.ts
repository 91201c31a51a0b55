/**
 * Load for the rolling-update and node-object tests: clients that call the example service
 * through the registry without pause, counting which pod answered and every failed call.
 *
 * @module
 */
import { delay } from "../../lib/timers.ts";
import { TarsClient } from "../../protocol/client.ts";
import { HELLO_OBJ, HelloF } from "../../examples/simple/hello_f.ts";

/** Calls the service through the registry from `workers` loops until `stop`; counts outcomes. */
export function callContinuously(locator: string, options: { workers: number; stop: AbortSignal }) {
  const client = new TarsClient({ locator, refreshInterval: 500, timeout: 5000, log: () => {} });
  const hello = client.proxy(HelloF, HELLO_OBJ);
  const answeredBy = new Map<string, number>();
  const failures: string[] = [];
  let calls = 0;
  const loop = async (worker: number) => {
    while (!options.stop.aborted) {
      calls++;
      try {
        // Every fourth worker holds its call for a while, so calls are in flight at each step.
        if (worker % 4 === 3) await hello.slow({ ms: 150 });
        const { greeting } = await hello.sayHello({ name: `w${worker}` });
        const pod = /from (\S+)$/.exec(greeting)?.[1] ?? greeting;
        answeredBy.set(pod, (answeredBy.get(pod) ?? 0) + 1);
      } catch (error) {
        failures.push(`${new Date().toISOString()} ${(error as Error).message}`);
        await delay(20);
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.workers }, (_, i) => loop(i))).then(
    async () => {
      await client.close();
      return { calls, answeredBy, failures };
    },
  );
  return { answeredBy, failures, done };
}
