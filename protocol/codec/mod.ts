/**
 * The TARS binary codec: declare types once, encode and decode them.
 *
 * @module
 */
export * from "./types.ts";
export { TarsDecodeError } from "./errors.ts";
export { TarsWriter } from "./writer.ts";
export { MAX_DEPTH, TarsReader } from "./reader.ts";
export { decode, decodeFields, encode, encodeFields, encodeWith } from "./codec.ts";
