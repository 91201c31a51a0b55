import assert from "node:assert";
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
  MAX_DEPTH,
  opt,
  req,
  string,
  struct,
  TarsDecodeError,
  TarsReader,
  type TarsType,
  TarsWriter,
} from "./mod.ts";
import { Buffer } from "node:buffer";

/** Lowercase hex of bytes, for byte-exact assertions that read well when they fail. */
function hex(data: Uint8Array): string {
  return Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Bytes from a hex string (spaces allowed). */
function unhex(s: string): Uint8Array {
  const clean = s.replaceAll(" ", "");
  return Uint8Array.from(clean.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/** Runs `fn`, asserts it throws a TarsDecodeError, and returns that error. */
function decodeError(fn: () => unknown): TarsDecodeError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TarsDecodeError, `expected TarsDecodeError, got ${error}`);
    return error;
  }
  assert.fail("expected a TarsDecodeError, nothing was thrown");
}

const Inner = struct("Inner", {
  id: req(0, int32),
  name: opt(1, string),
  score: opt(2, double),
});

const Rich = struct("Rich", {
  flag: req(0, bool),
  small: req(1, int8),
  medium: req(2, int16),
  big: req(3, int64),
  ratio: req(4, float),
  label: req(5, string),
  inner: req(6, Inner),
  items: opt(7, list(Inner)),
  byName: opt(8, map(string, Inner)),
  blob: opt(9, bytes),
  far: opt(15, int32),
  farthest: opt(255, string),
});

const richValue = {
  flag: true,
  small: -5,
  medium: 300,
  big: 2n ** 40n,
  ratio: 1.5,
  label: "rich €",
  inner: { id: 1, name: "one", score: 0.25 },
  items: [{ id: 2, name: "two", score: 0 }, { id: 3, name: "", score: -1.5 }],
  byName: new Map([["x", { id: 4, name: "x", score: 2 }]]),
  blob: Uint8Array.of(0, 1, 0xfe, 0xff),
  far: 70000,
  farthest: "s".repeat(300),
};

Deno.test("integers", async (t) => {
  await t.step("smallest width, byte-exact", () => {
    const cases: [TarsType, number | bigint, string][] = [
      [int32, 0, "0c"],
      [int32, 1, "0001"],
      [int32, -1, "00ff"],
      [int32, 127, "007f"],
      [int32, -128, "0080"],
      [int32, 128, "010080"],
      [int32, -129, "01ff7f"],
      [int32, 32767, "017fff"],
      [int32, -32768, "018000"],
      [int32, 32768, "0200008000"],
      [int32, -32769, "02ffff7fff"],
      [int32, 2147483647, "027fffffff"],
      [int32, -2147483648, "0280000000"],
      [int8, 127, "007f"],
      [int8, -128, "0080"],
      [int16, 32767, "017fff"],
      [int16, -32768, "018000"],
      [int64, 0n, "0c"],
      [int64, 127n, "007f"],
      [int64, 2147483647n, "027fffffff"],
      [int64, 2n ** 31n, "030000000080000000"],
      [int64, -(2n ** 31n) - 1n, "03ffffffff7fffffff"],
      [int64, 2n ** 63n - 1n, "037fffffffffffffff"],
      [int64, -(2n ** 63n), "038000000000000000"],
      [int64, -1n, "00ff"],
    ];
    for (const [type, value, expected] of cases) {
      const data = encode(type, value as never);
      assert.strictEqual(hex(data), expected, `${type.kind} ${value}`);
      assert.strictEqual(decode(type, data), value, `${type.kind} ${value} back`);
    }
  });

  await t.step("int64 accepts safe integers as numbers and decodes them as bigint", () => {
    const data = encode(int64, 2 ** 53 as never);
    assert.strictEqual(hex(data), "030020000000000000");
    assert.strictEqual(decode(int64, data), 2n ** 53n);
  });

  await t.step("values one past each bound are refused with RangeError", () => {
    const cases: [TarsType, number | bigint][] = [
      [int8, 128],
      [int8, -129],
      [int16, 32768],
      [int16, -32769],
      [int32, 2 ** 31],
      [int32, -(2 ** 31) - 1],
      [int64, 2n ** 63n],
      [int64, -(2n ** 63n) - 1n],
    ];
    for (const [type, value] of cases) {
      assert.throws(() => encode(type, value as never), RangeError, `${type.kind} ${value}`);
    }
  });

  await t.step("widening reads: narrower wire widths and the zero head are accepted", () => {
    assert.strictEqual(decode(int16, unhex("0005")), 5);
    assert.strictEqual(decode(int16, unhex("0c")), 0);
    assert.strictEqual(decode(int32, unhex("01ff7f")), -129);
    assert.strictEqual(decode(int64, unhex("0280000000")), -(2n ** 31n));
    assert.strictEqual(decode(int64, unhex("0c")), 0n);
  });

  await t.step("wider wire widths than declared are a TarsDecodeError", () => {
    const e = decodeError(() => decode(int32, unhex("03 0000000100000000")));
    assert.strictEqual(e.tag, 0);
    assert.strictEqual(e.offset, 0);
    assert.match(e.message, /wire type 3 cannot be read as int32/);
    const e8 = decodeError(() => decode(int8, unhex("21 0100"), { tag: 2 }));
    assert.strictEqual(e8.tag, 2);
    decodeError(() => decode(int16, unhex("0200010000")));
    decodeError(() => decode(int32, unhex("0600")));
  });
});

