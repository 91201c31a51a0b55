/**
 * Client connections from a chosen source address, such as 127.0.0.66: `Deno.connect` cannot bind
 * one, so these go through `node:net` (its `localAddress`). Tests use them to be a peer other than
 * 127.0.0.1: a pod with an address of its own, or a stranger.
 *
 * @module
 */
import net from "node:net";
import type { Conn, Network } from "../../protocol/transport.ts";

/** A {@linkcode Network} for a client whose connections leave from `localAddress`. */
export function boundNetwork(localAddress: string): Network {
  return {
    listen() {
      throw new Error("boundNetwork only connects; listen with the real network");
    },
    connect: ({ hostname, port }) => connectFrom(localAddress, { hostname, port }),
  };
}

/** Connects to `target` from `localAddress`; resolves once connected. */
export function connectFrom(
  localAddress: string,
  target: { hostname: string; port: number },
): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: target.hostname, port: target.port, localAddress });
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socketConn(socket));
    });
  });
}

/** A node:net socket as a {@linkcode Conn}. */
function socketConn(socket: net.Socket): Conn {
  const chunks: Uint8Array[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  socket.on("data", (data: Uint8Array) => {
    chunks.push(data);
    notify();
  });
  socket.on("end", () => {
    ended = true;
    notify();
  });
  socket.on("close", () => {
    ended = true;
    notify();
  });
  socket.on("error", (error) => {
    failure = error;
    notify();
  });
  return {
    async read(buf) {
      while (chunks.length === 0 && !ended && !failure) {
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (chunks.length === 0) {
        if (failure) throw failure;
        return null;
      }
      const chunk = chunks[0];
      const n = Math.min(buf.length, chunk.length);
      buf.set(chunk.subarray(0, n));
      if (n === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(n);
      return n;
    },
    write(data) {
      return new Promise((resolve, reject) => {
        socket.write(data, (error) => (error ? reject(error) : resolve(data.length)));
      });
    },
    close() {
      socket.destroy();
    },
    setNoDelay(noDelay) {
      socket.setNoDelay(noDelay);
    },
    remoteAddr: {
      transport: "tcp",
      hostname: socket.remoteAddress ?? "",
      port: socket.remotePort ?? 0,
    },
  };
}
