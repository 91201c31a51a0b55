/**
 * The registry's settings, resolved once from its flags and environment: both declared in
 * lib/settings.ts (`REGISTRY_FLAGS`, and the variables read by `registry`), which also gives the
 * `--help` text.
 *
 * @module
 */
import { parseArgs } from "node:util";
import {
  type Environment,
  helpLines,
  join,
  readRegistryFlags,
  readSettings,
  REGISTRY_FLAGS,
  type RegistryFlags,
  type SettingsOf,
  UsageError,
  variablesOf,
} from "../lib/mod.ts";
import { parseEndpoint } from "../protocol/endpoint.ts";
import { mysqlUrlFromDsn, mysqlUrlFromParts } from "./store/open_store.ts";

/** Everything the registry needs to start: its flags, with the store and address resolved. */
export type RegistryConfig = Omit<RegistryFlags, "store" | "advertise" | "registrationTokens"> & {
  /** `sqlite:PATH` or `mysql://…`: `--store`, else the store variables. */
  readonly store: string;
  /** The setting that gave `store`, for messages: `--store`, `DB_DSN`, `TARS_PATH=/tars`… */
  readonly storeSetting: string;
  /** The address it registers for itself: `--advertise`, else POD_IP, else the endpoint host. */
  readonly advertise: string;
  /** How often (ms) it sends its own heartbeat. */
  readonly heartbeatInterval: number;
  /** The registration tokens file: `--registration-tokens`, else TARS_REGISTRY_TOKENS. */
  readonly registrationTokens?: string;
};

/**
 * Usage text of the registry called as `program` (`tarsregistry` or `tarscli registry`): its
 * flags, then the variables it reads.
 */
export function registryUsage(program: string): string[] {
  return [
    `Usage: ${program} [options]`,
    ...helpLines(REGISTRY_FLAGS, { indent: "  " }),
    `  ${"--help".padEnd(28)} this text`,
    "",
    "Environment (the flags win):",
    ...helpLines(variablesOf("registry"), { indent: "  " }),
    "",
    "Durations take the suffixes ns, us, ms, s, m, h and d (e.g. 30s, 1m30s).",
  ];
}

/** The store the variables give, and the setting it came from (for messages). */
function storeFromEnv(env: SettingsOf<"registry">): { spec: string; setting: string } {
  if (env.storeSpec) return { spec: env.storeSpec, setting: "TARS_REGISTRY_STORE" };
  if (env.dbDsn) return { spec: mysqlUrlFromDsn(env.dbDsn), setting: "DB_DSN" };
  if (env.dbHost) {
    return {
      spec: mysqlUrlFromParts({
        host: env.dbHost,
        port: env.dbPort,
        user: env.dbUser,
        password: env.dbPass,
      }),
      setting: "DB_HOST, DB_PORT, DB_USER and DB_PASS",
    };
  }
  return {
    spec: `sqlite:${join(env.tarsPath, "data", "tarsregistry.db")}`,
    setting: `TARS_PATH=${env.tarsPath}`,
  };
}

/** The `parseArgs` options of the flags: a switch is a boolean, the others take a value. */
function argumentOptions(): Record<string, { type: "string" | "boolean" }> {
  const options: Record<string, { type: "string" | "boolean" }> = { help: { type: "boolean" } };
  for (const flag of REGISTRY_FLAGS) {
    options[flag.name.slice(2)] = { type: "value" in flag ? "string" : "boolean" };
  }
  return options;
}

/**
 * Resolves the registry's settings from its arguments and environment (relative paths from
 * `cwd`); bad input is a UsageError naming the flag or the store settings.
 */
export function readRegistryConfig(
  args: string[],
  env: Environment,
  options: { cwd: string },
): RegistryConfig | "help" {
  let given;
  try {
    given = parseArgs({ args, strict: true, allowPositionals: false, options: argumentOptions() })
      .values;
  } catch (error) {
    throw new UsageError(`${(error as Error).message}; run with --help for the options`);
  }
  if (given.help) return "help";
  let flags: RegistryFlags;
  try {
    flags = readRegistryFlags(given, options);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let host: string;
  try {
    const ep = parseEndpoint(flags.endpoint);
    if (ep.transport !== "tcp") throw new SyntaxError(`only tcp can be served`);
    host = ep.host;
  } catch (error) {
    throw new UsageError(`--endpoint: ${(error as Error).message}`);
  }
  const variables = readSettings(env, "registry", options);
  let store: { spec: string; setting: string };
  try {
    store = flags.store !== undefined
      ? { spec: flags.store, setting: "--store" }
      : storeFromEnv(variables);
  } catch (error) {
    throw new UsageError(`Store settings: ${(error as Error).message}`);
  }
  const registrationTokens = flags.registrationTokens ?? variables.registrationTokens;
  if (flags.requireTokens && registrationTokens === undefined) {
    throw new UsageError(
      "--require-tokens needs the registration tokens file: give it with " +
        "--registration-tokens FILE or TARS_REGISTRY_TOKENS",
    );
  }
  const wildcard = host === "0.0.0.0" || host === "::";
  return {
    ...flags,
    registrationTokens,
    store: store.spec,
    storeSetting: store.setting,
    advertise: flags.advertise ?? variables.podIp ?? (wildcard ? "127.0.0.1" : host),
    // Often enough that a short --node-timeout never shows the registry itself as inactive.
    heartbeatInterval: Math.min(10_000, Math.max(100, flags.nodeTimeout / 3)),
  };
}
