/**
 * The command table: every `tarscli` sub-command with its summary, its usage and how to load it.
 * The variables a command reads are declared with the variables, in lib/settings.ts (`readBy`).
 *
 * @module
 */
import type { CommandModule } from "../lib/context.ts";
import type { SettingsReader } from "../lib/settings.ts";

/** One `tarscli` sub-command: what it does, how it is called, how to load it. */
export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  /** Other names it answers to (`--help` for help), as other command-line tools take them. */
  readonly aliases?: readonly string[];
  /** A command it runs in a child process with its own environment: it reads that one's variables too. */
  readonly runs?: SettingsReader;
  /** Loads only this command's module, so a probe does not pay for the registry or YAML code. */
  readonly load: () => Promise<CommandModule>;
}

/** Every sub-command of `tarscli`; `help`, the README and the dispatcher all read this table. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "help",
    summary: "print the commands and the variables each reads",
    usage: "tarscli help [COMMAND]",
    aliases: ["--help", "-h"],
    load: () => import("./help.ts"),
  },
  {
    name: "version",
    summary: "print the version",
    usage: "tarscli version",
    aliases: ["--version", "-v"],
    load: () => import("./version.ts"),
  },
  {
    name: "genconf",
    summary: "write $TARS_PATH/conf/<BuildServer>.conf and $TARS_PATH/data/server_info.yaml from " +
      "$TARS_PATH/bin/_server_meta.yaml and the environment; --json prints one JSON line " +
      "instead: what was written (server info, paths, warnings) or the error (the supervisor " +
      "runs it so)",
    usage: "tarscli genconf [--json]",
    load: () => import("../genconf/command.ts"),
  },
  {
    name: "syncdir",
    summary:
      "copy changed files (and link targets) from TARS_SYNC_DIRECTORY to the target directory",
    usage: "tarscli syncdir",
    load: () => import("./syncdir.ts"),
  },
  {
    name: "supervisor",
    summary: "the container entrypoint: genconf, register, start the service, check it, " +
      "report its state, restart it; on SIGTERM take it out of traffic and stop it",
    usage: "tarscli supervisor",
    runs: "genconf",
    load: () => import("../supervisor/command.ts"),
  },
  {
    name: "hzcheck",
    summary: "readiness probe: exit 0 when the service is active (or deactivating) and the " +
      "supervisor wrote its state within 2 x TARS_REPORT_INTERVAL, else 1 with the reason",
    usage: "tarscli hzcheck",
    load: () => import("../supervisor/hzcheck.ts"),
  },
  {
    name: "prestop",
    summary: "preStop hook, once per pod: state deactivating, heartbeat deactivating, " +
      'AdminF.notify("prestop") to the service, wait, then remove the pod from the registry',
    usage: "tarscli prestop",
    load: () => import("../supervisor/prestop_command.ts"),
  },
  {
    name: "notify",
    summary: "send an admin command (AdminF.notify) to the service's AdminObj and print the " +
      "answer, e.g. tars.setloglevel DEBUG, tars.viewstatus",
    usage: "tarscli notify COMMAND [ARG...]",
    load: () => import("../supervisor/notify_command.ts"),
  },
  {
    name: "registry",
    summary: "run the TARS name registry (QueryObj, Registry, AdminObj); --help for its options",
    usage: "tarscli registry [--endpoint EP] [--store SPEC] [--metrics HOST:PORT] [--init-db] ...",
    load: () => import("../registry/command.ts"),
  },
];

/** Finds a command by its name or one of its aliases. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name || (c.aliases ?? []).includes(name));
}
