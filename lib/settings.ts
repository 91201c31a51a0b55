/**
 * Every setting of tarscli and tarsregistry, declared once: each environment variable in
 * {@linkcode VARIABLES} and each registry flag in {@linkcode REGISTRY_FLAGS}, with its parser,
 * default, description and (for a variable) the commands that read it. The settings objects the
 * commands get, `tarscli help`, the registry's `--help` and the README's tables all come from
 * these two tables, so adding a variable or a flag is one entry here, and changing a default is
 * one edit.
 *
 * A command's settings object holds one property per variable whose `readBy` names the command
 * ({@linkcode SettingsOf}); `registry/config.ts` reads the flags. The probe loads this module, so
 * it imports nothing but the path, duration and address helpers.
 *
 * @module
 */
import { parseDuration } from "./duration.ts";
import { type AddressRange, isIpAddress, parseAddressRange } from "./ip_address.ts";
import { isAbsolute, join } from "./posix_path.ts";

/** The commands that read settings (the names of `tarscli`'s sub-commands). */
export type SettingsReader =
  | "genconf"
  | "syncdir"
  | "supervisor"
  | "hzcheck"
  | "prestop"
  | "notify"
  | "registry";

/** What a parser knows besides the text. */
export interface ParseContext {
  /** The variable or flag, for messages. */
  readonly name: string;
  /** Its declared default, for messages ("e.g. 30s"). */
  readonly default?: string;
  /** The directory relative paths are taken from. */
  readonly cwd: string;
}

/** Turns a setting's text into its value; throws an Error that names the setting. */
export type Parser<T> = (text: string, context: ParseContext) => T;

/** What variables and flags have in common. */
interface SettingSpec<T> {
  /** The property of the settings object that holds the value. */
  readonly key: string;
  readonly parse: Parser<T>;
  /** The value when unset, written as a user would write it (it is parsed like one). */
  readonly default?: string;
  /** Without a default (the value is then undefined): what happens when unset, in words. */
  readonly unset?: string;
  readonly description: string;
}

/** An environment variable. */
export interface VariableSpec<T = unknown> extends SettingSpec<T> {
  readonly name: string;
  /** The commands that read it; its value is in their settings objects. */
  readonly readBy: readonly SettingsReader[];
  /** Taken as it is: not trimmed, and an empty value is a value (a password). */
  readonly verbatim?: boolean;
}

/** A flag of `tarscli registry` and `tarsregistry`. */
export interface FlagSpec<T = unknown> extends SettingSpec<T> {
  readonly name: `--${string}`;
  /** The value's placeholder in help (`DURATION`); none for a switch, whose text is "on". */
  readonly value?: string;
}

// ---- Parsers -----------------------------------------------------------------------------------

/** The text itself. */
export const text: Parser<string> = (value) => value;

/** A path; a relative one is taken from the working directory. */
export const path: Parser<string> = (value, { cwd }) =>
  isAbsolute(value) ? value : join(cwd, value);

/** Any value means yes (the variable is unset or empty to mean no). */
export const nonEmpty: Parser<boolean> = (value) => value !== "";

/** A switch flag: "on" when given. */
export const switchOn: Parser<boolean> = (value) => value === "on";

/** A duration in ms (`30s`, `1m30s`; a number needs a unit, but for `0`), not negative. */
export const duration: Parser<number> = (value, { name }) => {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    throw new SyntaxError(`${name}: ${(error as Error).message}`);
  }
  if (!(ms >= 0)) throw new RangeError(`${name}="${value}" must not be negative, e.g. 30s`);
  return ms;
};

/** A {@linkcode duration} above 0. */
export const positiveDuration: Parser<number> = (value, context) => {
  const ms = duration(value, context);
  if (ms <= 0) {
    throw new RangeError(`${context.name} must be above 0, e.g. ${context.default ?? "30s"}`);
  }
  return ms;
};

/** A duration of at least 1 ms in whole ms; a bare number is ms (documented for TARS_EP_UPTIME). */
export const wholeMilliseconds: Parser<number> = (value, { name }) => {
  let ms: number;
  try {
    ms = parseDuration(value, { bareUnit: "ms" });
  } catch (error) {
    throw new SyntaxError(`${name}: ${(error as Error).message}; a bare number is milliseconds`);
  }
  if (!Number.isInteger(ms) || ms < 1) {
    throw new RangeError(`${name}="${value}" must be at least 1ms in whole milliseconds, e.g. 60s`);
  }
  return ms;
};

