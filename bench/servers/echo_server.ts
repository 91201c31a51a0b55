/**
 * A raw length-prefixed echo on 127.0.0.1 at the port given as the first argument, until killed:
 * every frame (4-byte big-endian length that counts itself) comes back unchanged. The second
 * argument picks how replies are written: `each` writes every frame as soon as it is parsed (one
 * write per frame, the baseline the issue names), `coalesced` writes all frames completed by one
 * read in a single write.
 *
 * @module
 */

const port = Number(Deno.args[0]);
const coalesced = Deno.args[1] === "coalesced";

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

async function serve(conn: Deno.TcpConn): Promise<void> {
  conn.setNoDelay(true);
  let buf = new Uint8Array(64 * 1024);
  let filled = 0;
  try {
    for (;;) {
      if (filled === buf.length) {
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      const n = await conn.read(buf.subarray(filled));
      if (n === null) break;
      filled += n;
      let pos = 0;
      while (filled - pos >= 4) {
        const len =
          ((buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>>
          0;
        if (len < 4) throw new RangeError(`Bad frame length ${len}`);
        if (filled - pos < len) break;
        if (!coalesced) await writeAll(conn, buf.subarray(pos, pos + len));
        pos += len;
      }
      if (coalesced && pos > 0) await writeAll(conn, buf.subarray(0, pos));
      buf.copyWithin(0, pos, filled);
      filled -= pos;
    }
  } catch {
    // The benchmark closed the connection.
  } finally {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
  }
}

for await (const conn of Deno.listen({ hostname: "127.0.0.1", port })) serve(conn);
