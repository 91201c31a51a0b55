/**
 * Mutation fuzzing of the RPC server: more than 100,000 malformed frames (random bytes, valid
 * requests with bit flips, truncations, wrong length prefixes, huge string/list/map lengths, deep
 * nesting, wrong names and versions) among clean ones, over many connections to an in-process
 * TarsServer with a real servant. Every connection must end within a bound and the whole run
 * within another, every reply must be a well-formed frame, batches of clean requests must be
 * answered exactly, nothing may reject unhandled, the log stays a few lines (they are limited per
 * source address), and afterwards a good call on a fresh connection must succeed. The run is
 * deterministic for a seed (FUZZ_SEED overrides it).
 */
import assert from "node:assert/strict";
import {
  bytes,
  encode,
  encodeFields,
  int32,
  int64,
  list,
  map,
  opt,
  req,
  string,
  struct,
  TarsWriter,
} from "../protocol/codec/mod.ts";
import { TarsCallError, TarsCode } from "../protocol/call_error.ts";
import { TarsClient } from "../protocol/client.ts";
import { DEFAULT_MAX_FRAME, FrameDecoder } from "../protocol/frame_decoder.ts";
import { defineInterface, encodeTupMap, out, param } from "../protocol/interface.ts";
import {
  decodeRequest,
  decodeResponse,
  encodeRequestFrame,
  PACKET_NORMAL,
  PACKET_ONEWAY,
  TARS_VERSION,
  TUP_VERSION,
} from "../protocol/packets.ts";
import { TarsServer } from "../protocol/server.ts";

const SEED = Number(Deno.env.get("FUZZ_SEED") ?? 0x7a25_2024);
/** Malformed frames of a run (frames that are not clean calls); clean ones come on top. */
const MALFORMED = 100_000;
/** Longest the whole run may take. */
const RUN_BOUND_MS = 120_000;
/** Most log lines the run may write: 10 a minute from its one address, and the summaries. */
const LOG_BOUND = 40;
const WORKERS = 8;
/** Longest a single connection's exchange may take before it counts as a hang. */
const CONNECTION_BOUND_MS = 3000;
const SERVANT = "Fuzz.Target.Obj";

const Thing = struct("Fuzz.Thing", {
  id: req(0, int32),
  name: opt(1, string),
  tags: opt(2, list(string)),
  attrs: opt(3, map(string, int64)),
  blob: opt(4, bytes),
});

const Target = defineInterface("Fuzz.Target", {
  echo: { params: [param("text", string)], ret: string },
  sum: { params: [param("values", list(int64)), out("count", int32)], ret: int64 },
  keep: { params: [param("thing", Thing), param("extra", map(string, list(Thing)))], ret: Thing },
  later: { params: [param("ms", int32)], ret: int32 },
  boom: { params: [param("code", int32)] },
});
const METHODS = [...Target.compiled.keys()];

/** mulberry32: a tiny seeded PRNG giving floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Random helpers over one PRNG. */
class Dice {
  readonly #next: () => number;
  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }
  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.#next() * n);
  }
  /** True with probability p. */
  chance(p: number): boolean {
    return this.#next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Uint8Array {
    return Uint8Array.from({ length: n }, () => this.int(256));
  }
  text(max: number): string {
    const alphabet = ["a", "Z", "0", " ", "é", "€", "日", "\u0000", "\ud83d\ude00"];
    return Array.from({ length: this.int(max) }, () => this.pick(alphabet)).join("");
  }
}

/** One generated frame, and for a clean call the reply it must get. */
interface Frame {
  readonly bytes: Uint8Array;
  readonly expect?: { readonly requestId: number; readonly ret: number };
}

const INT64_MAX = 2n ** 63n - 1n;

/** The return code our servant answers a clean call with. */
function expectedRet(func: string, args: Record<string, unknown>): number {
  if (func === "boom") return args.code === 0 ? TarsCode.UNKNOWN : args.code as number;
  if (func === "sum") {
    const total = (args.values as bigint[]).reduce((a, b) => a + b, 0n);
    return total > INT64_MAX ? TarsCode.SERVER_ENCODE_ERR : 0;
  }
  return 0;
}

