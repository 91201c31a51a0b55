/**
 * Profile templates (`t_profile_template`) as the admin registry answers them: a template merged
 * over the chain of its parents (the child's values win; a name met again ends the chain, as
 * `tars.default`, its own parent, does), with a description of each template read:
 * `(name:OK)`, `(name:template not found)` or `(name:what went wrong)`.
 *
 * @module
 */
import {
  type ConfigSection,
  configSection,
  mergeTarsConfig,
  parseTarsConfig,
  printTarsConfig,
} from "../../lib/tars_config.ts";
import type { AdminStore, ServerKey } from "../store/mod.ts";

/** A merged profile and how its templates were read. */
export interface MergedProfile {
  /** The merged text, in the TARS config format (empty when no template was found). */
  readonly profile: string;
  /** `(name:OK)`, `(name:template not found)`… for each template of the chain. */
  readonly description: string;
}

type TemplateStore = Pick<AdminStore, "profileTemplate" | "serverProfile">;

/** The template `name` merged over its parents'. */
export async function profileTemplate(store: TemplateStore, name: string): Promise<MergedProfile> {
  const notes: string[] = [];
  const merged = await chain(store, name, { seen: new Set(), notes });
  return { profile: printTarsConfig(merged), description: notes.join("") };
}

/**
 * The profile of a server: its template's chain with the server's own part (`t_server_conf.
 * profile`) over it; undefined for a server the store does not have.
 */
export async function serverProfile(
  store: TemplateStore,
  key: ServerKey,
): Promise<MergedProfile | undefined> {
  const row = await store.serverProfile(key);
  if (!row) return undefined;
  const notes: string[] = [];
  let merged = await chain(store, row.template, { seen: new Set(), notes });
  if (row.profile.trim() !== "") {
    const name = `${key.application}.${key.server}_${key.nodeName}`;
    try {
      merged = mergeTarsConfig(merged, parseTarsConfig(row.profile, { source: name }));
      notes.push(`(${name}:OK)`);
    } catch (error) {
      notes.push(`(${name}:${(error as Error).message})`);
    }
  }
  return { profile: printTarsConfig(merged), description: notes.join("") };
}

/** The template `name` merged over its parents, noting each one read in `notes`. */
async function chain(
  store: TemplateStore,
  name: string,
  walk: { seen: Set<string>; notes: string[] },
): Promise<ConfigSection> {
  const empty = configSection("", []);
  if (name === "" || walk.seen.has(name)) return empty;
  walk.seen.add(name);
  let row;
  try {
    row = await store.profileTemplate(name);
  } catch (error) {
    walk.notes.push(`(${name}:${(error as Error).message})`);
    return empty;
  }
  if (!row) {
    walk.notes.push(`(${name}:template not found)`);
    return empty;
  }
  let own: ConfigSection;
  try {
    own = parseTarsConfig(row.profile, { source: `template ${name}` });
  } catch (error) {
    walk.notes.push(`(${name}:${(error as Error).message})`);
    return empty;
  }
  walk.notes.push(`(${name}:OK)`);
  const parent = await chain(store, row.parents, walk);
  return mergeTarsConfig(parent, own);
}
