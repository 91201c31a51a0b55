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
 * `tars.EndpointF`: one endpoint in a name lookup answer (TarsProtocol servant/EndpointF.tars).
 * Decoders skip tags they do not know, so clients built before `authType` (13) and `nodeName` (14)
 * read answers that carry them.
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

/** What a lookup answers of an endpoint besides the endpoint string. */
export interface EndpointFContext {
  /** The server's set, `name.area.group`, or "" when it is in none. */
  readonly setId: string;
  /** The node the server runs on. */
  readonly nodeName: string;
  /** `grouprealid`: the IDC group of the server (registry/group_rules.ts), -1 for none. */
  readonly realGroup: number;
  /** `groupworkid`: the group lookups route it by, -1 for none. */
  readonly workGroup: number;
}

/** A flag's integer value, as C++'s `TC_Endpoint::parse` reads it; a bad one is an error. */
function intFlag(endpoint: Endpoint, flag: string): number | undefined {
  const found = endpoint.extra.find(([f]) => f === flag);
  if (found === undefined) return undefined;
  const value = found[1];
  if (value === undefined || !/^[+-]?\d+$/.test(value)) {
    throw new SyntaxError(`Bad endpoint flag ${flag} ${value ?? ""}: it takes an integer`);
  }
  return Number(value);
}

/**
 * The `EndpointF` a lookup answers for `endpoint`, field for field as the C++ tarsregistry
 * answers it (TarsFramework DbHandle.cpp `loadObjectIdCache` on TarsCpp's `TC_Endpoint::parse`):
 * `weight` from `-w`, or -1 without it; with a `-v` weight type other than 0, `weight` is 100
 * without `-w` and at most 100; `authType` from `-e` (0 or 1, anything else is refused, as the
 * C++ parser refuses it); `grid` and `qos` 0 whatever `-g` and `-q` say (the C++ registry does not
 * copy them); a host `*` is `0.0.0.0`. This is the endpoint as an inactive list holds it; see
 * {@linkcode asActive}. Throws a `SyntaxError` for an endpoint the C++ registry would not answer.
 */
export function toEndpointF(endpoint: Endpoint, context: EndpointFContext): EndpointFInput {
  const weightType = intFlag(endpoint, "-v") ?? 0;
  if (weightType < 0) throw new SyntaxError(`Bad endpoint flag -v ${weightType}: it is unsigned`);
  let weight = intFlag(endpoint, "-w") ?? -1;
  if (weightType !== 0) weight = weight === -1 ? 100 : Math.min(weight, 100);
  const authType = intFlag(endpoint, "-e") ?? 0;
  if (authType !== 0 && authType !== 1) {
    throw new SyntaxError(`Bad endpoint flag -e ${authType}: it takes 0 or 1`);
  }
  return {
    host: endpoint.host === "*" ? "0.0.0.0" : endpoint.host,
    port: endpoint.port,
    timeout: endpoint.timeout,
    istcp: ISTCP[endpoint.transport],
    grid: 0,
    groupworkid: context.workGroup,
    grouprealid: context.realGroup,
    setId: context.setId,
    qos: 0,
    bakFlag: 0,
    weight,
    weightType,
    authType,
    nodeName: context.nodeName,
  };
}

/** Weight type 2: weights the registry works out from load statistics. */
const DYNAMIC_WEIGHT = 2;

/**
 * An endpoint as an active list holds it: a dynamic weight type (2) is answered as 0, as the C++
 * registry answers it while its load balancing (`loadbalance<loadswitch>`) is off, its default:
 * no load statistics stand behind the weight, so clients take turns. Other endpoints are returned
 * as they are (the same object).
 */
export function asActive(value: Readonly<EndpointFInput>): Readonly<EndpointFInput> {
  if (value.weightType !== DYNAMIC_WEIGHT) return value;
  return Object.freeze({ ...value, weightType: 0 });
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