/** Valid arguments for a method (some deliberately out of range for the reply encoder). */
function validArgs(d: Dice, method: string): Record<string, unknown> {
  const thing = () => ({
    id: d.int(2 ** 32) - 2 ** 31,
    name: d.text(40),
    tags: Array.from({ length: d.int(4) }, () => d.text(8)),
    attrs: new Map(Array.from({ length: d.int(4) }, () => [d.text(6), BigInt(d.int(1e9)) << 30n])),
    blob: d.bytes(d.int(20)),
  });
  switch (method) {
    case "echo":
      return { text: d.chance(0.1) ? "x".repeat(300 + d.int(2000)) : d.text(30) };
    case "sum":
      // Large values make the sum overflow int64 now and then: the reply must then be -2.
      return { values: Array.from({ length: d.int(6) }, () => BigInt(d.int(2 ** 31)) << 32n) };
    case "keep":
      return { thing: thing(), extra: new Map([[d.text(4), [thing()]]]) };
    case "later":
      return { ms: d.int(6) };
    default:
      return { code: d.pick([0, -9, -1, 7]) };
  }
}

/** A hostile value for a buffer: huge lengths, negative lengths, deep nesting, bad types. */
function hostile(d: Dice): Uint8Array {
  const w = new TarsWriter();
  const tag = d.pick([0, 1, 2, 14, 15, 200]);
  const big = d.pick([0x7fffffff, 0xffffffff, 0x10000000, -1, -0x80000000]);
  switch (d.int(9)) {
    case 0: // string4 announcing more bytes than exist
      w.writeHead(tag, 7);
      w.writeUint32Raw(big >>> 0);
      break;
    case 1: // list with a huge or negative size
      w.writeHead(tag, 9);
      w.writeInt(0, big | 0);
      break;
    case 2: // map with a huge or negative size
      w.writeHead(tag, 8);
      w.writeInt(0, big | 0);
      break;
    case 3: // simple list with a huge size
      w.writeHead(tag, 13);
      w.writeHead(0, 0);
      w.writeInt(0, big | 0);
      break;
    case 4: // structs nested far past any sane depth
      w.writeRaw(new Uint8Array(1000 + d.int(20000)).fill((tag % 15 << 4) | 10));
      break;
    case 5: // lists of lists, one element each
      for (let i = 0, n = 500 + d.int(5000); i < n; i++) {
        w.writeHead(i === 0 ? tag : 0, 9);
        w.writeInt(0, 1);
      }
      break;
    case 6: // maps of maps
      for (let i = 0, n = 500 + d.int(5000); i < n; i++) {
        w.writeHead(i === 0 ? tag : 0, 8);
        w.writeInt(0, 1);
        w.writeHead(0, 12);
        if (i % 2 === 1) w.writeHead(1, 12);
      }
      break;
    case 7: // unknown wire types and stray struct ends
      w.writeRaw(
        Uint8Array.from({ length: 1 + d.int(16) }, () => d.pick([0x0e, 0x0f, 0x0b, 0xfe])),
      );
      break;
    default: // a long run of zero heads
      w.writeRaw(new Uint8Array(d.int(5000)).fill((tag % 15 << 4) | 12));
  }
  return w.bytes().slice();
}

