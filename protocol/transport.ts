/**
 * The network seam of the client and the server: the sockets they use, Deno's by default,
 * another in tests.
 *
 * @module
 */

/** A byte stream connection; `Deno.Conn` fits it. */
export interface Conn {
  read(buf: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  close(): void;
  setNoDelay?(noDelay?: boolean): void;
  readonly remoteAddr: Deno.Addr;
}

/** A listening socket; `Deno.TcpListener` fits it. */
export interface Listener {
  /** The next connection; rejects when accepting fails (the listener stays usable) or it closed. */
  accept(): Promise<Conn>;
  readonly addr: Deno.Addr;
  close(): void;
}

/**
 * The network seam of the client, the server and their connections (their `network` option);
 * {@link denoNetwork} unless a caller passes another.
 */
export interface Network {
  listen(options: { hostname: string; port: number }): Listener;
  connect(options: { hostname: string; port: number }): Promise<Conn>;
}

/** The real network, through Deno's TCP sockets. */
export const denoNetwork: Network = {
  listen: (options) => Deno.listen({ ...options, transport: "tcp" }),
  connect: (options) => Deno.connect({ ...options, transport: "tcp" }),
};

/** Host and port of a network address, for messages and call contexts. */
export function describeAddr(addr: Deno.Addr): { host: string; port: number } {
  return "hostname" in addr ? { host: addr.hostname, port: addr.port } : { host: "", port: 0 };
}
