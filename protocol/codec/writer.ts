/**
 * Writing the TARS wire format, with the encodings of frozen values kept once encoded (the
 * registry's lookup answers).
 *
 * @module
 */
import { type FieldDef, type StructType, type TarsType, WireType } from "./types.ts";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const RANGES: Record<string, readonly [number, number]> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [INT32_MIN, INT32_MAX],
};
const utf8 = new TextEncoder();
/**
 * Field bytes of frozen values of flat structs, encoded once. A frozen object whose fields are
 * all scalars cannot change, so its encoding cannot either; the registry answers every lookup
 * with frozen EndpointF values built when an adapter is indexed.
 */
const frozenFields = new WeakMap<object, Uint8Array>();
/**
 * Bytes (length and elements) of frozen lists whose elements cannot change either: scalars, or
 * frozen values of flat structs. The registry answers a lookup with such lists, built once per
 * change of the object, so a list of 1,000 endpoints is encoded once, not per call.
 */
const frozenLists = new WeakMap<readonly unknown[], Uint8Array>();

/** Writes TARS-encoded values into a growing buffer. */
export class TarsWriter {
  #buf: Uint8Array;
  #view: DataView;
  #pos = 0;

  constructor(initialSize = 256) {
    this.#buf = new Uint8Array(initialSize);
    this.#view = new DataView(this.#buf.buffer);
  }

  /** Number of bytes written so far. */
  get length(): number {
    return this.#pos;
  }

  /** Empties the writer; its buffer is kept for the next values. */
  reset(): void {
    this.#pos = 0;
  }

