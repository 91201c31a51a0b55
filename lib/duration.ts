/**
 * Durations as the `tarscli` variables take them: a whole number with a unit, several
 * parts allowed (`30s`, `1m30s`, `1h`, `500ms`). Units: ns, us, ms, s, m, h, d.
 *
 * @module
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a duration such as `1m30s` into milliseconds. A number without a unit is refused (is
 * `30` seconds or milliseconds?), as the original K8STARS refused it, except `0` and, where a
 * setting documents one (`bareUnit`), the unit a bare number is taken in.
 */
export function parseDuration(
  text: string,
  options: { bareUnit?: keyof typeof UNIT_MS } = {},
): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    if (options.bareUnit !== undefined) return Number(trimmed) * UNIT_MS[options.bareUnit];
    if (Number(trimmed) === 0) return 0;
    throw new SyntaxError(
      `Duration "${text}" has no unit: write ${trimmed}s for seconds or ${trimmed}ms for ` +
        "milliseconds (units: ns, us, ms, s, m, h, d)",
    );
  }
  const part = /(\d+(?:\.\d+)?)(ns|us|ms|s|m|h|d)/y;
  let total = 0;
  let at = 0;
  while (at < trimmed.length) {
    part.lastIndex = at;
    const match = part.exec(trimmed);
    if (!match) break;
    total += Number(match[1]) * UNIT_MS[match[2]];
    at = part.lastIndex;
  }
  if (trimmed === "" || at !== trimmed.length) {
    throw new SyntaxError(
      `Bad duration "${text}": write a number with a unit (ns, us, ms, s, m, h, d), e.g. 30s or 1m30s`,
    );
  }
  return total;
}
