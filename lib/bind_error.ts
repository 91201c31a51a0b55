/**
 * Why a socket could not be bound, sorted into what a user does about it: the address is in use,
 * it is not an address of this machine, binding it is not permitted, or something else (the
 * system's own words). The registry's listeners and genconf's port probe word their messages from
 * it, naming the setting that holds the address.
 *
 * @module
 */

/** What went wrong when binding, as far as the fix goes. */
export type BindProblem = "in use" | "not local" | "denied" | "other";

/** A bind failure: its kind and a short reason in words. */
export interface BindFailure {
  readonly problem: BindProblem;
  readonly reason: string;
}

/** Sorts an error of `Deno.listen`, `Deno.serve` or a `node:dgram` bind. */
export function describeBindError(error: unknown): BindFailure {
  const code = (error as { code?: string }).code;
  if (error instanceof Deno.errors.AddrInUse || code === "EADDRINUSE") {
    return { problem: "in use", reason: "the address is in use" };
  }
  if (error instanceof Deno.errors.AddrNotAvailable || code === "EADDRNOTAVAIL") {
    return { problem: "not local", reason: "it is not an address of this machine" };
  }
  if (error instanceof Deno.errors.PermissionDenied || code === "EACCES") {
    return {
      problem: "denied",
      reason: "permission denied (a port below 1024 needs root or CAP_NET_BIND_SERVICE)",
    };
  }
  return { problem: "other", reason: (error as Error).message };
}

/**
 * The error to throw when `address` (`HOST:PORT`, or an endpoint) from `setting` (a flag or a
 * variable) cannot be bound: the reason, and what to change in that setting.
 */
export function bindError(error: unknown, where: { address: string; setting: string }): Error {
  const { problem, reason } = describeBindError(error);
  const { address, setting } = where;
  const fix = problem === "in use"
    ? `stop what listens there, or set another port in ${setting}`
    : problem === "not local"
    ? `set an address of this machine (or 0.0.0.0) in ${setting}`
    : problem === "denied"
    ? `set a port above 1023 in ${setting}`
    : `check ${setting}`;
  return new Error(`Cannot listen on ${address} (${setting}): ${reason}; ${fix}`, {
    cause: error,
  });
}
