import assert from "node:assert/strict";
import {
  canonicalAddress,
  inAddressRange,
  isIpAddress,
  parseAddressRange,
  parseIpAddress,
  sameAddress,
} from "./ip_address.ts";

Deno.test("IP addresses and address ranges", async (t) => {
  await t.step("IPv4, IPv6 and IPv4-mapped addresses parse; other text does not", () => {
    assert.deepEqual(parseIpAddress("10.1.2.3"), [10, 1, 2, 3]);
    assert.deepEqual(parseIpAddress("::1"), [...Array(15).fill(0), 1]);
    assert.deepEqual(parseIpAddress("[fe80::1%eth0]")?.slice(0, 2), [0xfe, 0x80]);
    assert.deepEqual(parseIpAddress("::ffff:10.0.0.7"), [10, 0, 0, 7]);
    assert.deepEqual(parseIpAddress("1:2:3:4:5:6:7:8")?.length, 16);
    for (
      const bad of ["", "10.1.2", "10.1.2.256", "a.b.c.d", "1::2::3", "1:2:3:4:5:6:7:8:9", "x"]
    ) {
      assert.equal(parseIpAddress(bad), undefined, bad);
    }
  });

  await t.step("an address as written: no brackets, zones or host names", () => {
    for (const ip of ["10.0.0.5", "::1", "fd00::5", "2001:db8::1:2", "::ffff:10.0.0.1"]) {
      assert.ok(isIpAddress(ip), ip);
    }
    for (const bad of ["[::1]", "fe80::1%eth0", "pod-1.example", "fd00::5::1", "10.0.0"]) {
      assert.ok(!isIpAddress(bad), bad);
    }
  });

  await t.step("the same address in other spellings compares equal", () => {
    assert.ok(sameAddress("::1", "0:0:0:0:0:0:0:1"));
    assert.ok(sameAddress("::ffff:127.0.0.66", "127.0.0.66"));
    assert.ok(!sameAddress("127.0.0.66", "127.0.0.6"));
    assert.ok(sameAddress("pod-a", "pod-a"));
    assert.equal(canonicalAddress("::ffff:10.0.0.1"), "10.0.0.1");
    assert.equal(canonicalAddress("FE80::1"), "fe80::1");
  });

  await t.step("ranges match by prefix, never across families", () => {
    const lan = parseAddressRange("10.0.0.0/8");
    assert.ok(inAddressRange("10.200.3.4", lan));
    assert.ok(!inAddressRange("11.0.0.1", lan));
    assert.ok(!inAddressRange("::ffff:11.0.0.1", lan));
    assert.ok(inAddressRange("::ffff:10.0.0.1", lan));
    const odd = parseAddressRange("192.168.1.128/25");
    assert.ok(inAddressRange("192.168.1.200", odd));
    assert.ok(!inAddressRange("192.168.1.127", odd));
    const loop6 = parseAddressRange("::1/128");
    assert.ok(inAddressRange("::1", loop6));
    assert.ok(!inAddressRange("127.0.0.1", loop6));
    assert.ok(inAddressRange("1.2.3.4", parseAddressRange("0.0.0.0/0")));
    assert.ok(inAddressRange("127.0.0.66", parseAddressRange("127.0.0.66")));
    assert.ok(!inAddressRange("not-an-ip", lan));
  });

  await t.step("bad ranges say how to write one", () => {
    assert.throws(() => parseAddressRange("10.0.0.0/33"), /prefix length .* 0 to 32/);
    assert.throws(() => parseAddressRange("ten/8"), /not an address range: write e\.g\./);
    assert.throws(() => parseAddressRange("10.0.0.0/8/8"), /not an address range/);
  });
});
