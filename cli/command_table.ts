import type { CommandModule } from "../lib/context.ts";

/** An environment variable a command reads, with its default as shown to users. */
export interface VariableSpec {
  readonly name: string;
  /** The default in words or as a literal; "" when the variable is unset by default. */
  readonly default: string;
  readonly description: string;
}

/** One `tarscli` sub-command: what it does, how it is called, what it reads, how to load it. */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly variables: readonly VariableSpec[];
  /** Loads only this command's module, so a probe does not pay for the registry or YAML code. */
  readonly load: () => Promise<CommandModule>;
}

/** What genconf reads; the supervisor runs genconf, so it reads these too. */
const GENCONF_VARIABLES: readonly VariableSpec[] = [
  {
    name: "TARS_PATH",
    default: "/tars",
    description: "the service's directory (bin, conf, data, log)",
  },
  {
    name: "TARS_APPLICATION",
    default: "application in _server_meta.yaml",
    description: "application name",
  },
  { name: "TARS_SERVER", default: "server in _server_meta.yaml", description: "server name" },
  {
    name: "TARS_BUILD_SERVER",
    default: "the server name",
    description: "config file name, when the binary's name differs from the server's",
  },
  {
    name: "TARS_SET_ID",
    default: "set_id in _server_meta.yaml, else no set",
    description: "set NAME.AREA.GROUP, e.g. mtt.s.1",
  },
  {
    name: "TARS_LOCATOR",
    default:
      "locator in _server_meta.yaml, else tars.tarsregistry.QueryObj@tcp -h tars-registry.${namespace}.svc.cluster.local -p 17890",
    description: "registry QueryObj with its endpoints",
  },
  {
    name: "TARS_MERGE_CONF",
    default: "",
    description: "TARS config file merged over the generated one (its values win)",
  },
  {
    name: "TARS_EP_UPTIME",
    default: "refresh_endpoint_interval in _server_meta.yaml, else 60000",
    description: "refresh-endpoint-interval; bare number in ms, or a duration such as 30s",
  },
  {
    name: "POD_IP",
    default: "address of the default route's interface",
    description: "value of ${local_ip}",
  },
  { name: "TARS_NAMESPACE", default: "tars-system", description: "value of ${namespace}" },
  { name: "TARS_RAND_PORT_MIN", default: "13000", description: "lowest ${random_port}" },
  { name: "TARS_RAND_PORT_MAX", default: "16000", description: "highest ${random_port}" },
];

/** The supervisor's own variables (supervisor/settings.ts); defaults as LIFECYCLE_DEFAULTS. */
const SUPERVISOR_VARIABLES: readonly VariableSpec[] = [
  {
    name: "TARS_START_PATH",
    default: "$TARS_PATH/bin/start.sh",
    description:
      "starts the service (run with sh in its own process group, output to log/start.log)",
  },
  {
    name: "TARS_STOP_PATH",
    default: "",
    description: "stops the service; unset: SIGTERM to the service's process group",
  },
  {
    name: "TARS_STOP_GRACE",
    default: "10s",
    description: "from stopping the service to SIGKILL",
  },
  {
    name: "TARS_REPORT_INTERVAL",
    default: "30s",
    description: "a heartbeat to the registry at least this often (hzcheck allows 2x)",
  },
  {
    name: "TARS_DISABLE_FLOW",
    default: "",
    description: "non-empty: register with traffic off (endpoints answered as inactive)",
  },
  {
    name: "TARS_CHECK_INTERVAL",
    default: "10s",
    description: "how often the endpoints are checked and the state file written",
  },
  {
    name: "TARS_BEFORE_CHECK_SCRIPT",
    default: "",
    description: "shell command (sh -c) run before each check; a failure is logged",
  },
  {
    name: "TARS_CHECK_SCRIPT_TIMEOUT",
    default: "2s",
    description: "the before-check script is killed after this",
  },
  {
    name: "TARS_PRESTOP_WAITTIME",
    default: "80s",
    description: "prestop: wait between leaving traffic and removing the pod from the registry",
  },
  {
    name: "TARS_ACTIVATING_TIMEOUT",
    default: "300s",
    description: "how long a starting service may be activating before it counts as inactive " +
      "(an exit after that is reported as an [alarm])",
  },
  {
    name: "TARS_CHECK_RETRY_TIMEOUT",
    default: "5s",
    description: "how long a failing endpoint check is retried",
  },
  { name: "SERVER_VERSION", default: "", description: "version reported to the registry" },
];

