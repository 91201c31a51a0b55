/** Packets this size or larger are refused unless configured otherwise (TarsGo's cap). */
export const DEFAULT_MAX_FRAME = 10 * 1024 * 1024;

/** A pending-frame buffer up to this size is kept for the next frame; a larger one is let go. */
const KEPT_BUFFER = 64 * 1024;

/**
 * Splits a byte stream into TARS frames: a 4-byte big-endian length that counts itself. A frame
 * split across reads is gathered in a buffer that grows with what arrives (never to more than
 * twice what arrived, so a peer cannot make it allocate by announcing a large length); after a
 * large frame the buffer is let go, so a connection keeps at most {@linkcode KEPT_BUFFER} between
 * frames.
 */
export class FrameDecoder {
  readonly #max: number;
  #pending: Uint8Array = new Uint8Array(0);
  #pendingLength = 0;

  constructor(options?: { maxFrame?: number }) {
    this.#max = options?.maxFrame ?? DEFAULT_MAX_FRAME;
  }

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.#pendingLength;
  }

  /** Bytes the decoder holds allocated (its pending-frame buffer), in use or not. */
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
      if (data.length - pos < len) break;
      frames.push(data.subarray(pos + 4, pos + len));
      pos += len;
    }
    if (pos < data.length) this.#keep(data.subarray(pos));
    return frames;
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
    if (this.#pendingLength < 4) {
      const take = Math.min(4 - this.#pendingLength, chunk.length);
      this.#append(chunk.subarray(0, take));
      chunk = chunk.subarray(take);
      if (this.#pendingLength < 4) return chunk;
    }
    const len = this.#frameLength(this.#pending, 0);
    const take = Math.min(len - this.#pendingLength, chunk.length);
    this.#append(chunk.subarray(0, take));
    if (this.#pendingLength === len) {
      frames.push(this.#pending.slice(4, len));
      this.#pendingLength = 0;
      if (this.#pending.length > KEPT_BUFFER) this.#pending = new Uint8Array(0);
    }
    return chunk.subarray(take);
  }

  #keep(rest: Uint8Array): void {
    this.#pendingLength = 0;
    this.#append(rest);
  }

  #append(data: Uint8Array): void {
    const need = this.#pendingLength + data.length;
    if (need > this.#pending.length) {
      // Grow geometrically but never beyond what the announced frame needs, nor to more than
      // twice what arrived.
      const next = new Uint8Array(
        Math.max(need, Math.min(this.#pending.length * 2, this.#max, 2 * need)),
      );
      next.set(this.#pending.subarray(0, this.#pendingLength));
      this.#pending = next;
    }
    this.#pending.set(data, this.#pendingLength);
    this.#pendingLength = need;
  }
}
