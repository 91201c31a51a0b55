/**
 * The service the supervisor runs: `sh START_PATH` in its own process group, its stdout and stderr
 * piped through the supervisor into `log/start.log` (created when the service starts), which is
 * rotated to `start.log.1` at a size bound. Signals go to the whole group, so the processes the start script spawned get them too.
 *
 * @module
 */
import { dirname } from "../lib/posix_path.ts";
import { ifExists } from "../lib/not_found.ts";
import {
  type Drain,
  drain,
  type ProcessRunner,
  runInGroup,
  signalGroup,
  spawnShell,
} from "../lib/process_group.ts";
import { settlesWithin } from "../lib/timers.ts";

/** How the service ended: its exit code, or the signal that killed it (code 128 + signal). */
export interface ServiceExit {
  readonly code: number;
  readonly signal: Deno.Signal | null;
}

/** A started service. */
export interface RunningService {
  /** PID of the `sh` running the start script; also its process group id. */
  readonly pid: number;
  /** Resolves when the start script's shell exited (not waiting for processes it left behind). */
  readonly exited: Promise<ServiceExit>;
  /**
   * Resolves once both output pipes reached their end and start.log is closed. Never rejects:
   * failures go to the `log` option.
   */
  readonly logClosed: Promise<void>;
  /** Sends `signal` to the whole process group. No-op once exited. */
  signal(signal: Deno.Signal): void;
  /**
   * Stops the service: runs `stopPath` with sh when given (bounded by grace), else SIGTERM to the
   * group; SIGKILL to the group when it has not exited after `grace` ms. Resolves with the exit.
   */
  stop(options: { stopPath?: string; grace: number }): Promise<ServiceExit>;
}

/** Options of {@linkcode startService}. */
export interface StartServiceOptions {
  readonly runner: ProcessRunner;
  readonly cwd: string;
  /** Added to the inherited environment. */
  readonly env?: Record<string, string>;
  /** log/start.log: the service's stdout and stderr. */
  readonly logPath: string;
  /** Size bound of start.log; when reached the file is rotated to start.log.1 (one old copy). Default 10 MiB. */
  readonly maxLogBytes?: number;
  /** Reports failures (log writes, signals, the stop script). Default: stderr. */
  readonly log?: (line: string) => void;
  /**
   * When the start script's shell exits, SIGKILL what is left of its process group (so a restart
   * does not meet the old processes on its ports). Default true.
   */
  readonly killGroupOnExit?: boolean;
  /** How long `exited` waits for the output still in the pipes to reach start.log, default 500 ms. */
  readonly exitDrainWait?: number;
}

const DEFAULT_MAX_LOG_BYTES = 10 * 1024 * 1024;

/** Appends to a size-bounded file, shared by the streams attached to it; one write at a time. */
interface RotatingLog {
  /** Copies `stream` into the file until its end or `cancel()`. */
  attach(stream: ReadableStream<Uint8Array>): Drain;
}

function createRotatingLog(
  path: string,
  options: { maxBytes: number; report: (line: string) => void },
): RotatingLog {
  let file: Deno.FsFile | undefined;
  let size = 0;
  let attached = 0;
  let failing = false;
  let queue: Promise<void> = Promise.resolve();

  async function open(): Promise<Deno.FsFile> {
    await Deno.mkdir(dirname(path), { recursive: true });
    const opened = await Deno.open(path, { append: true, create: true });
    try {
      size = (await opened.stat()).size;
    } catch (error) {
      opened.close();
      throw error;
    }
    return opened;
  }

  async function writeChunk(chunk: Uint8Array): Promise<void> {
    let at = 0;
    while (at < chunk.length) {
      file ??= await open();
      if (size >= options.maxBytes) {
        file.close();
        file = undefined;
        await Deno.rename(path, `${path}.1`);
        continue;
      }
      const end = Math.min(chunk.length, at + options.maxBytes - size);
      const written = await file.write(chunk.subarray(at, end));
      at += written;
      size += written;
    }
  }

  /** Queues one operation; a failure is reported once until an operation succeeds again. */
  function enqueue(operation: () => Promise<void>): Promise<void> {
    queue = queue.then(operation).then(() => {
      failing = false;
    }, (error) => {
      if (!failing) {
        options.report(
          `Cannot write ${path}: ${
            (error as Error).message
          }; the service's output is dropped until a write succeeds`,
        );
      }
      failing = true;
      file?.close();
      file = undefined;
    });
    return queue;
  }

  // The file exists from the start, also when the service never prints anything.
  enqueue(async () => {
    file ??= await open();
  });
  return {
    attach(stream) {
      attached++;
      const copy = drain(
        stream,
        (chunk) => enqueue(() => writeChunk(chunk)),
        (error) => options.report(`Cannot read the service's output: ${error.message}`),
      );
      const done = copy.done.then(async () => {
        attached--;
        if (attached === 0) {
          await enqueue(() => {
            file?.close();
            file = undefined;
            return Promise.resolve();
          });
        }
      });
      return { done, cancel: copy.cancel };
    },
  };
}