Deno.test("floats, doubles and bools", async (t) => {
  await t.step("byte-exact encodings", () => {
    assert.strictEqual(hex(encode(float, 1.5)), "043fc00000");
    assert.strictEqual(hex(encode(double, 1.5)), "053ff8000000000000");
    assert.strictEqual(hex(encode(float, 0)), "0c");
    assert.strictEqual(hex(encode(double, 0)), "0c");
    assert.strictEqual(hex(encode(bool, true)), "0001");
    assert.strictEqual(hex(encode(bool, false)), "0c");
  });

  await t.step("round trips, including NaN and infinities", () => {
    for (
      const n of [1.5, -2.25, Infinity, -Infinity, 3.4028234663852886e38, 1.401298464324817e-45]
    ) {
      assert.strictEqual(decode(float, encode(float, n)), n);
    }
    for (const n of [0.1, -1e300, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity]) {
      assert.strictEqual(decode(double, encode(double, n)), n);
    }
    assert.ok(Number.isNaN(decode(float, encode(float, NaN))));
    assert.ok(Number.isNaN(decode(double, encode(double, NaN))));
    assert.strictEqual(decode(bool, encode(bool, true)), true);
    assert.strictEqual(decode(bool, encode(bool, false)), false);
  });

  await t.step(
    "float keeps float precision; -0 is written as the zero head like the official peers",
    () => {
      assert.strictEqual(decode(float, encode(float, 0.1)), Math.fround(0.1));
      assert.notStrictEqual(decode(float, encode(float, 0.1)), 0.1);
      assert.ok(Object.is(decode(double, encode(double, -0)), 0));
    },
  );

  await t.step("float fields accept the zero head and doubles; doubles accept floats", () => {
    assert.strictEqual(decode(float, unhex("0c")), 0);
    assert.strictEqual(decode(float, unhex("053ff8000000000000")), 1.5);
    assert.strictEqual(decode(double, unhex("043fc00000")), 1.5);
    const e = decodeError(() => decode(float, unhex("0001")));
    assert.strictEqual(e.tag, 0);
  });
});

