/**
 * `tarscli prestop`: the preStop hook. Runs the drain (drain.ts: once per pod; the supervisor
 * runs it on SIGTERM too and whichever comes second does nothing) and prints what it did.
 *
 * @module
 */
import type { CommandContext } from "../lib/context.ts";
import { readSettings } from "../lib/settings.ts";
import { checkSwitches } from "../lib/usage_error.ts";
import { readServerInfo } from "../genconf/server_info.ts";
import { TarsClient } from "../protocol/client.ts";
import { ADMIN_OBJ, AdminF } from "../protocol/interfaces/admin_f.ts";
import { createObjectResolver } from "./object_resolver.ts";
import { runDrain } from "./drain.ts";
import { createRegistryLink } from "./registry_link.ts";

/** Bound of each call to the registry and to the service, in ms. */
const CALL_TIMEOUT = 3000;

/** Exits 0 once the sequence ran (or had run); 1 only when the server info cannot be read. */
export async function run(args: string[], ctx: CommandContext): Promise<number> {
  checkSwitches("prestop", args, { reads: "TARS_PATH and TARS_PRESTOP_WAITTIME" });
  const settings = readSettings(ctx.env, "prestop", { cwd: Deno.cwd() });
  const info = await readServerInfo(settings.tarsPath);
  // Ordered by the pod's node name, the registry's replicas are tried as the supervisor tries them.
  const client = new TarsClient({ timeout: CALL_TIMEOUT, log: ctx.err, spreadBy: info.localIp });
  const resolver = createObjectResolver({
    client,
    locator: info.locator,
    dataDir: info.paths.data,
    timeout: CALL_TIMEOUT,
    log: ctx.err,
  });
  try {
    const admin = client.proxy(AdminF, `${ADMIN_OBJ}@${info.local}`, { timeout: CALL_TIMEOUT });
    const outcome = await runDrain({
      info,
      settings,
      link: createRegistryLink(resolver, { client, timeout: CALL_TIMEOUT }),
      admin: async (command) => (await admin.notify({ command })).ret,
      log: ctx.out,
      callTimeout: CALL_TIMEOUT,
    });
    if (outcome === "done") ctx.out("prestop: done");
    return 0;
  } finally {
    await client.close();
    await resolver.settled();
  }
}
