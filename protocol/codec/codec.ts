import { TarsDecodeError } from "./errors.ts";
import { TarsReader } from "./reader.ts";
import type { Infer, InferInput, StructType, StructValue, TarsType } from "./types.ts";
import { TarsWriter } from "./writer.ts";

/** Encodes one value of a declared type at a tag (0 unless given). */
export function encode<T extends TarsType>(
  type: T,
  value: InferInput<T>,
  options?: { tag?: number },
): Uint8Array {
  const w = new TarsWriter();
  w.writeValue(options?.tag ?? 0, type, value);
  return w.bytes();
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
  const w = new TarsWriter();
  w.writeFields(type, value as Record<string, unknown>);
  return w.bytes();
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
