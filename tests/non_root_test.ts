/**
 * The suite as a user other than root: the tests that need root skip with one line saying so,
 * and the private MariaDB starts all the same. Run as root, this switches to uid 65534 (nobody)
 * with `setpriv` and runs those tests there, with a home and temp directory of that user's own.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ifExistsSync } from "../lib/not_found.ts";
import { mariadbMissing } from "./support/mariadb.ts";
import { rootMissing, skipWhen } from "./support/skip.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const NOBODY = 65534;
const AS_NOBODY = ["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"];
const PID1_TEST = "lifecycle: as PID 1 of its own PID namespace (unshare)";
const MARIADB_TEST = "startMariadb runs a private server as the current user, root or not";

/** What switching to nobody lacks here: root, setpriv, or a checkout and Deno nobody can read. */
function nobodyMissing(): string | undefined {
  const notRoot = rootMissing(Deno.uid(), `it switches to uid ${NOBODY} with setpriv`);
  if (notRoot) return notRoot;
  const [command, ...args] = AS_NOBODY;
  const probe = ["test", "-r", join(ROOT, "deno.json"), "-a", "-x", Deno.execPath()];
  const output = ifExistsSync(() =>
    new Deno.Command(command, { args: [...args, ...probe] }).outputSync()
  );
  if (output === undefined) return "it needs setpriv (Debian's util-linux)";
  return output.success ? undefined : `uid ${NOBODY} cannot read ${ROOT} or run ${Deno.execPath()}`;
}

const TEST = "as a non-root user: the PID 1 test skips saying it needs root, MariaDB starts";
Deno.test(TEST, { ignore: skipWhen(TEST, nobodyMissing()) }, async () => {
  const home = await Deno.makeTempDir({ prefix: "non_root_" });
  try {
    await Deno.chown(home, NOBODY, NOBODY);
    const [command, ...args] = AS_NOBODY;
    const output = await new Deno.Command(command, {
      args: [
        ...args,
        Deno.execPath(),
        "test",
        "--allow-all",
        "--no-check",
        "--filter",
        `/^(${literal(PID1_TEST)}|${literal(MARIADB_TEST)})$/`,
        "tests/lifecycle_e2e_test.ts",
        "tests/support/mariadb_test.ts",
      ],
      cwd: ROOT,
      env: { HOME: home, TMPDIR: home, DENO_DIR: join(home, "deno"), NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal: AbortSignal.timeout(120_000),
    }).output();
    const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
    assert.equal(output.code, 0, text);
    assert.ok(
      text.includes(
        `Skipping "${PID1_TEST}": it needs root (unshare --pid --mount-proc); ` +
          `this runs as uid ${NOBODY}`,
      ),
      text,
    );
    assert.match(text, new RegExp(`^${literal(PID1_TEST)} \\.\\.\\. ignored`, "m"));
    const mariadb = mariadbMissing(Deno.env);
    if (mariadb) assert.ok(text.includes(`Skipping "${MARIADB_TEST}": ${mariadb}`), text);
    else assert.match(text, new RegExp(`^${literal(MARIADB_TEST)} \\.\\.\\. ok`, "m"), text);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

/** `text` as a regular expression that matches it literally. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
