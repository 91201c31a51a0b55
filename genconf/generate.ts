/**
 * From meta file and environment to the resolved server info (names checked, placeholders
 * filled in, endpoints checked) and from that to the TARS config tree.
 *
 * @module
 */
import { parseEndpoint, parseObjectRef, type Transport } from "../protocol/endpoint.ts";
import { type PortPicker, type PortProbe, PortProbeError } from "./free_port.ts";
import { isValidTarsName, type ServerMeta } from "./server_meta.ts";
import { type AdapterInfo, type ServerInfo, serverPaths } from "./server_info.ts";
import type { GenconfSettings } from "./settings.ts";
import {
  configComment,
  type ConfigItem,
  type ConfigSection,
  configSection,
  configValue,
} from "../lib/tars_config.ts";

/** What resolving needs besides the meta file and the settings. */
export interface ResolveOptions {
  /** The meta file's path, for messages. */
  readonly metaPath: string;
  /** Gives the value of `${local_ip}`. */
  readonly findLocalIp: () => Promise<string>;
  /** Gives the values of `${random_port}`. */
  readonly ports: PortPicker;
  /** Tells whether a fixed port of an endpoint is free. */
  readonly probe: PortProbe;
}

const RANDOM_PORT = "${random_port}";
const SET_ID_PATTERN = /^[^.\s]+\.[^.\s]+\.[^.\s]+$/;

function pickName(
  fromEnv: string | undefined,
  fromFile: string | undefined,
  what: { label: string; key: string; variable: string; metaPath: string },
): string {
  const name = fromEnv ?? fromFile;
  if (name !== undefined && !isValidTarsName(name)) {
    const origin = fromEnv !== undefined ? what.variable : `${what.key} in ${what.metaPath}`;
    throw new SyntaxError(
      `${what.label} name "${name}" (from ${origin}) must be a name without dots, spaces or any of @ : < > = # /`,
    );
  }
  return name ?? "";
}

function checkNames(application: string, server: string, metaPath: string): void {
  if (application !== "" && server !== "") return;
  const message = application === "" && server === ""
    ? `Application and server names are missing: set application and server in ${metaPath}, ` +
      "or TARS_APPLICATION and TARS_SERVER in the environment"
    : application === ""
    ? `Application name is missing: set application in ${metaPath}, or TARS_APPLICATION in the environment`
    : `Server name is missing: set server in ${metaPath}, or TARS_SERVER in the environment`;
  throw new Error(message);
}

/**
 * Fills `${name}` placeholders from `values`. In an endpoint `${random_port}` stays for the
 * port picker; anything else left over is an error naming `where`.
 */
function fillPlaceholders(
  text: string,
  values: Readonly<Record<string, string>>,
  options: { where: string; endpoint: boolean },
): string {
  const filled = text.replace(/\$\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
  const left = filled.match(/\$\{[^}]*\}/g) ?? [];
  const unknown = left.find((p) => !(options.endpoint && p === RANDOM_PORT));
  if (unknown !== undefined) {
    const known = options.endpoint ? "${local_ip}, ${random_port} or ${namespace}" : "${namespace}";
    throw new SyntaxError(`Unknown placeholder ${unknown} in ${options.where}; use ${known} there`);
  }
  return filled;
}

interface PendingEndpoint {
  readonly where: string;
  readonly text: string;
  readonly host: string;
  readonly transport: Transport;
  /** Undefined for `${random_port}`. */
  readonly port: number | undefined;
  /** Whether the host is `${local_ip}`, so a bad address is POD_IP's (or the route's). */
  readonly localIp: boolean;
}

function checkEndpoint(text: string, where: string, localIp: boolean): PendingEndpoint {
  const random = text.includes(RANDOM_PORT);
  const probeText = text.replaceAll(RANDOM_PORT, "0");
  try {
    const ep = parseEndpoint(probeText);
    return {
      where,
      text,
      host: ep.host,
      transport: ep.transport,
      port: random ? undefined : ep.port,
      localIp,
    };
  } catch (error) {
    throw new SyntaxError(
      `${where}: ${(error as Error).message.replace(`"${probeText}"`, `"${text}"`)}; write e.g. ` +
        "tcp -h ${local_ip} -p ${random_port} -t 30000",
    );
  }
}

function checkDistinctPorts(endpoints: readonly PendingEndpoint[]): void {
  const seen = new Map<string, string>();
  for (const ep of endpoints) {
    if (ep.port === undefined) continue;
    const key = `${ep.transport === "udp" ? "udp" : "tcp"} ${ep.host}:${ep.port}`;
    const first = seen.get(key);
    if (first !== undefined) {
      throw new RangeError(
        `${first} and ${ep.where} both use port ${ep.port} on ${ep.host}; give each its own port or \${random_port}`,
      );
    }
    seen.set(key, ep.where);
  }
}

