/**
 * The text commands of the registry's AdminObj (`notify`, as `tarscli`'s admin and the console's
 * "send command" send them): `clean`, `status` and `servers`, and the time `clean` takes.
 *
 * @module
 */
import type { RegistryService, ServerView } from "./registry_service.ts";
import { ValidationError } from "./validate.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Parses `YYYY-MM-DD[ HH:MM:SS]` (UTC) into a Date; the store compares it as an age, so a database
 * in another time zone agrees.
 */
export function parseCleanTime(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  const date = m
    ? new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)))
    : undefined;
  if (!date || Number.isNaN(date.getTime()) || date.getUTCDate() !== +m![3]) {
    throw new ValidationError(
      `Bad time "${text}": write it as YYYY-MM-DD or "YYYY-MM-DD HH:MM:SS" (UTC)`,
    );
  }
  return date;
}

/**
 * Runs an admin command sent to the registry's AdminObj and returns the answer text:
 * `clean [y|n] [datetime]` removes nodes without a heartbeat since `datetime` (default: 24 hours
 * ago, or `--node-timeout` ago when that is longer; never later); it is a dry run unless the
 * second word is `n`. `status` lists row counts; `servers [APP[.SERVER]]` lists the registered
 * servers with their states and endpoints. Unknown commands are answered as TarsGo does.
 * `mayChange` is asked before a command that changes anything (it throws to refuse).
 */
export async function runAdminCommand(
  service: RegistryService,
  command: string,
  options: { now: () => number; mayChange: (action: string) => void },
): Promise<string> {
  const [name = "", ...args] = command.trim().split(/\s+/);
  if (name === "status") {
    const c = await service.counts();
    const g = service.gauges();
    return `nodes=${c.nodes} servers=${c.servers} adapters=${c.adapters} ` +
      `config_files=${c.configFiles} active_endpoints=${g.activeEndpoints} ` +
      `inactive_endpoints=${g.endpoints - g.activeEndpoints} store=${service.store.kind}`;
  }
  if (name === "servers") return formatServers(service.servers(), args[0]);
  if (name !== "clean") return `${command} not support now!`;
  options.mayChange("clean");
  const dryRun = args.length === 0 || (args[0] !== "n" && args[0] !== "N");
  const before = args.length > 1
    ? parseCleanTime(args.slice(1).join(" "))
    : new Date(options.now() - Math.max(DAY_MS, service.nodeTimeout));
  const result = await service.clean({ before, dryRun });
  const lines = [
    `${dryRun ? "Would remove" : "Removed"} ${result.nodes.length} node(s) without a heartbeat ` +
    `since ${before.toISOString()}:`,
    ...result.nodes,
    ...result.servers.map((s) => `${s.application}.${s.server} on ${s.nodeName}`),
    `adapters=${result.adapters} config_files=${result.configFiles}`,
    dryRun ? 'Dry run: nothing removed; send "clean n" to remove.' : "Deleted.",
  ];
  return lines.join("\n");
}

/**
 * One line per server (`App.Server on NODE: active|inactive (present, setting, traffic, set,
 * version, type, pid, heartbeat age)`) and one indented line per endpoint; `filter` keeps `App`
 * or `App.Server`.
 */
function formatServers(views: readonly ServerView[], filter?: string): string {
  const shown = views.filter(({ server: s }) =>
    !filter || filter === s.application || filter === `${s.application}.${s.server}`
  );
  if (shown.length === 0) return filter ? `No server ${filter} is registered.` : "No servers.";
  const lines: string[] = [];
  for (const { server: s, active, heartbeatAge } of shown) {
    const heartbeat = heartbeatAge === undefined
      ? "no heartbeat"
      : `heartbeat ${Math.max(0, Math.round(heartbeatAge / 1000))} s ago`;
    const details = [
      `present ${s.presentState}`,
      `setting ${s.settingState}`,
      `traffic ${s.flowEnabled ? "on" : "off"}`,
      ...(s.setId ? [`set ${s.setId}`] : []),
      ...(s.version ? [`version ${s.version}`] : []),
      ...(s.serverType ? [`type ${s.serverType}`] : []),
      ...(s.processId > 0 ? [`pid ${s.processId}`] : []),
      heartbeat,
    ];
    lines.push(
      `${s.application}.${s.server} on ${s.nodeName}: ${active ? "active" : "inactive"} ` +
        `(${details.join(", ")})`,
    );
    for (const a of s.adapters) lines.push(`  ${a.servant} ${a.endpoint}`);
  }
  return lines.join("\n");
}
