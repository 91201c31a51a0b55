/**
 * Gives back the resident pages of the runtime's code that only the start-up used. The supervisor
 * lives as long as the pod, and about a third of its resident memory is the Deno binary's code
 * and read-only data that loading its modules, genconf's child and the first calls touched once
 * (BENCHMARKS.md, "Lifecycle"). Those pages are clean and file-backed: `madvise(MADV_DONTNEED)`
 * drops them from this process's page tables, the kernel keeps them in its page cache (where they
 * are easy to reclaim, unlike mapped code), and a page still in use faults back in from there. So
 * nothing is lost, and only the code the idle loop runs stays resident.
 *
 * Only the executable's `r-xp` segments and its first `r--p` segment (the ELF headers and
 * read-only data, at file offset 0) are dropped: those are never written. The relocated
 * read-only segment after the code and every writable one hold private copies, which
 * MADV_DONTNEED would throw away, so they are left alone. Uses libc through FFI (glibc's
 * `libc.so.6`, as the zombie reaper does).
 *
 * @module
 */

const MADV_DONTNEED = 4;

/** One mapping of /proc/self/maps. */
export interface Mapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly perms: string;
  readonly offset: number;
  readonly path: string;
}

/** Parses the text of `/proc/PID/maps`. */
export function parseMaps(text: string): Mapping[] {
  const mappings: Mapping[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 5) continue;
    const [range, perms, offset] = fields;
    const dash = range.indexOf("-");
    mappings.push({
      start: BigInt(`0x${range.slice(0, dash)}`),
      end: BigInt(`0x${range.slice(dash + 1)}`),
      perms,
      offset: parseInt(offset, 16),
      path: fields.slice(5).join(" "),
    });
  }
  return mappings;
}

/** The mappings of `executable` that are never written: its code and its first read-only part. */
export function startupPages(mappings: readonly Mapping[], executable: string): Mapping[] {
  return mappings.filter((m) =>
    m.path === executable && (m.perms === "r-xp" || (m.perms === "r--p" && m.offset === 0))
  );
}

/**
 * Drops the resident pages of the running executable's code and read-only data; returns the
 * bytes of the ranges given to `madvise`. Throws when libc or FFI is not available (no
 * `--allow-ffi`, or no glibc).
 */
export function trimStartupPages(): number {
  const lib = Deno.dlopen("libc.so.6", {
    madvise: { parameters: ["usize", "usize", "i32"], result: "i32" },
  });
  try {
    const ranges = startupPages(
      parseMaps(Deno.readTextFileSync("/proc/self/maps")),
      Deno.execPath(),
    );
    let bytes = 0;
    for (const range of ranges) {
      const length = range.end - range.start;
      if (lib.symbols.madvise(range.start, length, MADV_DONTNEED) !== 0) {
        throw new Error(`madvise failed on ${range.path} at 0x${range.start.toString(16)}`);
      }
      bytes += Number(length);
    }
    return bytes;
  } finally {
    lib.close();
  }
}
