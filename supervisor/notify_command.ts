/**
 * `tarscli notify CMD…`: sends an admin command (`AdminF.notify`) to the service's `AdminObj` on
 * its local endpoint and prints the answer, e.g. `tarscli notify tars.setloglevel DEBUG`.
 *
 * @module
 */
import type { CommandContext } from "../lib/context.ts";
import { readSettings } from "../lib/settings.ts";
import { UsageError } from "../lib/usage_error.ts";
import { readServerInfo } from "../genconf/server_info.ts";
import { TarsClient } from "../protocol/client.ts";
import { ADMIN_OBJ, AdminF } from "../protocol/interfaces/admin_f.ts";

/** How long the service has to answer, in ms. */
const NOTIFY_TIMEOUT = 3000;

/** Prints the service's answer; exits 1 with the reason when it does not answer. */
export async function run(args: string[], ctx: CommandContext): Promise<number> {
  const command = args.join(" ").trim();
  if (command === "") {
    throw new UsageError("notify needs a command, e.g. tarscli notify tars.viewstatus");
  }
  const settings = readSettings(ctx.env, "notify", { cwd: Deno.cwd() });
  const info = await readServerInfo(settings.tarsPath);
  const target = `${ADMIN_OBJ}@${info.local}`;
  const client = new TarsClient({ timeout: NOTIFY_TIMEOUT, log: () => {} });
  try {
    const { ret } = await client.proxy(AdminF, target).notify({ command });
    for (const line of ret.replace(/\n$/, "").split("\n")) ctx.out(line);
    return 0;
  } catch (error) {
    ctx.err(
      `tarscli notify: ${info.application}.${info.server} did not answer "${command}" at ` +
        `${target}: ${(error as Error).message}; is the service running?`,
    );
    return 1;
  } finally {
    await client.close();
  }
}