Deno.test("strings", async (t) => {
  await t.step("empty, 255 bytes (string1), 256 bytes (string4)", () => {
    assert.strictEqual(hex(encode(string, "")), "0600");
    const s255 = "a".repeat(255);
    const e255 = encode(string, s255);
    assert.strictEqual(hex(e255.subarray(0, 2)), "06ff");
    assert.strictEqual(e255.length, 2 + 255);
    assert.strictEqual(decode(string, e255), s255);
    const s256 = "b".repeat(256);
    const e256 = encode(string, s256);
    assert.strictEqual(hex(e256.subarray(0, 5)), "0700000100");
    assert.strictEqual(e256.length, 5 + 256);
    assert.strictEqual(decode(string, e256), s256);
  });

  await t.step("multibyte UTF-8 around the 255-byte boundary", () => {
    const s85 = "€".repeat(85); // 255 bytes
    const e85 = encode(string, s85);
    assert.strictEqual(hex(e85.subarray(0, 5)), "06ffe282ac");
    assert.strictEqual(e85.length, 2 + 255);
    assert.strictEqual(decode(string, e85), s85);
    const s86 = "€".repeat(86); // 258 bytes
    const e86 = encode(string, s86);
    assert.strictEqual(hex(e86.subarray(0, 8)), "0700000102e282ac");
    assert.strictEqual(e86.length, 5 + 258);
    assert.strictEqual(decode(string, e86), s86);
    for (const s of ["é", "日本語", "🎉 party", "a€".repeat(100), "x".repeat(40) + "ü"]) {
      assert.strictEqual(decode(string, encode(string, s)), s);
    }
  });

  await t.step("string4 behind a two-byte head (tag 15)", () => {
    const s = "c".repeat(300);
    const data = encode(string, s, { tag: 15 });
    assert.strictEqual(hex(data.subarray(0, 6)), "f70f0000012c");
    assert.strictEqual(decode(string, data, { tag: 15 }), s);
  });
});

Deno.test("tags", async (t) => {
  await t.step("one-byte heads up to 14, two-byte heads from 15", () => {
    assert.strictEqual(hex(encode(int32, 1, { tag: 0 })), "0001");
    assert.strictEqual(hex(encode(int32, 1, { tag: 14 })), "e001");
    assert.strictEqual(hex(encode(int32, 1, { tag: 15 })), "f00f01");
    assert.strictEqual(hex(encode(int32, 1, { tag: 255 })), "f0ff01");
    assert.strictEqual(hex(encode(int32, 0, { tag: 255 })), "fcff");
  });

  await t.step("struct fields at tags 0, 14, 15 and 255", () => {
    const Tags = struct("Tags", {
      a: req(0, int32),
      b: req(14, string),
      c: req(15, int32),
      d: req(255, bool),
    });
    const value = { a: 7, b: "x", c: 300, d: true };
    const data = encode(Tags, value);
    assert.strictEqual(hex(data), "0a 0007 e60178 f10f012c f0ff01 0b".replaceAll(" ", ""));
    assert.deepStrictEqual(decode(Tags, data), value);
  });

  await t.step("struct() refuses duplicate tags and tags outside 0..255", () => {
    assert.throws(
      () => struct("Dup", { a: req(3, int32), b: opt(3, string) }),
      (e: Error) => e instanceof RangeError && /Dup/.test(e.message) && /tag 3/.test(e.message),
    );
    assert.throws(() => req(256, int32), RangeError);
    assert.throws(() => opt(-1, int32), RangeError);
    assert.throws(() => req(1.5, int32), RangeError);
  });
});

