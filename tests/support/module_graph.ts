/**
 * Which modules a `tarscli` command loads at run time, from `deno info --json`: static code
 * imports only (type imports and dynamic imports are not followed, as `deno run` with
 * `lazy-dynamic-imports` loads a dynamic import only when it runs). Used by the tests that keep
 * heavy modules off the short-lived commands' paths and by the lifecycle bench.
 *
 * @module
 */

const ROOT = new URL("../../", import.meta.url);

/** One module of `deno info --json`. */
export interface DenoInfoModule {
  readonly specifier: string;
  readonly dependencies?: readonly {
    readonly code?: { readonly specifier?: string };
    readonly isDynamic?: boolean;
  }[];
}

/** `deno info --json ROOT`'s modules (every module, dynamic imports' targets too). */
export async function denoInfo(root: string): Promise<DenoInfoModule[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL(root, ROOT).href],
    cwd: ROOT.pathname,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`deno info ${root} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  return (JSON.parse(new TextDecoder().decode(out.stdout)) as { modules: DenoInfoModule[] })
    .modules;
}

/** A module's specifier as a repository path (`lib/duration.ts`), other specifiers unchanged. */
export function repositoryPath(specifier: string): string {
  return specifier.startsWith(ROOT.href) ? specifier.slice(ROOT.href.length) : specifier;
}

/**
 * The modules reached from `roots` (repository paths such as `main.ts`) by static imports (and
 * by dynamic ones too with `dynamic`: what may load later), as repository paths
 * (`lib/duration.ts`) or, outside the repository, specifiers (`node:path`, `npm:…`), sorted.
 */
export async function staticModules(
  roots: readonly string[],
  options: { dynamic?: boolean } = {},
): Promise<string[]> {
  const seen = new Set<string>();
  // One graph serves every root it already holds (main.ts's holds each command module).
  const bySpecifier = new Map<string, DenoInfoModule>();
  for (const root of roots) {
    const entry = new URL(root, ROOT).href;
    if (!bySpecifier.has(entry)) {
      for (const m of await denoInfo(root)) bySpecifier.set(m.specifier, m);
    }
    const pending = [entry];
    while (pending.length > 0) {
      const specifier = pending.pop()!;
      if (seen.has(specifier)) continue;
      seen.add(specifier);
      for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
        if (dep.code?.specifier && (options.dynamic || !dep.isDynamic)) {
          pending.push(dep.code.specifier);
        }
      }
    }
  }
  return [...seen].map(repositoryPath).sort();
}

/** What `tarscli <command>` loads: `main.ts` and the command's module (`supervisor/hzcheck.ts`). */
export function commandModules(commandModule: string): Promise<string[]> {
  return staticModules(["main.ts", commandModule]);
}