/** An IP address (not a host name): the pod's address, which the registry also keys nodes by. */
export const ipAddress: Parser<string> = (value, { name }) => {
  if (isIpAddress(value)) return value;
  throw new RangeError(
    `${name}="${value}" is not an IP address: set it to an address of this machine, e.g. ` +
      "10.0.0.5 (in a pod, status.podIP from the downward API), or unset it",
  );
};

/** A TCP or UDP port, 1 to 65535. */
export const port: Parser<number> = (value, { name }) => {
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new RangeError(`${name}="${value}" is not a port; set it to a number from 1 to 65535`);
  }
  return Number(value);
};

/** A {@linkcode port}, or 0 for "off". */
export const portOrOff: Parser<number> = (value, context) => {
  if (/^0+$/.test(value)) return 0;
  try {
    return port(value, context);
  } catch {
    throw new RangeError(
      `${context.name}="${value}" is not a port; set it to a number from 1 to 65535, or 0 for off`,
    );
  }
};

/** `HOST:PORT` (`[::1]:PORT` for IPv6); an empty host is 0.0.0.0. */
export const hostPort: Parser<{ readonly host: string; readonly port: number }> = (
  value,
  { name, default: example },
) => {
  const m = /^(.*):(\d+)$/.exec(value);
  if (!m || Number(m[2]) > 65535) {
    throw new RangeError(`${name} "${value}": write HOST:PORT, e.g. ${example}`);
  }
  return { host: m[1].replace(/^\[|\]$/g, "") || "0.0.0.0", port: Number(m[2]) };
};

/**
 * A share in percent, at least 0 and under 100 (`30%`; the sign may be left out), as the
 * fraction it is (0.3).
 */
export const percent: Parser<number> = (value, { name, default: example }) => {
  const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(value);
  const share = m ? Number(m[1]) : NaN;
  if (!(share >= 0 && share < 100)) {
    throw new RangeError(
      `${name}="${value}" must be a percentage from 0 to under 100, e.g. ${example}`,
    );
  }
  return share / 100;
};

/** A whole number of at least 1. */
export const positiveInteger: Parser<number> = (value, { name, default: example }) => {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new RangeError(
      `${name}="${value}" must be a whole number of at least 1, e.g. ${example}`,
    );
  }
  return Number(value);
};

const BYTE_UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
};

/** A size in bytes: a whole number with B, KiB, MiB or GiB (bare: bytes), at least 1 KiB. */
export const byteSize: Parser<number> = (value, { name, default: example }) => {
  const m = /^(\d+)\s*(B|KiB|MiB|GiB)?$/.exec(value);
  const bytes = m ? Number(m[1]) * BYTE_UNITS[m[2] ?? ""] : NaN;
  if (!(bytes >= 1024) || !Number.isSafeInteger(bytes)) {
    throw new RangeError(
      `${name}="${value}" must be a size of at least 1KiB in B, KiB, MiB or GiB, e.g. ${example}`,
    );
  }
  return bytes;
};

/** Address ranges separated by commas: `10.0.0.0/8,::1/128` (a bare address is its own range). */
export const addressRanges: Parser<readonly AddressRange[]> = (value, { name }) => {
  const parts = value.split(",").map((part) => part.trim()).filter((part) => part !== "");
  if (parts.length === 0) {
    throw new RangeError(`${name} needs at least one address range, e.g. 127.0.0.1/32`);
  }
  return parts.map((part) => {
    try {
      return parseAddressRange(part);
    } catch (error) {
      throw new SyntaxError(`${name}: ${(error as Error).message}`);
    }
  });
};

/** The server types of the framework's `t_server_conf.server_type`. */
export const SERVER_TYPES = [
  "tars_cpp",
  "tars_go",
  "tars_java",
  "tars_nodejs",
  "tars_php",
  "not_tars",
] as const;

/** A framework server type (`tars_cpp`, `tars_go`, ...). */
export type ServerType = typeof SERVER_TYPES[number];

/** Whether `value` is one of {@linkcode SERVER_TYPES}. */
export function isServerType(value: unknown): value is ServerType {
  return (SERVER_TYPES as readonly unknown[]).includes(value);
}