Deno.test("containers", async (t) => {
  await t.step("nested structs, lists and maps of structs round trip", () => {
    const Outer = struct("Outer", {
      inner: req(0, Inner),
      list: req(1, list(Inner)),
      byKey: req(2, map(string, Inner)),
      byId: req(3, map(int32, list(string))),
      tags: req(4, map(string, string)),
      nested: req(5, list(list(int64))),
    });
    const value = {
      inner: { id: 1, name: "a", score: 0.5 },
      list: [{ id: 2, name: "", score: 0 }, { id: -3, name: "c", score: 1e10 }],
      byKey: new Map([["k", { id: 9, name: "k", score: 0 }], ["", { id: 0, name: "", score: 0 }]]),
      byId: new Map([[1, ["x", "y"]], [-70000, []]]),
      tags: new Map([["a", "b"], ["c", ""]]),
      nested: [[1n, -(2n ** 63n)], []],
    };
    assert.deepStrictEqual(decode(Outer, encode(Outer, value)), value);
  });

  await t.step("map<string,string> and list<int32> byte-exact", () => {
    assert.strictEqual(
      hex(encode(map(string, string), new Map([["a", "b"]]))),
      "0800010601611601" + "62",
    );
    assert.strictEqual(hex(encode(list(int32), [0, 1, 128])), "0900030c0001010080");
    assert.strictEqual(hex(encode(list(int32), [])), "090c");
  });

  await t.step("bytes as a simple list, including empty", () => {
    assert.strictEqual(hex(encode(bytes, Uint8Array.of(1, 2, 255))), "0d00000301" + "02ff");
    assert.strictEqual(hex(encode(bytes, new Uint8Array(0))), "0d000c");
    assert.deepStrictEqual(decode(bytes, unhex("0d00000301" + "02ff")), Uint8Array.of(1, 2, 255));
    assert.deepStrictEqual(decode(bytes, unhex("0d000c")), new Uint8Array(0));
    const big = Uint8Array.from({ length: 70000 }, (_, i) => i & 0xff);
    assert.deepStrictEqual(decode(bytes, encode(bytes, big)), big);
  });

  await t.step("vector<byte> encoded as a plain list of int8 is read as bytes", () => {
    // list, size 4, elements 1, -1, 0 (zero head), 127
    const data = unhex("09 0004 0001 00ff 0c 007f");
    assert.deepStrictEqual(decode(bytes, data), Uint8Array.of(1, 255, 0, 127));
    assert.deepStrictEqual(decode(list(int8), data), [1, -1, 0, 127]);
    // and a simple list is read by list<int8> with signs
    assert.deepStrictEqual(decode(list(int8), unhex("0d 00 0003 01ff80")), [1, -1, -128]);
  });

  await t.step("wrong container wire types are a TarsDecodeError", () => {
    decodeError(() => decode(list(int32), unhex("0800010001" + "1002")));
    decodeError(() => decode(map(int32, int32), unhex("090c")));
    decodeError(() => decode(Inner, unhex("090c")));
    decodeError(() => decode(bytes, unhex("0600")));
    // a simple list whose element type is not byte
    decodeError(() => decode(bytes, unhex("0d 01 0001 0000")));
  });
});

Deno.test("unknown tags of every wire type are skipped", async (t) => {
  const Newer = struct("Newer", {
    id: req(0, int32),
    zero: req(1, int32),
    i1: req(2, int8),
    i2: req(3, int16),
    i4: req(4, int32),
    i8: req(5, int64),
    f: req(6, float),
    d: req(7, double),
    s1: req(8, string),
    s4: req(9, string),
    m: req(10, map(string, list(Inner))),
    l: req(11, list(map(int32, string))),
    st: req(12, Inner),
    sl: req(13, bytes),
    far: req(200, Inner),
    last: req(254, string),
  });
  const Older = struct("Older", { id: req(0, int32), last: req(254, string) });
  const newer = {
    id: 42,
    zero: 0,
    i1: -7,
    i2: 1000,
    i4: 100000,
    i8: 2n ** 40n,
    f: 1.5,
    d: 2.5,
    s1: "short",
    s4: "long".repeat(100),
    m: new Map([["k", [{ id: 1, name: "n", score: 1 }]]]),
    l: [new Map([[1, "one"]]), new Map()],
    st: { id: 5, name: "st", score: 0 },
    sl: Uint8Array.of(9, 8, 7),
    far: { id: 6, name: "far", score: 3 },
    last: "end",
  };

  await t.step("the newer encoding really holds every wire type", () => {
    const seen = new Set<number>();
    const r = new TarsReader(encodeFields(Newer, newer));
    while (!r.done) {
      seen.add(r.readHead());
      r.skipValue(r.tag);
    }
    assert.deepStrictEqual([...seen].sort((a, b) => a - b), [
      0,
      1,
      2,
      3,
      4,
      5,
      6,
      7,
      8,
      9,
      10,
      12,
      13,
    ]);
  });

  await t.step(
    "an older declaration reads a newer struct, nested in a list and followed by more data",
    () => {
      const NewOuter = struct("NewOuter", { items: req(0, list(Newer)), after: req(1, string) });
      const OldOuter = struct("OldOuter", { items: req(0, list(Older)), after: req(1, string) });
      const data = encode(NewOuter, { items: [newer, newer], after: "tail" });
      assert.deepStrictEqual(decode(OldOuter, data), {
        items: [{ id: 42, last: "end" }, { id: 42, last: "end" }],
        after: "tail",
      });
    },
  );

  await t.step("decodeFields skips unknown top-level fields too", () => {
    const data = encodeFields(Newer, newer);
    assert.deepStrictEqual(decodeFields(Older, data), { id: 42, last: "end" });
  });
});

