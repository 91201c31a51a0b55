/**
 * The drain: the pod out of traffic before its service stops (the state `deactivating` in the
 * state file and the heartbeat, `AdminF.notify("prestop")`, a wait of `TARS_PRESTOP_WAITTIME`,
 * then `onPrestop`), run by `tarscli prestop` (the preStop hook) and by the supervisor on SIGTERM,
 * whichever comes first: the drain marker, `data/prestop`, makes it run once per pod. No step can
 * stall it: every call is bounded and a failed one is logged and skipped.
 *
 * @module
 */
import { dirname, join } from "../lib/posix_path.ts";
import type { SettingsOf } from "../lib/settings.ts";
import { delay, withDeadline } from "../lib/timers.ts";
import type { ServerInfo } from "../genconf/mod.ts";
import type { RegistryLink } from "./registry_link.ts";
import { keepAliveRequest, prestopRequest } from "./registry_link.ts";
import { stateFilePath, writeStateFile } from "./state_file.ts";

/** What the drain works with. */
export interface DrainDeps {
  readonly info: ServerInfo;
  /** `TARS_PATH` and `TARS_PRESTOP_WAITTIME` (the supervisor passes its own, which hold them). */
  readonly settings: SettingsOf<"prestop">;
  readonly link: RegistryLink;
  /** Sends an `AdminF.notify` command to the service and resolves to its answer. */
  readonly admin: (command: string) => Promise<string>;
  readonly log: (line: string) => void;
  /** Epoch milliseconds (written into the state file). */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * Bound of each registry or service call in ms, given to the registry link too so that its tries
   * of the replicas fit in it; default {@linkcode DRAIN_CALL_TIMEOUT}.
   */
  readonly callTimeout?: number;
}

/**
 * Bound of each call of the drain: the calls before the wait run during it, and the
 * `onPrestop` after it is what the sequence may take beyond `TARS_PRESTOP_WAITTIME`.
 */
export const DRAIN_CALL_TIMEOUT = 1500;

/** `$TARS_PATH/data/prestop`, the drain marker: present once the drain has begun in this pod. */
export function drainMarkerPath(tarsPath: string): string {
  return join(tarsPath, "data", "prestop");
}

/**
 * Once per pod: creates the marker exclusively, resolving to "already" when it existed. Then the
 * state file `deactivating`; keepAlive `deactivating` and `AdminF.notify("prestop")` while the
 * wait of `settings.prestopWaitTime` runs (the wait ends when it is over and both answered or
 * timed out); then `onPrestop`. It takes at most the longer of the wait and the call timeout,
 * plus the call timeout.
 */
export async function runDrain(deps: DrainDeps): Promise<"done" | "already"> {
  const { info, settings, link, log } = deps;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? delay;
  const callTimeout = deps.callTimeout ?? DRAIN_CALL_TIMEOUT;
  const marker = drainMarkerPath(settings.tarsPath);
  const marked = await claimDrainMarker(marker, now());
  if (marked === "exists") {
    log(`prestop: already run in this pod (${marker} exists)`);
    return "already";
  }
  if (marked instanceof Error) {
    log(`prestop: cannot create ${marker} (${marked.message}); going on without it`);
  }

  try {
    await writeStateFile(stateFilePath(settings.tarsPath), {
      state: "deactivating",
      writtenAt: now(),
      reason: "prestop started",
    });
    log("prestop: state deactivating");
  } catch (error) {
    log(`prestop: state file: ${(error as Error).message}`);
  }
  const bounded = <T>(what: string, call: () => Promise<T>) =>
    boundedCall(call, { what: `prestop: ${what}`, timeout: callTimeout, log });
  log(
    `prestop: waiting ${settings.prestopWaitTime} ms (TARS_PRESTOP_WAITTIME) for calls in flight`,
  );
  await Promise.all([
    sleep(settings.prestopWaitTime),
    bounded(
      "registry keepAlive deactivating",
      () => link.keepAlive(keepAliveRequest(info, "deactivating"), { timeout: callTimeout }),
    ).then((sent) => sent && log("prestop: registry keepAlive deactivating sent")),
    bounded('AdminF.notify("prestop")', () => deps.admin("prestop")).then((answer) =>
      answer && log(`prestop: AdminF.notify("prestop") answered ${JSON.stringify(answer.value)}`)
    ),
  ]);
  const leave = () => link.onPrestop(prestopRequest(info), { timeout: callTimeout });
  if (await bounded("registry onPrestop", leave)) {
    log(
      `prestop: registry onPrestop sent: ${info.application}.${info.server} on ${info.localIp} removed`,
    );
  }
  return "done";
}

/** Runs `call`, resolving to its value, or to null after logging its failure or its timeout. */
async function boundedCall<T>(
  call: () => Promise<T>,
  options: { what: string; timeout: number; log: (line: string) => void },
): Promise<{ value: T } | null> {
  try {
    const value = await withDeadline(
      call(),
      options.timeout,
      () => new Error(`no answer within ${options.timeout} ms`),
    );
    return { value };
  } catch (error) {
    options.log(`${options.what} failed: ${(error as Error).message}; going on`);
    return null;
  }
}

/**
 * Creates the drain marker at `path` (holding the time `now`) only when it does not exist yet:
 * the claim on the drain. An Error when it cannot be created.
 */
export async function claimDrainMarker(
  path: string,
  now: number,
): Promise<"created" | "exists" | Error> {
  const text = `${new Date(now).toISOString()}\n`;
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
  } catch (error) {
    return error as Error;
  }
  try {
    await Deno.writeTextFile(path, text, { createNew: true });
    return "created";
  } catch (error) {
    return error instanceof Deno.errors.AlreadyExists ? "exists" : error as Error;
  }
}
