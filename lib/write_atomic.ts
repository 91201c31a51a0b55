/**
 * Writing files so readers see either the old or the new content: each file goes to a temp
 * file in its own directory, and is renamed over the target only once every temp file is written.
 *
 * @module
 */
import { basename, dirname, join } from "./posix_path.ts";

/** One file to write. */
export interface FileToWrite {
  readonly path: string;
  readonly data: string | Uint8Array;
  /** Permission bits; default 0o644. */
  readonly mode?: number;
}

/**
 * Writes every file atomically, creating their directories. Nothing is renamed into place
 * until all temp files are written, so a failure leaves every target as it was.
 */
export async function writeFilesAtomic(files: readonly FileToWrite[]): Promise<void> {
  const temps: string[] = [];
  let current = "";
  try {
    for (const file of files) {
      current = file.path;
      await Deno.mkdir(dirname(file.path), { recursive: true });
      const temp = join(dirname(file.path), `.${basename(file.path)}.${crypto.randomUUID()}.tmp`);
      temps.push(temp);
      const data = typeof file.data === "string" ? new TextEncoder().encode(file.data) : file.data;
      await Deno.writeFile(temp, data, { createNew: true });
      await Deno.chmod(temp, file.mode ?? 0o644);
    }
  } catch (error) {
    await Promise.all(temps.map((temp) => Deno.remove(temp).catch(() => {})));
    throw new Error(
      `Cannot write ${current}: ${(error as Error).message}; check the directory's permissions`,
    );
  }
  files.forEach((file, i) => Deno.renameSync(temps[i], file.path));
}
