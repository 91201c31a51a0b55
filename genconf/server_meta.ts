/**
 * `_server_meta.yaml`: what a service says about itself (names, adapters, framework objects,
 * intervals). Read, checked and given the defaults of the original K8STARS here.
 *
 * @module
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import { isServerType, SERVER_TYPES, type ServerType } from "../lib/settings.ts";
import { nearMisses } from "./near_miss.ts";
import { ifExists } from "../lib/not_found.ts";

/** How a key's value is read. */
type MetaKind =
  | "text"
  | "positive"
  | "whole"
  | "logLevel"
  | "logSize"
  | "serverType"
  | "adapters"
  /** Accepted and not used (K8STARS files carry `version: v1`). */
  | "ignored";

/** One key of `_server_meta.yaml` (or of an adapter in it): how it is read, its default, what it means. */
export interface MetaKeySpec {
  /** The key as written in the file. */
  readonly key: string;
  /** The property of {@linkcode ServerMeta} ({@linkcode AdapterMeta}) that holds it; none when ignored. */
  readonly prop?: string;
  readonly kind: MetaKind;
  /** The value when the file does not say; a key without one is undefined then (or required). */
  readonly default?: string | number;
  /** How the README shows the default, when the value alone would mislead (an empty text). */
  readonly shownDefault?: string;
  /** What the key sets, for the README. */
  readonly description: string;
  /** A value as one would write it in the file. */
  readonly example: string;
}

/**
 * The top-level keys of `_server_meta.yaml`, in the order the README lists them: every key of the
 * original K8STARS's meta file (its `ServerConf`), and `version`, which its files carry. The
 * parser, the defaults, the types and the README's reference all come from this table.
 */