function toExit(status: Deno.CommandStatus): ServiceExit {
  return { code: status.code, signal: status.signal };
}

/** How long the stop script's output pipes may stay open after its group ended. */
const STOP_PIPE_GRACE = 1000;

/**
 * Starts `startPath` with `sh` in its own process group (`detached`: setsid), stdin from
 * /dev/null, stdout and stderr appended to `logPath`.
 */
export function startService(startPath: string, options: StartServiceOptions): RunningService {
  const report = options.log ?? ((line: string) => console.error(line));
  const output = createRotatingLog(options.logPath, {
    maxBytes: options.maxLogBytes ?? DEFAULT_MAX_LOG_BYTES,
    report,
  });
  const child = spawnShell([startPath], options);
  const pid = child.pid;
  const pipes = [output.attach(child.stdout), output.attach(child.stderr)];
  const logClosed = Promise.all(pipes.map((p) => p.done)).then(() => undefined);
  let running = true;

  /** Signals a process group; a group already gone is fine, other failures are reported. */
  const sendToGroup = (pgid: number, sig: Deno.Signal) => signalGroup(pgid, sig, { log: report });

  const exited = child.status.then(async (status) => {
    running = false;
    if (options.killGroupOnExit ?? true) sendToGroup(pid, "SIGKILL");
    await settlesWithin(logClosed, options.exitDrainWait ?? 500);
    return toExit(status);
  });

  /** Runs the stop script until it ends or `deadline` fires; true when it exited 0. */
  async function runStopScript(stopPath: string, deadline: AbortSignal): Promise<boolean> {
    let status: Deno.CommandStatus;
    try {
      ({ status } = await runInGroup([stopPath], {
        runner: options.runner,
        cwd: options.cwd,
        env: { ...options.env, TARS_SERVICE_PID: String(pid) },
        output: output.attach,
        signal: deadline,
        pipeGrace: STOP_PIPE_GRACE,
        log: report,
      }));
    } catch (error) {
      report(`Cannot run the stop script ${stopPath}: ${(error as Error).message}`);
      return false;
    }
    if (!status.success) {
      const how = deadline.aborted ? "killed at the stop grace" : `failed with code ${status.code}`;
      report(`The stop script ${stopPath} ${how}`);
    }
    return status.success;
  }

  let stopping: Promise<ServiceExit> | undefined;
  async function stop(stopOptions: { stopPath?: string; grace: number }): Promise<ServiceExit> {
    if (!running) return await exited;
    const deadline = new AbortController();
    const timer = setTimeout(() => {
      deadline.abort();
      if (running) sendToGroup(pid, "SIGKILL");
    }, stopOptions.grace);
    try {
      if (stopOptions.stopPath === undefined) {
        sendToGroup(pid, "SIGTERM");
        return await exited;
      }
      const script = runStopScript(stopOptions.stopPath, deadline.signal).then((ok) => {
        if (!ok && running) sendToGroup(pid, "SIGTERM");
      });
      const [exit] = await Promise.all([exited, script]);
      return exit;
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    pid,
    exited,
    logClosed,
    signal(signal) {
      if (running) sendToGroup(pid, signal);
    },
    stop(stopOptions) {
      stopping ??= stop(stopOptions);
      return stopping;
    },
  };
}

/** The last lines of a log file (at most maxBytes, default 8 KiB, and maxLines, default 40), for the container's stdout; none when the file does not exist. */
export async function readLogTail(
  path: string,
  options: { maxBytes?: number; maxLines?: number } = {},
): Promise<string[]> {
  const maxBytes = options.maxBytes ?? 8192;
  const maxLines = options.maxLines ?? 40;
  const file = await ifExists(Deno.open(path));
  if (file === undefined) return [];
  try {
    const size = (await file.stat()).size;
    // One byte more than the tail, to know whether the tail starts at the start of a line.
    const start = Math.max(0, size - maxBytes - 1);
    await file.seek(start, Deno.SeekMode.Start);
    const bytes = new Uint8Array(size - start);
    let at = 0;
    while (at < bytes.length) {
      const n = await file.read(bytes.subarray(at));
      if (n === null) break;
      at += n;
    }
    const lines = new TextDecoder().decode(bytes.subarray(0, at)).split("\n");
    if (size > maxBytes) lines.shift(); // the byte before the tail, or a cut line
    if (lines.at(-1) === "") lines.pop();
    return lines.slice(-maxLines);
  } finally {
    file.close();
  }
}
