/**
 * Which known key an unknown key of `_server_meta.yaml` was probably meant to be: `adapter` for
 * `adapters`, `logsize` for `logSize`. A key that near a known one is a typo that would lose its
 * setting, so genconf refuses it; a key further from every known one is left alone (K8STARS
 * files may carry keys of their own).
 *
 * The rule: the keys are compared without regard to case (YAML keys are case-sensitive, so
 * `logsize` is not `logSize`), by edit distance (an insertion, a deletion, a substitution or a
 * swap of two neighbours counts one), and a known key of `n` characters takes
 * `min(2, floor(n / 4))` edits: none under 4 characters, one up to 7, two from 8. So a short key
 * is never near a short unknown one by chance (`id`, `ip` and `app` are near nothing), and two
 * edits are allowed only where two letters are a small part of the key.
 *
 * @module
 */

/** Edits allowed between an unknown key and a known key of `length` characters. */
function allowedEdits(length: number): number {
  return Math.min(2, Math.floor(length / 4));
}

/**
 * The edit distance of `a` and `b` where a swap of two neighbouring characters counts one
 * (optimal string alignment).
 */
export function editDistance(a: string, b: string): number {
  // rows[i][j]: the distance of a's first i characters and b's first j.
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i]);
  for (let j = 1; j <= b.length; j++) rows[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, rows[i - 2][j - 2] + 1);
      }
      rows[i][j] = best;
    }
  }
  return rows[a.length][b.length];
}

/**
 * The known keys `key` is probably a misspelling of (the nearest ones, in the order of `known`),
 * or none when it is near no known key by the rule of this module.
 */
export function nearMisses(key: string, known: readonly string[]): string[] {
  const folded = key.toLowerCase();
  let nearest = Infinity;
  let found: string[] = [];
  for (const candidate of known) {
    const distance = editDistance(folded, candidate.toLowerCase());
    if (distance > allowedEdits(candidate.length)) continue;
    if (distance < nearest) [nearest, found] = [distance, []];
    if (distance === nearest) found.push(candidate);
  }
  return found;
}
