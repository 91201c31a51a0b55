/**
 * Encoding and decoding whole values of declared types (the entry points of the codec), on
 * writers and buffers reused across calls.
 *
 * @module
 */
import { TarsDecodeError } from "./errors.ts";
import { copyBytes } from "./pool.ts";
import { TarsReader } from "./reader.ts";
import type { Infer, InferInput, StructType, StructValue, TarsType } from "./types.ts";
import { TarsWriter } from "./writer.ts";

/** Writers this large are not kept for reuse, so one huge value does not pin its buffer. */
const KEEP_WRITER_BYTES = 128 * 1024;
/** Writers kept for reuse: enough for an encoding nested in another (a reply and its result). */
const KEEP_WRITERS = 4;
const spareWriters: TarsWriter[] = [new TarsWriter(KEEP_WRITER_BYTES)];

/**
 * Runs `write` on a reusable writer and hands `use` a view of what it wrote, valid only during
 * that call: for a caller that copies the bytes somewhere anyway (a connection's output buffer),
 * no byte array is allocated. Safe to nest (a nested call gets its own writer).
 */
export function withEncoded(
  write: (w: TarsWriter) => void,
  use: (bytes: Uint8Array) => void,
): void {
  const w = spareWriters.pop() ?? new TarsWriter();
  w.reset();
  try {
    write(w);
    use(w.bytes());
  } finally {
    if (w.length <= KEEP_WRITER_BYTES && spareWriters.length < KEEP_WRITERS) spareWriters.push(w);
  }
}

/**
 * Runs `write` on a reusable writer and returns a copy of what it wrote, from the byte pool:
 * no growing buffer per value. Safe to nest (a nested call gets its own writer).
 */
export function encodeWith(write: (w: TarsWriter) => void): Uint8Array {
  let out: Uint8Array | undefined;
  withEncoded(write, (bytes) => (out = copyBytes(bytes)));
  return out!;
}

/** Encodes one value of a declared type at a tag (0 unless given). */
export function encode<T extends TarsType>(
  type: T,
  value: InferInput<T>,
  options?: { tag?: number },
): Uint8Array {
  return encodeWith((w) => w.writeValue(options?.tag ?? 0, type, value));
}

/**
 * Decodes one value of a declared type from the field at a tag (0 unless given), skipping other
 * tags before it.
 */
export function decode<T extends TarsType>(
  type: T,
  data: Uint8Array,
  options?: { tag?: number },
): Infer<T> {
  const tag = options?.tag ?? 0;
  const r = new TarsReader(data);
  while (!r.done) {
    r.readHead();
    if (r.tag === tag) return r.readValue(type, tag) as Infer<T>;
    r.skipValue(r.tag);
  }
  throw new TarsDecodeError(`field tag ${tag} is missing`, { tag, offset: r.offset });
}

/** Encodes a struct's fields without begin/end heads, as function arguments and packets are. */
export function encodeFields<S extends StructType>(
  type: S,
  value: S extends StructType<infer F> ? InferInput<StructType<F>> : never,
): Uint8Array {
  return encodeWith((w) => w.writeFields(type, value as Record<string, unknown>));
}

/** Decodes struct fields that fill a whole buffer (function arguments, packets). */
export function decodeFields<S extends StructType>(
  type: S,
  data: Uint8Array,
): S extends StructType<infer F> ? StructValue<F> : never {
  return new TarsReader(data).readFields(type, false) as S extends StructType<infer F>
    ? StructValue<F>
    : never;
}
