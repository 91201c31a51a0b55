/**
 * Listens on `count` consecutive ports of 127.0.0.1 and returns the listeners, for tests of port
 * picking. The run lies below the ephemeral range (32768 and up), where the connections of tests
 * running in parallel take ports, and starts at a random place so test files running at once do
 * not reach for the same run.
 */
export function listenRun(count: number): Deno.TcpListener[] {
  for (let base = 20000 + 97 * Math.floor(Math.random() * 100); base < 32700; base += 97) {
    const listeners: Deno.TcpListener[] = [];
    try {
      for (let i = 0; i < count; i++) {
        listeners.push(Deno.listen({ hostname: "127.0.0.1", port: base + i }));
      }
      return listeners;
    } catch {
      listeners.forEach((l) => l.close());
    }
  }
  throw new Error("No run of free ports to test with");
}