function resolveLocator(meta: ServerMeta, settings: GenconfSettings, metaPath: string): string {
  const where = settings.locator !== undefined ? "TARS_LOCATOR" : `locator in ${metaPath}`;
  const locator = fillPlaceholders(settings.locator ?? meta.locator, {
    namespace: settings.namespace,
  }, {
    where,
    endpoint: false,
  });
  let endpointCount: number;
  try {
    endpointCount = parseObjectRef(locator).endpoints.length;
  } catch (error) {
    throw new SyntaxError(`${where}: ${(error as Error).message}`);
  }
  if (endpointCount === 0) {
    throw new SyntaxError(
      `${where}: locator "${locator}" has no endpoint; write e.g. tars.tarsregistry.QueryObj@tcp -h HOST -p 17890`,
    );
  }
  return locator;
}

/** What resolving the endpoints needs. */
interface EndpointOptions {
  readonly metaPath: string;
  readonly values: Readonly<Record<string, string>>;
  readonly ports: PortPicker;
  readonly probe: PortProbe;
  /** Where `${local_ip}` came from, for messages: `POD_IP`, or the default route. */
  readonly localIpOrigin: string;
}

/**
 * Runs `step` (a probe of `ep`'s host); a host that cannot be bound at all becomes an error naming
 * the endpoint and, for `${local_ip}`, where that address came from.
 */
async function probing<T>(
  ep: PendingEndpoint,
  options: EndpointOptions,
  step: () => Promise<T>,
): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (!(error instanceof PortProbeError)) throw error;
    const fix = ep.localIp
      ? `${ep.host} is \${local_ip}, ${options.localIpOrigin}: set POD_IP to an address of ` +
        "this machine"
      : "use an address of this machine in the endpoint";
    throw new Error(`${ep.where}: ${error.message}; ${fix}`, { cause: error });
  }
}

/**
 * Fills in the adapters' endpoints and then `local`, in that order; fixed ports are checked to be
 * free and reserved before any `${random_port}` is drawn. Returns the adapters' endpoints
 * followed by `local`.
 */
async function resolveEndpoints(meta: ServerMeta, options: EndpointOptions): Promise<string[]> {
  const { metaPath, values, ports } = options;
  const sources = [
    ...meta.adapters.map((a) => ({
      text: a.endpoint,
      where: `adapter ${a.object} in ${metaPath}`,
    })),
    { text: meta.local, where: `local in ${metaPath}` },
  ];
  const pending = sources.map(({ text, where }) =>
    checkEndpoint(
      fillPlaceholders(text, values, { where, endpoint: true }),
      where,
      /-h\s+\$\{local_ip\}/.test(text),
    )
  );
  checkDistinctPorts(pending);
  for (const ep of pending) {
    if (ep.port === undefined || ep.port === 0) continue;
    const { host, port, transport } = ep;
    // Something else on a fixed port would answer the supervisor's checks for the service.
    if (!await probing(ep, options, () => options.probe({ host, port, transport }))) {
      throw new RangeError(
        `${ep.where}: ${transport} port ${port} on ${host} is in use (or this user may not bind ` +
          "it); stop what listens there, or use ${random_port}",
      );
    }
    ports.reserve(port);
  }
  const endpoints: string[] = [];
  for (const ep of pending) {
    let text = ep.text;
    while (text.includes(RANDOM_PORT)) {
      const port = await probing(ep, options, () => ports.take(ep.host, ep.transport));
      text = text.replace(RANDOM_PORT, String(port));
    }
    endpoints.push(text);
  }
  return endpoints;
}

/**
 * Resolves the service's configuration: environment over meta file, names checked,
 * `${local_ip}`, `${namespace}` and `${random_port}` filled in, endpoints and locator checked.
 * Fixed ports are kept away from `${random_port}`; random ports go to adapters in order, then `local`.
 */
