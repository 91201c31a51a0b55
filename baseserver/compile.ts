/**
 * `deno task compile`: builds `dist/tarscli` and `dist/tarsregistry`, each with only the
 * permissions it needs baked in. `deno compile` needs the `denort` runtime of this Deno version;
 * where it cannot be downloaded, point `DENORT_BIN` at one.
 *
 * @module
 */

/** One binary to build: its entry, output, baked-in permissions and extra files. */
export interface BinarySpec {
  readonly entry: string;
  readonly output: string;
  readonly permissions: readonly string[];
  readonly include?: readonly string[];
}

/** The binaries this project ships. */
export const BINARIES: readonly BinarySpec[] = [
  {
    entry: "main.ts",
    output: "dist/tarscli",
    permissions: [
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-sys",
    ],
    include: ["baseserver/db/db_tars.sql"],
  },
  {
    entry: "registry/main.ts",
    output: "dist/tarsregistry",
    permissions: ["--allow-read", "--allow-write", "--allow-env", "--allow-net", "--allow-sys"],
    include: ["baseserver/db/db_tars.sql"],
  },
];

/** The `deno compile` arguments for one binary. */
export function compileArgs(spec: BinarySpec): string[] {
  return [
    "compile",
    ...spec.permissions,
    ...(spec.include ?? []).flatMap((file) => ["--include", file]),
    "--output",
    spec.output,
    spec.entry,
  ];
}

/** Builds every binary; resolves to the exit code. */
export async function compileAll(options: {
  deno: string;
  env: Readonly<Record<string, string | undefined>>;
  log: (line: string) => void;
}): Promise<number> {
  const denort = options.env.DENORT_BIN;
  if (denort) {
    try {
      await Deno.stat(denort);
    } catch {
      options.log(`DENORT_BIN=${denort} does not exist: point it at a denort binary of this Deno`);
      return 1;
    }
  }
  for (const spec of BINARIES) {
    options.log(`compiling ${spec.entry} into ${spec.output}`);
    const out = await new Deno.Command(options.deno, {
      args: compileArgs(spec),
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (out.code !== 0) {
      options.log(
        denort
          ? `deno compile failed for ${spec.entry} (DENORT_BIN=${denort})`
          : `deno compile failed for ${spec.entry}: it needs the denort runtime of Deno ` +
            `${Deno.version.deno}, which it downloads unless DENORT_BIN names one; on a machine ` +
            `without internet, set DENORT_BIN to a denort binary of that version`,
      );
      return out.code;
    }
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(
    await compileAll({
      deno: Deno.execPath(),
      env: Deno.env.toObject(),
      log: (line) => console.error(line),
    }),
  );
}
