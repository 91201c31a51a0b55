/**
 * `$TARS_PATH/data/server_info.yaml`: the configuration genconf resolved (names, endpoints with
 * their ports, paths). prestop and notify read it instead of resolving again.
 *
 * genconf writes it in JSON style, which is YAML too (YAML 1.2 contains JSON), so those readers
 * parse it with `JSON.parse` and never load a YAML parser: the `yaml` package brings Deno's Node
 * layer with it (about 10 MiB), and `tarscli prestop` stays in the pod for the whole
 * `TARS_PRESTOP_WAITTIME`. A file edited into block-style YAML is still read, with `yaml`.
 *
 * @module
 */
import { join } from "../lib/posix_path.ts";
import { ifExists } from "../lib/not_found.ts";
import type { AdapterMeta, ServerMeta } from "./server_meta.ts";

/** One adapter as the service runs it. */
export interface AdapterInfo extends AdapterMeta {
  /** `App.Server.MainObj`. */
  readonly servant: string;
  /** `App.Server.MainObjAdapter`: the config section and the registry's adapter name. */
  readonly adapter: string;
}

/** Where the service's files are. */
export interface ServerPaths {
  readonly tarsPath: string;
  readonly bin: string;
  readonly conf: string;
  readonly data: string;
  readonly log: string;
  /** `conf/<BuildServer>.conf`. */
  readonly configFile: string;
}

/** Tuning values that go from `_server_meta.yaml` into the config unchanged. */
type MetaValues = Omit<
  ServerMeta,
  "application" | "server" | "setId" | "locator" | "adapters" | "local"
>;

/** The resolved configuration of the service, placeholders filled in. */
export interface ServerInfo extends MetaValues {
  readonly application: string;
  readonly server: string;
  /** The config file's base name (the binary's name); the server name unless TARS_BUILD_SERVER says. */
  readonly buildServer: string;
  /** `""` when the service is not in a set. */
  readonly setId: string;
  readonly locator: string;
  /** The value of `${local_ip}`. */
  readonly localIp: string;
  /** The admin endpoint (`AdminObj`), resolved. */
  readonly local: string;
  readonly adapters: readonly AdapterInfo[];
  readonly paths: ServerPaths;
}

/** Where genconf writes the server info under `tarsPath`. */
export function serverInfoPath(tarsPath: string): string {
  return join(tarsPath, "data", "server_info.yaml");
}

/** The paths of a service under `tarsPath` whose config file is `<buildServer>.conf`. */
export function serverPaths(tarsPath: string, buildServer: string): ServerPaths {
  return {
    tarsPath,
    bin: join(tarsPath, "bin"),
    conf: join(tarsPath, "conf"),
    data: join(tarsPath, "data"),
    log: join(tarsPath, "log"),
    configFile: join(tarsPath, "conf", `${buildServer}.conf`),
  };
}

/** Prints the server info as JSON-style YAML with a header saying where it came from. */
export function stringifyServerInfo(info: ServerInfo): string {
  return "# Written by tarscli genconf: the resolved configuration of this service.\n" +
    "# JSON, which is YAML as well; run tarscli genconf again instead of editing it.\n" +
    `${JSON.stringify(info, null, 2)}\n`;
}

type Kind = "string" | "number";

const SCALARS: Readonly<Record<string, Kind>> = {
  application: "string",
  server: "string",
  buildServer: "string",
  setId: "string",
  serverType: "string",
  locator: "string",
  localIp: "string",
  local: "string",
  logSize: "string",
  logNum: "number",
  logLevel: "string",
  configObj: "string",
  notifyObj: "string",
  logObj: "string",
  statObj: "string",
  propertyObj: "string",
  sampleRate: "number",
  maxSampleCount: "number",
  asyncThreadNum: "number",
  syncInvokeTimeout: "number",
  asyncInvokeTimeout: "number",
  reportInterval: "number",
  refreshEndpointInterval: "number",
  deactivatingTimeout: "number",
};

