/**
 * `_server_meta.yaml`: what a service says about itself (names, adapters, framework objects,
 * intervals). Read, checked and given the defaults of the original K8STARS here.
 *
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import { isServerType, SERVER_TYPES, type ServerType } from "../lib/settings.ts";

/** One adapter (servant) of the service, defaults applied; `endpoint` may hold placeholders. */
export interface AdapterMeta {
  /** The object name, e.g. `MainObj`; the servant is `App.Server.MainObj`. */
  readonly object: string;
  readonly endpoint: string;
  readonly maxconns: number;
  readonly protocol: string;
  readonly queuecap: number;
  readonly queuetimeout: number;
  readonly threads: number;
}

/** The meta file's content with every default applied; strings may hold placeholders. */
export interface ServerMeta {
  /** Undefined when the file does not say (the environment may). */
  readonly application?: string;
  /** Undefined when the file does not say (the environment may). */
  readonly server?: string;
  /** `set_id`; `""` when the service is not in a set. */
  readonly setId: string;
  /** `server_type`: what the service is, for the console (`t_server_conf.server_type`). */
  readonly serverType: ServerType;
  readonly locator: string;
  readonly adapters: readonly AdapterMeta[];
  /** The admin (`AdminObj`) endpoint. */
  readonly local: string;
  readonly logSize: string;
  readonly logNum: number;
  readonly logLevel: string;
  readonly configObj: string;
  readonly notifyObj: string;
  readonly logObj: string;
  readonly statObj: string;
  readonly propertyObj: string;
  readonly sampleRate: number;
  readonly maxSampleCount: number;
  readonly asyncThreadNum: number;
  /** Milliseconds. */
  readonly syncInvokeTimeout: number;
  /** Milliseconds. */
  readonly asyncInvokeTimeout: number;
  /** Milliseconds. */
  readonly reportInterval: number;
  /** Milliseconds. */
  readonly refreshEndpointInterval: number;
  /** Milliseconds. */
  readonly deactivatingTimeout: number;
}

/** A parsed meta file and the warnings (unknown keys) to show the user. */
export interface ServerMetaResult {
  readonly meta: ServerMeta;
  readonly warnings: readonly string[];
}

/** The file name genconf reads from `$TARS_PATH/bin/`. */
export const SERVER_META_FILE = "_server_meta.yaml";

/** Defaults of an adapter's settings (K8STARS). */
export const ADAPTER_DEFAULTS: Omit<AdapterMeta, "object"> = Object.freeze({
  endpoint: "tcp -h ${local_ip} -p ${random_port} -t 30000",
  maxconns: 200000,
  protocol: "tars",
  queuecap: 10000,
  queuetimeout: 60000,
  threads: 5,
});

/** Defaults of the meta file's settings (K8STARS). */
export const SERVER_META_DEFAULTS: ServerMeta = Object.freeze({
  setId: "",
  serverType: "tars_cpp",
  locator:
    "tars.tarsregistry.QueryObj@tcp -h tars-registry.${namespace}.svc.cluster.local -p 17890",
  adapters: Object.freeze([]),
  local: "tcp -h 127.0.0.1 -p ${random_port} -t 5000",
  logSize: "100M",
  logNum: 5,
  logLevel: "DEBUG",
  configObj: "tars.tarsconfig.ConfigObj",
  notifyObj: "tars.tarsnotify.NotifyObj",
  logObj: "tars.tarslog.LogObj",
  statObj: "tars.tarsstat.StatObj",
  propertyObj: "tars.tarsproperty.PropertyObj",
  sampleRate: 100000,
  maxSampleCount: 50,
  asyncThreadNum: 3,
  syncInvokeTimeout: 3000,
  asyncInvokeTimeout: 5000,
  reportInterval: 6000,
  refreshEndpointInterval: 60000,
  deactivatingTimeout: 3000,
});

type FieldKind =
  | "text"
  | "positive"
  | "whole"
  | "logLevel"
  | "logSize"
  | "serverType"
  | "adapters";

interface FieldSpec {
  readonly prop: string;
  readonly kind: FieldKind;
}

