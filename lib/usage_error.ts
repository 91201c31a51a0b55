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
