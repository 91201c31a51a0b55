/**
 * The TARS packet envelopes (RequestPacket, ResponsePacket) of plain TARS and TUP calls:
 * encoded into frames (with their length) and decoded from a frame's body.
 *
 * @module
 */
import { decodeFields, encodeWith, withEncoded } from "./codec/codec.ts";
import type { TarsWriter } from "./codec/writer.ts";
import { TarsReader } from "./codec/reader.ts";
import {
  bytes,
  int16,
  int32,
  int8,
  map,
  opt,
  req,
  string,
  struct,
  type StructInput,
  type StructType,
  type StructValue,
} from "./codec/types.ts";

/** Packet version of plain TARS calls: arguments by tag. */
export const TARS_VERSION = 1;
/** Packet version of simple TUP calls: arguments by name in a `map<string, vector<byte>>`. */
export const TUP_VERSION = 3;
/** `cPacketType` of a call that expects a reply. */
export const PACKET_NORMAL = 0;
/** `cPacketType` of a one-way call: no reply is sent. */
export const PACKET_ONEWAY = 1;

/** The request envelope (`RequestPacket` in TARS). */
export const RequestPacket = struct("RequestPacket", {
  version: req(1, int16),
  packetType: req(2, int8),
  messageType: req(3, int32),
  requestId: req(4, int32),
  servantName: req(5, string),
  funcName: req(6, string),
  buffer: req(7, bytes),
  timeout: req(8, int32),
  // Written always (the official Node server drops requests without them), read leniently.
  context: opt(9, map(string, string)),
  status: opt(10, map(string, string)),
});

/** The reply envelope (`ResponsePacket` in TARS). */
export const ResponsePacket = struct("ResponsePacket", {
  version: req(1, int16),
  packetType: req(2, int8),
  requestId: req(3, int32),
  messageType: req(4, int32),
  ret: req(5, int32),
  // Written always (the official Node client crashes on a reply without them), read leniently.
  buffer: opt(6, bytes),
  status: opt(7, map(string, string)),
  resultDesc: opt(8, string),
  context: opt(9, map(string, string)),
});

/** A decoded request. */
export type Request = StructValue<typeof RequestPacket.fields>;
/** A decoded reply. */
export type Response = StructValue<typeof ResponsePacket.fields>;

/** A request as given to the encoder (optional maps may be left out). */
export type RequestInput = StructInput<typeof RequestPacket.fields>;
/** A reply as given to the encoder (optional fields may be left out). */
export type ResponseInput = StructInput<typeof ResponsePacket.fields>;

function writeFrame(w: TarsWriter, packet: StructType, value: object): void {
  w.writeUint32Raw(0);
  w.writeFields(packet, value as Record<string, unknown>);
  w.patchUint32(0, w.length);
}

/** Encodes a request with its 4-byte length prefix, ready to write to a socket. */
export function encodeRequestFrame(value: RequestInput): Uint8Array {
  return encodeWith((w) => writeFrame(w, RequestPacket, value));
}

/** Encodes a reply with its 4-byte length prefix, ready to write to a socket. */
export function encodeResponseFrame(value: ResponseInput): Uint8Array {
  return encodeWith((w) => writeFrame(w, ResponsePacket, value));
}

/**
 * Encodes a reply with its 4-byte length prefix and hands `use` a view of it, valid only during
 * that call: for a server that copies it into the connection's output buffer, nothing allocated.
 */
export function withResponseFrame(value: ResponseInput, use: (frame: Uint8Array) => void): void {
  withEncoded((w) => writeFrame(w, ResponsePacket, value), use);
}

/**
 * Decodes a request from a frame body (the bytes after the length prefix). With `viewBuffer`, the
 * request's `buffer` is a view into `body` rather than a copy: for a caller that decodes the
 * arguments before `body` is reused.
 */
export function decodeRequest(body: Uint8Array, options?: { viewBuffer?: boolean }): Request {
  if (!options?.viewBuffer) return decodeFields(RequestPacket, body);
  return new TarsReader(body, { viewBytes: true }).readFields(RequestPacket, false) as Request;
}

/** Decodes a reply from a frame body (the bytes after the length prefix). */
export function decodeResponse(body: Uint8Array): Response {
  return decodeFields(ResponsePacket, body);
}
