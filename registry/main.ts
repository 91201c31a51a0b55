/**
 * The standalone `tarsregistry` entry point (compiled to its own binary); it takes the same
 * options as `tarscli registry`.
 *
 * @module
 */
import { UsageError } from "../lib/mod.ts";
import { runRegistry } from "./command.ts";

if (import.meta.main) {
  try {
    Deno.exit(
      await runRegistry(Deno.args, {
        env: Deno.env.toObject(),
        out: (line) => console.log(line),
        err: (line) => console.error(line),
      }, { program: "tarsregistry" }),
    );
  } catch (error) {
    console.error(`tarsregistry: ${(error as Error).message}`);
    Deno.exit(error instanceof UsageError ? error.exitCode : 1);
  }
}
