/**
 * The error of TARS input that cannot be decoded.
 *
 * @module
 */

/** Truncated or malformed TARS input; names the field tag and the byte offset where it broke. */
export class TarsDecodeError extends Error {
  /** Tag of the field being read (-1 when no field was being read). */
  readonly tag: number;
  /** Byte offset in the input where the problem was found. */
  readonly offset: number;

  constructor(what: string, options: { tag: number; offset: number }) {
    super(`${what} (field tag ${options.tag} at byte ${options.offset})`);
    this.name = "TarsDecodeError";
    this.tag = options.tag;
    this.offset = options.offset;
  }
}