/** A request frame: clean, or with wrong names, versions or bodies. */
function requestFrame(d: Dice, requestId: number, clean: boolean): Frame {
  const func = clean
    ? d.pick(METHODS)
    : d.pick([...METHODS, "tars_ping", "nope", "toString", "__proto__", d.text(300)]);
  const method = Target.compiled.get(func);
  const version = clean ? TARS_VERSION : d.pick([TARS_VERSION, TARS_VERSION, TUP_VERSION, 2, 0]);
  const oneway = !clean && d.chance(0.15);
  let buffer: Uint8Array;
  let ret = 0;
  if (method && (clean || d.chance(0.5))) {
    const args = validArgs(d, func);
    ret = expectedRet(func, args);
    buffer = version === TUP_VERSION
      ? encode(map(string, bytes), encodeTupMap(method.args, args))
      : encodeFields(method.args, args as never);
  } else {
    buffer = d.chance(0.5) ? hostile(d) : d.bytes(d.int(64));
  }
  const maybeMap = () =>
    d.chance(0.2)
      ? undefined
      : new Map(Array.from({ length: d.int(3) }, () => [d.text(5), d.text(5)]));
  const frame = encodeRequestFrame({
    version,
    packetType: oneway ? PACKET_ONEWAY : PACKET_NORMAL,
    messageType: clean ? 0 : d.int(256),
    requestId,
    servantName: clean || d.chance(0.8) ? SERVANT : d.pick(["__proto__", d.text(20)]),
    funcName: func,
    buffer,
    timeout: d.int(10000),
    context: clean ? new Map() : maybeMap(),
    status: clean ? new Map() : maybeMap(),
  }).slice();
  return clean ? { bytes: frame, expect: { requestId, ret } } : { bytes: frame };
}

function setLength(frame: Uint8Array, n: number): void {
  new DataView(frame.buffer, frame.byteOffset).setUint32(0, n >>> 0);
}

/** A valid frame changed by one to three mutations. */
function mutate(d: Dice, frame: Uint8Array): Uint8Array {
  let f = frame.slice();
  for (let i = 0, n = 1 + d.int(3); i < n; i++) {
    switch (d.int(7)) {
      case 0: // bit flips
        for (let j = 0, flips = 1 + d.int(8); j < flips; j++) {
          const at = d.int(f.length);
          f[at] ^= 1 << d.int(8);
        }
        break;
      case 1: // truncate the body, length kept consistent
        if (f.length > 5) {
          f = f.slice(0, 5 + d.int(f.length - 5));
          setLength(f, f.length);
        }
        break;
      case 2: // truncate, length left announcing the full frame
        f = f.slice(0, d.int(f.length));
        break;
      case 3: // a wrong length prefix
        if (f.length >= 4) {
          setLength(
            f,
            d.pick([
              0,
              1,
              4,
              5,
              f.length - 1,
              f.length + 1,
              DEFAULT_MAX_FRAME,
              DEFAULT_MAX_FRAME + 1,
              0x7fffffff,
              0xffffffff,
              d.int(2 ** 32),
            ]),
          );
        }
        break;
      case 4: { // overwrite a run of bytes
        const at = d.int(f.length);
        f.set(d.bytes(Math.min(1 + d.int(8), f.length - at)), at);
        break;
      }
      case 5: { // splice a hostile value into the body, length kept consistent
        const at = Math.min(f.length, 4 + d.int(Math.max(1, f.length - 4)));
        const junk = hostile(d);
        const g = new Uint8Array(f.length + junk.length);
        g.set(f.subarray(0, at));
        g.set(junk, at);
        g.set(f.subarray(at), at + junk.length);
        f = g;
        if (f.length >= 4) setLength(f, f.length);
        break;
      }
      default: { // delete a range
        const at = d.int(f.length);
        f = Uint8Array.of(...f.subarray(0, at), ...f.subarray(at + 1 + d.int(16)));
      }
    }
  }
  return f;
}

/** The connections of a run, each a list of frames sent back to back, `malformed` bad ones. */
function generate(seed: number, malformed: number): Frame[][] {
  const d = new Dice(seed);
  const batches: Frame[][] = [];
  let made = 0;
  let requestId = 1;
  while (made < malformed) {
    // Half the connections carry one frame: a bad frame closes its connection, so frames
    // behind it in a batch never reach dispatch.
    const size = d.chance(0.5) ? 1 : 1 + d.int(10);
    const allClean = d.chance(0.1);
    const batch: Frame[] = [];
    for (let i = 0; i < size; i++) {
      const roll = d.int(10);
      if (allClean || roll < 2) batch.push(requestFrame(d, requestId++, true));
      else if (roll < 4) batch.push(requestFrame(d, requestId++, false));
      else if (roll < 5) {
        const body = d.bytes(d.int(200));
        batch.push({ bytes: d.chance(0.5) ? body : withLength(body) });
      } else if (roll < 6) batch.push({ bytes: withLength(hostile(d)) });
      else batch.push({ bytes: mutate(d, requestFrame(d, requestId++, d.chance(0.5)).bytes) });
    }
    batches.push(batch);
    made += batch.filter((f) => f.expect === undefined).length;
  }
  return batches;
}

