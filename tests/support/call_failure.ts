/**
 * The failure of a TARS call that a test expects to fail: the call's {@linkcode TarsCallError},
 * or an assertion error when it succeeds or fails with anything else.
 *
 * @module
 */
import assert from "node:assert/strict";
import { TarsCallError } from "../../protocol/call_error.ts";

/** The TarsCallError `call` (a promise, or a function run now) fails with. */
export async function callFailure(
  call: Promise<unknown> | (() => unknown),
): Promise<TarsCallError> {
  try {
    await (typeof call === "function" ? call() : call);
  } catch (error) {
    assert.ok(error instanceof TarsCallError, `expected a TarsCallError, got ${String(error)}`);
    return error;
  }
  assert.fail("the call did not fail");
}
