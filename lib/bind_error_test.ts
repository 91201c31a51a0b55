import assert from "node:assert/strict";
import { bindError, describeBindError } from "./bind_error.ts";

function listenError(hostname: string, port: number): unknown {
  try {
    Deno.listen({ hostname, port }).close();
  } catch (error) {
    return error;
  }
  throw new Error(`${hostname}:${port} could be bound`);
}

Deno.test("describeBindError sorts Deno's and node's bind errors", () => {
  const held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const port = (held.addr as Deno.NetAddr).port;
    assert.equal(describeBindError(listenError("127.0.0.1", port)).problem, "in use");
  } finally {
    held.close();
  }
  assert.equal(describeBindError(new Deno.errors.AddrNotAvailable("x")).problem, "not local");
  assert.equal(describeBindError({ code: "EADDRNOTAVAIL" }).problem, "not local");
  assert.equal(describeBindError({ code: "EADDRINUSE" }).problem, "in use");
  assert.equal(describeBindError(new Deno.errors.PermissionDenied("x")).problem, "denied");
  assert.deepEqual(describeBindError(new Error("failed to lookup address information")), {
    problem: "other",
    reason: "failed to lookup address information",
  });
});

Deno.test("bindError names the address, the setting and the fix", () => {
  const where = { address: "127.0.0.1:9325", setting: "--metrics" };
  assert.equal(
    bindError(new Deno.errors.AddrInUse("Address already in use (os error 98)"), where).message,
    "Cannot listen on 127.0.0.1:9325 (--metrics): the address is in use; stop what listens " +
      "there, or set another port in --metrics",
  );
  assert.equal(
    bindError(new Deno.errors.AddrNotAvailable("x"), where).message,
    "Cannot listen on 127.0.0.1:9325 (--metrics): it is not an address of this machine; set an " +
      "address of this machine (or 0.0.0.0) in --metrics",
  );
  assert.equal(
    bindError(new Error("failed to lookup address information: Name or service not known"), where)
      .message,
    "Cannot listen on 127.0.0.1:9325 (--metrics): failed to lookup address information: Name or " +
      "service not known; check --metrics",
  );
});
