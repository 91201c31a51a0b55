/**
 * The error of a command called wrongly: the entry point prints its message and exits 2.
 *
 * @module
 */
/** A mistake in how a command was called; carries the exit code the CLI returns for it. */
export class UsageError extends Error {
  /** Process exit code for this error (2, as for other command-line usage errors). */
  readonly exitCode: number;

  constructor(message: string, options?: { exitCode?: number }) {
    super(message);
    this.name = "UsageError";
    this.exitCode = options?.exitCode ?? 2;
  }
}

/** What {@linkcode checkSwitches} checks a command's arguments against. */
export interface SwitchesOptions {
  /** The switches the command takes (`--json`); none by default. */
  readonly switches?: readonly string[];
  /** Where the command takes its input from instead, for the message ("TARS_PATH and ..."). */
  readonly reads?: string;
}

/**
 * Checks the arguments of `command` (`genconf`), which takes nothing but `options.switches`, each
 * at most once. Throws a UsageError naming the first argument it does not take, what it takes and
 * where it reads its input; returns the switches given.
 */
export function checkSwitches(
  command: string,
  args: readonly string[],
  options: SwitchesOptions = {},
): ReadonlySet<string> {
  const switches = options.switches ?? [];
  const takes = switches.length === 0 ? "no arguments" : `only ${switches.join(", ")}`;
  const reads = options.reads ? `, and reads ${options.reads}` : "";
  const help = `(see tarscli help ${command})`;
  const given = new Set<string>();
  for (const arg of args) {
    if (given.has(arg)) throw new UsageError(`${arg} is given twice; give it once ${help}`);
    if (!switches.includes(arg)) {
      const what = arg.startsWith("-") ? "unknown option" : "unexpected argument";
      throw new UsageError(`${what} "${arg}"; ${command} takes ${takes}${reads} ${help}`);
    }
    given.add(arg);
  }
  return given;
}
