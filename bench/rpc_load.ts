/**
 * A lean pipelining load generator: the same client for every server compared. It keeps a fixed
 * number of request frames in flight on each connection, sends one new request per reply (all
 * requests answered by one read leave in one write), and counts replies.
 *
 * @module
 */
import { countPerSecond, windowCounter } from "./measure.ts";
import { delay } from "../lib/timers.ts";

/** What to send and how much of it. */
export interface LoadOptions {
  readonly port: number;
  readonly connections: number;
  /** Requests in flight per connection. */
  readonly depth: number;
  /** One request frame, length prefix included. */
  readonly frame: Uint8Array;
  /** Offset of a 4-byte big-endian request id in `frame` to make unique per request. */
  readonly idOffset?: number;
  /** Throws unless the first reply on a connection is the right answer. */
  readonly check: (reply: Uint8Array) => void;
  readonly warmupMs: number;
  readonly measureMs: number;
}

/** Replies per second over `measureMs` after `warmupMs`. */
export async function runLoad(options: LoadOptions): Promise<number> {
  const conns: Deno.TcpConn[] = [];
  let nextId = 0;
  const counter = windowCounter();
  let stopped = false;
  let failure: unknown;

  function requests(k: number): Uint8Array {
    const { frame, idOffset } = options;
    const out = new Uint8Array(k * frame.length);
    for (let i = 0; i < k; i++) {
      const at = i * frame.length;
      out.set(frame, at);
      if (idOffset !== undefined) {
        nextId = (nextId + 1) & 0x3fffffff;
        const id = 0x40000000 | nextId;
        out[at + idOffset] = id >>> 24;
        out[at + idOffset + 1] = (id >>> 16) & 0xff;
        out[at + idOffset + 2] = (id >>> 8) & 0xff;
        out[at + idOffset + 3] = id & 0xff;
      }
    }
    return out;
  }

  async function drive(conn: Deno.TcpConn): Promise<void> {
    conn.setNoDelay(true);
    await writeAll(conn, requests(options.depth));
    let inFlight = options.depth;
    let buf = new Uint8Array(64 * 1024);
    let filled = 0;
    let replyLength = -1;
    while (!stopped || inFlight > 0) {
      if (filled === buf.length) buf = grow(buf);
      const n = await conn.read(buf.subarray(filled));
      if (n === null) throw new Error("The server closed the connection");
      filled += n;
      let pos = 0;
      let replies = 0;
      while (filled - pos >= 4) {
        const len =
          ((buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>>
          0;
        if (filled - pos < len) break;
        if (replyLength < 0) {
          options.check(buf.slice(pos, pos + len));
          replyLength = len;
        } else if (len !== replyLength) {
          throw new Error(`A reply of ${len} bytes; the first one had ${replyLength}`);
        }
        replies++;
        pos += len;
      }
      buf.copyWithin(0, pos, filled);
      filled -= pos;
      inFlight -= replies;
      counter.add(replies);
      if (!stopped && replies > 0) {
        inFlight += replies;
        await writeAll(conn, requests(replies));
      }
    }
  }

  try {
    for (let i = 0; i < options.connections; i++) {
      conns.push(await Deno.connect({ hostname: "127.0.0.1", port: options.port }));
    }
    const running = Promise.all(conns.map((c) => drive(c))).catch((error) => {
      failure ??= error;
    });
    const rate = await countPerSecond(options.warmupMs, options.measureMs, counter.take);
    stopped = true;
    await Promise.race([running, delay(2000)]);
    if (failure) throw failure;
    return rate;
  } finally {
    stopped = true;
    for (const c of conns) {
      try {
        c.close();
      } catch {
        // Already closed.
      }
    }
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

function grow(buf: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const bigger = new Uint8Array(buf.length * 2);
  bigger.set(buf);
  return bigger;
}
