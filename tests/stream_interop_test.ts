/**
 * Byte-for-byte agreement between our codec and the official Node implementation
 * (`@tars/stream`), in both directions, for values of every type.
 */
import assert from "node:assert";
import { Buffer } from "node:buffer";
import TarsStream from "@tars/stream";
import {
  bool,
  bytes,
  decode,
  decodeFields,
  double,
  encode,
  encodeFields,
  float,
  int16,
  int32,
  int64,
  int8,
  list,
  map,
  opt,
  req,
  string,
  struct,
  type TarsType,
} from "../protocol/codec/mod.ts";

type OutputStream = InstanceType<typeof TarsStream.TarsOutputStream>;
type InputStream = InstanceType<typeof TarsStream.TarsInputStream>;

/** Lowercase hex of bytes. */
function hex(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("hex");
}

/** The bytes `@tars/stream` writes. */
function theirBytes(write: (os: OutputStream) => void): Buffer {
  const os = new TarsStream.TarsOutputStream();
  write(os);
  return os.getBinBuffer().toNodeBuffer();
}

/** An `@tars/stream` input stream over a copy of our bytes. */
function theirInput(data: Uint8Array): InputStream {
  return new TarsStream.TarsInputStream(new TarsStream.BinBuffer(Buffer.from(data)));
}

/** A `vector<byte>` value for `@tars/stream`. */
function binBuffer(data: Uint8Array): InstanceType<typeof TarsStream.BinBuffer> {
  return new TarsStream.BinBuffer(Buffer.from(data));
}

// The same structs declared on both sides: ours as data, theirs as tars2node would generate.
const Item = struct("Test.Item", {
  id: req(0, int32),
  name: opt(1, string),
  score: opt(2, double),
});

const Outer = struct("Test.Outer", {
  title: req(0, string),
  big: opt(1, int64),
  items: opt(2, list(Item)),
  byName: opt(3, map(string, Item)),
  blob: opt(4, bytes),
  flag: opt(5, bool),
  ratio: opt(6, float),
  far: opt(20, int16),
  child: opt(21, Item),
  tags: opt(22, list(string)),
});

class StreamItem {
  static _classname = "Test.Item";
  id = 0;
  name = "";
  score = 0;

  static _write(os: OutputStream, tag: number, value: StreamItem): void {
    os.writeStruct(tag, value);
  }
  static _read(is: InputStream, tag: number, def: typeof StreamItem): StreamItem {
    return is.readStruct(tag, true, def);
  }
  static _readFrom(is: InputStream): StreamItem {
    const tmp = new StreamItem();
    tmp.id = is.readInt32(0, true);
    tmp.name = is.readString(1, false, "");
    tmp.score = is.readDouble(2, false, 0);
    return tmp;
  }
  static from(value: { id: number; name: string; score: number }): StreamItem {
    return Object.assign(new StreamItem(), value);
  }
  _writeTo(os: OutputStream): void {
    os.writeInt32(0, this.id);
    os.writeString(1, this.name);
    os.writeDouble(2, this.score);
  }
  toValue(): { id: number; name: string; score: number } {
    return { id: this.id, name: this.name, score: this.score };
  }
}

class StreamOuter {
  static _classname = "Test.Outer";
  title = "";
  big = "0";
  items = new TarsStream.List(StreamItem);
  byName = new TarsStream.Map(TarsStream.String, StreamItem);
  blob = new TarsStream.BinBuffer();
  flag = false;
  ratio = 0;
  far = 0;
  child = new StreamItem();
  tags = new TarsStream.List(TarsStream.String);

