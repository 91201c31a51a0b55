import assert from "node:assert/strict";
import * as node from "node:path";
import { basename, dirname, isAbsolute, join, normalize } from "./posix_path.ts";

/** Paths with every shape the helpers treat apart: roots, dots, repeated and trailing slashes. */
const PATHS = [
  "",
  ".",
  "..",
  "/",
  "//",
  "///",
  "a",
  "a/",
  "a//b",
  "/a/b/",
  "./a",
  "../a",
  "a/..",
  "a/../",
  "a/../..",
  "/..",
  "/../a",
  "a/./b/../c",
  "//a",
  "//a/b",
  "/a//",
  ".a",
  "a.b/.c",
  "...",
  "./",
  "../",
  "/a/b/..",
  "a/b/../",
  "/tars/conf/Srv.conf",
];

Deno.test("posix path helpers give what node:path gives", async (t) => {
  await t.step("normalize, dirname, basename, isAbsolute", () => {
    for (const path of PATHS) {
      assert.equal(normalize(path), node.normalize(path), `normalize(${JSON.stringify(path)})`);
      assert.equal(dirname(path), node.dirname(path), `dirname(${JSON.stringify(path)})`);
      assert.equal(basename(path), node.basename(path), `basename(${JSON.stringify(path)})`);
      assert.equal(isAbsolute(path), node.isAbsolute(path), `isAbsolute(${JSON.stringify(path)})`);
    }
  });

  await t.step("join of every pair and a third segment", () => {
    for (const a of PATHS) {
      for (const b of PATHS) {
        for (const c of ["", "x", "../y", "/z", "start.sh"]) {
          assert.equal(join(a, b, c), node.join(a, b, c), JSON.stringify([a, b, c]));
        }
      }
    }
    assert.equal(join(), node.join());
  });
});
