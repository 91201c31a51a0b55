import assert from "node:assert/strict";
import { parseDuration } from "./duration.ts";

Deno.test("parseDuration", async (t) => {
  await t.step("single units", () => {
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("30s"), 30_000);
    assert.equal(parseDuration("2m"), 120_000);
    assert.equal(parseDuration("1h"), 3_600_000);
    assert.equal(parseDuration("1d"), 86_400_000);
    assert.equal(parseDuration("1500us"), 1.5);
    assert.equal(parseDuration("2000000ns"), 2);
  });
  await t.step("several parts and fractions", () => {
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration(" 1h2m3s4ms "), 3_723_004);
  });
  await t.step("a number without a unit is refused, but for 0 and a documented bare unit", () => {
    for (const bare of ["30", "60000", " 5 "]) {
      assert.throws(() => parseDuration(bare), {
        name: "SyntaxError",
        message: new RegExp(
          `^Duration "${bare}" has no unit: write ${bare.trim()}s for seconds or ${bare.trim()}ms for milliseconds`,
        ),
      });
    }
    assert.equal(parseDuration("0"), 0);
    assert.equal(parseDuration("60000", { bareUnit: "ms" }), 60_000);
    assert.equal(parseDuration("60", { bareUnit: "s" }), 60_000);
  });
  await t.step("bad text names the format", () => {
    for (const bad of ["", "s", "10x", "1m 30s", "-5s", "abc"]) {
      assert.throws(() => parseDuration(bad), {
        name: "SyntaxError",
        message: new RegExp(`^Bad duration ".*": write a number with a unit`),
      });
    }
  });
});
