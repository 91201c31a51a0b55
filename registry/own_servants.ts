/**
 * Servants belong to their server: an adapter of server `App.Server` serves `App.Server.<name>`,
 * as TARS names every servant and as the web console writes them. `onStartup` refuses anything
 * else (validate.ts), so a pod cannot put its own address behind another server's object.
 * Registrations already in a store that break the rule (written before it existed) are answered
 * as before, so an upgrade cuts no traffic, and listed once when the registry loads its store.
 *
 * @module
 */
import type { ServerRecord } from "./store/mod.ts";

/** Whether `servant` is one of the servants of the server `prefix` (`App.Server`). */
export function isOwnServant(servant: string, prefix: string): boolean {
  return servant.length > prefix.length + 1 && servant.startsWith(prefix) &&
    servant[prefix.length] === "." && !servant.includes(".", prefix.length + 1);
}

/** An adapter registered under a server whose servants it does not name. */
export interface ForeignServant {
  readonly application: string;
  readonly server: string;
  readonly nodeName: string;
  readonly servant: string;
}

/** The adapters of `servers` whose servant is not their server's. */
export function foreignServants(servers: Iterable<Readonly<ServerRecord>>): ForeignServant[] {
  const found: ForeignServant[] = [];
  for (const s of servers) {
    const prefix = `${s.application}.${s.server}`;
    for (const adapter of s.adapters) {
      if (isOwnServant(adapter.servant, prefix)) continue;
      found.push({
        application: s.application,
        server: s.server,
        nodeName: s.nodeName,
        servant: adapter.servant,
      });
    }
  }
  return found;
}

/** How many of them the log lists by name; the rest are counted. */
export const LISTED_FOREIGN_SERVANTS = 100;

/**
 * The log lines about `found`: none when it is empty, else what they are, one line per
 * adapter (at most {@linkcode LISTED_FOREIGN_SERVANTS}, then how many more).
 */
export function foreignServantLines(found: readonly ForeignServant[]): string[] {
  if (found.length === 0) return [];
  const lines = [
    `${found.length} registered adapter(s) serve another server's servant: they are answered ` +
    `as before, but onStartup now refuses such adapters, so the pods that registered them must ` +
    `register their own servants (App.Server.<name>) the next time they start:`,
  ];
  for (const f of found.slice(0, LISTED_FOREIGN_SERVANTS)) {
    lines.push(`  ${f.servant} registered by ${f.application}.${f.server} on ${f.nodeName}`);
  }
  if (found.length > LISTED_FOREIGN_SERVANTS) {
    lines.push(`  and ${found.length - LISTED_FOREIGN_SERVANTS} more`);
  }
  return lines;
}