/** One of {@linkcode SERVER_TYPES}. */
export const serverType: Parser<ServerType> = (value, { name }) => {
  if (isServerType(value)) return value;
  throw new RangeError(
    `${name}="${value}" is not a server type; use one of ${SERVER_TYPES.join(", ")}`,
  );
};

// ---- The variables -----------------------------------------------------------------------------

/** The commands that read the service's directory: all of them. */
const EVERY_COMMAND = [
  "genconf",
  "syncdir",
  "supervisor",
  "hzcheck",
  "prestop",
  "notify",
  "registry",
] as const;

/**
 * Every environment variable, in the order help lists them. A default may start with
 * `$TARS_PATH/`: the rest is joined to that variable's value.
 */
export const VARIABLES = [
  {
    name: "TARS_PATH",
    key: "tarsPath",
    parse: path,
    default: "/tars",
    description: "the service's directory (bin, conf, data, log); the registry's embedded " +
      "store lives in its data",
    readBy: EVERY_COMMAND,
  },
  {
    name: "TARS_APPLICATION",
    key: "application",
    parse: text,
    unset: "application in _server_meta.yaml",
    description: "application name",
    readBy: ["genconf"],
  },
  {
    name: "TARS_SERVER",
    key: "server",
    parse: text,
    unset: "server in _server_meta.yaml",
    description: "server name",
    readBy: ["genconf"],
  },
  {
    name: "TARS_BUILD_SERVER",
    key: "buildServer",
    parse: text,
    unset: "the server name",
    description: "config file name, when the binary's name differs from the server's",
    readBy: ["genconf"],
  },
  {
    name: "TARS_SET_ID",
    key: "setId",
    parse: text,
    unset: "set_id in _server_meta.yaml, else no set",
    description: "set NAME.AREA.GROUP, e.g. mtt.s.1",
    readBy: ["genconf"],
  },
  {
    name: "TARS_SERVER_TYPE",
    key: "serverType",
    parse: serverType,
    unset: "server_type in _server_meta.yaml, else tars_cpp",
    description: `what the service is, for the console: ${SERVER_TYPES.join(", ")}`,
    readBy: ["genconf"],
  },
  {
    name: "TARS_LOCATOR",
    key: "locator",
    parse: text,
    unset: "locator in _server_meta.yaml, else tars.tarsregistry.QueryObj@tcp -h " +
      "tars-registry.${namespace}.svc.cluster.local -p 17890",
    description: "registry QueryObj with its endpoints",
    readBy: ["genconf"],
  },
  {
    name: "TARS_MERGE_CONF",
    key: "mergeConf",
    parse: text,
    description: "TARS config file merged over the generated one (its values win)",
    readBy: ["genconf"],
  },
  {
    name: "TARS_EP_UPTIME",
    key: "refreshEndpointInterval",
    parse: wholeMilliseconds,
    unset: "refresh_endpoint_interval in _server_meta.yaml, else 60000",
    description: "refresh-endpoint-interval; bare number in ms, or a duration such as 30s",
    readBy: ["genconf"],
  },
  {
    name: "POD_IP",
    key: "podIp",
    parse: ipAddress,
    unset: "genconf: the address of the default route's interface; registry: the endpoint host",
    description: "the pod's IP address: the value of ${local_ip}, and the address the registry " +
      "registers for itself",
    readBy: ["genconf", "registry"],
  },
  {
    name: "TARS_NAMESPACE",
    key: "namespace",
    parse: text,
    default: "tars-system",
    description: "value of ${namespace}",
    readBy: ["genconf"],
  },
  {
    name: "TARS_RAND_PORT_MIN",
    key: "randPortMin",
    parse: port,
    default: "13000",
    description: "lowest ${random_port}",
    readBy: ["genconf", "supervisor"],
  },
  {
    name: "TARS_RAND_PORT_MAX",
    key: "randPortMax",
    parse: port,
    default: "16000",
    description: "highest ${random_port}",
    readBy: ["genconf", "supervisor"],
  },
  {
    name: "TARS_SYNC_DIRECTORY",
    key: "syncDirectory",
    parse: path,
    description: "source directory; unset: nothing to do",
    readBy: ["syncdir"],
  },
  {
    name: "TARS_SYNC_TARGET_DIRECTORY",
    key: "syncTarget",
    parse: path,
    default: "$TARS_PATH/bin",
    description: "target directory",
    readBy: ["syncdir"],
  },
  {
    name: "TARS_START_PATH",
    key: "startPath",
    parse: text,
    default: "$TARS_PATH/bin/start.sh",
    description:
      "starts the service (run with sh in its own process group, output to log/start.log)",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_STOP_PATH",
    key: "stopPath",
    parse: text,
    unset: "SIGTERM to the service's process group",
    description: "stops the service",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_STOP_GRACE",
    key: "stopGrace",
    parse: duration,
    default: "10s",
    description: "from the end of the drain to SIGKILL: AdminF.shutdown, the wait for the " +
      "ports to close (half of it at most), then the stop script or SIGTERM to the group",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_REPORT_INTERVAL",
    key: "reportInterval",
    parse: positiveDuration,
    default: "30s",
    description: "a heartbeat to the registry at least this often; hzcheck fails when the " +
      "state file is older than 2x this",
    readBy: ["supervisor", "hzcheck"],
  },
  {
    name: "TARS_DISABLE_FLOW",
    key: "disableFlow",
    parse: nonEmpty,
    default: "",
    description: "non-empty: register with traffic off (endpoints answered as inactive)",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_GROUP",
    key: "group",
    parse: text,
    default: "",
    description: "the IDC group the pod is in, e.g. its zone: lookups by group (the default of " +
      "TARS clients) answer the group's pods first to callers in it, this pod among them; " +
      "empty: the registry keeps the server's group as it has it",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_CHECK_INTERVAL",
    key: "checkInterval",
    parse: positiveDuration,
    default: "10s",
    description: "how often the endpoints are checked and the state file written",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_BEFORE_CHECK_SCRIPT",
    key: "beforeCheckScript",
    parse: text,
    description: "shell command (sh -c) run before each check; a failure is logged",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_CHECK_SCRIPT_TIMEOUT",
    key: "checkScriptTimeout",
    parse: duration,
    default: "2s",
    description: "the before-check script is killed after this",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_PRESTOP_WAITTIME",
    key: "prestopWaitTime",
    parse: duration,
    default: "80s",
    description: "prestop: wait between leaving traffic and removing the pod from the registry",
    readBy: ["supervisor", "prestop"],
  },
  {
    name: "TARS_ACTIVATING_TIMEOUT",
    key: "activatingTimeout",
    parse: duration,
    default: "300s",
    description: "how long a starting service may be activating before it counts as inactive " +
      "(an exit after that is reported as an [alarm])",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_PROBE_PORT",
    key: "probePort",
    parse: port,
    unset: "no HTTP probe (use tarscli hzcheck)",
    description: "the supervisor serves GET /ready on this port on every address: 200 when " +
      "tarscli hzcheck would exit 0, else 503 with its reason (an httpGet readiness probe)",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_NODE_PORT",
    key: "nodePort",
    parse: portOrOff,
    unset: "the highest free port of TARS_RAND_PORT_MIN..TARS_RAND_PORT_MAX",
    description: "the supervisor serves the pod's node object (tars.tarsnode.NodeObj: start, " +
      "stop, restart, notify, state, log files, for the admin registry) on POD_IP and this " +
      "port, and registers it with onStartup; 0: no node object",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_CHECK_RETRY_TIMEOUT",
    key: "checkRetryTimeout",
    parse: duration,
    default: "5s",
    description: "how long a failing endpoint check is retried",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_REGISTRY_TOKEN",
    key: "registryToken",
    parse: text,
    unset: "none: only a server without registration tokens registers",
    description: "the pod's registration token, sent with onStartup: a server for which the " +
      "registry's tokens file has lines registers only with one of them (mount it from a " +
      "Kubernetes Secret); never logged",
    readBy: ["supervisor"],
  },
  {
    name: "SERVER_VERSION",
    key: "serverVersion",
    parse: text,
    default: "",
    description: "version reported to the registry",
    readBy: ["supervisor"],
  },
  {
    name: "TARS_REGISTRY_STORE",
    key: "storeSpec",
    parse: text,
    description: "store spec: sqlite:PATH or mysql://USER:PASS@HOST:PORT/db_tars",
    readBy: ["registry"],
  },
  {
    name: "TARS_REGISTRY_TOKENS",
    key: "registrationTokens",
    parse: path,
    description: "the registration tokens file, as --registration-tokens gives it",
    readBy: ["registry"],
  },
  {
    name: "DB_DSN",
    key: "dbDsn",
    parse: text,
    description: "the original's MySQL DSN user:pass@tcp(host:port)/db_tars",
    readBy: ["registry"],
  },
  {
    name: "DB_HOST",
    key: "dbHost",
    parse: text,
    description: "MySQL host (with DB_PORT, DB_USER, DB_PASS)",
    readBy: ["registry"],
  },
  {
    name: "DB_PORT",
    key: "dbPort",
    parse: text,
    default: "3306",
    description: "MySQL port (checked only with DB_HOST)",
    readBy: ["registry"],
  },
  {
    name: "DB_USER",
    key: "dbUser",
    parse: text,
    default: "root",
    description: "MySQL user",
    readBy: ["registry"],
  },
  {
    name: "DB_PASS",
    key: "dbPass",
    parse: text,
    verbatim: true,
    description: "MySQL password (taken as it is, spaces included)",
    readBy: ["registry"],
  },
] as const satisfies readonly VariableSpec[];

