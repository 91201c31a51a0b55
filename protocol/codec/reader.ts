/**
 * Reading the TARS wire format: heads, scalars, strings, lists, maps and structs, bounded in
 * depth and length by what the buffer holds.
 *
 * @module
 */
import { TarsDecodeError } from "./errors.ts";
import { copyBytes } from "./pool.ts";
import { defaultOf, type StructType, type TarsType, WireType } from "./types.ts";

/** Deepest nesting of structs, lists and maps a reader follows before it gives up. */
export const MAX_DEPTH = 64;

const utf8 = new TextDecoder("utf-8", { fatal: false });
const INT_WIDTH: Record<string, number> = {
  bool: WireType.INT1,
  int8: WireType.INT1,
  int16: WireType.INT2,
  int32: WireType.INT4,
  int64: WireType.INT8,
};

/** Reads TARS-encoded values from a buffer; every error names the field tag and byte offset. */
export class TarsReader {
  readonly #buf: Uint8Array;
  #dataView: DataView | undefined;
  #pos: number;
  readonly #end: number;
  #depth = 0;
  readonly #viewBytes: boolean;
  /** Tag of the head read last. */
  tag = 0;
  /** Wire type of the head read last. */
  type = 0;

  /**
   * With `viewBytes`, `vector<byte>` values are views into `buf` instead of copies: cheaper, but
   * only valid as long as `buf` is not reused.
   */
  constructor(buf: Uint8Array, options?: { viewBytes?: boolean }) {
    // A plain view: on a Node Buffer, slice() would alias the input instead of copying it.
    this.#buf = buf.constructor === Uint8Array
      ? buf
      : new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    this.#pos = 0;
    this.#end = buf.byteLength;
    this.#viewBytes = options?.viewBytes ?? false;
  }

  /** A DataView for floats and 64-bit integers, made on first use: most values need none. */
  get #view(): DataView {
    const b = this.#buf;
    return (this.#dataView ??= new DataView(b.buffer, b.byteOffset, b.byteLength));
  }

  /** Current byte offset. */
  get offset(): number {
    return this.#pos;
  }

  /** Whether every byte was read. */
  get done(): boolean {
    return this.#pos >= this.#end;
  }

