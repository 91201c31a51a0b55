/**
 * How the benchmarks print their results: Markdown tables (BENCHMARKS.md takes them as they
 * are) and the number formats in their cells.
 *
 * @module
 */

/** Prints a Markdown table: the first column left-aligned, the others right-aligned. */
export function printTable(head: string[], rows: string[][]): void {
  console.log(`| ${head.join(" | ")} |`);
  console.log(`|${head.map((_, i) => (i === 0 ? " --- " : " ---: ")).join("|")}|`);
  for (const row of rows) console.log(`| ${row.join(" | ")} |`);
}

/** A rate with thousands separators: `12,345`. */
export function rate(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** `a` as a multiple of the baseline `b`: `1.23x`. */
export function ratio(a: number, b: number): string {
  return b > 0 ? `${(a / b).toFixed(2)}x` : "n/a (baseline 0)";
}

/** KiB as MiB: `12.3 MiB`. */
export function mib(kib: number): string {
  return `${(kib / 1024).toFixed(1)} MiB`;
}
