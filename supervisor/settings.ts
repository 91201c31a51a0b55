/**
 * What `supervisor`, `hzcheck`, `prestop` and `notify` take from the environment, read once into
 * a frozen value that is passed down. This module imports nothing heavy: hzcheck loads it.
 *
 * @module
 */
import { isAbsolute, join } from "../lib/posix_path.ts";
import { parseDuration } from "../lib/duration.ts";

/** The lifecycle variables, typed; durations in milliseconds. */
export interface LifecycleSettings {
  /** `TARS_PATH`, made absolute; default `/tars`. */
  readonly tarsPath: string;
  /** `TARS_START_PATH`; default `$TARS_PATH/bin/start.sh`. */
  readonly startPath: string;
  /** `TARS_STOP_PATH`; unset: SIGTERM to the service's process group. */
  readonly stopPath?: string;
  /** `TARS_REPORT_INTERVAL`, default 30s: heartbeat period; hzcheck allows 2x this. */
  readonly reportInterval: number;
  /** `TARS_DISABLE_FLOW` non-empty: register with traffic off. */
  readonly disableFlow: boolean;
  /** `TARS_CHECK_INTERVAL`, default 10s. */
  readonly checkInterval: number;
  /** `TARS_BEFORE_CHECK_SCRIPT`: run through `sh -c` before each check. */
  readonly beforeCheckScript?: string;
  /** `TARS_CHECK_SCRIPT_TIMEOUT`, default 2s. */
  readonly checkScriptTimeout: number;
  /** `TARS_PRESTOP_WAITTIME`, default 80s. */
  readonly prestopWaitTime: number;
  /** `TARS_ACTIVATING_TIMEOUT`, default 300s. */
  readonly activatingTimeout: number;
  /** `TARS_CHECK_RETRY_TIMEOUT`, default 5s. */
  readonly checkRetryTimeout: number;
  /** `SERVER_VERSION`, reported to the registry; default "". */
  readonly serverVersion: string;
  /** `TARS_STOP_GRACE`, default 10s: from SIGTERM of the service to SIGKILL. */
  readonly stopGrace: number;
}

/** The defaults of the duration variables, in milliseconds. */
export const LIFECYCLE_DEFAULTS = Object.freeze({
  reportInterval: 30_000,
  checkInterval: 10_000,
  checkScriptTimeout: 2_000,
  prestopWaitTime: 80_000,
  activatingTimeout: 300_000,
  checkRetryTimeout: 5_000,
  stopGrace: 10_000,
});

function readDuration(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    throw new SyntaxError(`${name}: ${(error as Error).message}`);
  }
  if (!(ms >= 0)) throw new RangeError(`${name}="${text}" must not be negative, e.g. 30s`);
  return ms;
}

/**
 * Reads the lifecycle variables from `env` (a snapshot such as `Deno.env.toObject()`). A relative
 * `TARS_PATH` is taken from `cwd`. A bad duration throws a SyntaxError naming the variable.
 */
export function readLifecycleSettings(
  env: Readonly<Record<string, string | undefined>>,
  options: { cwd: string },
): LifecycleSettings {
  const text = (name: string) => env[name]?.trim() || undefined;
  const given = text("TARS_PATH") ?? "/tars";
  const tarsPath = isAbsolute(given) ? given : join(options.cwd, given);
  const reportInterval = readDuration(
    env,
    "TARS_REPORT_INTERVAL",
    LIFECYCLE_DEFAULTS.reportInterval,
  );
  const checkInterval = readDuration(env, "TARS_CHECK_INTERVAL", LIFECYCLE_DEFAULTS.checkInterval);
  if (reportInterval <= 0) throw new RangeError("TARS_REPORT_INTERVAL must be above 0, e.g. 30s");
  if (checkInterval <= 0) throw new RangeError("TARS_CHECK_INTERVAL must be above 0, e.g. 10s");
  return Object.freeze({
    tarsPath,
    startPath: text("TARS_START_PATH") ?? join(tarsPath, "bin", "start.sh"),
    stopPath: text("TARS_STOP_PATH"),
    reportInterval,
    disableFlow: Boolean(text("TARS_DISABLE_FLOW")),
    checkInterval,
    beforeCheckScript: text("TARS_BEFORE_CHECK_SCRIPT"),
    checkScriptTimeout: readDuration(
      env,
      "TARS_CHECK_SCRIPT_TIMEOUT",
      LIFECYCLE_DEFAULTS.checkScriptTimeout,
    ),
    prestopWaitTime: readDuration(env, "TARS_PRESTOP_WAITTIME", LIFECYCLE_DEFAULTS.prestopWaitTime),
    activatingTimeout: readDuration(
      env,
      "TARS_ACTIVATING_TIMEOUT",
      LIFECYCLE_DEFAULTS.activatingTimeout,
    ),
    checkRetryTimeout: readDuration(
      env,
      "TARS_CHECK_RETRY_TIMEOUT",
      LIFECYCLE_DEFAULTS.checkRetryTimeout,
    ),
    serverVersion: text("SERVER_VERSION") ?? "",
    stopGrace: readDuration(env, "TARS_STOP_GRACE", LIFECYCLE_DEFAULTS.stopGrace),
  });
}