function withLength(body: Uint8Array): Uint8Array {
  const f = new Uint8Array(body.length + 4);
  setLength(f, f.length);
  f.set(body, 4);
  return f;
}

/** What came back on one connection. */
interface Exchange {
  replies: Uint8Array[];
  timedOut: boolean;
}

/**
 * Sends a batch on a fresh connection in random-sized writes, waits for `awaitReplies` replies
 * (servers close on end of input, like TARS servers do, so calls still running would lose their
 * replies), half-closes, and reads until the server closes: all within `CONNECTION_BOUND_MS`.
 */
async function exchange(
  port: number,
  data: Uint8Array,
  cuts: number[],
  awaitReplies: number,
): Promise<Exchange> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const decoder = new FrameDecoder({ maxFrame: DEFAULT_MAX_FRAME });
  const replies: Uint8Array[] = [];
  const enough = Promise.withResolvers<void>();
  if (awaitReplies === 0) enough.resolve();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), CONNECTION_BOUND_MS);
  });
  const reading = (async () => {
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      for (const body of decoder.push(buf.subarray(0, n))) replies.push(body.slice());
      if (replies.length >= awaitReplies) enough.resolve();
    }
    enough.resolve();
    return "closed" as const;
  })();
  try {
    let from = 0;
    for (const cut of [...cuts, data.length]) {
      await conn.write(data.subarray(from, cut));
      from = cut;
    }
    await Promise.race([enough.promise, deadline]);
    await conn.closeWrite();
  } catch {
    // The server may close a connection before everything is written: that is its right.
  }
  const how = await Promise.race([reading, deadline]);
  clearTimeout(timer);
  conn.close();
  await reading;
  return { replies, timedOut: how === "timeout" };
}

/** Checks a reply frame body is a well-formed reply envelope; gives its request id and code. */
function parseReply(body: Uint8Array): { requestId: number; ret: number } {
  // Both envelopes start with iVersion at tag 1; TUP replies travel in the request layout.
  if (body[0] === 0x10 && body[1] === TUP_VERSION) {
    const r = decodeRequest(body);
    return { requestId: r.requestId, ret: Number(r.status?.get("STATUS_RESULT_CODE") ?? 0) };
  }
  const r = decodeResponse(body);
  return { requestId: r.requestId, ret: r.ret };
}

/** The server under test, with a servant whose methods answer, wait, overflow and throw. */
function startTarget(log: string[]) {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const server = new TarsServer({ log: (line) => log.push(line) });
  server.addServant(SERVANT, Target, {
    echo: ({ text }) => ({ ret: text }),
    sum: ({ values }) => ({ ret: values.reduce((a, b) => a + b, 0n), count: values.length }),
    keep: ({ thing }) => ({ ret: thing }),
    later: ({ ms }) =>
      new Promise((resolve) => {
        const t = setTimeout(() => {
          timers.delete(t);
          resolve({ ret: ms });
        }, Math.min(Math.max(ms, 0), 5));
        timers.add(t);
      }),
    boom: ({ code }) => {
      if (code === 0) throw new Error("boom");
      throw new TarsCallError(code, `boom ${code}`);
    },
  });
  const addr = server.listen("tcp -h 127.0.0.1 -p 0");
  return { server, port: addr.port, timers };
}

