/**
 * The registry's HTTP listener (`/metrics`, `/targets`, `/healthz`): a small HTTP/1.1 server on
 * the same accept loop as the TARS server, because `Deno.serve` ends the whole process when
 * accepting fails (too many open files). It takes GET and HEAD without a body, keeps connections
 * alive, and bounds what a client can make it hold: a request head of at most 16 KiB, at most 256
 * connections, each closed after 60 s without a request.
 *
 * @module
 */
import { acceptLoop } from "../protocol/accept_loop.ts";
import { describeAddr } from "../protocol/transport.ts";
import type { BoundAddress } from "../protocol/server.ts";

/** Limits and dependencies of {@linkcode startHttpServer}. */
export interface HttpServerOptions {
  /** Where accept failures are reported. */
  readonly log: (line: string) => void;
  /** Connections served at once (default 256); more are closed at once. */
  readonly maxConnections?: number;
  /** Milliseconds a connection may wait for its next request (default 60,000). */
  readonly idleTimeout?: number;
}

/** A running HTTP listener. */
export interface HttpServer {
  readonly address: BoundAddress;
  /** Why it cannot accept connections right now, or undefined. */
  readonly acceptFailure: string | undefined;
  /** Closes the listener and every connection. */
  stop(): Promise<void>;
}

/** Longest request head (request line and headers). */
const MAX_HEAD = 16 * 1024;
const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  404: "Not Found",
  405: "Method Not Allowed",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  503: "Service Unavailable",
};
const CRLF2 = new Uint8Array([13, 10, 13, 10]);
const encoder = new TextEncoder();

/** Serves `handler` on `host:port` (port 0 picks a free one). */
export function startHttpServer(
  address: { host: string; port: number },
  handler: (req: Request) => Response | Promise<Response>,
  options: HttpServerOptions,
): HttpServer {
  const listener = Deno.listen({ hostname: address.host, port: address.port });
  const bound = describeAddr(listener.addr);
  const maxConnections = options.maxConnections ?? 256;
  const idleTimeout = options.idleTimeout ?? 60_000;
  const conns = new Set<Deno.Conn>();
  let failure: string | undefined;
  let stopping = false;
  const loop = acceptLoop(listener, {
    name: `http ${bound.host}:${bound.port}`,
    stopping: () => stopping,
    log: options.log,
    onFailing: (reason) => (failure = reason),
    onConnection: (conn) => {
      if (conns.size >= maxConnections) return closeQuietly(conn);
      conns.add(conn);
      serveConnection(conn, handler, { idleTimeout }).finally(() => {
        conns.delete(conn);
        closeQuietly(conn);
      });
    },
  });
  return {
    address: bound,
    get acceptFailure() {
      return failure;
    },
    async stop() {
      stopping = true;
      listener.close();
      for (const conn of conns) closeQuietly(conn);
      await loop;
    },
  };
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Answers the requests of one connection until it closes, errs or idles out. */
async function serveConnection(
  conn: Deno.Conn,
  handler: (req: Request) => Response | Promise<Response>,
  options: { idleTimeout: number },
): Promise<void> {
  let pending: Uint8Array = new Uint8Array(0);
  const chunk = new Uint8Array(4096);
  let idle = setTimeout(() => closeQuietly(conn), options.idleTimeout);
  try {
    for (;;) {
      const end = indexOf(pending, CRLF2);
      if (end < 0) {
        if (pending.length > MAX_HEAD) {
          await respond(conn, { status: 431, text: "Request head too large\n", close: true });
          return;
        }
        const n = await conn.read(chunk);
        if (n === null) return;
        pending = append(pending, chunk.subarray(0, n));
        continue;
      }
      const head = new TextDecoder().decode(pending.subarray(0, end));
      pending = pending.slice(end + 4);
      clearTimeout(idle);
      const keepAlive = await answer(conn, head, handler);
      if (!keepAlive) return;
      idle = setTimeout(() => closeQuietly(conn), options.idleTimeout);
    }
  } catch {
    // The client went away or sent something that ends the connection: nothing to answer.
  } finally {
    clearTimeout(idle);
  }
}

/** Answers one request head; resolves whether the connection stays open. */
async function answer(
  conn: Deno.Conn,
  head: string,
  handler: (req: Request) => Response | Promise<Response>,
): Promise<boolean> {
  const [requestLine, ...headerLines] = head.split("\r\n");
  const m = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(requestLine);
  const headers = new Headers();
  try {
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new SyntaxError(`bad header line`);
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
  } catch {
    await respond(conn, { status: 400, text: "Bad request header\n", close: true });
    return false;
  }
  if (!m) {
    await respond(conn, { status: 400, text: "Bad request line\n", close: true });
    return false;
  }
  const [, method, target, minor] = m;
  if (Number(headers.get("content-length") ?? 0) > 0 || headers.has("transfer-encoding")) {
    await respond(conn, { status: 400, text: "No request body is taken here\n", close: true });
    return false;
  }
  const connection = headers.get("connection")?.toLowerCase() ?? "";
  const keepAlive = minor === "1" ? connection !== "close" : connection === "keep-alive";
  let response: Response;
  try {
    response = await handler(
      new Request(new URL(target, "http://registry"), { method, headers }),
    );
  } catch {
    response = new Response("Bad request\n", { status: 400 });
  }
  const body = new Uint8Array(await response.arrayBuffer());
  await respond(conn, {
    status: response.status,
    headers: response.headers,
    body: method === "HEAD" ? undefined : body,
    length: body.length,
    close: !keepAlive,
  });
  return keepAlive;
}

async function respond(
  conn: Deno.Conn,
  r: {
    status: number;
    headers?: Headers;
    text?: string;
    body?: Uint8Array;
    length?: number;
    close: boolean;
  },
): Promise<void> {
  const body = r.text !== undefined ? encoder.encode(r.text) : r.body ?? new Uint8Array(0);
  let head = `HTTP/1.1 ${r.status} ${REASONS[r.status] ?? "Status"}\r\n`;
  const headers = r.headers ?? new Headers({ "content-type": "text/plain; charset=utf-8" });
  headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "connection") head += `${name}: ${value}\r\n`;
  });
  head += `content-length: ${r.length ?? body.length}\r\n`;
  if (r.close) head += "connection: close\r\n";
  const data = append(encoder.encode(head + "\r\n"), body);
  for (let off = 0; off < data.length;) off += await conn.write(data.subarray(off));
}

function append(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOf(data: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= data.length; i++) {
    for (let j = 0; j < needle.length; j++) if (data[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
