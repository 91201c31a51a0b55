/**
 * Starts the benchmarked servers as separate processes on free loopback ports.
 *
 * @module
 */
import { freePort } from "../tests/support/free_port.ts";
import { delay } from "../lib/timers.ts";

/** A server process that is listening. */
export interface RunningServer {
  readonly port: number;
  /** Kills the process and waits for it to exit. */
  stop(): Promise<void>;
}

const here = new URL(".", import.meta.url);

/** How to start each server compared, given its port. */
export const SERVERS = {
  ours: (port: number) => denoRun("servers/tars_server.ts", port),
  tarsRpc: (port: number) => ["node", path("servers/tars_rpc_server.cjs"), String(port)],
  echoEach: (port: number) => denoRun("servers/echo_server.ts", port, "each"),
  echoCoalesced: (port: number) => denoRun("servers/echo_server.ts", port, "coalesced"),
} as const;

/** Starts a server and resolves once it accepts connections (at most 15 s). */
export function startServer(kind: keyof typeof SERVERS): Promise<RunningServer> {
  return startCommandServer(kind, SERVERS[kind]);
}

/**
 * Starts the command `commandFor(port)` on a free port and resolves once it accepts connections
 * (at most 15 s); its standard error is quoted when it does not start.
 */
export async function startCommandServer(
  name: string,
  commandFor: (port: number) => string[],
): Promise<RunningServer> {
  const port = freePort();
  const [cmd, ...args] = commandFor(port);
  const child = new Deno.Command(cmd, {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let errors = "";
  const collecting = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (s) => void (errors = (errors + s).slice(-4000)) }),
  ).catch(() => {});
  let exited = false;
  const status = child.status.finally(() => (exited = true));
  const server = {
    port,
    async stop() {
      if (!exited) {
        try {
          child.kill("SIGKILL");
        } catch {
          // It exited meanwhile.
        }
      }
      await status;
      await collecting;
    },
  };
  try {
    await waitForListener(port, () => exited);
    return server;
  } catch (error) {
    await server.stop();
    throw new Error(`The ${name} server did not start: ${(error as Error).message}\n${errors}`);
  }
}

function denoRun(script: string, port: number, ...rest: string[]): string[] {
  return [Deno.execPath(), "run", "--allow-net", path(script), String(port), ...rest];
}

function path(rel: string): string {
  return new URL(rel, here).pathname;
}

async function waitForListener(port: number, exited: () => boolean): Promise<void> {
  const deadline = performance.now() + 15_000;
  for (;;) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch (error) {
      if (exited()) throw new Error("the process exited");
      if (performance.now() > deadline) throw error;
      await delay(50);
    }
  }
}
