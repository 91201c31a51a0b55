import assert from "node:assert/strict";
import { NOTIFY_OBJ, NotifyLevel, ReportType, TarsClient, TarsCode } from "../protocol/mod.ts";
import { createNotifyReporter } from "./notify_reporter.ts";
import { createObjectResolver, objectCachePath } from "./object_resolver.ts";
import { startFakeTars } from "./test_fakes.ts";
import { fakeServerInfo } from "../tests/support/server_info.ts";

Deno.test("notify reporter", async (t) => {
  const fake = startFakeTars();
  const client = new TarsClient({ log: () => {} });
  const dataDir = await Deno.makeTempDir();
  const resolver = createObjectResolver({ client, locator: fake.locator, dataDir });
  const info = fakeServerInfo(dataDir, { setId: "mtt.s.1" });
  const logged: string[] = [];
  const reporter = createNotifyReporter(resolver, {
    client,
    info,
    timeout: 500,
    log: (line) => logged.push(line),
  });
  try {
    await t.step("a report is a ReportInfo about this server and node", async () => {
      await reporter.report("warn", "[warn] server down");
      await reporter.report("normal", "[notify] restart");
      await reporter.report("error", "[alarm] down, server is inactive");
      assert.deepEqual(
        fake.argsOf("NotifyF.reportNotifyInfo"),
        [
          ["[warn] server down", NotifyLevel.WARN],
          ["[notify] restart", NotifyLevel.NORMAL],
          ["[alarm] down, server is inactive", NotifyLevel.ERROR],
        ].map(([sMessage, eLevel]) => ({
          eType: ReportType.REPORT,
          sApp: "App",
          sSet: "mtt.s.1",
          sContainer: "",
          sServer: "Srv",
          sMessage,
          sThreadId: "",
          eLevel,
          sNodeName: "10.0.0.3",
        })),
      );
      assert.deepEqual(logged, []);
    });

    await t.step("no notify service: never rejects, logged once per reason", async () => {
      fake.registered.delete(NOTIFY_OBJ);
      await Deno.remove(objectCachePath(dataDir, NOTIFY_OBJ));
      const fresh = createNotifyReporter(
        createObjectResolver({ client, locator: fake.locator, dataDir }),
        { client, info, log: (line) => logged.push(line) },
      );
      for (let i = 0; i < 3; i++) await fresh.report("warn", "down");
      assert.equal(logged.length, 1);
      assert.match(
        logged[0],
        /^notify: cannot report to tars\.tarsnotify\.NotifyObj: .*no active tcp endpoints/,
      );
      fake.registered.add(NOTIFY_OBJ);
    });

    await t.step("a failing call forgets the address; a new reason is logged again", async () => {
      logged.length = 0;
      fake.failing.set("NotifyF.reportNotifyInfo", TarsCode.UNKNOWN);
      await reporter.report("warn", "a");
      await reporter.report("warn", "b");
      await assert.rejects(Deno.stat(objectCachePath(dataDir, NOTIFY_OBJ)), Deno.errors.NotFound);
      fake.failing.set("NotifyF.reportNotifyInfo", TarsCode.OVERLOAD);
      await reporter.report("warn", "c");
      assert.equal(logged.length, 2);
      assert.match(logged[0], /asked to fail/);
      fake.failing.clear();
    });

    await t.step("an empty notifyObj sends nothing", async () => {
      const before = fake.calls.length;
      const silent = createNotifyReporter(resolver, {
        client,
        info: fakeServerInfo(dataDir, { notifyObj: "" }),
        log: (line) => logged.push(line),
      });
      await silent.report("error", "x");
      assert.equal(fake.calls.length, before);
    });
  } finally {
    await client.close();
    await fake.stop();
    await Deno.remove(dataDir, { recursive: true });
  }
});
