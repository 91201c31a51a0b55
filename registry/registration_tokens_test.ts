import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { MAX_TOKEN_LENGTH, RegistrationTokens } from "./registration_tokens.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

function parse(text: string) {
  return RegistrationTokens.parse(text, { source: "/etc/tokens" });
}

Deno.test("registration tokens: the file's lines", async (t) => {
  await t.step("names, several tokens of a name, sha256 entries, comments", () => {
    const { tokens, problems } = parse(
      [
        "# who may register as what",
        "",
        "Victim          old-token",
        "Victim\tnew-token   ",
        `Victim.Pay sha256:${sha256("pay-token").toUpperCase()}`,
        "  Other  other-token\r",
      ].join("\n"),
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(tokens.size, { names: 3, tokens: 4 });
    assert.equal(tokens.empty, false);
  });

  await t.step("a server's own lines count for it, else its application's", () => {
    const { tokens } = parse(`Victim app-token\nVictim.Pay pay-token\n`);
    assert.equal(tokens.governing("Victim", "Pay"), "Victim.Pay");
    assert.equal(tokens.governing("Victim", "Refund"), "Victim");
    assert.equal(tokens.governing("Evil", "X"), undefined);
    assert.equal(tokens.verify("Victim", "Pay", "pay-token"), "valid");
    assert.equal(tokens.verify("Victim", "Pay", "app-token"), "wrong", "the server's own only");
    assert.equal(tokens.verify("Victim", "Refund", "app-token"), "valid");
    assert.equal(tokens.verify("Victim", "Refund", "pay-token"), "wrong");
    assert.equal(tokens.verify("Evil", "X", undefined), "none");
    assert.equal(tokens.verify("Evil", "X", "anything"), "none");
  });

  await t.step("missing, wrong, right, rotated, a sha256 entry", () => {
    const { tokens } = parse(
      `Victim old-token\nVictim new-token\nHashed sha256:${sha256("hashed-token")}\n`,
    );
    assert.equal(tokens.verify("Victim", "Pay", undefined), "missing");
    assert.equal(tokens.verify("Victim", "Pay", ""), "missing");
    assert.equal(tokens.verify("Victim", "Pay", "new-token "), "wrong");
    assert.equal(tokens.verify("Victim", "Pay", "new-toke"), "wrong");
    assert.equal(tokens.verify("Victim", "Pay", "old-token"), "valid");
    assert.equal(tokens.verify("Victim", "Pay", "new-token"), "valid");
    assert.equal(tokens.verify("Hashed", "S", "hashed-token"), "valid");
    assert.equal(tokens.verify("Hashed", "S", `sha256:${sha256("hashed-token")}`), "wrong");
    assert.equal(tokens.verify("Victim", "Pay", "x".repeat(MAX_TOKEN_LENGTH + 1)), "wrong");
  });

  await t.step("no file, or one of comments only: no name has tokens", () => {
    assert.equal(RegistrationTokens.NONE.empty, true);
    assert.equal(RegistrationTokens.NONE.verify("A", "B", "t"), "none");
    assert.equal(parse("# nothing yet\n\n").tokens.empty, true);
  });
});

Deno.test("registration tokens: a bad line is named and ignored, and never quoted", async (t) => {
  const secret = "s3cret-value";
  const { tokens, problems } = parse(
    [
      "Good good-token",
      `${secret}`,
      `Victim.Pay ${secret} extra`,
      `Bad.Name.Here ${secret}`,
      `Mistyped sha256:${secret}`,
      `Long ${"y".repeat(MAX_TOKEN_LENGTH + 1)}`,
      "Good other-token",
    ].join("\n"),
  );

  await t.step("each problem names the file and the line", () => {
    assert.deepEqual(problems, [
      "/etc/tokens:2: expected NAME TOKEN (two fields separated by spaces), found 1 fields; " +
      "the line is ignored",
      "/etc/tokens:3: expected NAME TOKEN (two fields separated by spaces), found 3 fields; " +
      "the line is ignored",
      "/etc/tokens:4: the name is not an application or application.server (a name without " +
      "spaces or control characters, at most one dot); the line is ignored",
      "/etc/tokens:5: a sha256: token must be followed by 64 hexadecimal digits (the SHA-256 of " +
      "the token, as sha256sum prints it); the line is ignored, and Mistyped takes no token " +
      "from it (its other lines still count)",
      `/etc/tokens:6: the token is longer than ${MAX_TOKEN_LENGTH} characters; the line is ` +
      "ignored, and Long takes no token from it (its other lines still count)",
    ]);
    assert.ok(problems.every((p) => !p.includes(secret)));
  });

  await t.step("the good lines count", () => {
    assert.equal(tokens.verify("Good", "S", "good-token"), "valid");
    assert.equal(tokens.verify("Good", "S", "other-token"), "valid");
  });

  await t.step("a good name with a bad token is closed, not opened", () => {
    assert.equal(tokens.verify("Mistyped", "S", undefined), "missing");
    assert.equal(tokens.verify("Mistyped", "S", secret), "wrong");
    assert.equal(tokens.verify("Long", "S", "y"), "wrong");
  });

  await t.step("a line whose name is bad gives no name tokens", () => {
    assert.equal(tokens.verify("Victim", "Pay", secret), "none");
    assert.equal(tokens.governing("Bad", "Name"), undefined);
  });
});

Deno.test("registration tokens: any of a name's tokens is valid, first, last or between", () => {
  const lines = Array.from({ length: 5 }, (_, i) => `App token-${i}`).join("\n");
  const { tokens } = parse(lines);
  for (let i = 0; i < 5; i++) assert.equal(tokens.verify("App", "S", `token-${i}`), "valid");
  assert.equal(tokens.verify("App", "S", "token-5"), "wrong");
});
