import assert from "node:assert/strict";
import { foreignServantLines, isOwnServant, LISTED_FOREIGN_SERVANTS } from "./own_servants.ts";
import { RegistryService } from "./registry_service.ts";
import { SqliteStore } from "./store/sqlite_store.ts";
import { type StartupRequest, startupRows, ValidationError } from "./validate.ts";
import { fakeClock } from "../tests/support/fake_clock.ts";

function registration(
  nodeName: string,
  names: { application: string; server: string; servant: string },
): StartupRequest {
  return {
    nodeName,
    application: names.application,
    server: names.server,
    adapters: [{ servant: names.servant, endpoint: `tcp -h ${nodeName} -p 9000` }],
    state: "active",
  };
}

Deno.test("own servants: the rule", () => {
  assert.ok(isOwnServant("Victim.Pay.Obj", "Victim.Pay"));
  assert.ok(!isOwnServant("Victim.Pay.Obj", "Evil.X"));
  assert.ok(!isOwnServant("Victim.Pay.Obj", "Victim.PayX"));
  assert.ok(!isOwnServant("Victim.PayX.Obj", "Victim.Pay"));
  assert.ok(!isOwnServant("Victim.Pay.", "Victim.Pay"));
  assert.ok(!isOwnServant("Victim.Pay.A.B", "Victim.Pay"));
  assert.ok(!isOwnServant("victim.pay.Obj", "Victim.Pay"), "names are case-sensitive, as TARS's");
});

Deno.test("own servants: onStartup refuses another server's servant", async (t) => {
  await t.step("another application's, or another server's of the same one", () => {
    for (
      const [application, server] of [["Evil", "X"], ["Victim", "Other"]] as const
    ) {
      assert.throws(
        () =>
          startupRows(
            registration("10.0.0.66", { application, server, servant: "Victim.Pay.Obj" }),
          ),
        (error) => {
          assert.ok(error instanceof ValidationError);
          assert.equal(
            error.message,
            `Invalid adapters[0].servant "Victim.Pay.Obj": a server registers only its own ` +
              `servants, named ${application}.${server}.<name> (as TARS names every servant); ` +
              `register the servant from its own server, or name it ${application}.${server}.Obj`,
          );
          return true;
        },
      );
    }
  });

  await t.step("its own, full or bare, is accepted", () => {
    const full = startupRows(
      registration("10.0.0.5", { application: "Victim", server: "Pay", servant: "Victim.Pay.Obj" }),
    );
    const bare = startupRows(
      registration("10.0.0.5", { application: "Victim", server: "Pay", servant: "Obj" }),
    );
    assert.equal(full.server?.adapters[0].servant, "Victim.Pay.Obj");
    assert.equal(bare.server?.adapters[0].servant, "Victim.Pay.Obj");
  });

  await t.step("the second adapter is checked as the first", () => {
    const req = registration("10.0.0.5", {
      application: "Victim",
      server: "Pay",
      servant: "Victim.Pay.Obj",
    });
    req.adapters!.push({ servant: "Victim.Refund.Obj", endpoint: "tcp -h 10.0.0.5 -p 9001" });
    assert.throws(() => startupRows(req), /Invalid adapters\[1\]\.servant "Victim\.Refund\.Obj"/);
  });
});

Deno.test("own servants: registrations already stored that break the rule", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "own_servants_test_" });
  const clock = fakeClock(Date.UTC(2026, 10, 23, 12));
  const store = await SqliteStore.open(`${dir}/registry.db`, { now: clock.now });
  try {
    // Written as a registry before the rule would have: rows the validation no longer makes.
    const rows = startupRows(
      registration("10.0.0.66", { application: "Evil", server: "X", servant: "Evil.X.Obj" }),
    );
    const adapter = rows.server!.adapters[0];
    rows.server!.adapters[0] = {
      ...adapter,
      servant: "Victim.Pay.Obj",
      adapterName: "Victim.Pay.ObjAdapter",
    };
    await store.onStartup(rows);
    await store.onStartup(
      startupRows(
        registration("10.0.0.5", {
          application: "Victim",
          server: "Pay",
          servant: "Victim.Pay.Obj",
        }),
      ),
    );
    const logged: string[] = [];
    const service = await RegistryService.open(store, {
      now: clock.now,
      nodeTimeout: 250_000,
      log: (line) => logged.push(line),
    });

    await t.step("listed once when the store is loaded", () => {
      assert.deepEqual(logged, [
        "1 registered adapter(s) serve another server's servant: they are answered as before, " +
        "but onStartup now refuses such adapters, so the pods that registered them must " +
        "register their own servants (App.Server.<name>) the next time they start:",
        "  Victim.Pay.Obj registered by Evil.X on 10.0.0.66",
      ]);
    });

    await t.step("answered as before, and not listed again by lookups or reloads", async () => {
      const hosts = service.find("Victim.Pay.Obj").activeEp.map((e) => e.host).sort();
      assert.deepEqual(hosts, ["10.0.0.5", "10.0.0.66"]);
      await service.reload();
      service.find("Victim.Pay.Obj");
      assert.equal(logged.length, 2);
    });

    await t.step("its pod cannot register it again", async () => {
      await assert.rejects(
        service.onStartup(
          registration("10.0.0.66", {
            application: "Evil",
            server: "X",
            servant: "Victim.Pay.Obj",
          }),
        ),
        /a server registers only its own servants, named Evil\.X\.<name>/,
      );
    });
  } finally {
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("own servants: a long list is cut, with a count of the rest", () => {
  const found = Array.from({ length: LISTED_FOREIGN_SERVANTS + 5 }, (_, i) => ({
    application: "Evil",
    server: "X",
    nodeName: `10.0.0.${i}`,
    servant: "Victim.Pay.Obj",
  }));
  const lines = foreignServantLines(found);
  assert.equal(lines.length, 1 + LISTED_FOREIGN_SERVANTS + 1);
  assert.match(lines[0], /^105 registered adapter\(s\)/);
  assert.equal(lines.at(-1), "  and 5 more");
  assert.deepEqual(foreignServantLines([]), []);
});
