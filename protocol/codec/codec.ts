import { TarsDecodeError } from "./errors.ts";
import { copyBytes } from "./pool.ts";
import { TarsReader } from "./reader.ts";
import type { Infer, InferInput, StructType, StructValue, TarsType } from "./types.ts";
import { TarsWriter } from "./writer.ts";

/** Writers this large are not kept for reuse, so one huge value does not pin its buffer. */
const KEEP_WRITER_BYTES = 64 * 1024;
let spareWriter: TarsWriter | undefined = new TarsWriter(KEEP_WRITER_BYTES);

/**
 * Runs `write` on a reusable writer and returns a copy of what it wrote, from the byte pool:
 * no growing buffer per value. Safe to nest (a nested call gets its own writer).
 */
export function encodeWith(write: (w: TarsWriter) => void): Uint8Array {
  const w = spareWriter ?? new TarsWriter();
  spareWriter = undefined;
  w.reset();
  try {
    write(w);
    return copyBytes(w.bytes());
  } finally {
    if (w.length <= KEEP_WRITER_BYTES) spareWriter = w;
  }
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