  static _write(os: OutputStream, tag: number, value: StreamOuter): void {
    os.writeStruct(tag, value);
  }
  static _read(is: InputStream, tag: number, def: typeof StreamOuter): StreamOuter {
    return is.readStruct(tag, true, def);
  }
  static _readFrom(is: InputStream): StreamOuter {
    const tmp = new StreamOuter();
    tmp.title = is.readString(0, true);
    tmp.big = is.readInt64(1, false, "0", true);
    tmp.items = is.readList(2, false, TarsStream.List(StreamItem));
    tmp.byName = is.readMap(3, false, TarsStream.Map(TarsStream.String, StreamItem));
    tmp.blob = is.readBytes(4, false, TarsStream.BinBuffer);
    tmp.flag = is.readBoolean(5, false, false);
    tmp.ratio = is.readFloat(6, false, 0);
    tmp.far = is.readInt16(20, false, 0);
    tmp.child = is.readStruct(21, false, StreamItem);
    tmp.tags = is.readList(22, false, TarsStream.List(TarsStream.String));
    return tmp;
  }
  _writeTo(os: OutputStream): void {
    os.writeString(0, this.title);
    os.writeInt64(1, this.big, true);
    os.writeList(2, this.items);
    os.writeMap(3, this.byName);
    os.writeBytes(4, this.blob);
    os.writeBoolean(5, this.flag);
    os.writeFloat(6, this.ratio);
    os.writeInt16(20, this.far);
    os.writeStruct(21, this.child);
    os.writeList(22, this.tags);
  }
  /** This struct in our codec's representation. */
  toValue(): unknown {
    const byName = new Map<string, unknown>();
    this.byName.forEach((k, v) => void byName.set(k, v.toValue()));
    return {
      title: this.title,
      big: BigInt(this.big),
      items: this.items.value.map((x) => x.toValue()),
      byName,
      blob: new Uint8Array(this.blob.toNodeBuffer()),
      flag: this.flag,
      ratio: this.ratio,
      far: this.far,
      child: this.child.toValue(),
      tags: [...this.tags.value],
    };
  }
}

const outerValue = {
  title: "outer €",
  big: 2n ** 62n + 3n,
  items: [{ id: 1, name: "one", score: 0.5 }, { id: -70000, name: "", score: 0 }],
  byName: new Map([["a", { id: 2, name: "a", score: -1e100 }], ["b", {
    id: 0,
    name: "b".repeat(300),
    score: 1,
  }]]),
  blob: Uint8Array.of(0, 127, 128, 255),
  flag: true,
  ratio: 0.75,
  far: -300,
  child: { id: 9, name: "child", score: 2.5 },
  tags: ["x", "", "日本"],
};

function streamOuter(value: typeof outerValue): StreamOuter {
  const out = new StreamOuter();
  out.title = value.title;
  out.big = value.big.toString();
  for (const item of value.items) out.items.push(StreamItem.from(item));
  for (const [k, v] of value.byName) out.byName.insert(k, StreamItem.from(v));
  out.blob = binBuffer(value.blob);
  out.flag = value.flag;
  out.ratio = value.ratio;
  out.far = value.far;
  out.child = StreamItem.from(value.child);
  for (const tag of value.tags) out.tags.push(tag);
  return out;
}

/** One value, how `@tars/stream` writes it at a tag, and how it reads it back (as our value). */
interface Case {
  name: string;
  type: TarsType;
  value: unknown;
  write(os: OutputStream, tag: number): void;
  read(is: InputStream, tag: number): unknown;
}

function intCases(type: TarsType, values: number[]): Case[] {
  return values.map((value) => ({
    name: `${type.kind} ${value}`,
    type,
    value,
    write: (os, tag) =>
      type === int8
        ? os.writeInt8(tag, value)
        : type === int16
        ? os.writeInt16(tag, value)
        : os.writeInt32(tag, value),
    read: (is, tag) =>
      type === int8
        ? is.readInt8(tag, true)
        : type === int16
        ? is.readInt16(tag, true)
        : is.readInt32(tag, true),
  }));
}

function listCase<T>(name: string, type: TarsType, value: T[], proto: unknown): Case {
  const listType = () => TarsStream.List(proto as typeof TarsStream.String);
  return {
    name,
    type,
    value,
    write: (os, tag) => {
      const l = new TarsStream.List(proto as typeof TarsStream.String);
      for (const x of value) l.push(x as string);
      os.writeList(tag, l);
    },
    read: (is, tag) => [...is.readList(tag, true, listType()).value],
  };
}

function mapCase<K, V>(name: string, type: TarsType, value: Map<K, V>, protos: unknown[]): Case {
  const [kp, vp] = protos as [typeof TarsStream.String, typeof TarsStream.String];
  return {
    name,
    type,
    value,
    write: (os, tag) => {
      const m = new TarsStream.Map(kp, vp);
      for (const [k, v] of value) m.insert(k as string, v as string);
      os.writeMap(tag, m);
    },
    read: (is, tag) => {
      const out = new Map();
      is.readMap(tag, true, TarsStream.Map(kp, vp)).forEach((k, v) => void out.set(k, v));
      return out;
    },
  };
}