Deno.test("optional fields and defaults", async (t) => {
  const Defaults = struct("Defaults", {
    n: opt(0, int32, 7),
    s: opt(1, string, "dflt"),
    l: opt(2, list(int32), [1, 2]),
    m: opt(3, map(string, int32), new Map([["a", 1]])),
    b: opt(4, bytes, Uint8Array.of(1, 2)),
    ll: opt(5, list(list(int32)), [[1]]),
    st: opt(6, Inner, { id: 3, name: "three", score: 0 }),
    zi: opt(7, int32),
    zs: opt(8, string),
    z64: opt(9, int64),
    zb: opt(10, bool),
    zf: opt(11, float),
    zl: opt(12, list(string)),
    zm: opt(13, map(int32, int32)),
    zbytes: opt(14, bytes),
    zst: opt(15, Inner),
  });
  const expected = {
    n: 7,
    s: "dflt",
    l: [1, 2],
    m: new Map([["a", 1]]),
    b: Uint8Array.of(1, 2),
    ll: [[1]],
    st: { id: 3, name: "three", score: 0 },
    zi: 0,
    zs: "",
    z64: 0n,
    zb: false,
    zf: 0,
    zl: [],
    zm: new Map(),
    zbytes: new Uint8Array(0),
    zst: { id: 0, name: "", score: 0 },
  };

  await t.step("absent optional fields get declared defaults or zero values", () => {
    assert.strictEqual(hex(encode(Defaults, {})), "0a0b");
    assert.deepStrictEqual(decode(Defaults, unhex("0a0b")), expected);
    assert.deepStrictEqual(decodeFields(Defaults, new Uint8Array(0)), expected);
  });

  await t.step("mutable defaults are not shared between decoded values", () => {
    const first = decode(Defaults, unhex("0a0b"));
    first.l.push(3);
    first.m.set("b", 2);
    first.b[0] = 99;
    first.ll[0].push(2);
    first.st.id = 99;
    first.zl.push("x");
    first.zst.id = 99;
    assert.deepStrictEqual(decode(Defaults, unhex("0a0b")), expected);
  });

  await t.step("missing required field is a TarsDecodeError naming its tag", () => {
    const Partial = struct("Partial", { id: req(0, int32) });
    const Needs = struct("Needs", { id: req(0, int32), must: req(3, string) });
    const e = decodeError(() => decode(Needs, encode(Partial, { id: 1 })));
    assert.strictEqual(e.tag, 3);
    assert.match(e.message, /"must" of Needs is missing/);
    const e2 = decodeError(() => decodeFields(Needs, encodeFields(Partial, { id: 1 })));
    assert.strictEqual(e2.tag, 3);
  });
});