export async function resolveServerInfo(
  meta: ServerMeta,
  settings: GenconfSettings,
  options: ResolveOptions,
): Promise<ServerInfo> {
  const { metaPath } = options;
  const application = pickName(settings.application, meta.application, {
    label: "Application",
    key: "application",
    variable: "TARS_APPLICATION",
    metaPath,
  });
  const server = pickName(settings.server, meta.server, {
    label: "Server",
    key: "server",
    variable: "TARS_SERVER",
    metaPath,
  });
  checkNames(application, server, metaPath);
  const buildServer = pickName(settings.buildServer, server, {
    label: "Build server",
    key: "server",
    variable: "TARS_BUILD_SERVER",
    metaPath,
  });
  const setId = settings.setId ?? meta.setId;
  if (setId !== "" && !SET_ID_PATTERN.test(setId)) {
    const origin = settings.setId !== undefined ? "TARS_SET_ID" : `set_id in ${metaPath}`;
    throw new SyntaxError(
      `Set id "${setId}" (from ${origin}) must be NAME.AREA.GROUP, e.g. mtt.s.1`,
    );
  }

  const locator = resolveLocator(meta, settings, metaPath);
  const localIp = await options.findLocalIp();
  const endpoints = await resolveEndpoints(meta, {
    metaPath,
    values: { local_ip: localIp, namespace: settings.namespace },
    ports: options.ports,
    probe: options.probe,
    localIpOrigin: settings.podIp !== undefined
      ? "from POD_IP"
      : "the address of the default route's interface",
  });

  const adapters: AdapterInfo[] = meta.adapters.map((a, i) =>
    Object.freeze({
      object: a.object,
      servant: `${application}.${server}.${a.object}`,
      adapter: `${application}.${server}.${a.object}Adapter`,
      endpoint: endpoints[i],
      maxconns: a.maxconns,
      protocol: a.protocol,
      queuecap: a.queuecap,
      queuetimeout: a.queuetimeout,
      threads: a.threads,
    })
  );
  return Object.freeze({
    application,
    server,
    buildServer,
    setId,
    serverType: settings.serverType ?? meta.serverType,
    locator,
    localIp,
    local: endpoints[endpoints.length - 1],
    adapters: Object.freeze(adapters),
    logSize: meta.logSize,
    logNum: meta.logNum,
    logLevel: meta.logLevel,
    configObj: meta.configObj,
    notifyObj: meta.notifyObj,
    logObj: meta.logObj,
    statObj: meta.statObj,
    propertyObj: meta.propertyObj,
    sampleRate: meta.sampleRate,
    maxSampleCount: meta.maxSampleCount,
    asyncThreadNum: meta.asyncThreadNum,
    syncInvokeTimeout: meta.syncInvokeTimeout,
    asyncInvokeTimeout: meta.asyncInvokeTimeout,
    reportInterval: meta.reportInterval,
    refreshEndpointInterval: settings.refreshEndpointInterval ?? meta.refreshEndpointInterval,
    deactivatingTimeout: meta.deactivatingTimeout,
    paths: Object.freeze(serverPaths(settings.tarsPath, buildServer)),
  });
}

function values(entries: readonly [string, string | number | undefined][]): ConfigItem[] {
  return entries.map(([key, value]) =>
    configValue(key, value === undefined ? undefined : String(value))
  );
}

function adapterSection(a: AdapterInfo): ConfigSection {
  return configSection(
    a.adapter,
    values([
      ["allow", undefined],
      ["handlegroup", a.adapter],
      ["servant", a.servant],
      ["endpoint", a.endpoint],
      ["maxconns", a.maxconns],
      ["protocol", a.protocol],
      ["queuecap", a.queuecap],
      ["queuetimeout", a.queuetimeout],
      ["threads", a.threads],
    ]),
  );
}

/** Builds the config tree `<tars><application>…` of a resolved service (before any merge file). */
export function buildTarsConfig(info: ServerInfo): ConfigSection {
  const client = configSection(
    "client",
    values([
      ["locator", info.locator],
      ["sync-invoke-timeout", info.syncInvokeTimeout],
      ["async-invoke-timeout", info.asyncInvokeTimeout],
      ["refresh-endpoint-interval", info.refreshEndpointInterval],
      ["stat", info.statObj],
      ["property", info.propertyObj],
      ["report-interval", info.reportInterval],
      ["sample-rate", info.sampleRate],
      ["max-sample-count", info.maxSampleCount],
      ["asyncthread", info.asyncThreadNum],
      ["modulename", `${info.application}.${info.server}`],
    ]),
  );
  const server = configSection("server", [
    ...values([
      ["app", info.application],
      ["server", info.server],
      ["localip", info.localIp],
      ["local", info.local],
    ]),
    ...info.adapters.map(adapterSection),
    ...values([
      ["basepath", `${info.paths.bin}/`],
      ["datapath", `${info.paths.data}/`],
      ["logpath", `${info.paths.log}/`],
      ["logLevel", info.logLevel],
      ["logsize", info.logSize],
      ["lognum", info.logNum],
      ["config", info.configObj],
      ["notify", info.notifyObj],
      ["log", info.logObj],
      ["deactivating-timeout", info.deactivatingTimeout],
    ]),
  ]);
  const application = configSection("application", [
    ...values([
      ["enableset", info.setId === "" ? "n" : "y"],
      ["setdivision", info.setId],
    ]),
    client,
    server,
  ]);
  return configSection("", [
    configComment("Generated by tarscli genconf from _server_meta.yaml and the environment; it is"),
    configComment("rewritten at every start: put changes in the file TARS_MERGE_CONF names."),
    configSection("tars", [application]),
  ]);
}
