/**
 * One genconf run: read and check everything, resolve, build and merge the config, take the
 * server info back from the merged config, and only then write `conf/<BuildServer>.conf` and
 * `data/server_info.yaml` together.
 *
 * @module
 */
import { ifExists, join, writeFilesAtomic } from "../lib/mod.ts";
import { createPortPicker, type PortProbe, probePort } from "./free_port.ts";
import { buildTarsConfig, resolveServerInfo } from "./generate.ts";
import { findLocalIp } from "./local_ip.ts";
import { serverInfoFromConfig } from "./merged_info.ts";
import { readServerMeta, SERVER_META_FILE, type ServerMetaResult } from "./server_meta.ts";
import { type ServerInfo, serverInfoPath, stringifyServerInfo } from "./server_info.ts";
import type { GenconfSettings } from "./settings.ts";
import {
  type ConfigSection,
  mergeTarsConfig,
  parseTarsConfig,
  printTarsConfig,
} from "../lib/tars_config.ts";

/** Replaceable lookups of the outside world, for tests. */
export interface GenconfOptions {
  /** Gives `${local_ip}` from `POD_IP` (maybe undefined); default: `findLocalIp`. */
  readonly findLocalIp?: (podIp: string | undefined) => Promise<string>;
  /** Tells whether a port is free; default: bind it. */
  readonly probe?: PortProbe;
}

/** What a genconf run wrote. */
export interface GenconfResult {
  readonly info: ServerInfo;
  readonly configPath: string;
  readonly infoPath: string;
  /**
   * Things the user should fix that did not stop the run (unknown keys in the meta file, an
   * unknown log level, no meta file when the environment names the service).
   */
  readonly warnings: readonly string[];
}

async function readMergeFile(path: string): Promise<ConfigSection> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(
      `Cannot read the merge file ${path} (TARS_MERGE_CONF): ${
        (error as Error).message
      }; fix the path or unset TARS_MERGE_CONF`,
    );
  }
  const source = `Merge file ${path} (TARS_MERGE_CONF)`;
  const merge = parseTarsConfig(text, { source, topLevel: "sections" });
  if (!merge.items.some((item) => item.kind === "section")) {
    throw new SyntaxError(
      `${source} has no section: write what it changes inside ` +
        "<tars><application>…</application></tars> as in the generated config, or unset " +
        "TARS_MERGE_CONF",
    );
  }
  return merge;
}

/**
 * Why the meta file cannot be read when `TARS_PATH` is the cause: it is a file, or it does not
 * exist; undefined when it is a directory.
 */
async function tarsPathProblem(tarsPath: string): Promise<string | undefined> {
  const stat = await ifExists(Deno.stat(tarsPath));
  if (stat === undefined || stat.isDirectory) return undefined;
  return `TARS_PATH=${tarsPath} is a file, not a directory: set TARS_PATH to the service's ` +
    "directory, the one whose bin/ holds _server_meta.yaml";
}

/**
 * The meta file of `settings.tarsPath`. A missing file is an error naming it and TARS_PATH, unless
 * the environment names the service (TARS_APPLICATION and TARS_SERVER): then the defaults are
 * used, with a warning.
 */
async function readMeta(settings: GenconfSettings, metaPath: string): Promise<ServerMetaResult> {
  const problem = await tarsPathProblem(settings.tarsPath);
  if (problem !== undefined) throw new Error(problem);
  const { meta, warnings, found } = await readServerMeta(metaPath);
  if (found) return { meta, warnings };
  const missing = `No such file: ${metaPath} (TARS_PATH=${settings.tarsPath})`;
  if (settings.application === undefined || settings.server === undefined) {
    throw new Error(
      `${missing}: put the service's _server_meta.yaml there, set TARS_PATH to the directory ` +
        "whose bin/ holds it, or name the service with TARS_APPLICATION and TARS_SERVER",
    );
  }
  return {
    meta,
    warnings: [`${missing}; the service is named by TARS_APPLICATION and TARS_SERVER`],
  };
}

/** Generates the service's config and server info from `settings`; on any error nothing is written. */
export async function runGenconf(
  settings: GenconfSettings,
  options: GenconfOptions = {},
): Promise<GenconfResult> {
  const metaPath = join(settings.tarsPath, "bin", SERVER_META_FILE);
  const { meta, warnings } = await readMeta(settings, metaPath);
  const merge = settings.mergeConf === undefined
    ? undefined
    : await readMergeFile(settings.mergeConf);
  const resolved = await resolveServerInfo(meta, settings, {
    metaPath,
    findLocalIp: () => (options.findLocalIp ?? findLocalIp)(settings.podIp),
    ports: createPortPicker(settings.portRange, { probe: options.probe }),
    probe: options.probe ?? probePort,
  });
  const generated = buildTarsConfig(resolved);
  let info = resolved;
  let config = generated;
  const allWarnings = [...warnings];
  if (merge !== undefined) {
    // The service reads the merged config: its adapters and values are the ones to register.
    config = mergeTarsConfig(generated, merge);
    const merged = serverInfoFromConfig(resolved, config, {
      source: `Merge file ${settings.mergeConf}`,
    });
    info = merged.info;
    allWarnings.push(...merged.warnings);
  }
  const infoPath = serverInfoPath(settings.tarsPath);
  await writeFilesAtomic([
    { path: info.paths.configFile, data: printTarsConfig(config) },
    { path: infoPath, data: stringifyServerInfo(info) },
  ]);
  return { info, configPath: info.paths.configFile, infoPath, warnings: allWarnings };
}