const cases: Case[] = [
  ...[true, false].map((value): Case => ({
    name: `bool ${value}`,
    type: bool,
    value,
    write: (os, tag) => os.writeBoolean(tag, value),
    read: (is, tag) => is.readBoolean(tag, true),
  })),
  ...intCases(int8, [-128, -1, 0, 1, 127]),
  ...intCases(int16, [-32768, -129, -128, 127, 128, 32767]),
  ...intCases(int32, [-2147483648, -32769, -32768, 0, 32767, 32768, 65535, 2147483647]),
  ...[
    0n,
    -1n,
    2147483647n,
    2n ** 31n,
    -(2n ** 31n) - 1n,
    2n ** 53n + 1n,
    -(2n ** 53n) - 1n,
    2n ** 63n - 1n,
    -(2n ** 63n),
  ].map((value): Case => ({
    name: `int64 ${value}`,
    type: int64,
    value,
    write: (os, tag) => os.writeInt64(tag, value.toString(), true),
    read: (is, tag) => BigInt(is.readInt64(tag, true, undefined, true)),
  })),
  ...[0, 1.5, -2.25, Math.fround(0.1), 3.4028234663852886e38, Infinity].map((value): Case => ({
    name: `float ${value}`,
    type: float,
    value,
    write: (os, tag) => os.writeFloat(tag, value),
    read: (is, tag) => is.readFloat(tag, true),
  })),
  ...[0, 0.1, -1e300, Number.MAX_SAFE_INTEGER, 5e-324].map((value): Case => ({
    name: `double ${value}`,
    type: double,
    value,
    write: (os, tag) => os.writeDouble(tag, value),
    read: (is, tag) => is.readDouble(tag, true),
  })),
  ...[
    "",
    "hello",
    "a".repeat(255),
    "a".repeat(256),
    "€".repeat(85),
    "€".repeat(86),
    "日本語 ✓ 🎉",
    "x".repeat(70000),
  ].map((value): Case => ({
    name: `string of ${Buffer.byteLength(value)} bytes`,
    type: string,
    value,
    write: (os, tag) => os.writeString(tag, value),
    read: (is, tag) => is.readString(tag, true),
  })),
  ...[new Uint8Array(0), Uint8Array.of(0, 1, 127, 128, 255), new Uint8Array(300).fill(7)].map(
    (value): Case => ({
      name: `bytes of ${value.length}`,
      type: bytes,
      value,
      write: (os, tag) => os.writeBytes(tag, binBuffer(value)),
      read: (is, tag) =>
        new Uint8Array(is.readBytes(tag, true, TarsStream.BinBuffer).toNodeBuffer()),
    }),
  ),
  listCase("list<int32>", list(int32), [0, 1, -1, 128, 70000, -2147483648], TarsStream.Int32),
  listCase("list<int32> empty", list(int32), [], TarsStream.Int32),
  listCase("list<string>", list(string), ["", "a", "€".repeat(100)], TarsStream.String),
  mapCase("map<string,string>", map(string, string), new Map([["a", "1"], ["bb", ""]]), [
    TarsStream.String,
    TarsStream.String,
  ]),
  mapCase("map<string,int32>", map(string, int32), new Map([["x", 0], ["y", -5], ["z", 1e6]]), [
    TarsStream.String,
    TarsStream.Int32,
  ]),
  mapCase("map<int32,string>", map(int32, string), new Map([[1, "one"], [300, "three hundred"]]), [
    TarsStream.Int32,
    TarsStream.String,
  ]),
  {
    name: "struct with optional fields, a list and a map of structs",
    type: Outer,
    value: outerValue,
    write: (os, tag) => os.writeStruct(tag, streamOuter(outerValue)),
    read: (is, tag) => is.readStruct(tag, true, StreamOuter).toValue(),
  },
];

Deno.test("values of every type agree with @tars/stream", async (t) => {
  for (const [i, c] of cases.entries()) {
    const tag = [0, 7, 20][i % 3];
    await t.step(`${c.name} (tag ${tag})`, () => {
      const ours = encode(c.type, c.value as never, { tag });
      const theirs = theirBytes((os) => c.write(os, tag));
      assert.strictEqual(hex(ours), hex(theirs), "our bytes equal theirs");
      assert.deepStrictEqual(decode(c.type, theirs, { tag }), c.value, "we read their bytes");
      assert.deepStrictEqual(c.read(theirInput(ours), tag), c.value, "they read our bytes");
    });
  }
});