// ---- The registry's flags ----------------------------------------------------------------------

/** Every flag of `tarscli registry` and `tarsregistry`, in the order `--help` lists them. */
export const REGISTRY_FLAGS = [
  {
    name: "--endpoint",
    value: "'tcp -h HOST -p PORT'",
    key: "endpoint",
    // A tcp endpoint: registry/config.ts checks it with protocol/endpoint.ts (lib imports no
    // protocol code).
    parse: text,
    default: "tcp -h 0.0.0.0 -p 17890",
    description: "where tars.tarsregistry.QueryObj, tars.tarsregistry.Registry, " +
      "tars.tarsAdminRegistry.AdminRegObj and AdminObj listen; a connection that sends no " +
      "complete request for -t ms (60000 without -t) is closed",
  },
  {
    name: "--store",
    value: "SPEC",
    key: "store",
    parse: text,
    unset: "TARS_REGISTRY_STORE, else DB_DSN, else DB_HOST..., else " +
      "sqlite:$TARS_PATH/data/tarsregistry.db",
    description: "sqlite:PATH or mysql://USER:PASS@HOST:PORT/db_tars (also ?socket=/path)",
  },
  {
    name: "--metrics",
    value: "HOST:PORT",
    key: "metrics",
    parse: hostPort,
    default: "0.0.0.0:9325",
    description: "HTTP /metrics (Prometheus), /targets (Prometheus HTTP service discovery), " +
      "/healthz (503 with the reasons when something is wrong), /readyz (the same but for " +
      "self-preservation: the probes' path)",
  },
  {
    name: "--advertise",
    value: "HOST",
    key: "advertise",
    parse: text,
    unset: "POD_IP, else the endpoint host (127.0.0.1 for 0.0.0.0)",
    description: "the address it registers for itself",
  },
  {
    name: "--node-timeout",
    value: "DURATION",
    key: "nodeTimeout",
    parse: positiveDuration,
    default: "250s",
    description: "a pod whose last heartbeat is older is answered as inactive, and the next " +
      "node check marks its node and servers inactive in the store (nothing is deleted; a new " +
      "heartbeat brings it back)",
  },
  {
    name: "--expiry-protect-rate",
    value: "PERCENT",
    key: "expiryProtectRate",
    parse: percent,
    default: "30%",
    description: "self-preservation: when the heartbeats of more than this share of the nodes " +
      "stop at once (silent for half of --node-timeout, within one --node-timeout of each " +
      "other; at least two), no node expires and lookups answer them as before, until their " +
      "heartbeats return or the share falls to it; /healthz answers 503 meanwhile (the " +
      "probes' /readyz does not); 0: off",
  },
  {
    name: "--reload-interval",
    value: "DURATION",
    key: "reloadInterval",
    parse: positiveDuration,
    default: "10s",
    description: "how often the node check runs and a MySQL-backed registry reads what other " +
      "replicas and tools changed in the database since its last read (and, every 30 s or " +
      "every third reload, whichever is sooner, checks the tables' row counts and key " +
      "checksums for rows they deleted, reading the whole database when those differ)",
  },
  {
    name: "--full-reload-interval",
    value: "DURATION",
    key: "fullReloadInterval",
    parse: positiveDuration,
    default: "5m",
    description: "how often a MySQL-backed registry reads the whole database again",
  },
  {
    name: "--admin-allow",
    value: "CIDR[,CIDR...]",
    key: "adminAllow",
    parse: addressRanges,
    default: "127.0.0.1/32,::1/128",
    description: "peers that may run AdminObj commands that change or stop anything (clean, " +
      "shutdown) and register, heartbeat or remove any node, and the web console's calls to " +
      "AdminRegObj that change, command or read a pod (start, stop, restart, notify, tasks, the " +
      "traffic switch, undeploy, logs): put the console's address here; every other peer only " +
      "its own address",
  },
  {
    name: "--node-call-timeout",
    value: "DURATION",
    key: "nodeCallTimeout",
    parse: positiveDuration,
    default: "25s",
    description:
      "how long a console call to AdminRegObj forwarded to a pod's node object (start, " +
      "stop, restart, notify, logs) waits for it; keep it under the console's own 30 s",
  },
  {
    name: "--task-item-timeout",
    value: "DURATION",
    key: "taskItemTimeout",
    parse: positiveDuration,
    default: "5m",
    description: "how long one item of a console task (restart, stop, start...) waits for the " +
      "pod's node object: a restart or stop drains the pod for its TARS_PRESTOP_WAITTIME first",
  },
  {
    name: "--trust-node-names",
    key: "trustNodeNames",
    parse: switchOn,
    default: "off",
    description: "let any peer speak for any node (for networks that rewrite source " +
      "addresses); logged at start",
  },
  {
    name: "--registration-tokens",
    value: "FILE",
    key: "registrationTokens",
    parse: path,
    unset: "TARS_REGISTRY_TOKENS, else none: every server registers without a token",
    description: "who may register as which server: lines NAME TOKEN, NAME an application or " +
      "application.server, TOKEN the token or sha256:<hex> of it (several lines of a name: " +
      "all valid); onStartup of a server with lines (its own, else its application's) needs " +
      "one of its tokens (TARS_REGISTRY_TOKEN in the pod), and its keepAlive and onPrestop " +
      "renew or end only a registration that lasts; read again when it changes (checked every " +
      "5 s) and on SIGHUP, a bad line is logged and ignored; unreadable at start: the registry " +
      "does not start",
  },
  {
    name: "--require-tokens",
    key: "requireTokens",
    parse: switchOn,
    default: "off",
    description: "a server without lines in the tokens file may not register either (needs " +
      "--registration-tokens)",
  },
  {
    name: "--max-conns-per-peer",
    value: "N",
    key: "maxConnsPerPeer",
    parse: positiveInteger,
    default: "1000",
    description: "TARS connections one source address may hold; more are closed at once",
  },
  {
    name: "--max-buffered",
    value: "SIZE",
    key: "maxBuffered",
    parse: byteSize,
    default: "256MiB",
    description: "bytes all TARS connections together may hold in unfinished requests and " +
      "unsent replies; past it the connections holding most are closed",
  },
  {
    name: "--store-timeout",
    value: "DURATION",
    key: "storeTimeout",
    parse: positiveDuration,
    default: "3s",
    description: "a store write (or read) not done by then fails and changes nothing in memory; " +
      "/healthz answers 503 until a write succeeds",
  },
  {
    name: "--max-pending-writes",
    value: "N",
    key: "maxPendingWrites",
    parse: positiveInteger,
    default: "1000",
    description: "writes (registrations, heartbeats, removals, the console's changes and " +
      'tasks) that may wait for the store at once; more are refused at once ("registry busy"). ' +
      "Reads (reloads, the console's reads) wait in a cap of their own",
  },
  {
    name: "--init-db",
    key: "initDb",
    parse: switchOn,
    default: "off",
    description: "create the database when it is missing (when the user may), then the " +
      "framework's db_tars tables and the tars.default template (from baseserver/db/db_tars.sql) " +
      "and the registry's own table, when they are missing",
  },
] as const satisfies readonly FlagSpec[];