const TOP_FIELDS: Readonly<Record<string, FieldSpec>> = {
  application: { prop: "application", kind: "text" },
  server: { prop: "server", kind: "text" },
  set_id: { prop: "setId", kind: "text" },
  server_type: { prop: "serverType", kind: "serverType" },
  locator: { prop: "locator", kind: "text" },
  local: { prop: "local", kind: "text" },
  logSize: { prop: "logSize", kind: "logSize" },
  logNum: { prop: "logNum", kind: "positive" },
  logLevel: { prop: "logLevel", kind: "logLevel" },
  configObj: { prop: "configObj", kind: "text" },
  notifyObj: { prop: "notifyObj", kind: "text" },
  logObj: { prop: "logObj", kind: "text" },
  statObj: { prop: "statObj", kind: "text" },
  propertyObj: { prop: "propertyObj", kind: "text" },
  sample_rate: { prop: "sampleRate", kind: "positive" },
  max_sample_count: { prop: "maxSampleCount", kind: "positive" },
  asyncThreadNum: { prop: "asyncThreadNum", kind: "positive" },
  sync_invoke_timeout: { prop: "syncInvokeTimeout", kind: "positive" },
  async_invoke_timeout: { prop: "asyncInvokeTimeout", kind: "positive" },
  report_interval: { prop: "reportInterval", kind: "positive" },
  refresh_endpoint_interval: { prop: "refreshEndpointInterval", kind: "positive" },
  deactivating_timeout: { prop: "deactivatingTimeout", kind: "whole" },
  adapters: { prop: "adapters", kind: "adapters" },
};

const ADAPTER_FIELDS: Readonly<Record<string, FieldSpec>> = {
  object: { prop: "object", kind: "text" },
  endpoint: { prop: "endpoint", kind: "text" },
  maxconns: { prop: "maxconns", kind: "positive" },
  protocol: { prop: "protocol", kind: "text" },
  queuecap: { prop: "queuecap", kind: "positive" },
  queuetimeout: { prop: "queuetimeout", kind: "positive" },
  threads: { prop: "threads", kind: "positive" },
};

/** Log levels the TARS frameworks accept for `logLevel`. */
export const LOG_LEVELS: readonly string[] = ["NONE", "ERROR", "WARN", "INFO", "DEBUG", "TARS"];

