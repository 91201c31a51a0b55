/**
 * Tests that need root or a system package the machine lacks skip, with one line saying what they
 * need, instead of failing; where the need is met they run as usual.
 *
 * @module
 */

/** Where the skip line goes; default console.log. */
export interface SkipOptions {
  readonly log?: (line: string) => void;
}

/** Prints why `test` is skipped when `missing` names what it lacks; returns whether it is. */
export function skipWhen(test: string, missing: string | undefined, options: SkipOptions = {}) {
  if (missing === undefined) return false;
  (options.log ?? console.log)(`Skipping "${test}": ${missing}`);
  return true;
}

/** What a test that needs root lacks when it runs as `uid` (undefined as root); `why` says why. */
export function rootMissing(uid: number | null, why: string): string | undefined {
  return uid === 0 ? undefined : `it needs root (${why}); this runs as uid ${uid}`;
}
