/**
 * The supervisor's health checks: a TCP connect to every endpoint the service serves (an endpoint
 * that accepts a connection is up), and the optional before-check script bounded by a timeout.
 *
 * @module
 */
import { drain, type GroupExit, type ProcessRunner, runInGroup } from "../lib/process_group.ts";
import { delay } from "../lib/timers.ts";
import { parseEndpoint } from "../protocol/endpoint.ts";

/** One TCP connect to host:port bounded by timeout; rejects when refused or timed out. */
export type Connect = (host: string, port: number, timeout: number) => Promise<void>;

/** The default {@linkcode Connect}: opens a TCP connection and closes it at once. */
export async function tcpConnect(host: string, port: number, timeout: number): Promise<void> {
  const abort = new AbortController();
  const timer = setTimeout(
    () => abort.abort(new Deno.errors.TimedOut(`No connection within ${timeout} ms`)),
    timeout,
  );
  try {
    const conn = await Deno.connect({ hostname: host, port, signal: abort.signal });
    conn.close();
  } catch (error) {
    throw abort.signal.aborted ? abort.signal.reason : error;
  } finally {
    clearTimeout(timer);
  }
}

/** The outcome of {@linkcode checkEndpoints}. */
export interface EndpointCheckResult {
  readonly ok: boolean;
  /** The first endpoint that failed, with the reason. */
  readonly failure?: string;
}

/** Options of {@linkcode checkEndpoints}. */
export interface CheckEndpointsOptions {
  /** A failed endpoint is tried again until this many ms passed since the check began. */
  readonly retryTimeout: number;
  readonly connect?: Connect;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Pause between two tries of one endpoint, default 500 ms. */
  readonly retryDelay?: number;
  /** Bound of one connect, default 2000 ms (the endpoint's `-t` when that is shorter). */
  readonly connectTimeout?: number;
  /** Ends the check early: the endpoints not yet up fail with "check cancelled". */
  readonly signal?: AbortSignal;
}

/** Hosts that mean "every interface": checked on the loopback address of the same family. */
const WILDCARD_HOSTS: Readonly<Record<string, string>> = { "0.0.0.0": "127.0.0.1", "::": "::1" };

/**
 * Checks every endpoint string (`tcp -h H -p P -t T`) at once; a failed one is tried again until
 * `retryTimeout` ms passed since the check began. UDP endpoints cannot be checked by a connect
 * and count as up. The result names the first endpoint, in the given order, that failed.
 */
export async function checkEndpoints(
  endpoints: readonly string[],
  options: CheckEndpointsOptions,
): Promise<EndpointCheckResult> {
  const connect = options.connect ?? tcpConnect;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => delay(ms, { signal: options.signal }));
  const retryDelay = options.retryDelay ?? 500;
  const connectTimeout = options.connectTimeout ?? 2000;
  const deadline = now() + options.retryTimeout;

  async function checkOne(text: string): Promise<string | undefined> {
    let endpoint;
    try {
      endpoint = parseEndpoint(text);
    } catch (error) {
      return (error as Error).message;
    }
    if (endpoint.transport === "udp") return undefined;
    const host = WILDCARD_HOSTS[endpoint.host] ?? endpoint.host;
    const timeout = Math.min(endpoint.timeout, connectTimeout);
    for (let attempt = 1;; attempt++) {
      if (options.signal?.aborted) return `${text}: check cancelled`;
      try {
        await connect(host, endpoint.port, timeout);
        return undefined;
      } catch (error) {
        if (options.signal?.aborted) return `${text}: check cancelled`;
        const left = deadline - now();
        if (left <= 0) {
          const tries = attempt === 1 ? "1 try" : `${attempt} tries`;
          return `${text}: ${(error as Error).message} (${tries})`;
        }
        await sleep(Math.min(retryDelay, left));
      }
    }
  }

  const failures = await Promise.all(endpoints.map(checkOne));
  const failure = failures.find((f) => f !== undefined);
  return failure === undefined ? { ok: true } : { ok: false, failure };
}

/**
 * Whether an endpoint string accepts a TCP connection right now (one try, bounded by `timeout`
 * ms; a wildcard host is tried on loopback, as {@linkcode checkEndpoints} does). False also for
 * an endpoint that cannot be parsed.
 */
export async function acceptsConnection(
  text: string,
  timeout: number,
  connect: Connect = tcpConnect,
): Promise<boolean> {
  try {
    const endpoint = parseEndpoint(text);
    await connect(WILDCARD_HOSTS[endpoint.host] ?? endpoint.host, endpoint.port, timeout);
    return true;
  } catch {
    return false;
  }
}

/** Options of {@linkcode runBeforeCheckScript}. */
export interface BeforeCheckOptions {
  readonly runner: ProcessRunner;
  /** The script is killed after this many ms. */
  readonly timeout: number;
  /** Kills the script at once. */
  readonly signal?: AbortSignal;
  readonly cwd: string;
  /** Added to the inherited environment. */
  readonly env?: Record<string, string>;
  /** Most bytes of the script's output kept for `detail`, default 2048 (the last ones). */
  readonly maxOutputBytes?: number;
}

/** The last `max` bytes pushed, as one line of text. */
function createTail(max: number): { push(chunk: Uint8Array): void; text(): string } {
  const chunks: Uint8Array[] = [];
  let kept = 0;
  return {
    push(chunk) {
      chunks.push(chunk);
      kept += chunk.length;
      while (kept - chunks[0].length >= max) kept -= chunks.shift()!.length;
    },
    text() {
      const bytes = new Uint8Array(kept);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      return new TextDecoder().decode(bytes.subarray(Math.max(0, kept - max))).trim()
        .replace(/\s*\n\s*/g, " | ");
    },
  };
}

/**
 * Runs the before-check script with `sh -c` in its own process group, killed (SIGKILL to the
 * group) after `timeout` ms. `ok` when it exited 0 in time; `detail` says why not, with the end of
 * its output (stdout and stderr; a failure to read it shows there too).
 */
export async function runBeforeCheckScript(
  script: string,
  options: BeforeCheckOptions,
): Promise<{ ok: boolean; detail: string }> {
  const output = createTail(options.maxOutputBytes ?? 2048);
  const onError = (error: Error) =>
    output.push(new TextEncoder().encode(`\n[cannot read the output: ${error.message}]\n`));
  let exit: GroupExit;
  try {
    exit = await runInGroup(["-c", script], {
      ...options,
      output: (stream) => drain(stream, output.push, onError),
    });
  } catch (error) {
    return { ok: false, detail: `cannot start sh: ${(error as Error).message}` };
  }
  const { status, killed } = exit;
  const text = output.text();
  let detail: string;
  if (killed) detail = `killed after ${options.timeout} ms`;
  else if (status.success) detail = "";
  else if (status.signal) detail = `killed by ${status.signal}`;
  else detail = `exit code ${status.code}`;
  if (text && detail) detail += `: ${text}`;
  return { ok: status.success && !killed, detail };
}
