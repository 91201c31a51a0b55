/**
 * `tarscli supervisor`: the container entrypoint. Installs its signal listeners before anything
 * else (as PID 1 a signal without a listener is dropped by the kernel, and Deno must not die on
 * one either), reaps orphaned zombies when it is PID 1, runs genconf (in a child process: see
 * genconf_child.ts), then {@linkcode runSupervisor}.
 *
 * @module
 */
import { join } from "../lib/posix_path.ts";
import { readSettings } from "../lib/settings.ts";
import type { CommandContext } from "../lib/context.ts";
import { UsageError } from "../lib/usage_error.ts";
import { TarsClient } from "../protocol/client.ts";
import { ADMIN_OBJ, AdminF } from "../protocol/interfaces/admin_f.ts";
import { acceptsConnection, checkEndpoints, runBeforeCheckScript } from "./checks.ts";
import { currentTarscli, runGenconfChild } from "./genconf_child.ts";
import { createNotifyReporter } from "./notify_reporter.ts";
import { createObjectResolver } from "./object_resolver.ts";
import { createProcessRunner } from "../lib/process_group.ts";
import { createRegistryLink } from "./registry_link.ts";
import { readLogTail, type RunningService, startService } from "./service_process.ts";
import { runSupervisor } from "./supervisor.ts";
import { openSupervisorLog } from "./supervisor_log.ts";
import { startZombieReaper, type ZombieReaper } from "./zombie_reaper.ts";

const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGTERM", "SIGINT"];
const FORWARDED_SIGNALS: readonly Deno.Signal[] = ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGQUIT"];
/** Bound of each call to the service's AdminObj. */
const ADMIN_TIMEOUT = 3000;

/** Runs the supervisor until SIGTERM or SIGINT; exits 0 once the service is stopped. */
export async function run(args: string[], ctx: CommandContext): Promise<number> {
  const stop = new AbortController();
  let current: RunningService | undefined;
  const listeners: [Deno.Signal, () => void][] = [];
  for (const signal of STOP_SIGNALS) {
    listeners.push([signal, () => {
      if (stop.signal.aborted) ctx.out(`supervisor: ${signal} again; already stopping`);
      stop.abort();
    }]);
  }
  for (const signal of FORWARDED_SIGNALS) {
    listeners.push([signal, () => current?.signal(signal)]);
  }
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);

  const runner = createProcessRunner();
  let reaper: ZombieReaper | undefined;
  const closers: (() => Promise<void> | void)[] = [];
  try {
    if (args.length > 0) {
      throw new UsageError(`supervisor takes no arguments (got "${args.join(" ")}")`);
    }
    if (Deno.pid === 1) {
      reaper = startZombieReaper({ ownChildren: runner.live, log: ctx.err });
    }
    const cwd = Deno.cwd();
    const settings = readSettings(ctx.env, "supervisor", { cwd });
    const generated = await runGenconfChild({
      tarscli: currentTarscli(),
      runner,
      env: ctx.env,
      cwd,
      err: ctx.err,
    });
    for (const warning of generated.warnings) ctx.err(`supervisor: ${warning}`);
    const info = generated.info;
    const log = await openSupervisorLog(join(info.paths.log, "supervisor.log"), {
      echo: ctx.out,
      warn: ctx.err,
    });
    closers.push(() => log.close());
    log.log(`config written to ${generated.configPath}`);

    const client = new TarsClient({ log: log.log });
    closers.push(() => client.close());
    const resolver = createObjectResolver({
      client,
      locator: info.locator,
      dataDir: info.paths.data,
    });
    const adminProxy = client.proxy(AdminF, `${ADMIN_OBJ}@${info.local}`, {
      timeout: ADMIN_TIMEOUT,
    });
    const startLog = join(info.paths.log, "start.log");
    await runSupervisor({
      info,
      settings,
      link: createRegistryLink(resolver, { client }),
      reporter: createNotifyReporter(resolver, { client, info, log: log.log }),
      admin: {
        notify: async (command) => (await adminProxy.notify({ command })).ret,
        shutdown: async () => {
          await adminProxy.shutdown({});
        },
      },
      startService: () => {
        current = startService(settings.startPath, {
          runner,
          cwd: info.paths.bin,
          logPath: startLog,
        });
        return current;
      },
      checkEndpoints: (endpoints) =>
        checkEndpoints(endpoints, { retryTimeout: settings.checkRetryTimeout }),
      isListening: (endpoint) => acceptsConnection(endpoint, 1000),
      runBeforeCheck: settings.beforeCheckScript === undefined
        ? undefined
        : () =>
          runBeforeCheckScript(settings.beforeCheckScript!, {
            runner,
            timeout: settings.checkScriptTimeout,
            cwd: info.paths.bin,
          }),
      startLogTail: () => readLogTail(startLog),
      log: log.log,
      out: ctx.out,
    }, { stop: stop.signal });
    log.log("supervisor exits");
    return 0;
  } finally {
    for (const close of closers.reverse()) await close();
    reaper?.close();
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  }
}
