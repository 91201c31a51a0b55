/**
 * genconf in a child process: `tarscli genconf --json`, run by the same binary. The supervisor
 * lives as long as the pod, and genconf's YAML parser is a CommonJS package that Deno loads
 * through its Node layer: run in-process it kept about 5 MiB of the supervisor's memory for the
 * pod's whole life (BENCHMARKS.md, "Lifecycle"). The child writes the same files and hands back
 * the same result, as one line of JSON, which is checked before it is used.
 *
 * @module
 */
import type { GenconfResult } from "../genconf/mod.ts";
import { checkServerInfo } from "../genconf/server_info.ts";
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

/** Where the result in the child's output came from, for messages. */
const SOURCE = "the result of tarscli genconf --json";
/** What to do when that result is not one. */
const HINT = "is the tarscli binary the same version as this supervisor?";

/**
 * Runs `tarscli genconf --json` with exactly `env` (the supervisor's snapshot) through `runner`
 * (so the zombie reaper leaves it to Deno) and resolves to its result, checked field by field
 * with the server info's own checker (the one prestop and notify read the file with). A failing
 * genconf rejects with its own message, which the child reports in its JSON line; what the child
 * printed on stderr (Deno's own warnings) goes to `err`.
 */
export async function runGenconfChild(options: {
  readonly tarscli: TarscliCommand;
  readonly runner: ProcessRunner;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly err: (line: string) => void;
  /** Kills the child (SIGKILL): the supervisor was asked to stop. */
  readonly signal?: AbortSignal;
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
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch (error) {
      // It exited between the abort and this call: nothing left to kill.
      if (!(error instanceof TypeError)) throw error;
    }
  };
  options.signal?.addEventListener("abort", kill, { once: true });
  let out: Deno.CommandOutput;
  try {
    out = await child.output();
  } finally {
    options.signal?.removeEventListener("abort", kill);
  }
  if (options.signal?.aborted) throw new Error("genconf was stopped: the supervisor is stopping");
  const stderr = new TextDecoder().decode(out.stderr).replace(/\n$/, "");
  if (stderr !== "") stderr.split("\n").forEach(options.err);
  const text = new TextDecoder().decode(out.stdout).trim();
  let line: unknown;
  try {
    line = JSON.parse(text);
  } catch {
    if (!out.success) {
      throw new Error(
        `${[options.tarscli.program, ...options.tarscli.args].join(" ")} genconf --json exited ` +
          `with code ${out.code}; run tarscli genconf by hand to see why`,
      );
    }
    throw new Error(
      `tarscli genconf --json printed no JSON result (${JSON.stringify(text.slice(0, 200))}); ` +
        HINT,
    );
  }
  return checkGenconfLine(line);
}

/** The result in the child's JSON line, or its error thrown as an Error. */
function checkGenconfLine(line: unknown): GenconfResult {
  const fail = (what: string): never => {
    throw new SyntaxError(`${SOURCE}: ${what}; ${HINT}`);
  };
  if (typeof line !== "object" || line === null) fail("not an object");
  const record = line as Record<string, unknown>;
  if (typeof record.error === "string") throw new Error(record.error);
  for (const key of ["configPath", "infoPath"]) {
    if (typeof record[key] !== "string") fail(`${key} is not a string`);
  }
  const warnings = record.warnings;
  if (!Array.isArray(warnings) || warnings.some((w) => typeof w !== "string")) {
    fail("warnings is not a list of strings");
  }
  return {
    info: checkServerInfo(record.info, { source: `${SOURCE}: info`, hint: HINT }),
    configPath: record.configPath as string,
    infoPath: record.infoPath as string,
    warnings: Object.freeze([...(warnings as string[])]),
  };
}
