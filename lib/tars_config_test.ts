import assert from "node:assert/strict";
import {
  configComment,
  configSection,
  configValue,
  mergeTarsConfig,
  parseTarsConfig,
  printTarsConfig,
} from "./tars_config.ts";

function merged(base: string, overlay: string): string {
  return printTarsConfig(mergeTarsConfig(parseTarsConfig(base), parseTarsConfig(overlay)));
}

Deno.test("parseTarsConfig", async (t) => {
  await t.step("sections, values, bare keys and comments", () => {
    const root = parseTarsConfig(
      "# top\n<tars>\n  <server>\n\tallow\n    app = App\n  url=a=b\n  empty=\n  </server>\n</tars>\n",
    );
    assert.deepEqual(
      root,
      configSection("", [
        configComment("top"),
        configSection("tars", [
          configSection("server", [
            configValue("allow", undefined),
            configValue("app", "App"),
            configValue("url", "a=b"),
            configValue("empty", ""),
          ]),
        ]),
      ]),
    );
  });

  await t.step("windows line ends and blank lines", () => {
    const root = parseTarsConfig("<a>\r\n\r\nk=v\r\n</a>\r\n");
    assert.deepEqual(root, configSection("", [configSection("a", [configValue("k", "v")])]));
  });

  await t.step("section names may hold dots", () => {
    const root = parseTarsConfig("<App.Server.ObjAdapter>\nthreads=5\n</App.Server.ObjAdapter>");
    assert.equal((root.items[0] as { name: string }).name, "App.Server.ObjAdapter");
  });

  await t.step("print then parse gives the same tree", () => {
    const text = "#c\n<tars>\n    <a>\n        allow\n        k=v\n    </a>\n    x=1\n</tars>\n";
    assert.equal(printTarsConfig(parseTarsConfig(text)), text);
  });

  await t.step("an empty file is an empty root", () => {
    assert.deepEqual(parseTarsConfig(""), configSection("", []));
    assert.equal(printTarsConfig(parseTarsConfig("\n\n")), "");
  });

  await t.step("mismatched tag names both tags and lines", () => {
    assert.throws(() => parseTarsConfig("<a>\n<b>\nk=v\n</a>\n", { source: "m.conf" }), {
      name: "SyntaxError",
      message: "m.conf line 4: </a> does not match <b> opened on line 2; close <b> first",
    });
  });

  await t.step("a section never closed names its line", () => {
    assert.throws(() => parseTarsConfig("<a>\n<b>\n</b>\n"), {
      name: "SyntaxError",
      message: "TARS config line 1: <a> is never closed; add </a>",
    });
  });

  await t.step("a closing tag without an opening one", () => {
    assert.throws(() => parseTarsConfig("k=v\n</a>\n"), {
      name: "SyntaxError",
      message: "TARS config line 2: </a> closes a section that was never opened",
    });
  });

  await t.step("half a tag", () => {
    assert.throws(() => parseTarsConfig("<a\n"), {
      name: "SyntaxError",
      message:
        'TARS config line 1: "<a" is not a tag; write <name> to open a section, </name> to close it',
    });
    assert.throws(() => parseTarsConfig("<>\n"), { message: /line 1: "<>" is not a tag/ });
  });

  await t.step("a line with no key", () => {
    assert.throws(() => parseTarsConfig("<a>\n = v\n</a>"), {
      name: "SyntaxError",
      message: 'TARS config line 2: "= v" has no key before "="',
    });
  });
});

Deno.test("mergeTarsConfig", async (t) => {
  const base =
    "<tars>\n<server>\napp=App\nallow\nthreads=5\n</server>\n<client>\nlocator=L\n</client>\n</tars>\n";

  await t.step("merge-file values win and keep their place", () => {
    assert.equal(
      merged(base, "<tars>\n<server>\nthreads=10\n</server>\n</tars>"),
      "<tars>\n    <server>\n        app=App\n        allow\n        threads=10\n    </server>\n" +
        "    <client>\n        locator=L\n    </client>\n</tars>\n",
    );
  });

  await t.step("new keys follow in the merge file's order", () => {
    assert.equal(
      merged(base, "<tars>\n<client>\nz=1\nlocator=M\na=2\n</client>\n</tars>"),
      "<tars>\n    <server>\n        app=App\n        allow\n        threads=5\n    </server>\n" +
        "    <client>\n        locator=M\n        z=1\n        a=2\n    </client>\n</tars>\n",
    );
  });

  await t.step("new sections are added, nested ones too", () => {
    assert.equal(
      merged(
        base,
        "<tars>\n<server>\n<Extra.Adapter>\nk=v\n</Extra.Adapter>\n</server>\n<log>\nlevel=INFO\n</log>\n</tars>",
      ),
      "<tars>\n    <server>\n        app=App\n        allow\n        threads=5\n" +
        "        <Extra.Adapter>\n            k=v\n        </Extra.Adapter>\n    </server>\n" +
        "    <client>\n        locator=L\n    </client>\n    <log>\n        level=INFO\n    </log>\n</tars>\n",
    );
  });

  await t.step("bare keys: a value replaces a bare key, a bare key replaces a value", () => {
    const out = merged(
      base,
      "<tars>\n<server>\nallow=10.0.0.0/8\napp\nnewbare\n</server>\n</tars>",
    );
    assert.match(out, /^ {8}app\n {8}allow=10\.0\.0\.0\/8\n {8}threads=5\n {8}newbare\n/m);
  });

  await t.step("comments: base comments stay, a comment before an added item comes along", () => {
    const withComments =
      "<tars>\n# about server\n<server>\n# app name\napp=App\n</server>\n</tars>\n";
    assert.equal(
      merged(
        withComments,
        "# file header\n<tars>\n<server>\n# dropped: overrides\napp=B\n# keeps: new\nnew=1\n# trailing\n</server>\n</tars>",
      ),
      "<tars>\n    # about server\n    <server>\n        # app name\n        app=B\n" +
        "        # keeps: new\n        new=1\n    </server>\n</tars>\n",
    );
  });

  await t.step("top-level sections and keys outside <tars> are added at the end", () => {
    assert.equal(
      merged("<tars>\nk=v\n</tars>", "top=1\n<other>\n</other>"),
      "<tars>\n    k=v\n</tars>\ntop=1\n<other>\n</other>\n",
    );
  });

  await t.step("a key repeated in the merge file: the last one wins", () => {
    assert.equal(
      merged("<a>\nk=1\n</a>", "<a>\nk=2\nk=3\nn=1\nn=2\n</a>"),
      "<a>\n    k=3\n    n=2\n</a>\n",
    );
  });

  await t.step("an empty merge file changes nothing", () => {
    assert.equal(merged(base, ""), printTarsConfig(parseTarsConfig(base)));
  });
});