Deno.test("encoder errors name the struct and the field", async (t) => {
  await t.step("missing required field", () => {
    assert.throws(
      () => encode(Inner, {} as never),
      (e: Error) => e instanceof TypeError && /Inner/.test(e.message) && /"id"/.test(e.message),
    );
  });

  await t.step("integer out of range", () => {
    assert.throws(
      () => encode(Rich, { ...richValue, medium: 40000 }),
      (e: Error) => e instanceof RangeError && /Rich, field "medium"/.test(e.message),
    );
  });

  await t.step("wrong JavaScript types", () => {
    const cases: [string, unknown][] = [
      ["small", "1"],
      ["small", 1.5],
      ["big", "1"],
      ["ratio", "1"],
      ["label", 1],
      ["blob", [1, 2]],
      ["items", new Set()],
      ["byName", {}],
      ["inner", null],
    ];
    for (const [field, bad] of cases) {
      assert.throws(
        () => encode(Rich, { ...richValue, [field]: bad } as never),
        (e: Error) => e instanceof TypeError && e.message.includes(`Rich, field "${field}"`),
        `${field} = ${String(bad)}`,
      );
    }
  });

  await t.step("errors inside nested structs name the outer and the inner field", () => {
    assert.throws(
      () => encode(Rich, { ...richValue, items: [{ id: "x" }] } as never),
      (e: Error) =>
        e instanceof TypeError && /Rich, field "items"/.test(e.message) &&
        /Inner, field "id"/.test(e.message),
    );
  });
});

Deno.test("truncated input at every byte offset", async (t) => {
  const richZero = {
    flag: false,
    small: 0,
    medium: 0,
    big: 0n,
    ratio: 0,
    label: "",
    inner: { id: 0, name: "", score: 0 },
    items: [],
    byName: new Map(),
    blob: new Uint8Array(0),
    far: 0,
    farthest: "",
  };
  const whole = encodeFields(Rich, richValue);
  // Top-level field boundaries: the byte offset after each field, in tag order.
  const boundaries: { end: number; restOptional: boolean; fields: number }[] = [];
  {
    const w = new TarsWriter();
    const ordered = Rich.ordered;
    boundaries.push({ end: 0, restOptional: false, fields: 0 });
    for (let i = 0; i < ordered.length; i++) {
      const [key, def] = ordered[i];
      w.writeValue(def.tag, def.type, richValue[key as keyof typeof richValue]);
      const restOptional = ordered.slice(i + 1).every(([, d]) => !d.required);
      boundaries.push({ end: w.length, restOptional, fields: i + 1 });
    }
    assert.strictEqual(hex(w.bytes()), hex(whole));
  }

  await t.step("decodeFields of each prefix fails cleanly or gives defaults for the rest", () => {
    let successes = 0;
    for (let n = 0; n < whole.length; n++) {
      const prefix = whole.subarray(0, n);
      const boundary = boundaries.find((b) => b.end === n);
      try {
        const value = decodeFields(Rich, prefix);
        assert.ok(boundary?.restOptional, `prefix of ${n} bytes decoded`);
        const expected: Record<string, unknown> = {};
        for (const [i, [key]] of Rich.ordered.entries()) {
          expected[key] = i < boundary.fields
            ? richValue[key as keyof typeof richValue]
            : richZero[key as keyof typeof richZero];
        }
        assert.deepStrictEqual(value, expected);
        successes++;
      } catch (error) {
        if (error instanceof assert.AssertionError) throw error;
        assert.ok(error instanceof TarsDecodeError, `prefix ${n}: ${error}`);
        assert.ok(!boundary?.restOptional, `prefix of ${n} bytes should have decoded`);
        assert.ok(Number.isInteger(error.offset) && error.offset >= 0 && error.offset <= n);
        assert.ok(Number.isInteger(error.tag) && error.tag >= -1 && error.tag <= 255);
      }
    }
    // The required fields (tags 0..6) are followed by five optional ones: five clean cut points
    // before the end (after tags 6, 7, 8, 9 and 15).
    assert.strictEqual(successes, 5);
    assert.deepStrictEqual(decodeFields(Rich, whole), richValue);
  });

  await t.step("decode of each strict prefix of a whole struct is a TarsDecodeError", () => {
    const data = encode(Rich, richValue);
    for (let n = 0; n < data.length; n++) {
      const e = decodeError(() => decode(Rich, data.subarray(0, n)));
      assert.ok(e.offset >= 0 && e.offset <= n, `offset ${e.offset} for prefix ${n}`);
      assert.ok(Number.isInteger(e.tag));
    }
    assert.deepStrictEqual(decode(Rich, data), richValue);
  });
});

