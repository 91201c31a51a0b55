/**
 * The TARS return codes and the error of a failed call, thrown by the client and by a servant
 * that answers with a code of its own.
 *
 * @module
 */

/** TARS return codes (`iRet`) with their meaning. */
export const TarsCode = {
  SUCCESS: 0,
  SERVER_DECODE_ERR: -1,
  SERVER_ENCODE_ERR: -2,
  NO_FUNC: -3,
  NO_SERVANT: -4,
  RESET_GRID: -5,
  QUEUE_TIMEOUT: -6,
  INVOKE_TIMEOUT: -7,
  PROXY_CONNECT_ERR: -8,
  OVERLOAD: -9,
  ADAPTER_NULL: -10,
  INVALID_SET: -11,
  CLIENT_DECODE_ERR: -12,
  SEND_REQUEST_ERR: -13,
  UNKNOWN: -99,
} as const;

const DESCRIPTIONS: Record<number, string> = {
  [-1]: "server decode error",
  [-2]: "server encode error",
  [-3]: "no such function",
  [-4]: "no such servant",
  [-5]: "reset grid",
  [-6]: "server queue timeout",
  [-7]: "invoke timeout",
  [-8]: "proxy connect error",
  [-9]: "server overload",
  [-10]: "adapter null",
  [-11]: "invalid set",
  [-12]: "client decode error",
  [-13]: "send request error",
  [-99]: "unknown error",
};

/** Words for a TARS return code. */
export function describeCode(code: number): string {
  return DESCRIPTIONS[code] ?? `error ${code}`;
}

/**
 * A failed TARS call, on either side: a client sees it when a call fails; a servant throws it
 * to answer with a specific return code.
 */
export class TarsCallError extends Error {
  /** The TARS return code (`iRet`), negative for framework errors. */
  readonly code: number;

  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TarsCallError";
    this.code = code;
  }
}