export const META_KEYS = [
  {
    key: "version",
    kind: "ignored",
    shownDefault: "ignored",
    description: "accepted for K8STARS files (`version: v1`) and not used",
    example: "v1",
  },
  {
    key: "application",
    prop: "application",
    kind: "text",
    shownDefault: "TARS_APPLICATION",
    description: "application name (`app`); TARS_APPLICATION wins",
    example: "TestApp",
  },
  {
    key: "server",
    prop: "server",
    kind: "text",
    shownDefault: "TARS_SERVER",
    description: "server name (`server`); TARS_SERVER wins",
    example: "HelloServer",
  },
  {
    key: "set_id",
    prop: "setId",
    kind: "text",
    default: "",
    shownDefault: "no set",
    description: "set NAME.AREA.GROUP (`enableset`, `setdivision`); TARS_SET_ID wins",
    example: "mtt.s.1",
  },
  {
    key: "server_type",
    prop: "serverType",
    kind: "serverType",
    default: "tars_cpp",
    description: `what the service is, for the console (its server type): ${
      SERVER_TYPES.join(", ")
    }; TARS_SERVER_TYPE wins`,
    example: "tars_nodejs",
  },
  {
    key: "locator",
    prop: "locator",
    kind: "text",
    default:
      "tars.tarsregistry.QueryObj@tcp -h tars-registry.${namespace}.svc.cluster.local -p 17890",
    description: "the registry's QueryObj with its endpoints (`locator`); TARS_LOCATOR wins",
    example: "tars.tarsregistry.QueryObj@tcp -h 10.0.0.5 -p 17890",
  },
  {
    key: "local",
    prop: "local",
    kind: "text",
    default: "tcp -h 127.0.0.1 -p ${random_port} -t 5000",
    description:
      "the admin endpoint, where the service serves AdminObj (`local`); the supervisor checks it and calls it",
    example: "tcp -h 127.0.0.1 -p 19000 -t 5000",
  },
  {
    key: "logSize",
    prop: "logSize",
    kind: "logSize",
    default: "100M",
    description: "size of a log file before it rolls (`logsize`)",
    example: "50M",
  },
  {
    key: "logNum",
    prop: "logNum",
    kind: "positive",
    default: 5,
    description: "log files kept (`lognum`)",
    example: "10",
  },
  {
    key: "logLevel",
    prop: "logLevel",
    kind: "logLevel",
    default: "DEBUG",
    description: "log level (`logLevel`): NONE, ERROR, WARN, INFO, DEBUG or TARS; another value " +
      "is passed on as written, with a warning",
    example: "INFO",
  },
  {
    key: "configObj",
    prop: "configObj",
    kind: "text",
    default: "tars.tarsconfig.ConfigObj",
    description: "the config service (`config`)",
    example: "tars.tarsconfig.ConfigObj",
  },
  {
    key: "notifyObj",
    prop: "notifyObj",
    kind: "text",
    default: "tars.tarsnotify.NotifyObj",
    description: "the notify service (`notify`); the supervisor reports restarts there",
    example: "tars.tarsnotify.NotifyObj",
  },
  {
    key: "logObj",
    prop: "logObj",
    kind: "text",
    default: "tars.tarslog.LogObj",
    description: "the remote log service (`log`)",
    example: "tars.tarslog.LogObj",
  },
  {
    key: "statObj",
    prop: "statObj",
    kind: "text",
    default: "tars.tarsstat.StatObj",
    description: "the call statistics service (`stat`)",
    example: "tars.tarsstat.StatObj",
  },
  {
    key: "propertyObj",
    prop: "propertyObj",
    kind: "text",
    default: "tars.tarsproperty.PropertyObj",
    description: "the property service (`property`)",
    example: "tars.tarsproperty.PropertyObj",
  },
  {
    key: "sample_rate",
    prop: "sampleRate",
    kind: "positive",
    default: 100000,
    description: "one call in this many is sampled (`sample-rate`)",
    example: "1000",
  },
  {
    key: "max_sample_count",
    prop: "maxSampleCount",
    kind: "positive",
    default: 50,
    description: "most samples a minute (`max-sample-count`)",
    example: "20",
  },
  {
    key: "asyncThreadNum",
    prop: "asyncThreadNum",
    kind: "positive",
    default: 3,
    description: "client callback threads (`asyncthread`)",
    example: "8",
  },
  {
    key: "sync_invoke_timeout",
    prop: "syncInvokeTimeout",
    kind: "positive",
    default: 3000,
    description: "timeout of a synchronous call, ms (`sync-invoke-timeout`)",
    example: "1000",
  },
  {
    key: "async_invoke_timeout",
    prop: "asyncInvokeTimeout",
    kind: "positive",
    default: 5000,
    description: "timeout of an asynchronous call, ms (`async-invoke-timeout`)",
    example: "2000",
  },
  {
    key: "report_interval",
    prop: "reportInterval",
    kind: "positive",
    default: 6000,
    description: "how often statistics are reported, ms (`report-interval`)",
    example: "10000",
  },
  {
    key: "refresh_endpoint_interval",
    prop: "refreshEndpointInterval",
    kind: "positive",
    default: 60000,
    description: "how often clients ask the registry again, ms (`refresh-endpoint-interval`); " +
      "TARS_EP_UPTIME wins",
    example: "30000",
  },
  {
    key: "deactivating_timeout",
    prop: "deactivatingTimeout",
    kind: "whole",
    default: 3000,
    description: "how long the service waits for calls in flight when it stops, ms " +
      "(`deactivating-timeout`)",
    example: "5000",
  },
  {
    key: "adapters",
    prop: "adapters",
    kind: "adapters",
    shownDefault: "none",
    description: "the service's objects, each a mapping with the keys below " +
      "(a `<App.Server.ObjAdapter>` section each)",
    example: "[{object: HelloObj}]",
  },
] as const satisfies readonly MetaKeySpec[];