/** Characters a name used in a servant or section name (`App.Server.ObjAdapter`) must not hold. */
const NAME_PATTERN = /^[^\s.@:<>=#/\\]+$/;

/** True when `name` can be part of `App.Server.Obj` (no dots, spaces, `@`, `:`, tags, `=`, `#`, slashes). */
export function isValidTarsName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

class MetaReader {
  readonly warnings: string[] = [];
  readonly #lines = new LineCounter();
  readonly #source: string;

  constructor(source: string) {
    this.#source = source;
  }

  get lineCounter(): LineCounter {
    return this.#lines;
  }

  at(offset: number | undefined): string {
    if (offset === undefined) return this.#source;
    const { line, col } = this.#lines.linePos(offset);
    return `${this.#source}:${line}:${col}`;
  }

  line(node: Node | null | undefined): number {
    return this.#lines.linePos(node?.range?.[0] ?? 0).line;
  }

  fail(node: Node | null | undefined, message: string): never {
    throw new TypeError(`${this.at(node?.range?.[0])}: ${message}`);
  }

  readMap(
    map: YAMLMap,
    fields: Readonly<Record<string, FieldSpec>>,
    path: string,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const pair of map.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      const spec = key === undefined ? undefined : fields[key];
      if (key === undefined || spec === undefined) {
        const where = path === "" ? "" : ` in ${path}`;
        this.warnings.push(
          `${this.at(keyNode?.range?.[0])}: unknown key "${
            key ?? "?"
          }"${where} ignored; known keys: ${Object.keys(fields).join(", ")}`,
        );
        continue;
      }
      const valueNode = pair.value as Node | null;
      if (valueNode === null || (isScalar(valueNode) && valueNode.value === null)) continue;
      out[spec.prop] = spec.kind === "adapters"
        ? this.readAdapters(valueNode)
        : this.readField(valueNode, spec.kind, path === "" ? key : `${path}.${key}`);
    }
    return out;
  }

  readField(node: Node, kind: Exclude<FieldKind, "adapters">, name: string): string | number {
    const leaf = name.slice(name.lastIndexOf(".") + 1);
    const value = isScalar(node) ? node.value : undefined;
    const shown = value === undefined
      ? `a YAML ${isSeq(node) ? "list" : "mapping"}`
      : JSON.stringify(value);
    switch (kind) {
      case "text":
        if (typeof value === "string") return value.trim();
        if (typeof value === "number") return String(value);
        return this.fail(node, `${name} must be text, got ${shown}; write e.g. ${leaf}: "value"`);
      case "positive":
      case "whole": {
        const min = kind === "positive" ? 1 : 0;
        if (typeof value === "number" && Number.isInteger(value) && value >= min) return value;
        return this.fail(
          node,
          `${name} must be a whole number of at least ${min}, got ${shown}; write e.g. ${leaf}: 5`,
        );
      }
      case "logLevel": {
        const level = typeof value === "string" ? value.trim().toUpperCase() : "";
        if (LOG_LEVELS.includes(level)) return level;
        return this.fail(node, `${name} must be one of ${LOG_LEVELS.join(", ")}, got ${shown}`);
      }
      case "serverType": {
        const type = typeof value === "string" ? value.trim() : "";
        if (isServerType(type)) return type;
        return this.fail(node, `${name} must be one of ${SERVER_TYPES.join(", ")}, got ${shown}`);
      }
      case "logSize": {
        const size = typeof value === "number"
          ? String(value)
          : typeof value === "string"
          ? value.trim()
          : "";
        if (/^\d+[KMG]?B?$/i.test(size)) return size;
        return this.fail(node, `${name} must be a size such as 100M, 1G or 10240, got ${shown}`);
      }
    }
  }

  readAdapters(node: Node): AdapterMeta[] {
    if (!isSeq(node)) {
      this.fail(node, "adapters must be a list; write each adapter as '- object: MainObj'");
    }
    const adapters: AdapterMeta[] = [];
    const firstLine = new Map<string, number>();
    node.items.forEach((item, index) => {
      const path = `adapters[${index}]`;
      const itemNode = item as Node | null;
      if (!isMap(itemNode)) {
        this.fail(
          itemNode,
          `${path} must be a mapping with at least "object", e.g. '- object: MainObj'`,
        );
      }
      const fields = this.readMap(itemNode, ADAPTER_FIELDS, path);
      const object = fields.object as string | undefined;
      if (!object) this.fail(itemNode, `${path} has no object; add e.g. 'object: MainObj'`);
      if (!isValidTarsName(object)) {
        this.fail(
          itemNode.get("object", true) as Node,
          `${path}.object "${object}" must be a name without dots, spaces or any of @ : < > = # /`,
        );
      }
      const objectLine = this.line(itemNode.get("object", true) as Node);
      const seen = firstLine.get(object);
      if (seen !== undefined) {
        this.fail(
          itemNode.get("object", true) as Node,
          `adapter object "${object}" appears twice (first on line ${seen}); give each adapter its own object`,
        );
      }
      firstLine.set(object, objectLine);
      adapters.push(Object.freeze({ ...ADAPTER_DEFAULTS, ...fields }) as AdapterMeta);
    });
    return adapters;
  }
}

/**
 * Parses the text of a meta file. `source` (the path) starts every message. Syntax errors
 * throw a SyntaxError and wrong types a TypeError, both with `source:line:column`; unknown
 * keys become warnings.
 */
export function parseServerMeta(text: string, options: { source: string }): ServerMetaResult {
  const reader = new MetaReader(options.source);
  const doc = parseDocument(text, { lineCounter: reader.lineCounter, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    throw new SyntaxError(
      `${reader.at(error.pos[0])}: YAML syntax error: ${error.message}; fix the file`,
    );
  }
  const root = doc.contents as Node | null;
  if (root === null || (isScalar(root) && root.value === null)) {
    return { meta: SERVER_META_DEFAULTS, warnings: [] };
  }
  if (!isMap(root)) {
    return reader.fail(
      root,
      "the file must be a YAML mapping with keys such as application, server and adapters",
    );
  }
  const fields = reader.readMap(root, TOP_FIELDS, "");
  if (fields.adapters) Object.freeze(fields.adapters);
  const meta = Object.freeze({ ...SERVER_META_DEFAULTS, ...fields }) as ServerMeta;
  return { meta, warnings: reader.warnings };
}

/** Reads and parses a meta file; a missing file gives the defaults (the environment may name the service). */
export async function readServerMeta(
  path: string,
): Promise<ServerMetaResult & { readonly found: boolean }> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      return { meta: SERVER_META_DEFAULTS, warnings: [], found: false };
    }
    throw new Error(
      `Cannot read ${path}: ${(error as Error).message}; check the file's permissions`,
    );
  }
  return { ...parseServerMeta(text, { source: path }), found: true };
}