const ADAPTER_SCALARS: Readonly<Record<string, Kind>> = {
  object: "string",
  servant: "string",
  adapter: "string",
  endpoint: "string",
  maxconns: "number",
  protocol: "string",
  queuecap: "number",
  queuetimeout: "number",
  threads: "number",
};

const PATH_SCALARS: Readonly<Record<string, Kind>> = {
  tarsPath: "string",
  bin: "string",
  conf: "string",
  data: "string",
  log: "string",
  configFile: "string",
};

function pick(
  value: unknown,
  kinds: Readonly<Record<string, Kind>>,
  where: string,
  fail: (what: string) => never,
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(`${where.replace(/\.$/, "") || "the file"} is not a mapping`);
  }
  const record = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, kind] of Object.entries(kinds)) {
    const actual = typeof record[key];
    if (actual !== kind) fail(`${where}${key} is not a ${kind}`);
    out[key] = record[key];
  }
  return out;
}

/** The text after the leading comment lines (`#`) and blank lines. */
function withoutLeadingComments(text: string): string {
  let at = 0;
  for (;;) {
    while (at < text.length && (text[at] === " " || text[at] === "\t")) at++;
    if (text[at] === "#") {
      const end = text.indexOf("\n", at);
      at = end < 0 ? text.length : end + 1;
    } else if (text[at] === "\n" || text[at] === "\r") at++;
    else return text.slice(at);
  }
}

/** Parses block-style YAML (a hand-edited file) with the `yaml` package, loaded only then. */
async function parseYaml(text: string, fail: (what: string) => never): Promise<unknown> {
  const { isMap, parseDocument } = await import("yaml");
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length > 0) fail(`not valid YAML (${doc.errors[0].message})`);
  if (!isMap(doc.contents)) fail("not a mapping");
  return doc.toJS();
}

/**
 * Checks that `data` (parsed JSON or YAML) is server info: every field there with its type. The
 * result is frozen; anything else throws a SyntaxError naming `source` and the field, ending with
 * `hint` (what to do about it).
 */
export function checkServerInfo(
  data: unknown,
  options: { source: string; hint: string },
): ServerInfo {
  const fail = (what: string): never => {
    throw new SyntaxError(`${options.source}: ${what}; ${options.hint}`);
  };
  const top = pick(data, SCALARS, "", fail);
  const record = data as Record<string, unknown>;
  if (!Array.isArray(record.adapters)) fail("adapters is not a list");
  const adapters = (record.adapters as unknown[]).map((a, i) =>
    Object.freeze(pick(a, ADAPTER_SCALARS, `adapters[${i}].`, fail))
  );
  const paths = Object.freeze(pick(record.paths, PATH_SCALARS, "paths.", fail));
  return Object.freeze({
    ...top,
    adapters: Object.freeze(adapters),
    paths,
  }) as unknown as ServerInfo;
}

/**
 * Parses server info text: JSON-style as genconf writes it, or any YAML. A malformed file
 * rejects with a SyntaxError saying to run genconf again.
 */
export async function parseServerInfo(
  text: string,
  options: { source: string },
): Promise<ServerInfo> {
  const hint = 'run "tarscli genconf" again to rewrite it';
  let data: unknown;
  try {
    data = JSON.parse(withoutLeadingComments(text));
  } catch {
    // Not JSON: edited by hand, or damaged.
    data = await parseYaml(text, (what) => {
      throw new SyntaxError(`${options.source}: ${what}; ${hint}`);
    });
  }
  return checkServerInfo(data, { source: options.source, hint });
}

/** Reads `$TARS_PATH/data/server_info.yaml` into a frozen value; a missing file says to run genconf. */
export async function readServerInfo(tarsPath: string): Promise<ServerInfo> {
  const path = serverInfoPath(tarsPath);
  const text = await ifExists(Deno.readTextFile(path)).catch((error) => {
    throw new Error(`Cannot read ${path}: ${(error as Error).message}; check its permissions`);
  });
  if (text === undefined) {
    throw new Error(`Cannot read ${path}: there is no such file; run "tarscli genconf" first`);
  }
  return await parseServerInfo(text, { source: path });
}
