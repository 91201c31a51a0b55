import {
  int32,
  opt,
  req,
  string,
  struct,
  type StructInput,
  type StructValue,
} from "../codec/types.ts";

/**
 * `tars.EndpointF`: one endpoint in a name lookup answer. Tags above 12 differ between TARS
 * versions, so leave `authType` and `nodeName` unset unless a peer asks for them.
 */
export const EndpointF = struct("tars.EndpointF", {
  host: req(0, string),
  port: req(1, int32),
  timeout: req(2, int32),
  /** 0 udp, 1 tcp, 2 ssl. */
  istcp: req(3, int32),
  grid: req(4, int32),
  groupworkid: opt(5, int32),
  grouprealid: opt(6, int32),
  setId: opt(7, string),
  qos: opt(8, int32),
  bakFlag: opt(9, int32),
  weight: opt(11, int32),
  weightType: opt(12, int32),
  authType: opt(13, int32),
  nodeName: opt(14, string),
});

/** A decoded `EndpointF`. */
export type EndpointFValue = StructValue<typeof EndpointF.fields>;

/** An `EndpointF` as given to the encoder (optional fields may be left out). */
export type EndpointFInput = StructInput<typeof EndpointF.fields>;
