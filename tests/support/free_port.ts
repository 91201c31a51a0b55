/**
 * A free loopback port for a test's server (nothing listens on it once this returns).
 *
 * @module
 */

/** A port of 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
