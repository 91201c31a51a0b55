import assert from "node:assert/strict";
import { REFERENCE_BEGIN, REFERENCE_END, renderCommandReference } from "./command_reference.ts";

Deno.test("README's command reference equals the table tarscli help prints", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const start = readme.indexOf(REFERENCE_BEGIN);
  const end = readme.indexOf(REFERENCE_END);
  assert.ok(start >= 0 && end > start, "README.md lacks the generated command reference markers");
  assert.equal(
    readme.slice(start, end + REFERENCE_END.length),
    renderCommandReference(),
    "README.md is out of date: run deno run cli/command_reference.ts and paste its output",
  );
});
