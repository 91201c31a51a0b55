/**
 * Small byte arrays carved from shared slabs. In Deno's V8 a fresh typed array costs about a
 * microsecond (its own backing store), a view of an existing one a few tens of nanoseconds: the
 * codec's hot paths (encoded values and frames, decoded `vector<byte>` values) take their bytes
 * from here. Like Node's Buffer pool, a view keeps its whole slab alive while it is referenced;
 * slabs are never reused, so every view starts zeroed and no two views share bytes.
 *
 * @module
 */

/** Size of one slab. */
const SLAB_BYTES = 16 * 1024;
/** Larger arrays get their own buffer. */
const MAX_POOLED_BYTES = 2 * 1024;

let slab = new Uint8Array(SLAB_BYTES);
let used = 0;

/** A zeroed byte array of length `n`, a view into a shared slab when it is small. */
export function allocBytes(n: number): Uint8Array {
  if (n > MAX_POOLED_BYTES) return new Uint8Array(n);
  if (used + n > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const out = slab.subarray(used, used + n);
  // Keep views 8-byte aligned so a DataView or wider typed array over one stays cheap.
  used = (used + n + 7) & ~7;
  return out;
}

/** A copy of `data` from {@link allocBytes}. */
export function copyBytes(data: Uint8Array): Uint8Array {
  const out = allocBytes(data.length);
  out.set(data);
  return out;
}