Deno.test("rpc fuzz: random and mutated frames neither crash nor hang the server", async () => {
  const unhandled: unknown[] = [];
  const onRejection = (e: PromiseRejectionEvent) => {
    e.preventDefault();
    unhandled.push(e.reason);
  };
  const onError = (e: ErrorEvent) => {
    e.preventDefault();
    unhandled.push(e.error);
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  globalThis.addEventListener("error", onError);
  const log: string[] = [];
  const target = startTarget(log);
  const client = new TarsClient({ log: () => {} });
  const started = performance.now();
  try {
    const batches = generate(SEED, MALFORMED);
    const cutDice = new Dice(SEED ^ 0x5eed);
    const plans = batches.map((batch) => {
      const data = new Uint8Array(batch.reduce((n, f) => n + f.bytes.length, 0));
      let off = 0;
      for (const f of batch) {
        data.set(f.bytes, off);
        off += f.bytes.length;
      }
      const cuts = Array.from({ length: cutDice.int(4) }, () => cutDice.int(data.length + 1))
        .sort((a, b) => a - b);
      return { batch, data, cuts };
    });
    let next = 0;
    let cleanAnswered = 0;
    let replies = 0;
    const codes = new Set<number>();
    const worker = async () => {
      while (next < plans.length) {
        const index = next++;
        const { batch, data, cuts } = plans[index];
        const clean = batch.every((f) => f.expect !== undefined);
        const got = await exchange(target.port, data, cuts, clean ? batch.length : 0);
        assert.ok(
          !got.timedOut,
          `connection ${index} was still open after ${CONNECTION_BOUND_MS} ms`,
        );
        const parsed = got.replies.map(parseReply);
        replies += parsed.length;
        for (const p of parsed) codes.add(p.ret);
        if (clean) {
          // Clean calls only: each answered once, exactly (async calls may overtake others).
          assert.deepEqual(
            parsed.toSorted((a, b) => a.requestId - b.requestId),
            batch.map((f) => f.expect),
            `connection ${index}: clean calls not answered exactly`,
          );
          cleanAnswered += batch.length;
        }
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));

    const frames = plans.reduce((n, p) => n + p.batch.length, 0);
    const malformed = plans.reduce(
      (n, p) => n + p.batch.filter((f) => f.expect === undefined).length,
      0,
    );
    assert.ok(malformed >= MALFORMED, `only ${malformed} malformed frames`);
    const took = performance.now() - started;
    assert.ok(took < RUN_BOUND_MS, `the run took ${Math.round(took)} ms`);
    assert.ok(cleanAnswered > 100, `only ${cleanAnswered} clean calls were checked`);
    // The frames reach every answer the server has, not only the framing checks.
    for (const code of [0, -1, -2, -3, -4, -9, -99]) {
      assert.ok(codes.has(code), `no reply carried code ${code}`);
    }
    assert.ok(log.some((l) => /Closing the connection/.test(l)), "no bad frame closed anything");
    assert.ok(log.length <= LOG_BOUND, `${log.length} log lines:\n${log.slice(0, 50).join("\n")}`);

    const proxy = client.proxy(Target, `${SERVANT}@tcp -h 127.0.0.1 -p ${target.port}`);
    assert.deepEqual(await proxy.echo({ text: "still alive" }), { ret: "still alive" });
    assert.deepEqual(await proxy.sum({ values: [1n, 2n] }), { ret: 3n, count: 2 });
    for (let i = 0; i < 100 && target.server.connections > 1; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(target.server.connections, 1, "fuzz connections were left open");
    assert.deepEqual(unhandled, [], "unhandled rejections or errors");
    console.log(
      `fuzz seed ${SEED}: ${frames} frames (${malformed} malformed) over ${plans.length} ` +
        `connections, ${replies} replies, ${log.length} log lines, ` +
        `${cleanAnswered} clean calls checked, codes ${
          [...codes].sort((a, b) => a - b).join(" ")
        }, ` +
        `${Math.round(performance.now() - started)} ms`,
    );
  } catch (error) {
    throw new Error(`rpc fuzz failed with FUZZ_SEED=${SEED}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    await client.close();
    await target.server.stop({ timeout: 2000 });
    for (const t of target.timers) clearTimeout(t);
    globalThis.removeEventListener("unhandledrejection", onRejection);
    globalThis.removeEventListener("error", onError);
  }
});
