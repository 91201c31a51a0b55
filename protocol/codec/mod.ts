/**
 * The TARS binary codec: declare types once, encode and decode them.
 *
 * Outside protocol/, import this module. protocol's own modules import `types.ts` (the type
 * declarations) and `codec.ts` (encode and decode) directly, which keeps this module off the
 * commands' module graphs.
 *
 * @module
 */
export * from "./types.ts";
export { TarsDecodeError } from "./errors.ts";
export { TarsWriter } from "./writer.ts";
export { MAX_DEPTH, TarsReader } from "./reader.ts";
export { decode, decodeFields, encode, encodeFields, encodeWith, withEncoded } from "./codec.ts";
