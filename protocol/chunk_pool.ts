/**
 * The output chunks connections copy their frames into before the socket takes them, reused
 * across writes.
 *
 * @module
 */

/** Size of one output chunk. */
export const CHUNK_BYTES = 128 * 1024;

/**
 * Fixed-size byte chunks that connections copy their outgoing frames into, handed back once
 * written and reused, so steady traffic allocates no buffer per reply or per write.
 *
 * Each chunk is a resizable ArrayBuffer (of one fixed size), which V8 keeps in pages of its own
 * outside the C heap: a chunk let go returns its memory to the system, where malloc'd buffers
 * churned by a burst of replies stayed in glibc's heap after it. At most `keep` free chunks are
 * kept; the rest are released at once.
 */
export class ChunkPool {
  readonly #keep: number;
  readonly #free: Uint8Array[] = [];

  constructor(options: { keep?: number } = {}) {
    this.#keep = options.keep ?? 1;
  }

  /** Free chunks kept for reuse. */
  get kept(): number {
    return this.#free.length;
  }

  /** A chunk of {@linkcode CHUNK_BYTES} (its content is whatever it last held). */
  take(): Uint8Array {
    return this.#free.pop() ??
      new Uint8Array(new ArrayBuffer(CHUNK_BYTES, { maxByteLength: CHUNK_BYTES }));
  }

  /** Hands a chunk back once nothing refers to its bytes any more. */
  give(chunk: Uint8Array): void {
    if (this.#free.length < this.#keep) this.#free.push(chunk);
    else (chunk.buffer as ArrayBuffer).transfer(0);
  }
}
