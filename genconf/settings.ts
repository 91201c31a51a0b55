/**
 * What `genconf` takes from the environment, read once into a frozen value that is passed
 * down; nothing else in genconf reads the environment.
 *
 * @module
 */
import { isAbsolute, join } from "../lib/posix_path.ts";
import { parseDuration } from "../lib/duration.ts";

/** The inclusive port range `${random_port}` is drawn from. */
export interface PortRange {
  readonly min: number;
  readonly max: number;
}

/** genconf's environment, typed. Unset and empty variables are `undefined` (or their default). */
export interface GenconfSettings {
  /** `TARS_PATH`, made absolute; default `/tars`. */
  readonly tarsPath: string;
  /** `TARS_APPLICATION`: overrides `application` in the meta file. */
  readonly application?: string;
  /** `TARS_SERVER`: overrides `server` in the meta file. */
  readonly server?: string;
  /** `TARS_BUILD_SERVER`: the config file's name when the binary's name differs from the server's. */
  readonly buildServer?: string;
  /** `TARS_SET_ID`: overrides `set_id`. */
  readonly setId?: string;
  /** `TARS_LOCATOR`: overrides `locator`. */
  readonly locator?: string;
  /** `TARS_MERGE_CONF`: a TARS config file merged over the generated one. */
  readonly mergeConf?: string;
  /** `TARS_EP_UPTIME` in milliseconds: overrides `refresh_endpoint_interval`. */
  readonly refreshEndpointInterval?: number;
  /** `POD_IP`: the value of `${local_ip}`. */
  readonly podIp?: string;
  /** `TARS_NAMESPACE`, default `tars-system`: the value of `${namespace}`. */
  readonly namespace: string;
  /** `TARS_RAND_PORT_MIN`..`TARS_RAND_PORT_MAX`, default 13000..16000. */
  readonly portRange: PortRange;
}

/** Default of `TARS_PATH`. */
export const DEFAULT_TARS_PATH = "/tars";
/** Default of `TARS_NAMESPACE`. */
export const DEFAULT_NAMESPACE = "tars-system";
/** Default of `TARS_RAND_PORT_MIN`..`TARS_RAND_PORT_MAX`. */
export const DEFAULT_PORT_RANGE: PortRange = Object.freeze({ min: 13000, max: 16000 });

function readPort(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  fallback: number,
): number {
  const text = env[name]?.trim();
  if (!text) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 65535) {
    throw new RangeError(`${name}="${text}" is not a port; set it to a number from 1 to 65535`);
  }
  return Number(text);
}

function readRefreshInterval(text: string | undefined): number | undefined {
  if (!text?.trim()) return undefined;
  let ms: number;
  try {
    ms = parseDuration(text);
  } catch (error) {
    throw new SyntaxError(
      `TARS_EP_UPTIME: ${(error as Error).message}; a bare number is milliseconds`,
    );
  }
  if (!Number.isInteger(ms) || ms < 1) {
    throw new RangeError(
      `TARS_EP_UPTIME="${text}" must be at least 1ms in whole milliseconds, e.g. 60s`,
    );
  }
  return ms;
}

/**
 * Reads genconf's variables from `env` (a snapshot such as `Deno.env.toObject()`). A relative
 * `TARS_PATH` is taken from `cwd`. Bad numbers throw a RangeError or SyntaxError naming the variable.
 */
export function readGenconfSettings(
  env: Readonly<Record<string, string | undefined>>,
  options: { cwd: string },
): GenconfSettings {
  const text = (name: string) => env[name]?.trim() || undefined;
  const tarsPath = text("TARS_PATH") ?? DEFAULT_TARS_PATH;
  const portRange = {
    min: readPort(env, "TARS_RAND_PORT_MIN", DEFAULT_PORT_RANGE.min),
    max: readPort(env, "TARS_RAND_PORT_MAX", DEFAULT_PORT_RANGE.max),
  };
  if (portRange.min > portRange.max) {
    throw new RangeError(
      `TARS_RAND_PORT_MIN (${portRange.min}) is above TARS_RAND_PORT_MAX (${portRange.max}); swap them`,
    );
  }
  return Object.freeze({
    tarsPath: isAbsolute(tarsPath) ? tarsPath : join(options.cwd, tarsPath),
    application: text("TARS_APPLICATION"),
    server: text("TARS_SERVER"),
    buildServer: text("TARS_BUILD_SERVER"),
    setId: text("TARS_SET_ID"),
    locator: text("TARS_LOCATOR"),
    mergeConf: text("TARS_MERGE_CONF"),
    refreshEndpointInterval: readRefreshInterval(env.TARS_EP_UPTIME),
    podIp: text("POD_IP"),
    namespace: text("TARS_NAMESPACE") ?? DEFAULT_NAMESPACE,
    portRange: Object.freeze(portRange),
  });
}
