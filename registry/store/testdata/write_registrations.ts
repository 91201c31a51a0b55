/**
 * Crash-test writer: registers COUNT pods in the SQLite store at PATH, prints
 * `written COUNT`, then keeps sending heartbeats until it is killed.
 *
 * Usage: deno run --allow-read --allow-write write_registrations.ts PATH COUNT
 */

import { SqliteStore } from "../sqlite_store.ts";
import { keepAliveRows, startupRows } from "../../validate.ts";

/** Registers the pods, reports, then heartbeats forever. */
async function main(args: string[]): Promise<void> {
  const [path, countText] = args;
  const count = Number(countText);
  if (!path || !Number.isInteger(count) || count < 1) {
    throw new RangeError("Usage: write_registrations.ts PATH COUNT (COUNT a positive integer)");
  }
  const store = SqliteStore.open(path, { now: Date.now });
  const node = (i: number) => `10.8.${i >> 8}.${i & 255}`;
  for (let i = 0; i < count; i++) {
    await store.onStartup(startupRows({
      nodeName: node(i),
      application: "Crash",
      server: "Writer",
      adapters: [{ servant: "Crash.Writer.Obj", endpoint: `tcp -h ${node(i)} -p 13000` }],
    }));
  }
  console.log(`written ${count}`);
  for (let i = 0;; i = (i + 1) % count) {
    await store.keepAlive(keepAliveRows({ nodeName: node(i), state: "active" }));
  }
}

await main(Deno.args);
