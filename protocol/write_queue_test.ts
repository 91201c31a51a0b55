import assert from "node:assert/strict";
import { CHUNK_BYTES, ChunkPool } from "./chunk_pool.ts";
import type { Conn } from "./transport.ts";
import { WriteQueue } from "./write_queue.ts";

/** A connection that records what is written, taking at most `most` bytes a write. */
function recordingConn(options: { most?: number; fail?: Error } = {}) {
  const writes: number[] = [];
  const parts: Uint8Array[] = [];
  const conn: Conn = {
    read: () => Promise.resolve(null),
    write(data) {
      if (options.fail) return Promise.reject(options.fail);
      const n = Math.min(data.length, options.most ?? Infinity);
      writes.push(n);
      parts.push(data.slice(0, n));
      return Promise.resolve(n);
    },
    close() {},
    remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 1 },
  };
  const received = () => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let off = 0;
    for (const p of parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  };
  return { conn, writes, received };
}

function frame(length: number, seed: number): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);
}

Deno.test("write queue: frames pushed in one turn leave in order, copied at push time", async () => {
  const { conn, writes, received } = recordingConn();
  const queue = new WriteQueue(conn, (error) => assert.fail(String(error)));
  const frames = [frame(10, 1), frame(300, 2), frame(5, 3)];
  const scratch = new Uint8Array(300);
  for (const f of frames) {
    // The caller reuses its bytes at once, as the server does with its encoder's buffer.
    scratch.set(f);
    queue.push(scratch.subarray(0, f.length));
    scratch.fill(0);
  }
  assert.equal(queue.queued, 315);
  await queue.drained();
  assert.deepEqual(writes, [315]);
  assert.deepEqual(received(), new Uint8Array([...frames[0], ...frames[1], ...frames[2]]));
  assert.equal(queue.queued, 0);
});

Deno.test("write queue: frames larger than a chunk span several, partial writes go on", async () => {
  const { conn, writes, received } = recordingConn({ most: 50_000 });
  const pool = new ChunkPool({ keep: 8 });
  const queue = new WriteQueue(conn, (error) => assert.fail(String(error)), { pool });
  const big = frame(CHUNK_BYTES * 2 + 100, 4);
  const small = frame(20, 5);
  queue.push(small);
  queue.push(big);
  await queue.drained();
  assert.deepEqual(received(), new Uint8Array([...small, ...big]));
  assert.ok(writes.every((n) => n <= 50_000));
  // Three chunks went back for reuse; the next frames take them instead of new ones.
  assert.equal(pool.kept, 3);
  queue.push(small);
  assert.equal(pool.kept, 2);
  await queue.drained();
  assert.equal(pool.kept, 3);
});

Deno.test("write queue: a pool keeps at most its number of free chunks", () => {
  const pool = new ChunkPool({ keep: 1 });
  const a = pool.take();
  const b = pool.take();
  pool.give(a);
  pool.give(b);
  assert.equal(pool.kept, 1);
  // The chunk beyond the number kept was released (its buffer detached), not left to the heap.
  assert.equal(b.byteLength, 0);
  assert.equal(pool.take(), a);
});

Deno.test("write queue: a failed write empties the queue, reports once and returns the chunks", async () => {
  const errors: unknown[] = [];
  const pool = new ChunkPool({ keep: 8 });
  const { conn } = recordingConn({ fail: new Error("Connection reset by peer") });
  const changes: number[] = [];
  const queue = new WriteQueue(conn, (error) => errors.push(error), {
    pool,
    onQueuedChange: (delta) => changes.push(delta),
  });
  queue.push(frame(CHUNK_BYTES + 10, 6));
  await queue.drained();
  assert.equal(errors.length, 1);
  assert.equal(queue.queued, 0);
  assert.equal(changes.reduce((a, b) => a + b, 0), 0);
  assert.equal(pool.kept, 2);
});
