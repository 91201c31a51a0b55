/**
 * Framing: the byte stream of a connection split into TARS packets, with a cap on their size.
 *
 * @module
 */

/** Packets this size or larger are refused unless configured otherwise (TarsGo's cap). */
export const DEFAULT_MAX_FRAME = 10 * 1024 * 1024;

/** A frame split across reads is gathered in a plain buffer up to this size, kept for reuse. */
const SMALL = 64 * 1024;

const EMPTY = new Uint8Array(0);

/**
 * Splits a byte stream into TARS frames: a 4-byte big-endian length that counts itself.
 *
 * A frame split across reads is gathered in a buffer that grows by doubling, never beyond the
 * announced length nor to more than twice what arrived (a peer cannot make it allocate by
 * announcing a large length). Past 64 KiB the buffer is a resizable ArrayBuffer, which grows in
 * place (nothing discarded behind) in pages of its own, outside the C heap: its memory goes back
 * to the system when it is let go, instead of staying in the process after a burst of large or
 * unfinished frames. {@linkcode release} gives it back at once.
 */
export class FrameDecoder {
  readonly #max: number;
  #pending: Uint8Array = EMPTY;
  #pendingLength = 0;
  /** The unfinished frame's length, once its prefix arrived; else 0. */
  #announced = 0;

  constructor(options?: { maxFrame?: number }) {
    this.#max = options?.maxFrame ?? DEFAULT_MAX_FRAME;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.#pendingLength;
  }

  /** Bytes the decoder holds allocated (its buffer for split frames), in use or not. */
  get held(): number {
    return this.#pending.length;
  }

  /**
   * Feeds bytes from one read and returns the bodies (without the length prefix) of the frames it
   * completed. Bodies may be views into `chunk`: use them before the next read reuses it. Throws
   * a RangeError on a length below 5 or above the cap; the connection must then be closed.
   */
  push(chunk: Uint8Array): Uint8Array[] {
    const frames: Uint8Array[] = [];
    let data = chunk;
    if (this.#pendingLength > 0) {
      data = this.#fillPending(chunk, frames);
      if (data.length === 0) return frames;
    }
    let pos = 0;
    while (data.length - pos >= 4) {
      const len = this.#frameLength(data, pos);
      if (data.length - pos < len) {
        this.#announced = len;
        break;
      }
      frames.push(data.subarray(pos + 4, pos + len));
      pos += len;
    }
    if (pos < data.length) this.#append(data.subarray(pos));
    return frames;
  }

  /**
   * Gives the memory of a large unfinished frame back at once instead of at the next garbage
   * collection (the connection is closing); the decoder is empty afterwards.
   */
  release(): void {
    const buffer = this.#pending.buffer as ArrayBuffer;
    if (buffer.resizable) buffer.transfer(0);
    this.#pending = EMPTY;
    this.#pendingLength = 0;
    this.#announced = 0;
  }

  #frameLength(data: Uint8Array, pos: number): number {
    const len =
      ((data[pos] << 24) | (data[pos + 1] << 16) | (data[pos + 2] << 8) | data[pos + 3]) >>>
      0;
    if (len < 5) throw new RangeError(`Frame length ${len} is below the minimum of 5 bytes`);
    if (len > this.#max) {
      throw new RangeError(`Frame length ${len} is above the limit of ${this.#max} bytes`);
    }
    return len;
  }

  /** Completes the pending frame from `chunk`; returns what is left of `chunk`. */
  #fillPending(chunk: Uint8Array, frames: Uint8Array[]): Uint8Array {
    if (this.#announced === 0) {
      const take = Math.min(4 - this.#pendingLength, chunk.length);
      this.#append(chunk.subarray(0, take));
      chunk = chunk.subarray(take);
      if (this.#pendingLength < 4) return chunk;
      this.#announced = this.#frameLength(this.#pending, 0);
    }
    const len = this.#announced;
    const take = Math.min(len - this.#pendingLength, chunk.length);
    this.#append(chunk.subarray(0, take));
    if (this.#pendingLength === len) {
      if ((this.#pending.buffer as ArrayBuffer).resizable) {
        // A large frame keeps its own buffer; the next one starts afresh.
        frames.push(this.#pending.subarray(4, len));
        this.#pending = EMPTY;
      } else frames.push(this.#pending.slice(4, len));
      this.#pendingLength = 0;
      this.#announced = 0;
    }
    return chunk.subarray(take);
  }

  #append(data: Uint8Array): void {
    const need = this.#pendingLength + data.length;
    if (need > this.#pending.length) this.#grow(need);
    this.#pending.set(data, this.#pendingLength);
    this.#pendingLength = need;
  }

  /** Makes room for `need` bytes: doubling, within the announced length. */
  #grow(need: number): void {
    const limit = this.#announced || need;
    const capacity = Math.max(need, Math.min(2 * this.#pending.length, limit, 2 * need));
    const buffer = this.#pending.buffer as ArrayBuffer;
    if (buffer.resizable) {
      // A length-tracking view: it follows the buffer.
      buffer.resize(capacity);
      return;
    }
    const grown = capacity <= SMALL
      ? new Uint8Array(Math.max(64, capacity))
      : new Uint8Array(new ArrayBuffer(capacity, { maxByteLength: limit }));
    grown.set(this.#pending.subarray(0, this.#pendingLength));
    this.#pending = grown;
  }
}
