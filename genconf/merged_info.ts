/**
 * The server info of the config the service really reads: after `TARS_MERGE_CONF` is merged over
 * the generated config, the adapters (endpoints, `local`, an adapter only the merge file adds)
 * and the client and server values are taken back from the merged tree, so the supervisor
 * registers and checks the ports the service listens on, and prestop and notify reach it.
 *
 * @module
 */
import { parseEndpoint, parseObjectRef } from "../protocol/endpoint.ts";
import { ADAPTER_DEFAULTS } from "./server_meta.ts";
import type { AdapterInfo, ServerInfo } from "./server_info.ts";
import type { ConfigItem, ConfigSection } from "../lib/tars_config.ts";

/** The server info of a merged config, and what the user should look at. */
export interface MergedInfo {
  readonly info: ServerInfo;
  readonly warnings: readonly string[];
}

function section(items: readonly ConfigItem[], name: string): ConfigSection | undefined {
  return items.find((i): i is ConfigSection => i.kind === "section" && i.name === name);
}

/** The last value of `key` directly in `s` (a merge replaces every copy, so all agree). */
function value(s: ConfigSection, key: string): string | undefined {
  const found = s.items.findLast((i) => i.kind === "value" && i.key === key);
  return found?.kind === "value" ? found.value : undefined;
}

/**
 * Takes the service's server info back from `merged` (the generated config with the merge file
 * over it), starting from `generated` (what genconf resolved). A value the merge file made
 * unusable (a number that is not one, an endpoint that does not parse, an adapter without a
 * servant) throws a SyntaxError naming `source` (the merge file), the section and the key. A
 * merged adapter endpoint that is not on `${local_ip}` is a warning: the registry hands that
 * address to clients.
 */
export function serverInfoFromConfig(
  generated: ServerInfo,
  merged: ConfigSection,
  options: { source: string },
): MergedInfo {
  const fail = (where: string, what: string): never => {
    throw new SyntaxError(`${options.source}: ${where} ${what}; fix it in the merge file`);
  };
  const application = section(section(merged.items, "tars")?.items ?? [], "application");
  const server = application && section(application.items, "server");
  const client = application && section(application.items, "client");
  if (!server || !client) {
    return fail("<tars><application>", "lost its <server> or <client> section");
  }
  const warnings: string[] = [];

  const text = (s: ConfigSection, key: string, fallback: string) => value(s, key) ?? fallback;
  const whole = (s: ConfigSection, path: string, key: string, fallback: number): number => {
    const given = value(s, key);
    if (given === undefined) return fallback;
    if (!/^\d+$/.test(given)) fail(`${path} ${key}`, `"${given}" is not a whole number`);
    return Number(given);
  };
  const endpoint = (where: string, given: string | undefined): string => {
    if (given === undefined || given === "") return fail(where, "has no endpoint");
    try {
      parseEndpoint(given);
    } catch (error) {
      fail(where, (error as Error).message);
    }
    return given;
  };

  const prefix = `${generated.application}.${generated.server}.`;
  const adapters: AdapterInfo[] = [];
  for (const item of server.items) {
    if (item.kind !== "section" || value(item, "endpoint") === undefined) continue;
    const where = `<server><${item.name}>`;
    const ep = endpoint(`${where} endpoint`, value(item, "endpoint"));
    const servant = value(item, "servant");
    if (!servant) fail(where, "has an endpoint but no servant=");
    const before = generated.adapters.find((a) => a.adapter === item.name);
    const object = servant!.startsWith(prefix) ? servant!.slice(prefix.length) : servant!;
    const defaults = before ?? ADAPTER_DEFAULTS;
    adapters.push(Object.freeze({
      object,
      servant: servant!,
      adapter: item.name,
      endpoint: ep,
      maxconns: whole(item, where, "maxconns", defaults.maxconns),
      protocol: text(item, "protocol", defaults.protocol),
      queuecap: whole(item, where, "queuecap", defaults.queuecap),
      queuetimeout: whole(item, where, "queuetimeout", defaults.queuetimeout),
      threads: whole(item, where, "threads", defaults.threads),
    }));
    if (ep !== before?.endpoint && parseEndpoint(ep).host !== generated.localIp) {
      warnings.push(
        `${options.source}: ${where} endpoint "${ep}" is not on \${local_ip} ` +
          `(${generated.localIp}); the registry gives clients that address`,
      );
    }
  }

  const c = "<client>";
  const s = "<server>";
  const locator = text(client, "locator", generated.locator);
  try {
    parseObjectRef(locator);
  } catch (error) {
    fail(`${c} locator`, (error as Error).message);
  }
  const info: ServerInfo = {
    ...generated,
    locator,
    local: endpoint(`${s} local`, text(server, "local", generated.local)),
    adapters: Object.freeze(adapters),
    logSize: text(server, "logsize", generated.logSize),
    logNum: whole(server, s, "lognum", generated.logNum),
    logLevel: text(server, "logLevel", generated.logLevel),
    configObj: text(server, "config", generated.configObj),
    notifyObj: text(server, "notify", generated.notifyObj),
    logObj: text(server, "log", generated.logObj),
    statObj: text(client, "stat", generated.statObj),
    propertyObj: text(client, "property", generated.propertyObj),
    sampleRate: whole(client, c, "sample-rate", generated.sampleRate),
    maxSampleCount: whole(client, c, "max-sample-count", generated.maxSampleCount),
    asyncThreadNum: whole(client, c, "asyncthread", generated.asyncThreadNum),
    syncInvokeTimeout: whole(client, c, "sync-invoke-timeout", generated.syncInvokeTimeout),
    asyncInvokeTimeout: whole(client, c, "async-invoke-timeout", generated.asyncInvokeTimeout),
    reportInterval: whole(client, c, "report-interval", generated.reportInterval),
    refreshEndpointInterval: whole(
      client,
      c,
      "refresh-endpoint-interval",
      generated.refreshEndpointInterval,
    ),
    deactivatingTimeout: whole(server, s, "deactivating-timeout", generated.deactivatingTimeout),
  };
  return { info: Object.freeze(info), warnings };
}
