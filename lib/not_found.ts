/**
 * What may not be there: a file, a directory, a process. Deno throws `Deno.errors.NotFound` for
 * each; these answer `undefined` (or false) instead and throw every other error as it came, so a
 * caller says in one line that absence is an answer and not a failure.
 *
 * @module
 */

/**
 * The value of `operation`, or undefined when it failed with `Deno.errors.NotFound` (no such file
 * or directory, no such process): `await ifExists(Deno.readTextFile(path))`.
 */
export async function ifExists<T>(operation: Promise<T>): Promise<T | undefined> {
  try {
    return await operation;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** {@linkcode ifExists} of a call that does not wait: `ifExistsSync(() => Deno.statSync(path))`. */
export function ifExistsSync<T>(operation: () => T): T | undefined {
  try {
    return operation();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/**
 * Whether anything (a file, a directory, a link, even one to nothing) is at `path`; false too
 * under a file, where nothing can be.
 */
export async function exists(path: string): Promise<boolean> {
  try {
    return await ifExists(Deno.lstat(path)) !== undefined;
  } catch (error) {
    if (error instanceof Deno.errors.NotADirectory) return false;
    throw error;
  }
}