Deno.test("hostile lengths are refused before allocating", async (t) => {
  const cases: [string, TarsType, string][] = [
    ["list of 2^31-1 elements", list(int32), "09 02 7fffffff 0001"],
    ["map of 2^31-1 entries", map(int32, int32), "08 02 7fffffff 0001"],
    ["string4 of 0xffffffff bytes", string, "07 ffffffff 616263"],
    ["simple list of 2^31-1 bytes", bytes, "0d 00 02 7fffffff 010203"],
    ["plain byte list of 2^31-1 elements", bytes, "09 02 7fffffff 0001"],
    ["negative list length", list(int32), "09 00 ff 0001"],
  ];
  for (const [name, type, input] of cases) {
    await t.step(name, () => {
      const start = performance.now();
      const e = decodeError(() => decode(type, unhex(input)));
      assert.ok(performance.now() - start < 100, "refused quickly");
      assert.strictEqual(e.tag, 0);
    });
  }

  await t.step("the same lengths in skipped unknown fields", () => {
    const Empty = struct("Empty", {});
    for (const [, , input] of cases) {
      const data = unhex("0a" + input.replaceAll(" ", "").replace(/^0/, "1") + "0b");
      const e = decodeError(() => decode(Empty, data));
      assert.strictEqual(e.tag, 1);
    }
  });
});

Deno.test("nesting depth", async (t) => {
  function nestedList(depth: number): TarsType {
    let type: TarsType = int32;
    for (let i = 0; i < depth; i++) type = list(type);
    return type;
  }
  function nestedValue(depth: number): unknown {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = [value];
    return value;
  }

  await t.step(`MAX_DEPTH (${MAX_DEPTH}) levels decode, one more is a TarsDecodeError`, () => {
    const ok = nestedList(MAX_DEPTH);
    assert.deepStrictEqual(
      decode(ok, encode(ok, nestedValue(MAX_DEPTH) as never)),
      nestedValue(MAX_DEPTH),
    );
    const deep = nestedList(MAX_DEPTH + 1);
    const e = decodeError(() => decode(deep, encode(deep, nestedValue(MAX_DEPTH + 1) as never)));
    assert.match(e.message, /nesting deeper than/);
  });

  await t.step("deeply nested unknown structs and lists are refused while skipping", () => {
    const Empty = struct("Empty", {});
    const structs = "0a" + "0a".repeat(10000) + "0b".repeat(10001);
    assert.match(decodeError(() => decode(Empty, unhex(structs))).message, /nesting/);
    const lists = "0a" + "190001".repeat(10000) + "0c" + "0b";
    assert.match(decodeError(() => decode(Empty, unhex(lists))).message, /nesting/);
  });
});

Deno.test("TarsWriter grows from any initial size", () => {
  const w = new TarsWriter(0);
  w.writeString(0, "x".repeat(1000));
  assert.strictEqual(decode(string, w.bytes()), "x".repeat(1000));
});

Deno.test("input views", async (t) => {
  await t.step("a value inside a larger buffer is read at its own offsets", () => {
    const data = encode(Rich, richValue);
    const padded = new Uint8Array(data.length + 7);
    padded.set(data, 3);
    assert.deepStrictEqual(decode(Rich, padded.subarray(3, 3 + data.length)), richValue);
  });

  await t.step("bytes decoded from a Node Buffer are plain Uint8Array copies", () => {
    const input = Buffer.from(encode(bytes, Uint8Array.of(1, 2, 3)));
    const out = decode(bytes, input);
    assert.deepStrictEqual(out, Uint8Array.of(1, 2, 3));
    input[input.length - 1] = 9;
    assert.deepStrictEqual(out, Uint8Array.of(1, 2, 3));
  });
});