/** Every sub-command of `tarscli`; `help`, the README and the dispatcher all read this table. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "help",
    summary: "print the commands and the variables each reads",
    usage: "tarscli help [COMMAND]",
    variables: [],
    load: () => import("./help.ts"),
  },
  {
    name: "version",
    summary: "print the version",
    usage: "tarscli version",
    variables: [],
    load: () => import("./version.ts"),
  },
  {
    name: "genconf",
    summary: "write $TARS_PATH/conf/<BuildServer>.conf and $TARS_PATH/data/server_info.yaml from " +
      "$TARS_PATH/bin/_server_meta.yaml and the environment; --json prints what was written " +
      "(server info, paths, warnings) as one JSON line instead (the supervisor runs it so)",
    usage: "tarscli genconf [--json]",
    variables: GENCONF_VARIABLES,
    load: () => import("../genconf/command.ts"),
  },
  {
    name: "syncdir",
    summary:
      "copy changed files (and link targets) from TARS_SYNC_DIRECTORY to the target directory",
    usage: "tarscli syncdir",
    variables: [
      {
        name: "TARS_SYNC_DIRECTORY",
        default: "",
        description: "source directory; unset: nothing to do",
      },
      {
        name: "TARS_SYNC_TARGET_DIRECTORY",
        default: "$TARS_PATH/bin",
        description: "target directory",
      },
      { name: "TARS_PATH", default: "/tars", description: "the service's directory" },
    ],
    load: () => import("./syncdir.ts"),
  },
  {
    name: "supervisor",
    summary: "the container entrypoint: genconf, register, start the service, check it, " +
      "report its state, restart it; on SIGTERM take it out of traffic and stop it",
    usage: "tarscli supervisor",
    variables: [...GENCONF_VARIABLES, ...SUPERVISOR_VARIABLES],
    load: () => import("../supervisor/command.ts"),
  },
  {
    name: "hzcheck",
    summary: "readiness probe: exit 0 when the service is active (or deactivating) and the " +
      "supervisor wrote its state within 2 x TARS_REPORT_INTERVAL, else 1 with the reason",
    usage: "tarscli hzcheck",
    variables: [
      { name: "TARS_PATH", default: "/tars", description: "the service's directory" },
      {
        name: "TARS_REPORT_INTERVAL",
        default: "30s",
        description: "the state file may be 2x this old",
      },
    ],
    load: () => import("../supervisor/hzcheck.ts"),
  },
  {
    name: "prestop",
    summary: "preStop hook, once per pod: state deactivating, heartbeat deactivating, " +
      'AdminF.notify("prestop") to the service, wait, then remove the pod from the registry',
    usage: "tarscli prestop",
    variables: [
      { name: "TARS_PATH", default: "/tars", description: "the service's directory" },
      {
        name: "TARS_PRESTOP_WAITTIME",
        default: "80s",
        description: "wait between leaving traffic and removing the pod from the registry",
      },
    ],
    load: () => import("../supervisor/prestop_command.ts"),
  },
  {
    name: "notify",
    summary: "send an admin command (AdminF.notify) to the service's AdminObj and print the " +
      "answer, e.g. tars.setloglevel DEBUG, tars.viewstatus",
    usage: "tarscli notify COMMAND [ARG…]",
    variables: [{ name: "TARS_PATH", default: "/tars", description: "the service's directory" }],
    load: () => import("../supervisor/notify_command.ts"),
  },
  {
    name: "registry",
    summary: "run the TARS name registry (QueryObj, Registry, AdminObj); --help for its options",
    usage: "tarscli registry [--endpoint EP] [--store SPEC] [--metrics HOST:PORT] [--init-db] …",
    variables: [
      {
        name: "TARS_REGISTRY_STORE",
        default: "",
        description: "store spec: sqlite:PATH or mysql://USER:PASS@HOST:PORT/db_tars",
      },
      {
        name: "DB_DSN",
        default: "",
        description: "the original's MySQL DSN user:pass@tcp(host:port)/db_tars",
      },
      { name: "DB_HOST", default: "", description: "MySQL host (with DB_PORT, DB_USER, DB_PASS)" },
      { name: "DB_PORT", default: "3306", description: "MySQL port" },
      { name: "DB_USER", default: "root", description: "MySQL user" },
      { name: "DB_PASS", default: "", description: "MySQL password" },
      { name: "POD_IP", default: "", description: "address the registry registers for itself" },
      {
        name: "TARS_PATH",
        default: "/tars",
        description: "the embedded store lives in $TARS_PATH/data/tarsregistry.db",
      },
    ],
    load: () => import("../registry/command.ts"),
  },
];

/** Finds a command by name. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}