  /** The bytes written so far (a view, valid until the next write). */
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.#pos);
  }

  #reserve(n: number): void {
    const need = this.#pos + n;
    if (need <= this.#buf.length) return;
    // At least 64: doubling a zero-length buffer would never grow.
    let size = Math.max(this.#buf.length * 2, 64);
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#pos));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Writes raw bytes. */
  writeRaw(data: Uint8Array): void {
    this.#reserve(data.length);
    this.#buf.set(data, this.#pos);
    this.#pos += data.length;
  }

  /** Writes a big-endian 32-bit integer without a head (frame lengths). */
  writeUint32Raw(n: number): void {
    this.#reserve(4);
    this.#view.setUint32(this.#pos, n);
    this.#pos += 4;
  }

  /** Overwrites a big-endian 32-bit integer at an earlier offset (frame lengths). */
  patchUint32(offset: number, n: number): void {
    this.#view.setUint32(offset, n);
  }

  /** Writes a head byte (two for tags 15 and above). */
  writeHead(tag: number, type: number): void {
    this.#reserve(2);
    if (tag < 15) {
      this.#buf[this.#pos++] = (tag << 4) | type;
    } else {
      this.#buf[this.#pos++] = 0xf0 | type;
      this.#buf[this.#pos++] = tag;
    }
  }

  /** Writes an integer in the smallest width that holds it (0 is a bare zero head). */
  writeInt(tag: number, n: number): void {
    if (n === 0) {
      this.writeHead(tag, WireType.ZERO);
    } else if (n >= -128 && n <= 127) {
      this.writeHead(tag, WireType.INT1);
      this.#reserve(1);
      this.#view.setInt8(this.#pos, n);
      this.#pos += 1;
    } else if (n >= -32768 && n <= 32767) {
      this.writeHead(tag, WireType.INT2);
      this.#reserve(2);
      this.#view.setInt16(this.#pos, n);
      this.#pos += 2;
    } else if (n >= INT32_MIN && n <= INT32_MAX) {
      this.writeHead(tag, WireType.INT4);
      this.#reserve(4);
      this.#view.setInt32(this.#pos, n);
      this.#pos += 4;
    } else {
      this.writeInt64(tag, BigInt(n));
    }
  }

  /** Writes a 64-bit integer, narrowed to the smallest width that holds it. */
  writeInt64(tag: number, n: bigint): void {
    if (n >= -2147483648n && n <= 2147483647n) {
      this.writeInt(tag, Number(n));
      return;
    }
    this.writeHead(tag, WireType.INT8);
    this.#reserve(8);
    this.#view.setBigInt64(this.#pos, n);
    this.#pos += 8;
  }

  /** Writes a float (a zero head for 0, as the official peers do). */
  writeFloat(tag: number, n: number): void {
    if (n === 0) return this.writeHead(tag, WireType.ZERO);
    this.writeHead(tag, WireType.FLOAT);
    this.#reserve(4);
    this.#view.setFloat32(this.#pos, n);
    this.#pos += 4;
  }

  /** Writes a double (a zero head for 0, as the official peers do). */
  writeDouble(tag: number, n: number): void {
    if (n === 0) return this.writeHead(tag, WireType.ZERO);
    this.writeHead(tag, WireType.DOUBLE);
    this.#reserve(8);
    this.#view.setFloat64(this.#pos, n);
    this.#pos += 8;
  }

  /** Writes a UTF-8 string: 1-byte length up to 255 bytes, 4-byte length above. */
  writeString(tag: number, s: string): void {
    const headAt = this.#pos;
    this.writeHead(tag, WireType.STRING1);
    this.#reserve(5 + s.length * 3);
    const buf = this.#buf;
    // Fast path: short ASCII strings are copied by hand.
    if (s.length <= 255) {
      const start = this.#pos + 1;
      let i = 0;
      for (; i < s.length; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[start + i] = c;
      }
      if (i === s.length) {
        buf[this.#pos] = i;
        this.#pos = start + i;
        return;
      }
    }
    const start = this.#pos + 4;
    const written = utf8.encodeInto(s, buf.subarray(start)).written;
    if (written <= 255) {
      buf.copyWithin(this.#pos + 1, start, start + written);
      buf[this.#pos] = written;
      this.#pos += 1 + written;
    } else {
      buf[headAt] = (buf[headAt] & 0xf0) | WireType.STRING4;
      this.#view.setUint32(this.#pos, written);
      this.#pos = start + written;
    }
  }

  /** Writes `vector<byte>` as a simple list. */
  writeBytes(tag: number, data: Uint8Array): void {
    this.writeHead(tag, WireType.SIMPLE_LIST);
    this.writeHead(0, WireType.INT1);
    this.writeInt(0, data.length);
    this.writeRaw(data);
  }

  /** Writes any value of a declared TARS type at a tag. */
  writeValue(tag: number, type: TarsType, value: unknown): void {
    switch (type.kind) {
      case "bool":
        return this.writeInt(tag, value ? 1 : 0);
      case "int8":
      case "int16":
      case "int32":
        return this.writeInt(tag, checkInt(type.kind, value));
      case "int64":
        return this.writeInt64(tag, checkInt64(value));
      case "float":
        return this.writeFloat(tag, checkNumber(type.kind, value));
      case "double":
        return this.writeDouble(tag, checkNumber(type.kind, value));
      case "string":
        if (typeof value !== "string") throw new TypeError(`Expected a string, got ${show(value)}`);
        return this.writeString(tag, value);
      case "bytes":
        if (!(value instanceof Uint8Array)) {
          throw new TypeError(`Expected a Uint8Array, got ${show(value)}`);
        }
        return this.writeBytes(tag, value);
      case "list": {
        if (!Array.isArray(value)) throw new TypeError(`Expected an array, got ${show(value)}`);
        this.writeHead(tag, WireType.LIST);
        const frozen = Object.isFrozen(value) ? frozenListBytes(type.elem, value) : undefined;
        if (frozen) return this.writeRaw(frozen);
        this.writeInt(0, value.length);
        for (const item of value) this.writeValue(0, type.elem, item);
        return;
      }
      case "map": {
        if (!(value instanceof Map)) throw new TypeError(`Expected a Map, got ${show(value)}`);
        this.writeHead(tag, WireType.MAP);
        this.writeInt(0, value.size);
        for (const [k, v] of value) {
          this.writeValue(0, type.key, k);
          this.writeValue(1, type.value, v);
        }
        return;
      }
      case "struct":
        if (typeof value !== "object" || value === null) {
          throw new TypeError(`Expected a ${type.name} object, got ${show(value)}`);
        }
        this.writeHead(tag, WireType.STRUCT_BEGIN);
        if (type.flat && Object.isFrozen(value)) this.writeRaw(frozenFieldBytes(type, value));
        else this.writeFields(type, value as Record<string, unknown>);
        this.writeHead(0, WireType.STRUCT_END);
        return;
    }
  }

  /** Writes a struct's fields without the begin/end heads (function arguments, packets). */
  writeFields(type: StructType, value: Record<string, unknown>): void {
    for (const [key, def] of type.ordered) {
      const v = value[key];
      if (v === undefined) {
        if (def.required) {
          throw new TypeError(`Struct ${type.name}: required field "${key}" is missing`);
        }
        continue;
      }
      this.#writeField(type, key, def, v);
    }
  }

  #writeField(type: StructType, key: string, def: FieldDef, v: unknown): void {
    try {
      this.writeValue(def.tag, def.type, v);
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) {
        const Ctor = error instanceof TypeError ? TypeError : RangeError;
        throw new Ctor(`Struct ${type.name}, field "${key}": ${error.message}`);
      }
      throw error;
    }
  }
}

/** The field bytes of a frozen flat struct value, from the cache or encoded once. */
function frozenFieldBytes(type: StructType, value: object): Uint8Array {
  let bytes = frozenFields.get(value);
  if (!bytes) {
    const writer = new TarsWriter(64);
    writer.writeFields(type, value as Record<string, unknown>);
    bytes = writer.bytes().slice();
    frozenFields.set(value, bytes);
  }
  return bytes;
}

/**
 * The bytes after the head of a frozen list, from the cache or encoded once; undefined when an
 * element could still change (a list, a map, bytes, or a struct value that is not frozen or not
 * flat), so the list is encoded afresh.
 */
function frozenListBytes(elem: TarsType, list: readonly unknown[]): Uint8Array | undefined {
  const cached = frozenLists.get(list);
  if (cached) return cached;
  const struct = elem.kind === "struct";
  if (struct ? !elem.flat : ["bytes", "list", "map"].includes(elem.kind)) return undefined;
  if (struct && !list.every((item) => Object.isFrozen(item))) return undefined;
  const writer = new TarsWriter(64);
  writer.writeInt(0, list.length);
  for (const item of list) {
    if (!struct) {
      writer.writeValue(0, elem, item);
      continue;
    }
    if (typeof item !== "object" || item === null) writer.writeValue(0, elem, item); // throws
    // The element's own cached bytes when it has them; not cached per element otherwise.
    writer.writeHead(0, WireType.STRUCT_BEGIN);
    const fields = frozenFields.get(item as object);
    if (fields) writer.writeRaw(fields);
    else writer.writeFields(elem, item as Record<string, unknown>);
    writer.writeHead(0, WireType.STRUCT_END);
  }
  const bytes = writer.bytes().slice();
  frozenLists.set(list, bytes);
  return bytes;
}

function show(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? `a ${value.constructor?.name ?? "object"}` : typeof value;
}

function checkInt(kind: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(`Expected an integer for ${kind}, got ${show(value)} ${String(value)}`);
  }
  const [min, max] = RANGES[kind];
  if (value < min || value > max) {
    throw new RangeError(`${value} does not fit in ${kind} (${min}..${max})`);
  }
  return value;
}

function checkInt64(value: unknown): bigint {
  const n = typeof value === "number" && Number.isInteger(value) ? BigInt(value) : value;
  if (typeof n !== "bigint") throw new TypeError(`Expected a bigint for int64, got ${show(value)}`);
  if (n < INT64_MIN || n > INT64_MAX) throw new RangeError(`${n} does not fit in int64`);
  return n;
}

function checkNumber(kind: string, value: unknown): number {
  if (typeof value !== "number") {
    throw new TypeError(`Expected a number for ${kind}, got ${show(value)}`);
  }
  return value;
}
