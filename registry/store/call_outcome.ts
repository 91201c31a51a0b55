/**
 * What a group commit gives each call it held: both stores gather the pods' calls into one
 * transaction and answer each with its own outcome once the commit is durable.
 *
 * @module
 */

/** The result of one call of a committed batch, or the error that rolled it back. */
export type CallOutcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A queued call's promise, settled once its batch committed or failed. */
export interface PendingCall {
  readonly resolve: (value: never) => void;
  readonly reject: (error: unknown) => void;
}

/** Answers each call of `batch` with its outcome (`outcomes` in the same order). */
export function settleCalls(
  batch: readonly PendingCall[],
  outcomes: readonly CallOutcome[],
): void {
  batch.forEach((item, i) => {
    const outcome = outcomes[i];
    if (outcome.ok) item.resolve(outcome.value as never);
    else item.reject(outcome.error);
  });
}
