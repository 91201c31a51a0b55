/**
 * `EndpointF` (EndpointF.tars), the endpoint of a lookup answer, and the one conversion between
 * it and a parsed endpoint.
 *
 * @module
 */
import {
  int32,
  opt,
  req,
  string,
  struct,
  type StructInput,
  type StructValue,
} from "../codec/types.ts";
import { DEFAULT_ENDPOINT_TIMEOUT, type Endpoint, type Transport } from "../endpoint.ts";

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

/** `EndpointF.istcp` of each transport: the one table between endpoint strings and EndpointF. */
const ISTCP: Readonly<Record<Transport, number>> = { udp: 0, tcp: 1, ssl: 2 };

/** Whether an `EndpointF` is reached over a TCP connection (tcp or ssl, not udp). */
export function isTcpEndpointF(value: EndpointFInput): boolean {
  return value.istcp !== ISTCP.udp;
}

/**
 * The `EndpointF` a lookup answers for `endpoint` of a server in set `setId` ("" for none): the
 * grid, QoS and weight flags (`-g`, `-q`, `-w`, `-v`) go to their fields. Tags 13 and 14 differ
 * between TARS versions, so they are left unset on the wire.
 */
export function toEndpointF(endpoint: Endpoint, options: { setId: string }): EndpointFInput {
  const flag = (name: string) => Number(endpoint.extra.find(([f]) => f === name)?.[1] ?? 0) || 0;
  return {
    host: endpoint.host,
    port: endpoint.port,
    timeout: endpoint.timeout,
    istcp: ISTCP[endpoint.transport],
    grid: flag("-g"),
    groupworkid: 0,
    grouprealid: 0,
    setId: options.setId,
    qos: flag("-q"),
    bakFlag: 0,
    weight: flag("-w"),
    weightType: flag("-v"),
  };
}

/**
 * The endpoint an `EndpointF` names: its transport from `istcp` (an unknown value is tcp), its
 * timeout, or the default one when it gives none.
 */
export function fromEndpointF(value: EndpointFValue): Endpoint {
  const transport = (Object.keys(ISTCP) as Transport[]).find((t) => ISTCP[t] === value.istcp);
  return {
    transport: transport ?? "tcp",
    host: value.host,
    port: value.port,
    timeout: value.timeout > 0 ? value.timeout : DEFAULT_ENDPOINT_TIMEOUT,
    extra: [],
  };
}
