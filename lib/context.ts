/**
 * What a command gets from the entry point (its environment and output), and the shape of a
 * command module.
 *
 * @module
 */
/** What a command receives from the entry point instead of reading globals itself. */
export interface CommandContext {
  /** The process environment, read once by the entry point. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Writes one line to standard output. */
  readonly out: (line: string) => void;
  /** Writes one line to standard error. */
  readonly err: (line: string) => void;
}

/** The contract every lazily loaded command module fulfils. */
export interface CommandModule {
  /** Runs the command with its arguments (the sub-command name removed); resolves to the exit code. */
  run(args: string[], ctx: CommandContext): Promise<number>;
}
