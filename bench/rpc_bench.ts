/**
 * What the RPC benchmarks send: the request frame of one `echo` call, the checks on replies, and
 * a load driven through our TarsClient.
 *
 * @module
 */
import {
  decodeFields,
  decodeResponse,
  encodeFields,
  encodeRequestFrame,
  PACKET_NORMAL,
  TARS_VERSION,
  TarsClient,
} from "../protocol/mod.ts";
import { countPerSecond, rateOfLoops } from "./measure.ts";
import { BENCH_SERVANT, BenchEcho } from "./servers/echo_iface.ts";

const ECHO = BenchEcho.compiled.get("echo")!;
const FIRST_ID = 0x40000000;

/** A request frame for `echo` with a payload of `size` bytes. */
export interface BenchRequest {
  readonly payload: Uint8Array;
  readonly frame: Uint8Array;
  /** Where the 4-byte request id sits in `frame`. */
  readonly idOffset: number;
}

/** Builds the request frame of an `echo` call carrying `size` bytes. */
export function benchRequest(size: number): BenchRequest {
  const payload = new Uint8Array(size).map((_, i) => i * 7);
  const frame = requestFrame(payload, FIRST_ID);
  const other = requestFrame(payload, FIRST_ID + 1);
  // Ids this large are written as 4-byte integers: the one byte that differs ends the id.
  const idOffset = frame.findIndex((b, i) => b !== other[i]) - 3;
  return { payload, frame, idOffset };
}

function requestFrame(payload: Uint8Array, requestId: number): Uint8Array {
  return encodeRequestFrame({
    version: TARS_VERSION,
    packetType: PACKET_NORMAL,
    messageType: 0,
    requestId,
    servantName: BENCH_SERVANT,
    funcName: "echo",
    buffer: encodeFields(ECHO.args, { data: payload }),
    timeout: 3000,
    context: new Map(),
    status: new Map(),
  }).slice();
}

/** Throws unless `reply` is a successful `echo` reply carrying `payload`. */
export function checkTarsReply(reply: Uint8Array, payload: Uint8Array): void {
  const response = decodeResponse(reply.subarray(4));
  if (response.ret !== 0) {
    throw new Error(`The server answered ${response.ret}: ${response.resultDesc}`);
  }
  const { ret } = decodeFields(ECHO.result, response.buffer) as { ret: Uint8Array };
  if (!sameBytes(ret, payload)) throw new Error("The server echoed different bytes");
}

/** Throws unless `reply` has the length of `frame` (a raw echo). */
export function checkEchoReply(reply: Uint8Array, frame: Uint8Array): void {
  if (reply.length !== frame.length) {
    throw new Error(`The echo sent ${reply.length} bytes back instead of ${frame.length}`);
  }
}

/**
 * Calls `echo` through our TarsClient with `inFlight` calls outstanding at all times (one
 * connection, as the client multiplexes), and returns calls per second over `measureMs` after
 * `warmupMs`.
 */
export async function runClientLoad(
  options: {
    port: number;
    inFlight: number;
    payload: Uint8Array;
    warmupMs: number;
    measureMs: number;
  },
): Promise<number> {
  const client = new TarsClient();
  const proxy = client.proxy(
    BenchEcho,
    `${BENCH_SERVANT}@tcp -h 127.0.0.1 -p ${options.port} -t 10000`,
  );
  try {
    const { ret } = await proxy.echo({ data: options.payload });
    if (!sameBytes(ret, options.payload)) throw new Error("The server echoed different bytes");
    return await rateOfLoops(options.inFlight, async () => {
      const { ret } = await proxy.echo({ data: options.payload });
      if (ret.length !== options.payload.length) throw new Error("A reply of the wrong size");
    }, (take) => countPerSecond(options.warmupMs, options.measureMs, take));
  } finally {
    await client.close();
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
