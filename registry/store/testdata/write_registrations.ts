/**
 * Crash-test writer: registers COUNT pods in the SQLite store at PATH, 64 calls in flight (so
 * they share group commits), prints `acknowledged I` as each registration resolves and
 * `written COUNT` at the end, then keeps sending heartbeats until it is killed.
 *
 * Usage: deno run --allow-read --allow-write write_registrations.ts PATH COUNT
 */

import { SqliteStore } from "../sqlite_store.ts";
import { keepAliveRows, startupRows } from "../../validate.ts";

const IN_FLIGHT = 64;

/** Registers the pods, reports each, then heartbeats forever. */
async function main(args: string[]): Promise<void> {
  const [path, countText] = args;
  const count = Number(countText);
  if (!path || !Number.isInteger(count) || count < 1) {
    throw new RangeError("Usage: write_registrations.ts PATH COUNT (COUNT a positive integer)");
  }
  const store = SqliteStore.open(path, { now: Date.now });
  const node = (i: number) => `10.8.${i >> 8}.${i & 255}`;
  let next = 0;
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (next < count) {
      const i = next++;
      await store.onStartup(startupRows({
        nodeName: node(i),
        application: "Crash",
        server: "Writer",
        adapters: [{ servant: "Crash.Writer.Obj", endpoint: `tcp -h ${node(i)} -p 13000` }],
      }));
      console.log(`acknowledged ${i}`);
    }
  }));
  console.log(`written ${count}`);
  for (let i = 0;; i = (i + 1) % count) {
    await store.keepAlive(keepAliveRows({ nodeName: node(i), state: "active" }));
  }
}

await main(Deno.args);
