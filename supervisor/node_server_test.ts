/**
 * The node object's listener: bound at start, its servant loaded by the first connection and only
 * once, never when no one connects, and a servant that cannot load refuses connections.
 */
import assert from "node:assert/strict";
import { TarsClient } from "../protocol/client.ts";
import { NODE_OBJ, NodeF } from "../protocol/interfaces/node_f.ts";
import type { ServantImpl } from "../protocol/server.ts";
import { startNodeServer } from "./node_server.ts";

const OPTIONS = {
  host: "127.0.0.1",
  port: 0,
  range: { min: 0, max: 0 },
  servicePorts: new Set<number>(),
};

/** A servant that answers getName, and how many times it was loaded. */
function countingLoad() {
  const counter = { loads: 0 };
  const load = () => {
    counter.loads++;
    return Promise.resolve(
      { getName: () => ({ ret: "pod" }) } as unknown as ServantImpl<typeof NodeF>,
    );
  };
  return { counter, load };
}

Deno.test("node server: the servant loads with the first connection, once", async () => {
  const { counter, load } = countingLoad();
  const node = await startNodeServer(load, { ...OPTIONS, log: () => {} });
  const client = new TarsClient({ log: () => {} });
  try {
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(counter.loads, 0, "nothing is loaded before someone connects");
    const proxy = client.proxy(NodeF, `${NODE_OBJ}@${node.endpoint}`);
    assert.equal((await proxy.getName({})).ret, "pod");
    await client.close();
    // A second connection is served by the same server.
    const again = new TarsClient({ log: () => {} });
    try {
      const name = await again.proxy(NodeF, `${NODE_OBJ}@${node.endpoint}`).getName({});
      assert.equal(name.ret, "pod");
    } finally {
      await again.close();
    }
    assert.equal(counter.loads, 1);
  } finally {
    await client.close();
    await node.close();
  }
});

Deno.test("node server: closed before any connection, it loads nothing", async () => {
  const { counter, load } = countingLoad();
  const node = await startNodeServer(load, { ...OPTIONS, log: () => {} });
  await node.close();
  assert.equal(counter.loads, 0);
  const port = Number(/-p (\d+)/.exec(node.endpoint)![1]);
  await assert.rejects(
    () => Deno.connect({ hostname: "127.0.0.1", port }),
    Deno.errors.ConnectionRefused,
  );
});

Deno.test("node server: a servant that cannot load is logged and its connections closed", async () => {
  const lines: string[] = [];
  const node = await startNodeServer(
    () => Promise.reject(new Error("the servant's module is missing")),
    { ...OPTIONS, log: (line) => lines.push(line) },
  );
  const client = new TarsClient({ log: () => {} });
  try {
    await assert.rejects(() =>
      client.proxy(NodeF, `${NODE_OBJ}@${node.endpoint}`, { timeout: 5000 }).getName({})
    );
    assert.deepEqual(lines, [
      "supervisor: the node object cannot serve: the servant's module is missing",
    ]);
  } finally {
    await client.close();
    await node.close();
  }
});
