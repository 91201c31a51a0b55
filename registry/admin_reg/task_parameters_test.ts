import assert from "node:assert/strict";
import { decodeParameters, encodeParameters } from "./task_parameters.ts";

Deno.test("task parameters: stored as the framework stores them, and read back", () => {
  const parameters = new Map([
    ["patch_id", "12"],
    ["bak_flag", "0"],
    ["update_text", "a=b & 100%\r\nnext"],
  ]);
  const text = encodeParameters(parameters);
  assert.equal(text, "bak_flag=0&patch_id=12&update_text=a%3Db %26 100%25%0D%0Anext");
  assert.deepEqual(decodeParameters(text), parameters);
  assert.equal(encodeParameters(new Map()), "");
  assert.deepEqual(decodeParameters(""), new Map());
  assert.deepEqual(decodeParameters("flag&k=%41"), new Map([["flag", ""], ["k", "A"]]));
});