/** The keys of an adapter in `adapters`, in the order the README lists them. */
export const ADAPTER_KEYS = [
  {
    key: "object",
    prop: "object",
    kind: "text",
    shownDefault: "required",
    description: "the object's name; the servant is `App.Server.<object>`",
    example: "HelloObj",
  },
  {
    key: "endpoint",
    prop: "endpoint",
    kind: "text",
    default: "tcp -h ${local_ip} -p ${random_port} -t 30000",
    description: "where it listens (`endpoint`)",
    example: "tcp -h ${local_ip} -p 10000 -t 60000",
  },
  {
    key: "maxconns",
    prop: "maxconns",
    kind: "positive",
    default: 200000,
    description: "most connections (`maxconns`)",
    example: "1000",
  },
  {
    key: "protocol",
    prop: "protocol",
    kind: "text",
    default: "tars",
    description: "`tars`, or `not_tars` for another protocol (`protocol`)",
    example: "not_tars",
  },
  {
    key: "queuecap",
    prop: "queuecap",
    kind: "positive",
    default: 10000,
    description: "most requests queued (`queuecap`)",
    example: "500",
  },
  {
    key: "queuetimeout",
    prop: "queuetimeout",
    kind: "positive",
    default: 60000,
    description: "how long a request may wait in the queue, ms (`queuetimeout`)",
    example: "1000",
  },
  {
    key: "threads",
    prop: "threads",
    kind: "positive",
    default: 5,
    description: "handler threads (`threads`)",
    example: "10",
  },
] as const satisfies readonly MetaKeySpec[];

/** The value a kind of key gives. */
interface KindValue {
  text: string;
  positive: number;
  whole: number;
  logLevel: string;
  logSize: string;
  serverType: ServerType;
  adapters: readonly AdapterMeta[];
  ignored: never;
}

type Spec = (typeof META_KEYS)[number] | (typeof ADAPTER_KEYS)[number];
/** The keys of `specs` that always have a value: a default, or the adapter list. */
type Given<S> = S extends { prop: string }
  ? S extends { default: unknown } | { kind: "adapters" } ? S
  : never
  : never;
/** The keys of `specs` that may be undefined (no default). */
type Optional<S> = S extends { prop: string } ? S extends Given<S> ? never : S : never;
type MetaOf<S extends Spec> =
  & { readonly [K in Given<S> as K["prop"]]: KindValue[K["kind"]] }
  & { readonly [K in Optional<S> as K["prop"]]?: KindValue[K["kind"]] };

/**
 * The meta file's content with every default applied ({@linkcode META_KEYS}); strings may hold
 * placeholders. `application` and `server` are undefined when the file does not say (the
 * environment may).
 */
export type ServerMeta = MetaOf<(typeof META_KEYS)[number]>;

/** One adapter (servant) of the service, defaults applied ({@linkcode ADAPTER_KEYS}). */
export type AdapterMeta = Required<MetaOf<(typeof ADAPTER_KEYS)[number]>>;

/** A parsed meta file and the warnings (unknown keys, an unknown log level) to show the user. */
export interface ServerMetaResult {
  readonly meta: ServerMeta;
  readonly warnings: readonly string[];
}

/** The file name genconf reads from `$TARS_PATH/bin/`. */
export const SERVER_META_FILE = "_server_meta.yaml";

/** The default values of `specs`, by property; a list of adapters defaults to none. */
function defaultsOf(specs: readonly MetaKeySpec[]): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const spec of specs) {
    if (spec.prop === undefined) continue;
    if (spec.kind === "adapters") values[spec.prop] = Object.freeze([]);
    else if (spec.default !== undefined) values[spec.prop] = spec.default;
  }
  return Object.freeze(values);
}

/** Defaults of an adapter's settings (K8STARS). */
export const ADAPTER_DEFAULTS = defaultsOf(ADAPTER_KEYS) as Omit<AdapterMeta, "object">;

/** Defaults of the meta file's settings (K8STARS). */
export const SERVER_META_DEFAULTS = defaultsOf(META_KEYS) as ServerMeta;

