/**
 * Test support: the module graph `deno compile` embeds for an entry point, read with
 * `deno info --json` under the same generated config and environment `compileAll` uses.
 *
 * @module
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { COMPILE_ENV, compileConfig } from "./compile.ts";

/** What `deno info --json` reports of a module graph (the fields the tests read). */
export interface ModuleGraph {
  readonly modules: readonly { readonly specifier: string }[];
  readonly npmPackages?: Readonly<Record<string, { name: string; version: string }>>;
}

/** The module graph of `entry` in the project at `root`, as `deno compile` resolves it. */
export async function compiledGraph(root: string, entry: string): Promise<ModuleGraph> {
  const dir = await Deno.makeTempDir();
  try {
    const packageJson = JSON.parse(await Deno.readTextFile(join(root, "package.json")));
    const config = join(dir, "deno.json");
    await Deno.writeTextFile(config, JSON.stringify(compileConfig(packageJson)));
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", config, entry],
      cwd: root,
      env: COMPILE_ENV,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    return JSON.parse(new TextDecoder().decode(out.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The project files of a graph, relative to `root` (which ends with a slash). */
export function localFiles(root: string, graph: ModuleGraph): string[] {
  return graph.modules
    .map((m) => m.specifier)
    .filter((s) => s.startsWith("file:"))
    .map((s) => fileURLToPath(s).slice(root.length));
}
