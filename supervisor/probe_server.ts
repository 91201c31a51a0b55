/**
 * The HTTP readiness probe (`TARS_PROBE_PORT`): `GET /ready` answers 200 when `tarscli hzcheck`
 * would exit 0, else 503 with the same one-line reason (readiness.ts). An httpGet probe costs the
 * kubelet a connection instead of a process start per period.
 *
 * A minimal HTTP/1.1 responder on `Deno.listen`, not `Deno.serve`: the supervisor lives as long
 * as the pod, and a probe needs one request line per connection (the kubelet's prober sends one
 * request and closes). It bounds what a peer can make it hold: the request head (4 KiB), the time
 * to send it (2 s) and the connections at once (16; more are closed unanswered).
 *
 * @module
 */
import { delay } from "../lib/timers.ts";
import { readinessSync } from "./readiness.ts";

/** A running probe server. */
export interface ProbeServer {
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and closes the open connections. */
  close(): Promise<void>;
}

/** Options of {@linkcode startProbeServer}. */
export interface ProbeServerOptions {
  /** The port; 0 picks a free one (tests). */
  readonly port: number;
  /** Where to listen; default every address (`::`, else `0.0.0.0` without IPv6). */
  readonly hostname?: string;
  /** The state file the supervisor writes (`data/check_status`), read for every request. */
  readonly statePath: string;
  /** `TARS_REPORT_INTERVAL`: a state older than twice this is a supervisor not alive. */
  readonly reportInterval: number;
  /** Reports failures to accept connections. */
  readonly log: (line: string) => void;
  readonly now?: () => number;
}

const MAX_HEAD = 4096;
const READ_TIMEOUT = 2000;
const MAX_CONNECTIONS = 16;
const HEAD_END = [13, 10, 13, 10];

function listenEverywhere(port: number): Deno.TcpListener {
  try {
    return Deno.listen({ hostname: "::", port });
  } catch (error) {
    // A host without IPv6: every IPv4 address.
    if (error instanceof Deno.errors.AddrInUse) throw error;
    return Deno.listen({ hostname: "0.0.0.0", port });
  }
}

/** Where the head ends (index after `\r\n\r\n`), or -1. */
function headEnd(bytes: Uint8Array, length: number): number {
  outer: for (let i = 0; i + 4 <= length; i++) {
    for (let j = 0; j < 4; j++) if (bytes[i + j] !== HEAD_END[j]) continue outer;
    return i + 4;
  }
  return -1;
}

function response(status: number, text: string, body: string, head: boolean): Uint8Array {
  const content = body === "" ? "" : `${body}\n`;
  const bytes = new TextEncoder().encode(content);
  return new TextEncoder().encode(
    `HTTP/1.1 ${status} ${text}\r\ncontent-type: text/plain; charset=utf-8\r\n` +
      `content-length: ${bytes.length}\r\nconnection: close\r\n\r\n${head ? "" : content}`,
  );
}

/** Reads the head of one request; undefined when it does not come complete in time. */
async function readHead(conn: Deno.Conn): Promise<string | undefined> {
  const buffer = new Uint8Array(MAX_HEAD);
  let length = 0;
  const timer = setTimeout(() => conn.close(), READ_TIMEOUT);
  try {
    while (length < MAX_HEAD) {
      const n = await conn.read(buffer.subarray(length));
      if (n === null) return undefined;
      length += n;
      if (headEnd(buffer, length) >= 0) {
        return new TextDecoder().decode(buffer.subarray(0, length));
      }
    }
    return undefined;
  } catch {
    // Closed at the timeout or reset by the peer: nothing to answer.
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** Starts listening; rejects when the port cannot be bound. */
export function startProbeServer(options: ProbeServerOptions): Promise<ProbeServer> {
  const now = options.now ?? Date.now;
  const listener = options.hostname === undefined
    ? listenEverywhere(options.port)
    : Deno.listen({ hostname: options.hostname, port: options.port });
  const open = new Set<Deno.Conn>();
  const handling = new Set<Promise<void>>();

  async function answer(conn: Deno.Conn): Promise<void> {
    const head = await readHead(conn);
    if (head === undefined) return;
    const [method = "", target = ""] = head.slice(0, head.indexOf("\r\n")).split(" ");
    const isHead = method === "HEAD";
    let reply: Uint8Array;
    if (method !== "GET" && !isHead) reply = response(405, "Method Not Allowed", "", false);
    else if (target.split("?")[0] !== "/ready") {
      reply = response(404, "Not Found", "GET /ready", isHead);
    } else {
      const ready = readinessSync(options.statePath, {
        reportInterval: options.reportInterval,
        now: now(),
      });
      reply = ready.ready
        ? response(200, "OK", "ready", isHead)
        : response(503, "Service Unavailable", ready.reason, isHead);
    }
    let at = 0;
    while (at < reply.length) at += await conn.write(reply.subarray(at));
  }

  async function serve(conn: Deno.Conn): Promise<void> {
    try {
      if (open.size > MAX_CONNECTIONS) return;
      await answer(conn);
    } catch {
      // The peer went away mid-answer: nothing to do for it.
    } finally {
      open.delete(conn);
      try {
        conn.close();
      } catch {
        // Closed already (the read timeout).
      }
    }
  }

  const accepting = (async () => {
    for (;;) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (error instanceof Deno.errors.BadResource) return; // closed
        options.log(`readiness probe server: ${(error as Error).message}`);
        await delay(100);
        continue;
      }
      open.add(conn);
      const served = serve(conn).finally(() => handling.delete(served));
      handling.add(served);
    }
  })();

  return Promise.resolve({
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      listener.close();
      await accepting;
      for (const conn of open) {
        try {
          conn.close();
        } catch {
          // Closed meanwhile.
        }
      }
      await Promise.all([...handling]);
    },
  });
}
