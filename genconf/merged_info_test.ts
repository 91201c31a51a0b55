import assert from "node:assert/strict";
import { buildTarsConfig } from "./generate.ts";
import { serverInfoFromConfig } from "./merged_info.ts";
import { mergeTarsConfig, parseTarsConfig } from "../lib/tars_config.ts";
import { fakeServerInfo } from "../tests/support/server_info.ts";

const SOURCE = "Merge file /etc/merge.conf";

/** The generated App.Srv config with `merge` over it, taken back into server info. */
function merged(merge: string) {
  const generated = fakeServerInfo("/tars");
  const config = mergeTarsConfig(buildTarsConfig(generated), parseTarsConfig(merge));
  return { generated, ...serverInfoFromConfig(generated, config, { source: SOURCE }) };
}

/** A merge file with `server` and `client` lines in their sections. */
function wrap(server: string, client = ""): string {
  return [
    "<tars>",
    "<application>",
    "<client>",
    client,
    "</client>",
    "<server>",
    server,
    "</server>",
    "</application>",
    "</tars>",
  ].join("\n");
}

Deno.test("server info from the merged config", async (t) => {
  await t.step("no change: the generated info", () => {
    const { generated, info, warnings } = merged("");
    assert.deepEqual(info, generated);
    assert.deepEqual(warnings, []);
  });

  await t.step("a moved endpoint and local, a new adapter, merged values", () => {
    const { info, warnings } = merged(wrap(
      [
        "local=tcp -h 127.0.0.1 -p 24000 -t 3000",
        "<App.Srv.MainObjAdapter>\nendpoint=tcp -h 10.0.0.3 -p 24001 -t 30000\nthreads=8\n" +
        "</App.Srv.MainObjAdapter>",
        "<App.Srv.ExtraObjAdapter>\nendpoint=tcp -h 0.0.0.0 -p 24002\nservant=App.Srv.ExtraObj\n" +
        "</App.Srv.ExtraObjAdapter>",
        "logLevel=WARN",
      ].join("\n"),
      "sync-invoke-timeout=9000",
    ));
    assert.equal(info.local, "tcp -h 127.0.0.1 -p 24000 -t 3000");
    assert.deepEqual(info.adapters.map((a) => [a.object, a.endpoint, a.threads]), [
      ["MainObj", "tcp -h 10.0.0.3 -p 24001 -t 30000", 8],
      ["ExtraObj", "tcp -h 0.0.0.0 -p 24002", 5],
    ]);
    assert.equal(info.adapters[1].servant, "App.Srv.ExtraObj");
    assert.equal(info.adapters[1].adapter, "App.Srv.ExtraObjAdapter");
    assert.equal(info.logLevel, "WARN");
    assert.equal(info.syncInvokeTimeout, 9000);
    assert.deepEqual(warnings, [
      `${SOURCE}: <server><App.Srv.ExtraObjAdapter> endpoint "tcp -h 0.0.0.0 -p 24002" is not ` +
      "on ${local_ip} (10.0.0.3); the registry gives clients that address",
    ]);
  });

  await t.step("unusable values name the merge file, the section and the key", () => {
    assert.throws(
      () => merged(wrap("", "sync-invoke-timeout=soon")),
      {
        name: "SyntaxError",
        message: `${SOURCE}: <client> sync-invoke-timeout "soon" is not a whole number; ` +
          "fix it in the merge file",
      },
    );
    assert.throws(
      () => merged(wrap("<App.Srv.XAdapter>\nendpoint=tcp -h 1.2.3.4 -p 1\n</App.Srv.XAdapter>")),
      /<server><App\.Srv\.XAdapter> has an endpoint but no servant=/,
    );
    assert.throws(
      () => merged(wrap("<App.Srv.MainObjAdapter>\nendpoint=tcp -p x\n</App.Srv.MainObjAdapter>")),
      /<server><App\.Srv\.MainObjAdapter> endpoint .*; fix it in the merge file/,
    );
    assert.throws(() => merged(wrap("local=nonsense")), /<server> local /);
  });
});