Deno.test("optional fields we leave out are read by @tars/stream as the same defaults", () => {
  const ours = encode(Outer, { title: "only" });
  const theirs = theirInput(ours).readStruct(0, true, StreamOuter).toValue();
  assert.deepStrictEqual(theirs, decode(Outer, ours));
  assert.deepStrictEqual((theirs as { title: string }).title, "only");
});

Deno.test("fields newer @tars/stream structs add are skipped by us, and the reverse", () => {
  const Older = struct("Test.Outer", { title: req(0, string), tags: opt(22, list(string)) });
  const theirs = theirBytes((os) => os.writeStruct(3, streamOuter(outerValue)));
  assert.deepStrictEqual(decode(Older, theirs, { tag: 3 }), {
    title: outerValue.title,
    tags: outerValue.tags,
  });
  // Their older Item reads our Outer's child although we send fields it does not know.
  const ours = encode(Outer, outerValue, { tag: 3 });
  const child = theirInput(ours).readStruct(3, true, StreamOuter).child;
  assert.deepStrictEqual(child.toValue(), outerValue.child);
});

// RequestPacket as the spec declares it (tags 1..10).
const RequestPacket = struct("RequestPacket", {
  iVersion: req(1, int16),
  cPacketType: req(2, int8),
  iMessageType: req(3, int32),
  iRequestId: req(4, int32),
  sServantName: req(5, string),
  sFuncName: req(6, string),
  sBuffer: req(7, bytes),
  iTimeout: req(8, int32),
  context: req(9, map(string, string)),
  status: req(10, map(string, string)),
});
const TupBody = map(string, bytes);

Deno.test("a version 3 (TUP) request from @tars/stream", async (t) => {
  const tup = new TarsStream.Tup();
  tup.servantName = "Test.Server.Obj";
  tup.funcName = "echo";
  tup.requestId = 42;
  tup.writeString("s", "hello");
  tup.writeInt32("n", 70000);
  tup.writeInt64("big", (2n ** 60n).toString(), true);
  tup.writeStruct("item", StreamItem.from(outerValue.child));
  const theirPacket = tup.encode().toNodeBuffer();

  const body = new Map([
    ["s", encode(string, "hello")],
    ["n", encode(int32, 70000)],
    ["big", encode(int64, 2n ** 60n)],
    ["item", encode(Item, outerValue.child)],
  ]);
  const packet = {
    iVersion: 3,
    cPacketType: 0,
    iMessageType: 0,
    iRequestId: 42,
    sServantName: "Test.Server.Obj",
    sFuncName: "echo",
    sBuffer: encode(TupBody, body),
    iTimeout: 0,
    context: new Map<string, string>(),
    status: new Map<string, string>(),
  };

  await t.step("we read it as the spec's RequestPacket with a map<string, bytes> body", () => {
    assert.strictEqual(theirPacket.readUInt32BE(0), theirPacket.length);
    const decoded = decodeFields(RequestPacket, theirPacket.subarray(4));
    assert.deepStrictEqual(decoded, packet);
    const got = decode(TupBody, decoded.sBuffer);
    assert.deepStrictEqual([...got.keys()], ["s", "n", "big", "item"]);
    assert.strictEqual(decode(string, got.get("s")!), "hello");
    assert.strictEqual(decode(int32, got.get("n")!), 70000);
    assert.strictEqual(decode(int64, got.get("big")!), 2n ** 60n);
    assert.deepStrictEqual(decode(Item, got.get("item")!), outerValue.child);
  });

  await t.step(
    "our encoding of the same packet is byte-identical and @tars/stream reads it",
    () => {
      const fields = encodeFields(RequestPacket, packet);
      const ours = new Uint8Array(4 + fields.length);
      new DataView(ours.buffer).setUint32(0, ours.length);
      ours.set(fields, 4);
      assert.strictEqual(hex(ours), hex(theirPacket));
      const back = new TarsStream.Tup();
      back.decode(new TarsStream.BinBuffer(Buffer.from(ours)));
      assert.strictEqual(back.servantName, "Test.Server.Obj");
      assert.strictEqual(back.funcName, "echo");
      assert.strictEqual(back.requestId, 42);
      assert.strictEqual(back.readString("s"), "hello");
      assert.strictEqual(back.readInt32("n"), 70000);
      assert.strictEqual(back.readInt64("big", undefined, true), (2n ** 60n).toString());
      assert.deepStrictEqual(back.readStruct("item", StreamItem).toValue(), outerValue.child);
    },
  );
});
