/**
 * Starts `registry/main.ts` as its own process, as `deno task start` does, on loopback with the
 * ports it picks (or the one given), for end-to-end tests and the demo.
 *
 * @module
 */
import { QUERY_OBJ } from "../protocol/interfaces/query_f.ts";
import { type Child, spawnChild, tail } from "./child.ts";

const ROOT = new URL("../", import.meta.url);

/**
 * The `deno run` flags of `deno task start` in the checkout at `root` (its deno.json): the
 * permissions and the V8 flags, so each checkout's registry runs as its own start task runs it.
 */
export function startTaskFlags(root: string | URL = ROOT): string[] {
  const dir = root instanceof URL ? root : new URL(`file://${root.replace(/\/?$/, "/")}`);
  const file = new URL("deno.json", dir);
  const config = JSON.parse(Deno.readTextFileSync(file)) as { tasks?: { start?: string } };
  const start = config.tasks?.start;
  if (!start) throw new Error(`No start task in ${file.pathname}`);
  return start.split(/\s+/).filter((w) => w.startsWith("--allow-") || w.startsWith("--v8-flags="));
}

/** Bound on the registry starting and on a graceful stop. */
const PROCESS_TIMEOUT_MS = 20_000;

/** A registry process that is listening. */
export interface RegistryProcess {
  /** Port of QueryObj, Registry and AdminObj (the one asked for while it has not opened it). */
  readonly port: number;
  /** Port of /metrics, /targets and /healthz. */
  readonly metricsPort: number;
  /** `tars.tarsregistry.QueryObj@tcp -h HOST -p PORT`: what pods and clients use. */
  readonly locator: string;
  /** `tcp -h HOST -p PORT`: its TARS endpoint. */
  readonly endpoint: string;
  readonly child: Child;
  /** Its standard output so far. */
  readonly stdout: readonly string[];
  /** SIGTERM and wait (bounded, then SIGKILL); throws when it needed SIGKILL. */
  terminate(): Promise<Deno.CommandStatus>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<Deno.CommandStatus>;
}

/** Options of {@linkcode startRegistryProcess}. */
export interface RegistryProcessOptions {
  /** Added to the inherited environment. */
  readonly env?: Record<string, string>;
  /** Loopback address of the TARS endpoint; default 127.0.0.1. */
  readonly host?: string;
  /** Port of the TARS endpoint; default 0, any free one. */
  readonly port?: number;
  /** The checkout whose `registry/main.ts` runs; default this one (benches compare another). */
  readonly root?: string | URL;
  /** Runs it under `ulimit -n` of this many open files (through `sh`). */
  readonly fileLimit?: number;
  /**
   * `tars` (default): resolve once the TARS endpoint listens. `http`: once HTTP listens, which it
   * does before the store is loaded (the TARS port opens after that).
   */
  readonly until?: "tars" | "http";
  /** Runs it in a process group of its own, out of the reach of a terminal's Ctrl-C (the demo). */
  readonly detached?: boolean;
}

/**
 * Starts the registry with `args` after `--endpoint tcp -h HOST -p PORT` (`host`, default
 * 127.0.0.1; `port`, default 0: any free one) and `--metrics 127.0.0.1:0`; resolves once it
 * printed both ports (or only the HTTP one, with `until: "http"`).
 */
export async function startRegistryProcess(
  args: string[],
  options: RegistryProcessOptions = {},
): Promise<RegistryProcess> {
  const host = options.host ?? "127.0.0.1";
  const denoArgs = [
    "run",
    ...startTaskFlags(options.root),
    "registry/main.ts",
    "--endpoint",
    `tcp -h ${host} -p ${options.port ?? 0}`,
    "--metrics",
    "127.0.0.1:0",
    ...args,
  ];
  const [command, commandArgs] = options.fileLimit === undefined
    ? [Deno.execPath(), denoArgs]
    : ["sh", [
      "-c",
      'ulimit -n "$0" && exec "$@"',
      String(options.fileLimit),
      Deno.execPath(),
      ...denoArgs,
    ]];
  const child = spawnChild("tarsregistry", command, {
    args: commandArgs,
    cwd: options.root ?? ROOT,
    env: options.env,
    detached: options.detached,
  });
  const kill = async () =>
    (await child.stop({ signal: "SIGKILL", grace: PROCESS_TIMEOUT_MS })).status;
  try {
    const [, metricsPort] = await child.waitForLine(
      /^metrics on http:\/\/[^/]*:(\d+)\/metrics/,
      PROCESS_TIMEOUT_MS,
    );
    const port = options.until === "http" ? options.port ?? 0 : Number(
      (await child.waitForLine(
        /^tarsregistry listening on tcp -h \S+ -p (\d+)/,
        PROCESS_TIMEOUT_MS,
      ))[1],
    );
    return {
      port,
      metricsPort: Number(metricsPort),
      locator: `${QUERY_OBJ}@tcp -h ${host} -p ${port}`,
      endpoint: `tcp -h ${host} -p ${port}`,
      child,
      stdout: child.stdout,
      kill,
      async terminate() {
        const { status, killed } = await child.stop({ grace: PROCESS_TIMEOUT_MS });
        if (killed) throw new Error(`tarsregistry did not stop on SIGTERM:\n${tail(child.lines)}`);
        return status;
      },
    };
  } catch (error) {
    await kill();
    throw error;
  }
}
