/**
 * `deno task compile`: builds `dist/tarscli` and `dist/tarsregistry`, each with only the
 * permissions it needs baked in and only the modules it reaches embedded.
 *
 * The project's deno.json uses the npm-installed `node_modules` ("manual"), and `deno compile`
 * would embed all of it (the Deno toolchain, the test peers: about 100 MB). So the binaries are
 * compiled with a generated config instead: the runtime `dependencies` of package.json (and only
 * those) mapped to `npm:` specifiers, resolved by Deno itself (no node_modules directory), with
 * `--exclude-unused-npm` so that only the packages an entry point reaches are embedded, and
 * `DENO_NO_PACKAGE_JSON=1` so the devDependencies are not even resolved. Local files are embedded
 * when the entry point's module graph reaches them, lazily loaded commands included; tests are not.
 *
 * `deno compile` needs the `denort` runtime of this Deno version; where it cannot be downloaded,
 * point `DENORT_BIN` at one.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** One binary to build: its entry, output, baked-in permissions and extra files. */
export interface BinarySpec {
  readonly entry: string;
  readonly output: string;
  readonly permissions: readonly string[];
  readonly include?: readonly string[];
  /** V8 flags compiled in (`--v8-flags`), as its `deno task` runs it. */
  readonly v8Flags?: readonly string[];
}

/** The binaries this project ships. */
export const BINARIES: readonly BinarySpec[] = [
  {
    entry: "main.ts",
    output: "dist/tarscli",
    // The supervisor spawns `sh` and the service (--allow-run) and reaps zombies with libc's
    // waitpid (--allow-ffi): each already grants the process everything. And Deno lets a
    // program read /proc (the zombie reaper's /proc/PID/stat, genconf's /proc/net/route) only
    // with --allow-all, whatever --allow-read says (compile_test.ts checks that this still holds).
    permissions: ["--allow-all"],
    include: ["baseserver/db/db_tars.sql"],
  },
  {
    entry: "registry/main.ts",
    output: "dist/tarsregistry",
    permissions: ["--allow-read", "--allow-write", "--allow-env", "--allow-net"],
    include: ["baseserver/db/db_tars.sql"],
    // A young generation of at most 2 x 8 MiB: loading a large store does not grow it to 64 MiB
    // (BENCHMARKS.md, issue 17), and `deno task start` runs the registry so too.
    v8Flags: ["--max-semi-space-size=8"],
  },
];

/** Where `compileAll` writes the generated config, relative to the project root. */
export const COMPILE_CONFIG = ".tmp/compile/deno.json";

/** The environment `deno compile` runs with on top of the caller's: package.json is ignored. */
export const COMPILE_ENV: Readonly<Record<string, string>> = { DENO_NO_PACKAGE_JSON: "1" };

/** The generated Deno config the binaries are compiled with. */
export interface CompileConfig {
  readonly nodeModulesDir: "none";
  readonly lock: false;
  readonly imports: Readonly<Record<string, string>>;
}

/**
 * The config for `deno compile`: every runtime dependency of package.json (exactly pinned) as an
 * import-map entry for the bare name and its sub-paths, npm packages managed by Deno, no lockfile.
 */
export function compileConfig(
  packageJson: { readonly dependencies?: Readonly<Record<string, string>> },
): CompileConfig {
  const imports: Record<string, string> = {};
  for (const [name, version] of Object.entries(packageJson.dependencies ?? {})) {
    if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
      throw new RangeError(
        `package.json pins ${name} to "${version}": pin an exact version (npm install --save-exact)`,
      );
    }
    imports[name] = `npm:${name}@${version}`;
    imports[`${name}/`] = `npm:/${name}@${version}/`;
  }
  return { nodeModulesDir: "none", lock: false, imports };
}

/** The `deno compile` arguments for one binary, given the generated config's path. */
export function compileArgs(spec: BinarySpec, config: string): string[] {
  return [
    "compile",
    "--config",
    config,
    "--exclude-unused-npm",
    ...(spec.v8Flags ? [`--v8-flags=${spec.v8Flags.join(",")}`] : []),
    ...spec.permissions,
    ...(spec.include ?? []).flatMap((file) => ["--include", file]),
    "--output",
    spec.output,
    spec.entry,
  ];
}

/** The variables of `env` that are set. */
function definedEntries(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** Builds every binary from the project at `root`; resolves to the exit code. */
export async function compileAll(options: {
  deno: string;
  root: string;
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
  const packageJson = JSON.parse(await Deno.readTextFile(join(options.root, "package.json")));
  const config = join(options.root, COMPILE_CONFIG);
  await Deno.mkdir(join(config, ".."), { recursive: true });
  await Deno.writeTextFile(config, JSON.stringify(compileConfig(packageJson), null, 2) + "\n");
  try {
    for (const spec of BINARIES) {
      options.log(`compiling ${spec.entry} into ${spec.output}`);
      const out = await new Deno.Command(options.deno, {
        args: compileArgs(spec, COMPILE_CONFIG),
        cwd: options.root,
        clearEnv: true,
        env: { ...definedEntries(options.env), ...COMPILE_ENV },
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
  } finally {
    await Deno.remove(config);
  }
}

if (import.meta.main) {
  Deno.exit(
    await compileAll({
      deno: Deno.execPath(),
      root: fileURLToPath(new URL("../", import.meta.url)),
      env: Deno.env.toObject(),
      log: (line) => console.error(line),
    }),
  );
}