// ---- Reading -----------------------------------------------------------------------------------

type Variable = (typeof VARIABLES)[number];
type Flag = (typeof REGISTRY_FLAGS)[number];

/** The value a setting gives: its parser's, or undefined as well when it has no default. */
type ValueOf<S> = S extends { parse: Parser<infer T> } ? S extends { default: string } ? T
  : T | undefined
  : never;

/** The settings object of `command`: the value of every variable it reads, by `key`. */
export type SettingsOf<C extends SettingsReader> = {
  readonly [V in Variable as C extends V["readBy"][number] ? V["key"] : never]: ValueOf<V>;
};

/** The registry's flags, by `key`. */
export type RegistryFlags = { readonly [F in Flag as F["key"]]: ValueOf<F> };

/** The settings the supervisor reads (its own; genconf's it passes on to the genconf child). */
export type LifecycleSettings = SettingsOf<"supervisor">;

/** An environment snapshot such as `Deno.env.toObject()`. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The variables `command` reads, in table order. */
export function variablesOf(command: SettingsReader): VariableSpec[] {
  return VARIABLES.filter((v) => (v.readBy as readonly string[]).includes(command));
}

/** The value of `spec` from its text, or from its default when the text is undefined. */
function parseSetting(
  spec: VariableSpec | FlagSpec,
  given: string | undefined,
  options: { cwd: string; variable: (name: string) => unknown },
): unknown {
  const context = { name: spec.name, default: spec.default, cwd: options.cwd };
  if (given !== undefined) return spec.parse(given, context);
  if (spec.default === undefined) return undefined;
  const reference = /^\$([A-Z_]+)\/(.*)$/.exec(spec.default);
  const dflt = reference
    ? join(String(options.variable(reference[1])), reference[2])
    : spec.default;
  return spec.parse(dflt, context);
}

