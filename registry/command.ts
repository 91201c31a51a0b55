/**
 * The `tarscli registry` command and the `tarsregistry` binary's body: reads the flags, starts
 * the registry and runs it until a signal or an AdminF.shutdown.
 *
 * @module
 */
import type { CommandContext } from "../lib/mod.ts";
import { QUERY_OBJ } from "../protocol/interfaces/query_f.ts";
import { readRegistryConfig, registryUsage } from "./config.ts";
import { type RunningRegistry, startRegistry } from "./run.ts";

/** `tarscli registry`: {@linkcode runRegistry} called so. */
export function run(args: string[], ctx: CommandContext): Promise<number> {
  return runRegistry(args, ctx, { program: "tarscli registry" });
}

/**
 * `tarscli registry` / `tarsregistry` (`options.program`, how it was called, for its help): runs
 * the registry until SIGTERM, SIGINT or an AdminF.shutdown, then stops gracefully. SIGHUP
 * reads the registration tokens file again.
 */
export async function runRegistry(
  args: string[],
  ctx: CommandContext,
  options: { readonly program: string },
): Promise<number> {
  const config = readRegistryConfig(args, ctx.env, { cwd: Deno.cwd() });
  if (config === "help") {
    registryUsage(options.program).forEach(ctx.out);
    return 0;
  }
  // Listeners first: a signal during start-up must stop the registry, not kill it mid-write.
  const stop = new AbortController();
  let signalled = () => {};
  const stopSignal = new Promise<string>((resolve) => (signalled = () => {
    stop.abort();
    resolve("signal");
  }));
  const signals: Deno.Signal[] = ["SIGTERM", "SIGINT"];
  for (const s of signals) Deno.addSignalListener(s, signalled);
  const log = (line: string) => ctx.err(`${new Date().toISOString()} ${line}`);
  // Listening from the start: without a listener a SIGHUP would end the process.
  let registry: RunningRegistry | undefined;
  const hangup = () => {
    if (!registry) return log("SIGHUP while the registry starts: ignored");
    registry.reloadTokens().then((read) => {
      if (!read) log("SIGHUP: no registration tokens file to read again (--registration-tokens)");
    }, (error) => log(`SIGHUP: reading the registration tokens failed: ${error.message}`));
  };
  Deno.addSignalListener("SIGHUP", hangup);
  try {
    try {
      registry = await startRegistry(config, {
        now: () => Date.now(),
        log,
        pid: Deno.pid,
        signal: stop.signal,
        onHttpListening: ({ host, port }) =>
          ctx.out(
            `metrics on http://${host}:${port}/metrics, targets on /targets, health on /healthz`,
          ),
      });
    } catch (error) {
      if (!stop.signal.aborted) throw error;
      ctx.out("tarsregistry stopped before its store was loaded");
      return 0;
    }
    const { host, port } = registry.address;
    ctx.out(`tarsregistry listening on tcp -h ${host} -p ${port} (store ${redact(config.store)})`);
    ctx.out(
      `query it with the locator ${QUERY_OBJ}@tcp -h ${config.advertise} -p ${port}`,
    );
    await Promise.race([stopSignal, registry.shutdownRequested]);
    ctx.out("tarsregistry stopping");
    await registry.stop();
    ctx.out("tarsregistry stopped");
    return 0;
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, signalled);
    Deno.removeSignalListener("SIGHUP", hangup);
  }
}

function redact(store: string): string {
  return store.replace(/^(mysql:\/\/[^:@/]*):[^@]*@/, "$1:***@");
}
