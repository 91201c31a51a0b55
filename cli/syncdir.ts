/**
 * `tarscli syncdir`: copies the regular files of `TARS_SYNC_DIRECTORY` (and the files its
 * links point to, under the link's name) into the target directory when size or modification
 * time differ, keeping the times and permission bits. It does not descend into directories.
 *
 * @module
 */
import type { CommandContext } from "../lib/context.ts";
import { basename, dirname, join } from "../lib/posix_path.ts";
import { type Environment, readSettings } from "../lib/settings.ts";
import { checkSwitches } from "../lib/usage_error.ts";

/** syncdir's environment, typed. */
export interface SyncSettings {
  /** `TARS_SYNC_DIRECTORY`; undefined: nothing to do. */
  readonly source?: string;
  /** `TARS_SYNC_TARGET_DIRECTORY`, default `$TARS_PATH/bin`. */
  readonly target: string;
}

/** What one sync did, by file name. */
export interface SyncResult {
  readonly copied: readonly string[];
  readonly unchanged: readonly string[];
  /** Directories, devices, broken links and links to anything but a regular file. */
  readonly skipped: readonly string[];
}

/** Reads syncdir's variables from `env`; relative paths are taken from `cwd`. */
export function readSyncSettings(env: Environment, options: { cwd: string }): SyncSettings {
  const settings = readSettings(env, "syncdir", options);
  return Object.freeze({ source: settings.syncDirectory, target: settings.syncTarget });
}

async function copyKeepingTimes(
  from: string,
  to: string,
  options: { info: Deno.FileInfo },
): Promise<void> {
  const { info } = options;
  const temp = join(dirname(to), `.${basename(to)}.${crypto.randomUUID()}.tmp`);
  try {
    await Deno.copyFile(from, temp);
    await Deno.chmod(temp, (info.mode ?? 0o644) & 0o7777);
    await Deno.utime(temp, info.atime ?? info.mtime ?? new Date(), info.mtime ?? new Date());
    await Deno.rename(temp, to);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw new Error(
      `Cannot copy ${from} to ${to}: ${(error as Error).message}; check both directories`,
    );
  }
}

/**
 * Copies each regular file of `source`, or the regular file a link in it points to, to
 * `target` when the target file is missing or differs in size or modification time. The copy
 * replaces the old file by rename, so a running binary is not disturbed.
 */
export async function syncDirectory(source: string, target: string): Promise<SyncResult> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(source)) entries.push(entry);
  } catch (error) {
    throw new Error(
      `Cannot read TARS_SYNC_DIRECTORY ${source}: ${
        (error as Error).message
      }; fix the path or unset it`,
    );
  }
  await Deno.mkdir(target, { recursive: true });
  entries.sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const copied: string[] = [];
  const unchanged: string[] = [];
  const skipped: string[] = [];
  for (const entry of entries) {
    const from = join(source, entry.name);
    const info = entry.isFile || entry.isSymlink
      ? await Deno.stat(from).catch(() => undefined)
      : undefined;
    if (!info?.isFile) {
      skipped.push(entry.name);
      continue;
    }
    const to = join(target, entry.name);
    const old = await Deno.stat(to).catch(() => undefined);
    if (old && old.size === info.size && old.mtime?.getTime() === info.mtime?.getTime()) {
      unchanged.push(entry.name);
      continue;
    }
    await copyKeepingTimes(from, to, { info });
    copied.push(entry.name);
  }
  return { copied, unchanged, skipped };
}

/** Runs syncdir with the entry point's environment and prints what it copied. */
export async function run(args: string[], ctx: CommandContext): Promise<number> {
  checkSwitches("syncdir", args, { reads: "TARS_SYNC_DIRECTORY and TARS_SYNC_TARGET_DIRECTORY" });
  const settings = readSyncSettings(ctx.env, { cwd: Deno.cwd() });
  if (settings.source === undefined) {
    ctx.out("TARS_SYNC_DIRECTORY is not set: nothing to sync");
    return 0;
  }
  const result = await syncDirectory(settings.source, settings.target);
  for (const name of result.copied) ctx.out(`copied ${name}`);
  for (const name of result.skipped) {
    ctx.out(`skipped ${name}: not a regular file or a link to one`);
  }
  ctx.out(
    `Synced ${settings.source} to ${settings.target}: ${result.copied.length} copied, ` +
      `${result.unchanged.length} unchanged, ${result.skipped.length} skipped`,
  );
  return 0;
}
