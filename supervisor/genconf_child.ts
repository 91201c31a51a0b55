/**
 * genconf in a child process: `tarscli genconf --json`, run by the same binary. The supervisor
 * lives as long as the pod, and genconf's YAML parser is a CommonJS package that Deno loads
 * through its Node layer: run in-process it kept about 5 MiB of the supervisor's memory for the
 * pod's whole life (BENCHMARKS.md, "Lifecycle"). The child writes the same files and hands back
 * the same result, as JSON.
 *
 * @module
 */
import type { GenconfResult } from "../genconf/mod.ts";
import type { ProcessRunner } from "../lib/process_group.ts";

/** A program and the arguments that come before the sub-command. */
export interface TarscliCommand {
  readonly program: string;
  readonly args: readonly string[];
}

/**
 * How to run this `tarscli` again: a compiled binary (`standalone`) is `execPath` itself, with its
 * permissions built in; under `deno run` it is `deno run --allow-all <main.ts>` (the supervisor
 * already spawns processes, which grants everything anyway).
 */
export function tarscliCommand(
  options: { standalone: boolean; execPath: string; mainUrl: string },
): TarscliCommand {
  return options.standalone
    ? { program: options.execPath, args: [] }
    : { program: options.execPath, args: ["run", "--allow-all", options.mainUrl] };
}

/** The command of the running process: `Deno.build.standalone`, `Deno.execPath()`, this main.ts. */
export function currentTarscli(): TarscliCommand {
  return tarscliCommand({
    standalone: Deno.build.standalone,
    execPath: Deno.execPath(),
    mainUrl: new URL("../main.ts", import.meta.url).href,
  });
}

const GENCONF_PREFIX = "tarscli genconf: ";

/**
 * Runs `tarscli genconf --json` with exactly `env` (the supervisor's snapshot) through `runner`
 * (so the zombie reaper leaves it to Deno) and resolves to its result. A failing genconf rejects
 * with its own message, as the in-process genconf threw it; what else the child printed on stderr
 * goes to `err`.
 */
export async function runGenconfChild(options: {
  readonly tarscli: TarscliCommand;
  readonly runner: ProcessRunner;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly err: (line: string) => void;
}): Promise<GenconfResult> {
  const env = Object.fromEntries(
    Object.entries(options.env).filter((entry): entry is [string, string] =>
      entry[1] !== undefined
    ),
  );
  const child = options.runner.spawn(options.tarscli.program, {
    args: [...options.tarscli.args, "genconf", "--json"],
    cwd: options.cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const out = await child.output();
  const stderr = new TextDecoder().decode(out.stderr).replace(/\n$/, "");
  // main.ts prints a failure as "tarscli genconf: <message>" (a message may go on over more
  // lines); lines before it come from Deno itself.
  const lines = stderr === "" ? [] : stderr.split("\n");
  const first = lines.findIndex((line) => line.startsWith(GENCONF_PREFIX));
  const own = first < 0 ? [] : lines.slice(first);
  for (const line of first < 0 ? lines : lines.slice(0, first)) options.err(line);
  if (!out.success) {
    if (own.length > 0) throw new Error(own.join("\n").slice(GENCONF_PREFIX.length));
    throw new Error(
      `${[options.tarscli.program, ...options.tarscli.args].join(" ")} genconf --json exited ` +
        `with code ${out.code}; run tarscli genconf by hand to see why`,
    );
  }
  for (const line of own) options.err(line);
  const text = new TextDecoder().decode(out.stdout).trim();
  try {
    return JSON.parse(text) as GenconfResult;
  } catch {
    throw new Error(
      `tarscli genconf --json printed no JSON result (${JSON.stringify(text.slice(0, 200))}); ` +
        "is the tarscli binary the same version as this supervisor?",
    );
  }
}