/** Log levels the TARS frameworks know for `logLevel`. */
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
    specs: readonly MetaKeySpec[],
    path: string,
  ): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const pair of map.items) {
      const keyNode = pair.key as Node | null;
      const key = isScalar(keyNode) ? String(keyNode.value) : undefined;
      const spec = specs.find((s) => s.key === key);
      if (key === undefined || spec === undefined) {
        const where = path === "" ? "" : ` in ${path}`;
        const meant = key === undefined ? [] : nearMisses(key, specs.map((s) => s.key));
        if (meant.length > 0) {
          this.fail(
            keyNode,
            `unknown key "${key}"${where} (did you mean ${
              meant.map((k) => `"${k}"`).join(" or ")
            }?): correct it; a key this close to a known one is an error, not a warning, so ` +
              "that a typo does not drop its setting unseen",
          );
        }
        this.warnings.push(
          `${this.at(keyNode?.range?.[0])}: unknown key "${
            key ?? "?"
          }"${where} ignored; known keys: ${specs.map((s) => s.key).join(", ")}`,
        );
        continue;
      }
      const valueNode = pair.value as Node | null;
      if (spec.prop === undefined || spec.kind === "ignored") continue;
      if (valueNode === null || (isScalar(valueNode) && valueNode.value === null)) continue;
      out[spec.prop] = spec.kind === "adapters"
        ? this.readAdapters(valueNode)
        : this.readField(valueNode, spec.kind, path === "" ? key : `${path}.${key}`);
    }
    return out;
  }

  readField(
    node: Node,
    kind: Exclude<MetaKind, "adapters" | "ignored">,
    name: string,
  ): string | number {
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
        if (typeof value !== "string" && typeof value !== "number") {
          return this.fail(node, `${name} must be a log level such as INFO, got ${shown}`);
        }
        const level = String(value).trim();
        if (LOG_LEVELS.includes(level.toUpperCase())) return level.toUpperCase();
        // K8STARS wrote any level into the config; a service that started with one still starts.
        this.warnings.push(
          `${this.at(node.range?.[0])}: ${name} ${shown} is not one of ${
            LOG_LEVELS.join(", ")
          }; it is written to the config as it is, for the service's framework to read`,
        );
        return level;
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
      const fields = this.readMap(itemNode, ADAPTER_KEYS, path);
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
 * throw a SyntaxError, and wrong types and a misspelt key (one near a known key: near_miss.ts) a
 * TypeError, all with `source:line:column`; other unknown keys and an unknown log level become
 * warnings.
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
  const fields = reader.readMap(root, META_KEYS, "");
  if (fields.adapters) Object.freeze(fields.adapters);
  const meta = Object.freeze({ ...SERVER_META_DEFAULTS, ...fields }) as ServerMeta;
  return { meta, warnings: reader.warnings };
}

/** Why a file cannot be read, with what to do, for messages. */
function readFailure(path: string, error: unknown): Error {
  const reason = error instanceof Deno.errors.PermissionDenied
    ? "permission denied; let the service's user read it"
    : error instanceof Deno.errors.IsADirectory
    ? "it is a directory; put the meta file there instead"
    : error instanceof Deno.errors.NotADirectory
    ? "a directory on its path is a file"
    : (error as Error).message;
  return new Error(`Cannot read ${path}: ${reason}`, { cause: error });
}

/**
 * Reads and parses a meta file. A missing file gives the defaults and `found: false` (the caller
 * decides whether the environment may stand in for it).
 */
export async function readServerMeta(
  path: string,
): Promise<ServerMetaResult & { readonly found: boolean }> {
  const text = await ifExists(Deno.readTextFile(path)).catch((error) => {
    throw readFailure(path, error);
  });
  if (text === undefined) return { meta: SERVER_META_DEFAULTS, warnings: [], found: false };
  return { ...parseServerMeta(text, { source: path }), found: true };
}
