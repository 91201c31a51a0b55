import assert from "node:assert/strict";
import { FrameDecoder } from "./frame_decoder.ts";

function frame(body: number[]): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, out.length);
  out.set(body, 4);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const bodies = (frames: Uint8Array[]) => frames.map((f) => [...f]);

Deno.test("frame decoder", async (t) => {
  const stream = concat(
    frame([1]),
    frame([2, 3]),
    frame(Array.from({ length: 300 }, (_, i) => i & 0xff)),
  );
  const expected = [[1], [2, 3], Array.from({ length: 300 }, (_, i) => i & 0xff)];

  await t.step("several frames in one read", () => {
    assert.deepEqual(bodies(new FrameDecoder().push(stream)), expected);
  });

  await t.step("frames split across reads at every offset", () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder();
      const got = [...d.push(stream.slice(0, cut)).map((f) => [...f])];
      got.push(...bodies(d.push(stream.slice(cut))));
      assert.deepEqual(got, expected, `cut at ${cut}`);
      assert.equal(d.buffered, 0);
    }
  });

  await t.step("one byte per read", () => {
    const d = new FrameDecoder();
    const got: number[][] = [];
    for (const b of stream) got.push(...bodies(d.push(new Uint8Array([b]))));
    assert.deepEqual(got, expected);
  });

  await t.step("lengths below 5 or above the cap are refused", () => {
    assert.throws(() => new FrameDecoder().push(new Uint8Array([0, 0, 0, 4])), /below the minimum/);
    const big = new Uint8Array([0, 0, 4, 1, 0]);
    assert.throws(() => new FrameDecoder({ maxFrame: 1024 }).push(big), /above the limit of 1024/);
    const d = new FrameDecoder({ maxFrame: 1024 });
    d.push(new Uint8Array([0, 0]));
    assert.throws(() => d.push(new Uint8Array([0xff, 0xff])), /above the limit/);
  });
});

Deno.test("frame decoder: what a split frame holds", async (t) => {
  await t.step("never more than twice what arrived, however large the announced length", () => {
    const decoder = new FrameDecoder({ maxFrame: 10 * 1024 * 1024 });
    const announce = new Uint8Array(4);
    new DataView(announce.buffer).setUint32(0, 9 * 1024 * 1024);
    decoder.push(announce);
    assert.ok(decoder.held <= 64, `${decoder.held} bytes for 4 received`);
    let received = 4;
    for (let i = 0; i < 40; i++) {
      decoder.push(new Uint8Array(64 * 1024));
      received += 64 * 1024;
      assert.ok(decoder.held <= 2 * received, `${decoder.held} bytes for ${received} received`);
    }
  });

  await t.step("a trickle of tiny reads is gathered in blocks, not one object each", () => {
    const decoder = new FrameDecoder();
    const big = frame(Array.from({ length: 200_000 }, (_, i) => i & 0xff));
    for (let i = 0; i < big.length; i += 3) {
      const got = decoder.push(big.subarray(i, i + 3));
      if (i + 3 < big.length) {
        assert.equal(got.length, 0);
        assert.ok(decoder.held <= Math.max(128, 2 * decoder.buffered));
      } else assert.deepEqual(bodies(got), [Array.from({ length: 200_000 }, (_, i) => i & 0xff)]);
    }
    assert.equal(decoder.held, 0);
  });

  await t.step("a completed frame leaves nothing held", () => {
    const decoder = new FrameDecoder();
    const big = frame(Array.from({ length: 300_000 }, () => 7));
    assert.equal(decoder.push(big.subarray(0, 1000)).length, 0);
    assert.equal(decoder.push(big.subarray(1000, 2)).length, 0);
    assert.equal(decoder.push(big.subarray(1000, 100_000)).length, 0);
    assert.ok(decoder.held >= 100_000 && decoder.held < 200_000, `${decoder.held}`);
    assert.equal(decoder.push(big.subarray(100_000)).length, 1);
    assert.equal(decoder.held, 0);
    assert.equal(decoder.buffered, 0);
  });
});