/** Reads one variable from `env`: trimmed, empty as unset (unless verbatim). */
function readVariable(spec: VariableSpec, env: Environment, cwd: string): unknown {
  const raw = env[spec.name];
  const given = spec.verbatim ? raw : raw?.trim() || undefined;
  return parseSetting(spec, given, {
    cwd,
    variable: (name) => readVariable(VARIABLES.find((v) => v.name === name)!, env, cwd),
  });
}

/**
 * Reads the settings object of `command` from `env`, frozen. Relative paths are taken from `cwd`.
 * A bad value throws the parser's SyntaxError or RangeError, which names the variable.
 */
export function readSettings<C extends SettingsReader>(
  env: Environment,
  command: C,
  options: { cwd: string },
): SettingsOf<C> {
  const values: Record<string, unknown> = {};
  for (const spec of variablesOf(command)) {
    values[spec.key] = readVariable(spec, env, options.cwd);
  }
  return Object.freeze(values) as SettingsOf<C>;
}

/**
 * The registry's flags from what the argument parser gave (the text of each flag by its name
 * without `--`, `true` for a given switch); flags not given take their defaults.
 */
export function readRegistryFlags(
  given: Readonly<Record<string, string | boolean | undefined>>,
  options: { cwd: string },
): RegistryFlags {
  const values: Record<string, unknown> = {};
  for (const spec of REGISTRY_FLAGS as readonly FlagSpec[]) {
    const value = given[spec.name.slice(2)];
    const text = value === true ? "on" : value === false ? undefined : value;
    values[spec.key] = parseSetting(spec, text, { cwd: options.cwd, variable: () => "" });
  }
  return Object.freeze(values) as RegistryFlags;
}

// ---- Help --------------------------------------------------------------------------------------

/** The default of a setting as help shows it: its text, its words, or "unset". */
export function shownDefault(spec: VariableSpec | FlagSpec): string {
  return spec.default || spec.unset || "unset";
}

/** A setting as help names it: `TARS_PATH`, `--node-timeout DURATION`. */
export function shownName(spec: VariableSpec | FlagSpec): string {
  return "value" in spec && spec.value ? `${spec.name} ${spec.value}` : spec.name;
}

/** One help line per setting: name, description and default, indented by `indent`. */
export function helpLines(
  specs: readonly (VariableSpec | FlagSpec)[],
  options: { indent: string },
): string[] {
  return specs.map((spec) =>
    `${options.indent}${shownName(spec).padEnd(28)} ${spec.description} ` +
    `(default: ${shownDefault(spec)})`
  );
}
