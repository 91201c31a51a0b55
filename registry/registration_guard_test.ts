import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { TarsCallError } from "../protocol/call_error.ts";
import { RegistryRet } from "../protocol/interfaces/registry_f.ts";
import type { CallContext } from "../protocol/server.ts";
import { parseAddressRange } from "../lib/ip_address.ts";
import { fakeClock } from "../tests/support/fake_clock.ts";
import { RegistryMetrics } from "./metrics.ts";
import { RegistrationGuard } from "./registration_guard.ts";
import { RegistrationTokens } from "./registration_tokens.ts";
import { RegistryService } from "./registry_service.ts";
import { instrument, registryServant } from "./servants.ts";
import { SqliteStore } from "./store/sqlite_store.ts";
import { callFailure } from "../tests/support/call_failure.ts";

const NODE_TIMEOUT = 250_000;
const SECRET = "pay-s3cret-token";
const ROTATED = "pay-next-token";
const HASHED = "refund-token";
const TOKENS = [
  "# Victim's servers",
  `Victim.Pay ${SECRET}`,
  `Victim.Pay ${ROTATED}`,
  `Victim sha256:${createHash("sha256").update(HASHED).digest("hex")}`,
].join("\n");

/** The Registry servant of a fresh registry, guarded by `tokens` (changeable). */
async function guarded(options: { requireTokens?: boolean; expiryProtectRate?: number } = {}) {
  const dir = await Deno.makeTempDir({ prefix: "registration_guard_test_" });
  const clock = fakeClock(Date.UTC(2026, 10, 23, 12));
  const store = await SqliteStore.open(`${dir}/registry.db`, { now: clock.now });
  const logged: string[] = [];
  const log = (line: string) => logged.push(line);
  const service = await RegistryService.open(store, {
    now: clock.now,
    log,
    nodeTimeout: NODE_TIMEOUT,
    expiryProtectRate: options.expiryProtectRate,
  });
  let tokens = RegistrationTokens.parse(TOKENS, { source: "tokens" }).tokens;
  const guard = new RegistrationGuard(service, {
    tokens: () => tokens,
    requireTokens: options.requireTokens ?? false,
    now: clock.now,
    log,
  });
  const metrics = new RegistryMetrics();
  const trust = { adminAllow: [parseAddressRange("127.0.0.1/32")], trustNodeNames: false };
  const registry = instrument(registryServant(service, { trust, guard }), { metrics, log });
  const from = (host: string) => ({ remote: { host, port: 40000 } }) as CallContext;
  return {
    service,
    registry,
    clock,
    logged,
    metrics,
    setTokens(text: string) {
      tokens = RegistrationTokens.parse(text, { source: "tokens" }).tokens;
    },
    async startup(
      nodeName: string,
      names: { application: string; server: string },
      token?: string,
    ) {
      await registry.onStartup({
        req: {
          nodeName,
          ...names,
          setID: "",
          adapters: names.application
            ? [{
              servant: `${names.application}.${names.server}.Obj`,
              endpoint: `tcp -h ${nodeName} -p 9000`,
              protocol: "tars",
              maxConns: 0,
              threadNum: 0,
              queueCap: 0,
              queueTimeout: 0,
            }]
            : [],
          disableFlow: false,
          State: "active",
          Version: "",
          serverType: "",
          processId: -1,
          tarscliVersion: "",
          nodeEndpoint: "",
          group: "",
          token: token ?? "",
        },
      }, from(nodeName));
    },
    async keepAlive(nodeName: string, names: { application: string; server: string }) {
      await registry.keepAlive({
        req: { nodeName, state: "active", ...names, processId: -1 },
      }, from(nodeName));
    },
    async prestop(nodeName: string, names: { application: string; server: string }) {
      await registry.onPrestop({ req: { nodeName, ...names } }, from(nodeName));
    },
    hosts(servant: string): string[] {
      return service.find(servant).activeEp.map((e) => e.host).sort();
    },
    async close() {
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

const PAY = { application: "Victim", server: "Pay" };
const REFUND = { application: "Victim", server: "Refund" };
const EVIL = { application: "Evil", server: "X" };
const NODE_ONLY = { application: "", server: "" };

/** The TarsCallError of a call that must fail with `code`. */
async function answered(call: Promise<unknown>, code: number): Promise<TarsCallError> {
  const caught = await callFailure(call);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

Deno.test("registration guard: onStartup of a server with tokens", async (t) => {
  const g = await guarded();
  try {
    await t.step("without a token: refused, saying what to set; nothing written", async () => {
      const error = await answered(g.startup("10.0.0.66", PAY), RegistryRet.REFUSED);
      assert.equal(
        error.message,
        "onStartup refused: Victim.Pay has registration tokens (the lines for Victim.Pay in the " +
          "registry's tokens file), and the request carries none; set TARS_REGISTRY_TOKEN in the " +
          "pod to one of them",
      );
      assert.deepEqual(g.hosts("Victim.Pay.Obj"), []);
      assert.equal((await g.service.counts()).nodes, 0);
    });

    await t.step("with a wrong token: refused, the token not answered back", async () => {
      const wrong = "guessed-token-123";
      const error = await answered(g.startup("10.0.0.66", PAY, wrong), RegistryRet.REFUSED);
      assert.equal(
        error.message,
        "onStartup refused: the registration token is not one of Victim.Pay's, which the " +
          "registry's tokens file lists for Victim.Pay; set TARS_REGISTRY_TOKEN in the pod to " +
          "one of them",
      );
      // An application's token does not open a server that has lines of its own.
      await answered(g.startup("10.0.0.66", PAY, HASHED), RegistryRet.REFUSED);
      assert.deepEqual(g.hosts("Victim.Pay.Obj"), []);
    });

    await t.step("with the right token, or the rotated one: registered", async () => {
      await g.startup("10.0.0.5", PAY, SECRET);
      await g.startup("10.0.0.6", PAY, ROTATED);
      assert.deepEqual(g.hosts("Victim.Pay.Obj"), ["10.0.0.5", "10.0.0.6"]);
    });

    await t.step("the application's sha256: entry for its other servers", async () => {
      await answered(g.startup("10.0.0.7", REFUND, SECRET), RegistryRet.REFUSED);
      await g.startup("10.0.0.7", REFUND, HASHED);
      assert.deepEqual(g.hosts("Victim.Refund.Obj"), ["10.0.0.7"]);
    });

    await t.step("a name without tokens registers as before, with or without one", async () => {
      await g.startup("10.0.0.66", EVIL);
      await g.startup("10.0.0.67", EVIL, "whatever");
      await g.startup("10.0.0.68", NODE_ONLY);
      assert.deepEqual(g.hosts("Evil.X.Obj"), ["10.0.0.66", "10.0.0.67"]);
    });

    await t.step("the tokens file read again: the new lines count at once", async () => {
      g.setTokens(`Victim.Pay ${ROTATED}\nEvil fresh-evil-token\n`);
      await answered(g.startup("10.0.0.5", PAY, SECRET), RegistryRet.REFUSED);
      await g.startup("10.0.0.5", PAY, ROTATED);
      await answered(g.startup("10.0.0.66", EVIL), RegistryRet.REFUSED);
      await g.startup("10.0.0.66", EVIL, "fresh-evil-token");
      g.setTokens(TOKENS);
    });

    await t.step("nothing of a token in the log or the metrics", () => {
      const text = [...g.logged, g.metrics.render(g.service.gauges())].join("\n");
      for (const token of [SECRET, ROTATED, HASHED, "guessed-token-123", "fresh-evil-token"]) {
        assert.ok(!text.includes(token), `${token} in:\n${text}`);
      }
      assert.ok(g.metrics.calls("onStartup") > 0);
    });
  } finally {
    await g.close();
  }
});

Deno.test("registration guard: --require-tokens", async (t) => {
  const g = await guarded({ requireTokens: true });
  try {
    await t.step("a server without lines is refused, saying which line to add", async () => {
      const error = await answered(g.startup("10.0.0.66", EVIL), RegistryRet.REFUSED);
      assert.equal(
        error.message,
        "onStartup refused: the registry runs with --require-tokens, and its tokens file has " +
          'no line for Evil.X or Evil; add a line "Evil TOKEN" (or "Evil.X TOKEN") to it, and ' +
          "set TARS_REGISTRY_TOKEN in the pod to that token",
      );
    });

    await t.step("so is the node-only form", async () => {
      const error = await answered(g.startup("10.0.0.66", NODE_ONLY), RegistryRet.REFUSED);
      assert.match(error.message, /--require-tokens, and a registration of the node alone/);
      assert.equal((await g.service.counts()).nodes, 0);
    });

    await t.step("a server with lines registers with its token", async () => {
      await g.startup("10.0.0.5", PAY, SECRET);
      assert.deepEqual(g.hosts("Victim.Pay.Obj"), ["10.0.0.5"]);
    });
  } finally {
    await g.close();
  }
});

Deno.test("registration guard: keepAlive and onPrestop of a server with tokens", async (t) => {
  const g = await guarded();
  const notRegistered = (call: string, node: string) =>
    `${call}: Victim.Pay on ${node} is not registered here, or its registration expired (no ` +
    "heartbeat for --node-timeout, 250 s): a server with registration tokens is renewed or " +
    "removed only while its registration lasts; call onStartup with its token";
  try {
    await g.startup("10.0.0.5", PAY, SECRET);

    await t.step("its registration lasts: renewed", async () => {
      g.clock.advance(NODE_TIMEOUT - 1000);
      await g.keepAlive("10.0.0.5", PAY);
      g.clock.advance(NODE_TIMEOUT - 1000);
      await g.keepAlive("10.0.0.5", PAY);
      assert.deepEqual(g.hosts("Victim.Pay.Obj"), ["10.0.0.5"]);
    });

    await t.step("a foreign one (another node's): not registered, nothing written", async () => {
      await g.startup("10.0.0.66", EVIL);
      const beat = await answered(g.keepAlive("10.0.0.66", PAY), RegistryRet.NOT_REGISTERED);
      assert.equal(beat.message, notRegistered("keepAlive", "10.0.0.66"));
      const leave = await answered(g.prestop("10.0.0.66", PAY), RegistryRet.NOT_REGISTERED);
      assert.equal(leave.message, notRegistered("onPrestop", "10.0.0.66"));
      assert.deepEqual(g.hosts("Victim.Pay.Obj"), ["10.0.0.5"]);
      assert.deepEqual(g.hosts("Evil.X.Obj"), ["10.0.0.66"]);
    });

    await t.step("an expired one: not renewed, not removed", async () => {
      g.clock.advance(NODE_TIMEOUT + 1000);
      await answered(g.keepAlive("10.0.0.5", PAY), RegistryRet.NOT_REGISTERED);
      await answered(g.prestop("10.0.0.5", PAY), RegistryRet.NOT_REGISTERED);
      assert.deepEqual(g.hosts("Victim.Pay.Obj"), []);
      assert.equal(g.service.server({ nodeName: "10.0.0.5", ...PAY })?.active, false);
      assert.ok(g.service.server({ nodeName: "10.0.0.5", ...PAY }), "still stored");
    });

    await t.step("registered again with its token, it lasts and leaves", async () => {
      await g.startup("10.0.0.5", PAY, ROTATED);
      await g.keepAlive("10.0.0.5", PAY);
      await g.prestop("10.0.0.5", PAY);
      assert.equal(g.service.server({ nodeName: "10.0.0.5", ...PAY }), undefined);
      assert.deepEqual(g.logged, []);
    });
  } finally {
    await g.close();
  }
});

Deno.test("registration guard: an address taken by another pod revives nothing", async (t) => {
  const g = await guarded();
  try {
    // Victim.Pay's pod dies without its preStop; much later its address goes to another pod.
    await g.startup("10.0.0.5", PAY, SECRET);
    g.clock.advance(NODE_TIMEOUT + 60_000);

    await t.step(
      "the new pod's own registration ends the expired one with tokens first",
      async () => {
        await g.startup("10.0.0.5", EVIL);
        assert.equal(g.service.server({ nodeName: "10.0.0.5", ...PAY }), undefined);
        assert.deepEqual(g.logged, [
          "Ended the expired registration of Victim.Pay on 10.0.0.5 (no heartbeat for 310 s): " +
          "its address registers again, and a server with registration tokens comes back only " +
          "by its own onStartup with a token",
        ]);
        const beat = await answered(g.keepAlive("10.0.0.5", PAY), RegistryRet.NOT_REGISTERED);
        assert.match(beat.message, /call onStartup with its token/);
        assert.deepEqual(g.hosts("Victim.Pay.Obj"), []);
        assert.deepEqual(g.hosts("Evil.X.Obj"), ["10.0.0.5"]);
      },
    );

    await t.step("so does a heartbeat of another server, or of the node alone", async () => {
      for (
        const renew of [
          () => g.keepAlive("10.0.0.5", EVIL),
          () => g.keepAlive("10.0.0.5", NODE_ONLY),
        ]
      ) {
        await g.startup("10.0.0.5", PAY, SECRET);
        g.clock.advance(NODE_TIMEOUT + 1000);
        await renew();
        assert.equal(g.service.server({ nodeName: "10.0.0.5", ...PAY }), undefined);
        await answered(g.keepAlive("10.0.0.5", PAY), RegistryRet.NOT_REGISTERED);
      }
    });

    await t.step("a server registering with its token keeps its own registration", async () => {
      await g.startup("10.0.0.5", PAY, SECRET);
      await g.startup("10.0.0.5", REFUND, HASHED);
      g.clock.advance(NODE_TIMEOUT + 1000);
      g.logged.length = 0;
      await g.startup("10.0.0.5", PAY, SECRET);
      assert.deepEqual(g.logged.map((l) => l.split(" (")[0]), [
        "Ended the expired registration of Victim.Refund on 10.0.0.5",
      ]);
      assert.deepEqual(g.hosts("Victim.Pay.Obj"), ["10.0.0.5"]);
    });

    await t.step("within --node-timeout the node's servers are left alone", async () => {
      await g.startup("10.0.0.5", REFUND, HASHED);
      g.clock.advance(NODE_TIMEOUT - 1000);
      g.logged.length = 0;
      await g.keepAlive("10.0.0.5", EVIL);
      await g.keepAlive("10.0.0.5", REFUND);
      assert.deepEqual(g.logged, []);
      assert.deepEqual(g.hosts("Victim.Refund.Obj"), ["10.0.0.5"]);
    });
  } finally {
    await g.close();
  }
});

Deno.test("registration guard: what self-preservation holds has not expired", async () => {
  const g = await guarded({ expiryProtectRate: 0.3 });
  try {
    // Every pod's heartbeats stop at once (the registry cut off from them, say).
    await g.startup("10.0.0.5", PAY, SECRET);
    await g.startup("10.0.0.5", REFUND, HASHED);
    await g.startup("10.0.0.6", PAY, ROTATED);
    g.clock.advance(NODE_TIMEOUT + 60_000);
    await g.service.refresh();
    assert.equal(g.service.selfPreservation.holding, true);
    g.logged.length = 0;
    // Its heartbeat, when it comes back, renews the registration: no "not registered".
    await g.keepAlive("10.0.0.5", PAY);
    // Another server's call on a held node ends none of its registrations with tokens.
    await g.startup("10.0.0.6", EVIL);
    assert.deepEqual(g.logged, []);
    assert.deepEqual(g.hosts("Victim.Pay.Obj"), ["10.0.0.5", "10.0.0.6"]);
    assert.deepEqual(g.hosts("Victim.Refund.Obj"), ["10.0.0.5"]);
  } finally {
    await g.close();
  }
});

Deno.test("registration guard: servers without tokens heartbeat as before", async () => {
  const g = await guarded();
  try {
    await g.startup("10.0.0.66", EVIL);
    g.clock.advance(NODE_TIMEOUT + 1000);
    // The original Go tarscli's node-only heartbeat, and a named one, bring an expired pod back.
    await g.keepAlive("10.0.0.66", NODE_ONLY);
    assert.deepEqual(g.hosts("Evil.X.Obj"), ["10.0.0.66"]);
    g.clock.advance(NODE_TIMEOUT + 1000);
    await g.keepAlive("10.0.0.66", EVIL);
    assert.deepEqual(g.hosts("Evil.X.Obj"), ["10.0.0.66"]);
    await g.prestop("10.0.0.66", NODE_ONLY);
    assert.deepEqual(g.hosts("Evil.X.Obj"), []);
  } finally {
    await g.close();
  }
});