Deno.test("frozen values of flat structs, and frozen lists", async (t) => {
  const Flat = struct("Flat", { id: req(0, int32), name: opt(1, string), score: opt(2, double) });
  await t.step("encode as the same value unfrozen, reused in lists", () => {
    const value = { id: 7, name: "seven", score: 0.5 };
    const frozen = Object.freeze({ ...value });
    const List = list(Flat);
    assert.equal(hex(encode(List, [frozen, frozen])), hex(encode(List, [value, value])));
    assert.equal(hex(encode(Flat, frozen, { tag: 3 })), hex(encode(Flat, value, { tag: 3 })));
    assert.equal(hex(encode(Flat, frozen, { tag: 3 })), hex(encode(Flat, value, { tag: 3 })));
  });

  await t.step("a bad frozen value fails each time, naming the field", () => {
    const bad = Object.freeze({ id: 1.5 });
    for (let i = 0; i < 2; i++) {
      assert.throws(() => encode(Flat, bad as never), /Struct Flat, field "id"/);
    }
  });

  await t.step("a frozen struct holding a list is encoded afresh (its list may change)", () => {
    const Holder = struct("Holder", { items: req(0, list(int32)) });
    assert.equal(Holder.flat, false);
    const items = [1];
    const holder = Object.freeze({ items });
    const before = encode(Holder, holder);
    items.push(2);
    assert.notEqual(hex(encode(Holder, holder)), hex(before));
    assert.deepStrictEqual(decode(Holder, encode(Holder, holder)), { items: [1, 2] });
  });

  await t.step(
    "a frozen list of frozen values encodes as the same list unfrozen, each time",
    () => {
      const List = list(Flat);
      const items = [{ id: 1, name: "one" }, { id: 2 }, { id: 3, score: 1.5 }];
      const frozen = Object.freeze(items.map((item) => Object.freeze({ ...item })));
      const expected = hex(encode(List, items, { tag: 2 }));
      assert.equal(hex(encode(List, frozen, { tag: 2 })), expected);
      assert.equal(hex(encode(List, frozen, { tag: 2 })), expected);
      assert.equal(hex(encode(List, frozen, { tag: 20 })), hex(encode(List, items, { tag: 20 })));
      assert.deepStrictEqual(decode(List, encode(List, frozen)), [
        { id: 1, name: "one", score: 0 },
        { id: 2, name: "", score: 0 },
        { id: 3, name: "", score: 1.5 },
      ]);
      const strings = Object.freeze(["a", "b"]);
      assert.equal(hex(encode(list(string), strings)), hex(encode(list(string), ["a", "b"])));
      assert.equal(hex(encode(list(string), strings)), hex(encode(list(string), ["a", "b"])));
    },
  );

  await t.step("a frozen list holding a value that may change is encoded afresh", () => {
    const item = { id: 1 };
    const frozen = Object.freeze([item]);
    const before = hex(encode(list(Flat), frozen));
    item.id = 2;
    assert.notEqual(hex(encode(list(Flat), frozen)), before);
    const inner = [1];
    const nested = Object.freeze([inner]);
    const nestedBefore = hex(encode(list(list(int32)), nested));
    inner.push(2);
    assert.notEqual(hex(encode(list(list(int32)), nested)), nestedBefore);
  });

  await t.step("a bad element of a frozen list fails each time", () => {
    const bad = Object.freeze([Object.freeze({ id: "x" })]);
    for (let i = 0; i < 2; i++) {
      assert.throws(() => encode(list(Flat), bad as never), /Struct Flat, field "id"/);
    }
    const notStruct = Object.freeze([null]);
    assert.throws(() => encode(list(Flat), notStruct as never), /Expected a Flat object/);
  });
});
