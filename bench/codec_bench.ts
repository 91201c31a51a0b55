/**
 * Encode and decode throughput of our codec against the official `@tars/stream`, on the same
 * struct values, in the same process.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import TarsStream from "@tars/stream";
import { decodeFields, encodeFields } from "../protocol/codec/mod.ts";
import { bool, double, int32, list, map, opt, req, string, struct } from "../protocol/codec/mod.ts";
import { median, opsPerSecond } from "./measure.ts";

type OutputStream = InstanceType<typeof TarsStream.TarsOutputStream>;
type InputStream = InstanceType<typeof TarsStream.TarsInputStream>;

/** One codec operation measured on both implementations. */
export interface CodecRow {
  readonly name: string;
  /** Operations per second with our codec. */
  readonly ours: number;
  /** Operations per second with `@tars/stream`. */
  readonly theirs: number;
}

const Item = struct("Bench.Item", {
  id: req(0, int32),
  name: opt(1, string),
  score: opt(2, double),
});

const Record = struct("Bench.Record", {
  id: req(0, int32),
  name: req(1, string),
  active: opt(2, bool),
  score: opt(3, double),
  tags: opt(4, list(string)),
  attrs: opt(5, map(string, string)),
  items: opt(6, list(Item)),
});

const itemValue = { id: 70000, name: "item name", score: 0.25 };
const recordValue = {
  id: 123456,
  name: "a record of moderate size",
  active: true,
  score: 98.5,
  tags: ["alpha", "beta", "gamma", "delta"],
  attrs: new Map([["region", "eu-west"], ["tier", "gold"], ["owner", "bench"]]),
  items: Array.from({ length: 8 }, (_, i) => ({ id: i * 1000, name: `item ${i}`, score: i / 3 })),
};

// The same structs as tars2node would generate them for @tars/stream.
class StreamItem {
  static _classname = "Bench.Item";
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
  _writeTo(os: OutputStream): void {
    os.writeInt32(0, this.id);
    os.writeString(1, this.name);
    os.writeDouble(2, this.score);
  }
}

class StreamRecord {
  static _classname = "Bench.Record";
  id = 0;
  name = "";
  active = false;
  score = 0;
  tags = new TarsStream.List(TarsStream.String);
  attrs = new TarsStream.Map(TarsStream.String, TarsStream.String);
  items = new TarsStream.List(StreamItem);

  static _readFrom(is: InputStream): StreamRecord {
    const tmp = new StreamRecord();
    tmp.id = is.readInt32(0, true);
    tmp.name = is.readString(1, true);
    tmp.active = is.readBoolean(2, false, false);
    tmp.score = is.readDouble(3, false, 0);
    tmp.tags = is.readList(4, false, TarsStream.List(TarsStream.String));
    tmp.attrs = is.readMap(5, false, TarsStream.Map(TarsStream.String, TarsStream.String));
    tmp.items = is.readList(6, false, TarsStream.List(StreamItem));
    return tmp;
  }
  _writeTo(os: OutputStream): void {
    os.writeInt32(0, this.id);
    os.writeString(1, this.name);
    os.writeBoolean(2, this.active);
    os.writeDouble(3, this.score);
    os.writeList(4, this.tags);
    os.writeMap(5, this.attrs);
    os.writeList(6, this.items);
  }
}

function streamItem(value: typeof itemValue): StreamItem {
  return Object.assign(new StreamItem(), value);
}

function streamRecord(value: typeof recordValue): StreamRecord {
  const out = new StreamRecord();
  out.id = value.id;
  out.name = value.name;
  out.active = value.active;
  out.score = value.score;
  for (const t of value.tags) out.tags.push(t);
  for (const [k, v] of value.attrs) out.attrs.insert(k, v);
  for (const item of value.items) out.items.push(streamItem(item));
  return out;
}

function theirEncode(value: { _writeTo(os: OutputStream): void }): Buffer {
  const os = new TarsStream.TarsOutputStream();
  value._writeTo(os);
  return os.getBinBuffer().toNodeBuffer();
}

function theirInput(data: Uint8Array): InputStream {
  return new TarsStream.TarsInputStream(new TarsStream.BinBuffer(Buffer.from(data)));
}

/**
 * Measures encode and decode of a small and a larger struct: `rounds` rounds, each timing every
 * case for `ms` milliseconds with both codecs in turn (after one warm-up round); medians.
 */
export function runCodecBench(ms: number, rounds: number): CodecRow[] {
  const ourItem = encodeFields(Item, itemValue).slice();
  const ourRecord = encodeFields(Record, recordValue).slice();
  const theirItem = theirEncode(streamItem(itemValue));
  const theirRecord = theirEncode(streamRecord(recordValue));
  if (Buffer.compare(Buffer.from(ourRecord), theirRecord) !== 0) {
    throw new Error("Our codec and @tars/stream encode the benchmark record differently");
  }
  const si = streamItem(itemValue);
  const sr = streamRecord(recordValue);
  let sink = 0;
  const cases = [
    {
      name: `encode Item (${ourItem.length} B)`,
      ours: () => (sink += encodeFields(Item, itemValue).length),
      theirs: () => (sink += theirEncode(si).length),
    },
    {
      name: `decode Item (${ourItem.length} B)`,
      ours: () => (sink += decodeFields(Item, ourItem).id),
      theirs: () => (sink += StreamItem._readFrom(theirInput(theirItem)).id),
    },
    {
      name: `encode Record (${ourRecord.length} B)`,
      ours: () => (sink += encodeFields(Record, recordValue).length),
      theirs: () => (sink += theirEncode(sr).length),
    },
    {
      name: `decode Record (${ourRecord.length} B)`,
      ours: () => (sink += decodeFields(Record, ourRecord).id),
      theirs: () => (sink += StreamRecord._readFrom(theirInput(theirRecord)).id),
    },
  ];
  const ours: number[][] = cases.map(() => []);
  const theirs: number[][] = cases.map(() => []);
  for (let round = 0; round <= rounds; round++) {
    cases.forEach((c, i) => {
      const a = opsPerSecond(ms, c.ours);
      const b = opsPerSecond(ms, c.theirs);
      if (round === 0) return;
      ours[i].push(a);
      theirs[i].push(b);
    });
  }
  if (sink === 0.5) console.log(sink); // Keeps the results observable to the optimiser.
  return cases.map((c, i) => ({ name: c.name, ours: median(ours[i]), theirs: median(theirs[i]) }));
}
