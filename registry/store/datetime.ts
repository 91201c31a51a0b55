/**
 * Times as the TARS framework writes them into db_tars and answers them: `YYYY-MM-DD HH:MM:SS`
 * in the local time zone (MySQL's `NOW()` in a session of the server's zone).
 *
 * @module
 */

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** `YYYY-MM-DD HH:MM:SS` of epoch ms `ms`, in the local time zone. */
export function formatDatetime(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}
