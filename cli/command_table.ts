import type { CommandModule } from "./context.ts";

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
];

/** Finds a command by name. */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

