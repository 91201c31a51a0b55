import assert from "node:assert/strict";

Deno.test("bench: a quick run measures every case and prints the tables", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("./main.ts", import.meta.url).pathname, "--quick"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  for (
    const heading of [
      "## Codec",
      "## RPC server",
      "## RPC client",
      "## Lookups by IDC group",
      "## Lifecycle: readiness probe CPU, HTTP against exec",
      "## Lifecycle: supervisor idle",
    ]
  ) {
    assert.ok(text.includes(heading), `${heading} is missing from:\n${text}`);
  }
  assert.doesNotMatch(text, /NaN|Infinity|\| 0 \|/);
});
