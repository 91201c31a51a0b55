import assert from "node:assert/strict";
import {
  META_REFERENCE_BEGIN,
  META_REFERENCE_END,
  renderMetaReference,
} from "../genconf/meta_reference.ts";
import {
  FLAGS_BEGIN,
  FLAGS_END,
  REFERENCE_BEGIN,
  REFERENCE_END,
  renderCommandReference,
  renderFlagReference,
} from "./command_reference.ts";

const README = new URL("../README.md", import.meta.url);

/** The part of README.md from `begin` to the end of `end`. */
async function section(begin: string, end: string): Promise<string> {
  const readme = await Deno.readTextFile(README);
  const start = readme.indexOf(begin);
  const stop = readme.indexOf(end);
  assert.ok(start >= 0 && stop > start, `README.md lacks the markers ${begin} … ${end}`);
  return readme.slice(start, stop + end.length);
}

const OUT_OF_DATE =
  "README.md is out of date: run deno run cli/command_reference.ts and paste its output";

Deno.test("README's command reference equals the table tarscli help prints", async () => {
  assert.equal(
    await section(REFERENCE_BEGIN, REFERENCE_END),
    renderCommandReference(),
    OUT_OF_DATE,
  );
});

Deno.test("README's registry flags equal the table tarsregistry --help prints", async () => {
  assert.equal(await section(FLAGS_BEGIN, FLAGS_END), renderFlagReference(), OUT_OF_DATE);
});

Deno.test("README's _server_meta.yaml reference equals the table genconf parses with", async () => {
  assert.equal(
    await section(META_REFERENCE_BEGIN, META_REFERENCE_END),
    renderMetaReference(),
    OUT_OF_DATE,
  );
});
