/**
 * What `tarscli supervisor` runs once its signal listeners are in place (command.ts): reaps
 * orphaned zombies when it is PID 1, serves the HTTP readiness probe when `TARS_PROBE_PORT` is
 * set, then runs the supervisor's machine (supervisor.ts), which runs genconf in a child process
 * (genconf_child.ts) first; once genconf ran it listens for the pod's node object
 * (node_server.ts, which loads the servant with its first connection) unless `TARS_NODE_PORT` is 0.
 *
 * @module
 */
import { join } from "../lib/posix_path.ts";
import { type LifecycleSettings, readSettings } from "../lib/settings.ts";
import type { CommandContext } from "../lib/context.ts";
import { TarsClient } from "../protocol/client.ts";
import { ADMIN_OBJ, AdminF } from "../protocol/interfaces/admin_f.ts";
import { parseEndpoint } from "../protocol/endpoint.ts";
import { acceptsConnection, checkEndpoints, runBeforeCheckScript } from "./checks.ts";
import { currentTarscli, runGenconfChild } from "./genconf_child.ts";
import { createNotifyReporter } from "./notify_reporter.ts";
import { createObjectResolver } from "./object_resolver.ts";
import { createProcessRunner, type ProcessRunner } from "../lib/process_group.ts";
import { createRegistryLink } from "./registry_link.ts";
import type { NodeControl } from "./node_servant.ts";
import { type NodeServer, registryCallers, startNodeServer } from "./node_server.ts";
import type { SignalQueue } from "./command.ts";
import { type ProbeServer, startProbeServer } from "./probe_server.ts";
import { readLogTail, startService } from "./service_process.ts";
import { stateFilePath } from "./state_file.ts";
import type { Pod } from "./pod.ts";
import { startSupervisor } from "./supervisor.ts";
import { openSupervisorLog } from "./supervisor_log.ts";
import { startZombieReaper, type ZombieReaper } from "./zombie_reaper.ts";

/** Bound of each call to the service's AdminObj. */
const ADMIN_TIMEOUT = 3000;

/**
 * Runs the supervisor until SIGTERM or SIGINT (taken from `signals`, which queued those that came
 * first); resolves to 0 once the service is stopped.
 */
export async function runSupervisor(ctx: CommandContext, signals: SignalQueue): Promise<number> {
  const runner = createProcessRunner();
  let reaper: ZombieReaper | undefined;
  let probe: ProbeServer | undefined;
  try {
    if (Deno.pid === 1) {
      reaper = startZombieReaper({ ownChildren: runner.live, log: ctx.err });
    }
    const cwd = Deno.cwd();
    const settings = readSettings(ctx.env, "supervisor", { cwd });
    if (settings.probePort !== undefined) {
      probe = await startProbeServer({
        port: settings.probePort,
        statePath: stateFilePath(settings.tarsPath),
        reportInterval: settings.reportInterval,
        log: ctx.err,
      });
    }
    const supervisor = startSupervisor({
      settings,
      out: ctx.out,
      configure: (signal, node) => configure({ ctx, settings, runner, cwd, signal, node }),
    });
    supervisor.dispatch({ type: "start" });
    signals.connect(supervisor.dispatch);
    return await supervisor.done;
  } finally {
    await probe?.close();
    reaper?.close();
  }
}

/**
 * Runs genconf in a child and opens the log, the RPC client, the service's handles and the node
 * object.
 */
async function configure(options: {
  ctx: CommandContext;
  settings: LifecycleSettings;
  runner: ProcessRunner;
  cwd: string;
  signal: AbortSignal;
  node: NodeControl;
}): Promise<Pod> {
  const { ctx, settings, runner } = options;
  const generated = await runGenconfChild({
    tarscli: currentTarscli(),
    runner,
    env: ctx.env,
    cwd: options.cwd,
    err: ctx.err,
    signal: options.signal,
  });
  for (const warning of generated.warnings) ctx.err(`supervisor: ${warning}`);
  const info = generated.info;
  const log = await openSupervisorLog(join(info.paths.log, "supervisor.log"), {
    echo: ctx.out,
    warn: ctx.err,
  });
  log.log(`config written to ${generated.configPath}`);
  // Pods spread over the registry's replicas by their node names.
  const client = new TarsClient({ log: log.log, spreadBy: info.localIp });
  const resolver = createObjectResolver({
    client,
    locator: info.locator,
    dataDir: info.paths.data,
    log: log.log,
  });
  const adminProxy = client.proxy(AdminF, `${ADMIN_OBJ}@${info.local}`, {
    timeout: ADMIN_TIMEOUT,
  });
  const startLog = join(info.paths.log, "start.log");
  let nodeServer: NodeServer | undefined;
  if (settings.nodePort !== 0) {
    try {
      // The servant and its log view load with the first connection: most pods never get one.
      nodeServer = await startNodeServer(
        async () =>
          (await import("./node_servant.ts")).nodeServant(options.node, {
            application: info.application,
            server: info.server,
            nodeName: info.localIp,
            logDir: info.paths.log,
            checkCaller: registryCallers(resolver, { ownAddress: info.localIp }),
            log: log.log,
          }),
        {
          host: info.localIp,
          port: settings.nodePort,
          range: { min: settings.randPortMin, max: settings.randPortMax },
          servicePorts: new Set(
            [...info.adapters.map((a) => a.endpoint), info.local].map((e) => parseEndpoint(e).port),
          ),
          log: log.log,
        },
      );
      log.log(`node object tars.tarsnode.NodeObj on ${nodeServer.endpoint}`);
    } catch (error) {
      // The service runs without it; the console's operations on this pod fail, saying why.
      log.log(`supervisor: no node object: ${(error as Error).message}`);
    }
  }
  return {
    info,
    link: createRegistryLink(resolver, { client }),
    reporter: createNotifyReporter(resolver, { client, info, log: log.log }),
    admin: {
      notify: async (command) => (await adminProxy.notify({ command })).ret,
      shutdown: async () => {
        await adminProxy.shutdown({});
      },
    },
    startService: () =>
      startService(settings.startPath, { runner, cwd: info.paths.bin, logPath: startLog }),
    checkEndpoints: (endpoints, signal) =>
      checkEndpoints(endpoints, { retryTimeout: settings.checkRetryTimeout, signal }),
    isListening: (endpoint) => acceptsConnection(endpoint, 1000),
    runBeforeCheck: settings.beforeCheckScript === undefined
      ? undefined
      : (signal) =>
        runBeforeCheckScript(settings.beforeCheckScript!, {
          runner,
          timeout: settings.checkScriptTimeout,
          cwd: info.paths.bin,
          signal,
        }),
    startLogTail: () => readLogTail(startLog),
    log: log.log,
    nodeEndpoint: nodeServer?.endpoint,
    closeConnections: async () => {
      await nodeServer?.close();
      await client.close();
      await resolver.settled();
    },
    closeLog: () => log.close(),
  };
}
