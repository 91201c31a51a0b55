import assert from "node:assert/strict";
import type { ProfileTemplateRow, ServerProfileRow } from "../store/mod.ts";
import { profileTemplate, serverProfile } from "./profiles.ts";

/** Templates by name, and the servers' rows, as a store would give them. */
function store(
  templates: Record<string, ProfileTemplateRow>,
  servers: Record<string, ServerProfileRow> = {},
) {
  return {
    profileTemplate: (name: string) => Promise.resolve(templates[name]),
    serverProfile: (key: { application: string; server: string; nodeName: string }) =>
      Promise.resolve(servers[`${key.application}.${key.server}@${key.nodeName}`]),
  };
}

const TEMPLATES = {
  "tars.default": {
    parents: "tars.default",
    profile: "<tars>\n<application>\n<server>\nlogLevel=DEBUG\nlognum=10\n</server>\n" +
      "</application>\n</tars>\n",
  },
  "tars.tarsjava": {
    parents: "tars.default",
    profile: "<tars>\n<application>\n<server>\nlogLevel=INFO\n</server>\n</application>\n</tars>\n",
  },
  "tars.loop": { parents: "tars.loop.child", profile: "<tars>\nx=1\n</tars>\n" },
  "tars.loop.child": { parents: "tars.loop", profile: "<tars>\ny=2\n</tars>\n" },
  "tars.broken": { parents: "tars.default", profile: "<tars>\nx=1\n" },
};

Deno.test("profile templates: a template over its parents, the child's values winning", async () => {
  const merged = await profileTemplate(store(TEMPLATES), "tars.tarsjava");
  assert.equal(
    merged.profile,
    "<tars>\n    <application>\n        <server>\n            logLevel=INFO\n" +
      "            lognum=10\n        </server>\n    </application>\n</tars>\n",
  );
  assert.equal(merged.description, "(tars.tarsjava:OK)(tars.default:OK)");
});

Deno.test("profile templates: missing, looping and broken templates are described", async () => {
  assert.deepEqual(await profileTemplate(store(TEMPLATES), "no.such"), {
    profile: "",
    description: "(no.such:template not found)",
  });
  const loop = await profileTemplate(store(TEMPLATES), "tars.loop");
  assert.equal(loop.description, "(tars.loop:OK)(tars.loop.child:OK)");
  assert.match(loop.profile, /x=1/);
  assert.match(loop.profile, /y=2/);
  const broken = await profileTemplate(store(TEMPLATES), "tars.broken");
  assert.match(broken.description, /^\(tars\.broken:.*template tars\.broken.*\)$/);
});

Deno.test("profile templates: a server's profile is its template's with its own part", async () => {
  const servers = {
    "App.Server@10.0.0.1": {
      template: "tars.default",
      profile: "<tars>\n<application>\n<server>\nlognum=3\n</server>\n</application>\n</tars>\n",
    },
  };
  const key = { application: "App", server: "Server", nodeName: "10.0.0.1" };
  const merged = await serverProfile(store(TEMPLATES, servers), key);
  assert.ok(merged);
  assert.match(merged.profile, /logLevel=DEBUG\n\s+lognum=3\n/);
  assert.equal(merged.description, "(tars.default:OK)(App.Server_10.0.0.1:OK)");
  assert.equal(await serverProfile(store(TEMPLATES, servers), { ...key, server: "No" }), undefined);
});