  #fail(what: string, tag: number, offset = this.#pos): never {
    throw new TarsDecodeError(what, { tag, offset });
  }

  #need(n: number, tag: number): void {
    if (n > this.#end - this.#pos) {
      this.#fail(`truncated: ${n} bytes needed, ${this.#end - this.#pos} left`, tag);
    }
  }

  /** Reads a head into `tag` and `type`; returns the type. */
  readHead(): number {
    this.#need(1, -1);
    const b = this.#buf[this.#pos++];
    this.type = b & 0x0f;
    let tag = b >> 4;
    if (tag === 15) {
      this.#need(1, -1);
      tag = this.#buf[this.#pos++];
    }
    this.tag = tag;
    return this.type;
  }

  /** Reads an integer of the wire type just read; `kind` bounds how wide it may be. */
  #readInt(kind: string, tag: number): number {
    const start = this.#pos;
    const type = this.type;
    if (type === WireType.ZERO) return 0;
    if (type > INT_WIDTH[kind] || type > WireType.INT8) {
      this.#fail(`wire type ${type} cannot be read as ${kind}`, tag, start - 1);
    }
    switch (type) {
      case WireType.INT1:
        this.#need(1, tag);
        return (this.#buf[this.#pos++] << 24) >> 24;
      case WireType.INT2:
        this.#need(2, tag);
        this.#pos += 2;
        return (((this.#buf[start] << 8) | this.#buf[start + 1]) << 16) >> 16;
      case WireType.INT4:
        this.#need(4, tag);
        this.#pos += 4;
        return this.#uint32(start) | 0;
      default:
        this.#fail(`wire type ${type} cannot be read as ${kind}`, tag, start - 1);
    }
  }

  #uint32(at: number): number {
    const b = this.#buf;
    return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  }

  #readInt64(tag: number): bigint {
    if (this.type === WireType.INT8) {
      this.#need(8, tag);
      const n = this.#view.getBigInt64(this.#pos);
      this.#pos += 8;
      return n;
    }
    return BigInt(this.#readInt("int64", tag));
  }

  /** Reads a length (an int head at tag 0) and checks it against the bytes left. */
  #readLength(tag: number, minBytesEach: number): number {
    const at = this.#pos;
    this.readHead();
    if (this.tag !== 0) this.#fail(`length expected at tag 0, found tag ${this.tag}`, tag, at);
    const n = this.#readInt("int32", tag);
    if (n < 0) this.#fail(`negative length ${n}`, tag, at);
    if (n * minBytesEach > this.#end - this.#pos) {
      this.#fail(`length ${n} exceeds the ${this.#end - this.#pos} bytes left`, tag, at);
    }
    return n;
  }

  #readString(tag: number): string {
    const at = this.#pos;
    let n: number;
    if (this.type === WireType.STRING1) {
      this.#need(1, tag);
      n = this.#buf[this.#pos++];
    } else if (this.type === WireType.STRING4) {
      this.#need(4, tag);
      n = this.#uint32(this.#pos);
      this.#pos += 4;
    } else {
      this.#fail(`wire type ${this.type} cannot be read as string`, tag, at - 1);
    }
    if (n > this.#end - this.#pos) {
      this.#fail(`string length ${n} exceeds the ${this.#end - this.#pos} bytes left`, tag, at);
    }
    const start = this.#pos;
    this.#pos += n;
    // Short ASCII strings are decoded by hand; TextDecoder costs more than it saves there.
    if (n < 32) {
      let s = "";
      for (let i = start; i < start + n; i++) {
        const c = this.#buf[i];
        if (c >= 0x80) return utf8.decode(this.#buf.subarray(start, start + n));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8.decode(this.#buf.subarray(start, start + n));
  }

  #readBytes(tag: number): Uint8Array {
    const at = this.#pos;
    if (this.type === WireType.SIMPLE_LIST) {
      if (this.readHead() !== WireType.INT1) {
        this.#fail(`simple list element type ${this.type} is not byte`, tag, at);
      }
      const n = this.#readLength(tag, 1);
      const out = this.#viewBytes
        ? this.#buf.subarray(this.#pos, this.#pos + n)
        : copyBytes(this.#buf.subarray(this.#pos, this.#pos + n));
      this.#pos += n;
      return out;
    }
    if (this.type === WireType.LIST) {
      const n = this.#readLength(tag, 1);
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        this.readHead();
        out[i] = this.#readInt("int8", tag);
      }
      return out;
    }
    this.#fail(`wire type ${this.type} cannot be read as vector<byte>`, tag, at - 1);
  }

  #enter(tag: number): void {
    if (++this.#depth > MAX_DEPTH) this.#fail(`nesting deeper than ${MAX_DEPTH}`, tag);
  }

  /** Reads the value whose head was just read, as the declared type. */
  readValue(type: TarsType, tag: number): unknown {
    switch (type.kind) {
      case "bool":
        return this.#readInt("bool", tag) !== 0;
      case "int8":
      case "int16":
      case "int32":
        return this.#readInt(type.kind, tag);
      case "int64":
        return this.#readInt64(tag);
      case "float":
      case "double":
        return this.#readFloating(type.kind, tag);
      case "string":
        return this.#readString(tag);
      case "bytes":
        return this.#readBytes(tag);
      case "list": {
        if (this.type !== WireType.LIST) {
          if (this.type === WireType.SIMPLE_LIST && type.elem.kind === "int8") {
            return Array.from(this.#readBytes(tag), (b) => (b << 24) >> 24);
          }
          this.#fail(`wire type ${this.type} cannot be read as a list`, tag, this.#pos - 1);
        }
        this.#enter(tag);
        const n = this.#readLength(tag, 1);
        const out = new Array(n);
        for (let i = 0; i < n; i++) {
          this.readHead();
          out[i] = this.readValue(type.elem, tag);
        }
        this.#depth--;
        return out;
      }
      case "map": {
        if (this.type !== WireType.MAP) {
          this.#fail(`wire type ${this.type} cannot be read as a map`, tag, this.#pos - 1);
        }
        this.#enter(tag);
        const n = this.#readLength(tag, 2);
        const out = new Map();
        for (let i = 0; i < n; i++) {
          this.readHead();
          const k = this.readValue(type.key, tag);
          this.readHead();
          out.set(k, this.readValue(type.value, tag));
        }
        this.#depth--;
        return out;
      }
      case "struct": {
        if (this.type !== WireType.STRUCT_BEGIN) {
          this.#fail(`wire type ${this.type} cannot be read as struct`, tag, this.#pos - 1);
        }
        this.#enter(tag);
        const value = this.readFields(type, true);
        this.#depth--;
        return value;
      }
    }
  }

  #readFloating(kind: "float" | "double", tag: number): number {
    switch (this.type) {
      case WireType.ZERO:
        return 0;
      case WireType.FLOAT: {
        this.#need(4, tag);
        const n = this.#view.getFloat32(this.#pos);
        this.#pos += 4;
        return n;
      }
      case WireType.DOUBLE: {
        this.#need(8, tag);
        const n = this.#view.getFloat64(this.#pos);
        this.#pos += 8;
        return n;
      }
      default:
        this.#fail(`wire type ${this.type} cannot be read as ${kind}`, tag, this.#pos - 1);
    }
  }

  /** Skips the value whose head was just read, whatever its type. */
  skipValue(tag: number): void {
    const at = this.#pos - 1;
    switch (this.type) {
      case WireType.ZERO:
        return;
      case WireType.INT1:
        return this.#skip(1, tag);
      case WireType.INT2:
        return this.#skip(2, tag);
      case WireType.INT4:
      case WireType.FLOAT:
        return this.#skip(4, tag);
      case WireType.INT8:
      case WireType.DOUBLE:
        return this.#skip(8, tag);
      case WireType.STRING1:
      case WireType.STRING4:
        this.#readString(tag);
        return;
      case WireType.SIMPLE_LIST:
        this.#readBytes(tag);
        return;
      case WireType.LIST: {
        this.#enter(tag);
        const n = this.#readLength(tag, 1);
        for (let i = 0; i < n; i++) {
          this.readHead();
          this.skipValue(tag);
        }
        this.#depth--;
        return;
      }
      case WireType.MAP: {
        this.#enter(tag);
        const n = this.#readLength(tag, 2);
        for (let i = 0; i < 2 * n; i++) {
          this.readHead();
          this.skipValue(tag);
        }
        this.#depth--;
        return;
      }
      case WireType.STRUCT_BEGIN: {
        this.#enter(tag);
        for (;;) {
          if (this.readHead() === WireType.STRUCT_END) break;
          this.skipValue(this.tag);
        }
        this.#depth--;
        return;
      }
      default:
        this.#fail(`unknown wire type ${this.type}`, tag, at);
    }
  }

  #skip(n: number, tag: number): void {
    this.#need(n, tag);
    this.#pos += n;
  }

  /**
   * Reads struct fields: until the struct-end head when `nested`, else until the input ends
   * (function arguments and packets). Unknown tags are skipped; absent optional fields get
   * their defaults; an absent required field is an error.
   */
  readFields(type: StructType, nested: boolean): Record<string, unknown> {
    const value: Record<string, unknown> = {};
    // Every field is created in declaration order first, so decoded values share one shape.
    for (const [key] of type.ordered) value[key] = undefined;
    const byTag = type.byTag;
    for (;;) {
      if (!nested && this.#pos >= this.#end) break;
      this.readHead();
      const tag = this.tag;
      if (this.type === WireType.STRUCT_END) {
        if (nested) break;
        this.#fail(`unexpected struct end in ${type.name}`, tag, this.#pos - 1);
      }
      const entry = byTag[tag];
      if (entry === undefined) {
        this.skipValue(tag);
      } else {
        value[entry[0]] = this.readValue(entry[1].type, tag);
      }
    }
    for (const [key, def] of type.ordered) {
      if (value[key] !== undefined) continue;
      if (def.required) {
        this.#fail(`required field "${key}" of ${type.name} is missing`, def.tag);
      }
      value[key] = defaultOf(def);
    }
    return value;
  }
}
