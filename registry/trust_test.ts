import assert from "node:assert/strict";
import { parseAddressRange } from "../lib/ip_address.ts";
import { TarsCallError } from "../protocol/call_error.ts";
import { RegistryRet } from "../protocol/interfaces/registry_f.ts";
import { assertAdminPeer, assertSpeaksFor, isAdminPeer, type TrustPolicy } from "./trust.ts";

const policy: TrustPolicy = {
  adminAllow: ["127.0.0.1/32", "::1/128", "10.9.0.0/16"].map(parseAddressRange),
  trustNodeNames: false,
};

function refusal(fn: () => void): TarsCallError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TarsCallError, String(error));
    assert.equal(error.code, RegistryRet.REFUSED);
    return error;
  }
  assert.fail("not refused");
}

Deno.test("trust: who may change what", async (t) => {
  await t.step("admin peers are the --admin-allow ranges, IPv4-mapped included", () => {
    assert.ok(isAdminPeer("127.0.0.1", policy));
    assert.ok(isAdminPeer("::1", policy));
    assert.ok(isAdminPeer("::ffff:10.9.3.4", policy));
    assert.ok(!isAdminPeer("127.0.0.66", policy));
    assert.ok(!isAdminPeer("10.8.0.1", policy));
  });

  await t.step("admin writes: refused elsewhere, naming the flag and the ranges", () => {
    assertAdminPeer("10.9.0.7", { policy, action: "clean" });
    const error = refusal(() => assertAdminPeer("127.0.0.66", { policy, action: "shutdown" }));
    assert.match(
      error.message,
      /^shutdown refused: 127\.0\.0\.66 is not in --admin-allow \(127\.0\.0\.1\/32,::1\/128,10\.9\.0\.0\/16\)/,
    );
    assert.match(error.message, /add the caller's address to --admin-allow/);
  });

  await t.step("a pod speaks for its own address and endpoints on it", () => {
    assertSpeaksFor("10.1.0.5", {
      policy,
      call: "onStartup",
      nodeName: "10.1.0.5",
      endpoints: ["tcp -h 10.1.0.5 -p 9000", "tcp -h 10.1.0.5 -p 9001 -t 60000"],
    });
    assertSpeaksFor("::ffff:10.1.0.5", { policy, call: "keepAlive", nodeName: "10.1.0.5" });
  });

  await t.step("not for another node, nor with an endpoint elsewhere", () => {
    const other = refusal(() =>
      assertSpeaksFor("10.1.0.5", { policy, call: "onPrestop", nodeName: "10.1.0.6" })
    );
    assert.match(
      other.message,
      /^onPrestop refused: 10\.1\.0\.5 may speak only for its own node, not for "10\.1\.0\.6"/,
    );
    assert.match(other.message, /--admin-allow .* --trust-node-names/);
    const hijack = refusal(() =>
      assertSpeaksFor("10.1.0.5", {
        policy,
        call: "onStartup",
        nodeName: "10.1.0.5",
        endpoints: ["tcp -h 10.1.0.5 -p 9000", "tcp -h 10.2.0.1 -p 80"],
      })
    );
    assert.match(
      hijack.message,
      /^onStartup refused: the endpoint "tcp -h 10\.2\.0\.1 -p 80" is not on 10\.1\.0\.5/,
    );
  });

  await t.step("admin peers and --trust-node-names speak for anyone", () => {
    assertSpeaksFor("127.0.0.1", {
      policy,
      call: "onStartup",
      nodeName: "10.1.0.6",
      endpoints: ["tcp -h 10.1.0.6 -p 1"],
    });
    const trusting = { ...policy, trustNodeNames: true };
    assertSpeaksFor("10.1.0.5", {
      policy: trusting,
      call: "onStartup",
      nodeName: "10.1.0.6",
      endpoints: ["tcp -h 10.1.0.6 -p 1"],
    });
    // The admin writes stay with --admin-allow.
    refusal(() => assertAdminPeer("10.1.0.5", { policy: trusting, action: "clean" }));
  });
});
