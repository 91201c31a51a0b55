/**
 * Who may register as which service, end to end: a registry process with a registration tokens
 * file, pods of the example service (examples/simple, TestApp.Hello) run by `tarscli supervisor`
 * under the kubelet stand-in, and an attacker in the cluster at 127.0.0.66 that speaks for its own
 * address only. A pod with the right TARS_REGISTRY_TOKEN registers and serves; one with a wrong
 * token is refused and says why in its log and in its readiness probe's reason, until the file
 * (read again while the registry runs) lists its token; a registry restarted with the same file
 * keeps the pod registered; no token shows in a log, an answer or /metrics.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TarsCode } from "../protocol/call_error.ts";
import { TarsClient } from "../protocol/client.ts";
import { QueryF } from "../protocol/interfaces/query_f.ts";
import { REGISTRY_OBJ, RegistryF, RegistryRet } from "../protocol/interfaces/registry_f.ts";
import { denoNetwork } from "../protocol/transport.ts";
import { HELLO_OBJ, HelloF } from "../examples/simple/hello_f.ts";
import { type Pod, type RegistryProcess, startPod, startRegistryProcess } from "../local/mod.ts";
import { connectFrom } from "./support/bound_network.ts";
import { eventually } from "./support/eventually.ts";
import { freePort } from "./support/free_port.ts";
import { callFailure } from "./support/call_failure.ts";

/** Bound on a pod becoming ready (genconf, registration, Node start-up, a check interval). */
const READY_MS = 30_000;
const GOOD = "hello-good-token-9f2c";
const WRONG = "hello-wrong-token-7a1d";

async function activeHosts(client: TarsClient, locator: string): Promise<string[]> {
  const answer = await client.proxy(QueryF, locator).findObjectById4Any({ id: HELLO_OBJ });
  return answer.activeEp.map((e) => e.host).sort();
}

async function supervisorLog(pod: Pod): Promise<string> {
  return await Deno.readTextFile(join(pod.tarsPath, "log", "supervisor.log")).catch(() => "");
}

/** The attacker's Registry proxy: its connections leave from 127.0.0.66. */
function attacker(port: number) {
  const client = new TarsClient({
    log: () => {},
    timeout: 5000,
    network: { ...denoNetwork, connect: (target) => connectFrom("127.0.0.66", target) },
  });
  const proxy = client.proxy(RegistryF, `${REGISTRY_OBJ}@tcp -h 127.0.0.1 -p ${port} -t 5000`);
  return { client, proxy };
}

/** The message of a call that fails with `code`. */
async function refusedWith(
  call: Promise<unknown>,
  code: number,
  message: RegExp,
): Promise<string> {
  const caught = await callFailure(call);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, message);
  return caught.message;
}

Deno.test("registration tokens: pods of the example under tarscli supervisor", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "registration_tokens_e2e_" });
  const tokens = join(dir, "tokens");
  await Deno.writeTextFile(tokens, `# who may register as what\nTestApp.Hello ${GOOD}\n`);
  const port = freePort();
  const args = ["--store", `sqlite:${join(dir, "r.db")}`, "--registration-tokens", tokens];
  const client = new TarsClient({ timeout: 3000, log: () => {} });
  const pods: Pod[] = [];
  const registries: RegistryProcess[] = [];
  const answers: string[] = [];
  const metricsTexts: string[] = [];
  const metricsOf = async (r: RegistryProcess) =>
    await (await fetch(`http://127.0.0.1:${r.metricsPort}/metrics`)).text();
  const registryLog = () => registries.flatMap((r) => r.child.lines).join("\n");
  let registry = await startRegistryProcess(args, { port });
  registries.push(registry);
  const evil = attacker(port);
  try {
    const good = await startPod({
      name: "pod-good",
      podIp: "127.0.0.21",
      locator: registry.locator,
      env: { TARS_REGISTRY_TOKEN: GOOD },
    });
    pods.push(good);

    await t.step("the right token: registered, ready, and it serves calls", async () => {
      await good.waitReady(READY_MS);
      await eventually(5000, "active in the registry", async () => {
        return (await activeHosts(client, registry.locator)).includes("127.0.0.21");
      });
      const caller = new TarsClient({ locator: registry.locator, log: () => {} });
      try {
        const answer = await caller.proxy(HelloF, HELLO_OBJ).sayHello({ name: "tokens" });
        assert.deepEqual(answer, { ret: 0, greeting: "Hello tokens, from pod-good" });
      } finally {
        await caller.close();
      }
    });

    const wrong = await startPod({
      name: "pod-wrong",
      podIp: "127.0.0.22",
      locator: registry.locator,
      env: { TARS_REGISTRY_TOKEN: WRONG },
    });
    pods.push(wrong);
    const refusal =
      /The registry refused onStartup: the registration token is not one of TestApp\.Hello's, which the registry's tokens file lists for TestApp\.Hello; set TARS_REGISTRY_TOKEN in the pod to one of them/;

    await t.step("a wrong token: refused, saying why in its log and its readiness", async () => {
      await eventually(READY_MS, "the refusal in supervisor.log", async () => {
        return refusal.test(await supervisorLog(wrong));
      });
      await eventually(READY_MS, "the refusal in the readiness probe's reason", () => {
        const last = wrong.probes.at(-1);
        return last !== undefined && !last.ok &&
          /^not ready: activating \(waiting for the registry: The registry refused onStartup: the registration token is not one of TestApp\.Hello's/
            .test(last.reason);
      });
      assert.equal(wrong.ready, false);
      assert.ok(!(await activeHosts(client, registry.locator)).includes("127.0.0.22"));
    });

    await t.step("an attacker at 127.0.0.66: neither name nor servant is its own", async () => {
      const adapters = [{ servant: HELLO_OBJ, endpoint: "tcp -h 127.0.0.66 -p 9000" }];
      const as = (application: string, server: string, token?: string) =>
        evil.proxy.onStartup({
          req: { nodeName: "127.0.0.66", application, server, adapters, State: "active", token },
        });
      answers.push(
        await refusedWith(
          as("Evil", "X"),
          TarsCode.UNKNOWN,
          /Invalid adapters\[0\]\.servant "TestApp\.Hello\.HelloObj": a server registers only its own servants, named Evil\.X\.<name>/,
        ),
        await refusedWith(
          as("TestApp", "Hello"),
          RegistryRet.REFUSED,
          /TestApp\.Hello has registration tokens/,
        ),
        await refusedWith(
          as("TestApp", "Hello", WRONG),
          RegistryRet.REFUSED,
          /is not one of TestApp\.Hello's/,
        ),
        await refusedWith(
          evil.proxy.keepAlive({
            req: {
              nodeName: "127.0.0.66",
              state: "active",
              application: "TestApp",
              server: "Hello",
            },
          }),
          RegistryRet.NOT_REGISTERED,
          /TestApp\.Hello on 127\.0\.0\.66 is not registered here, or its registration expired/,
        ),
      );
      assert.deepEqual(await activeHosts(client, registry.locator), ["127.0.0.21"]);
      // Its own name and servants are its own to register.
      await evil.proxy.onStartup({
        req: {
          nodeName: "127.0.0.66",
          application: "Evil",
          server: "X",
          adapters: [{ servant: "Evil.X.Obj", endpoint: "tcp -h 127.0.0.66 -p 9000" }],
          State: "active",
        },
      });
    });

    await t.step("the file changed while running: the refused pod's token now counts", async () => {
      await Deno.writeTextFile(tokens, `TestApp.Hello ${GOOD}\nTestApp.Hello ${WRONG}\n`);
      await eventually(
        10_000,
        "the file read again",
        () => /read again \(it changed\)/.test(registryLog()),
      );
      // The pod retries with a back-off (1 s doubling to 30 s).
      await wrong.waitReady(45_000);
      await eventually(5000, "both active", async () => {
        const hosts = await activeHosts(client, registry.locator);
        return hosts.includes("127.0.0.21") && hosts.includes("127.0.0.22");
      });
    });

    await t.step("SIGHUP reads the file at once, and a bad line is named, not fatal", async () => {
      await Deno.writeTextFile(tokens, `TestApp.Hello ${GOOD}\nTestApp.Hello ${WRONG}\noops\n`);
      Deno.kill(registry.child.pid, "SIGHUP");
      await eventually(10_000, "read on SIGHUP", () => /read again \(SIGHUP\)/.test(registryLog()));
      await eventually(
        5000,
        "the bad line named",
        () => registryLog().includes(`${tokens}:3: expected NAME TOKEN`),
      );
      assert.equal(registry.child.exited, false);
    });

    await t.step("a registry restarted with the same file keeps the pod registered", async () => {
      const before = (await supervisorLog(good)).split("\n").length;
      metricsTexts.push(await metricsOf(registry));
      await registry.terminate();
      registry = await startRegistryProcess(args, { port });
      registries.push(registry);
      await eventually(15_000, "both active again", async () => {
        const hosts = await activeHosts(client, registry.locator).catch((): string[] => []);
        return hosts.includes("127.0.0.21") && hosts.includes("127.0.0.22");
      });
      // Some heartbeats, then calls through the new registry.
      await eventually(10_000, "heartbeats to the new registry", async () => {
        const text = await metricsOf(registry);
        return /tarsregistry_calls_total\{method="keepAlive",kind="heartbeat"\} [1-9]/.test(text);
      });
      const caller = new TarsClient({ locator: registry.locator, log: () => {} });
      try {
        const answer = await caller.proxy(HelloF, HELLO_OBJ).sayHello({ name: "again" });
        assert.equal(answer.ret, 0);
      } finally {
        await caller.close();
      }
      const after = (await supervisorLog(good)).split("\n").slice(before).join("\n");
      assert.doesNotMatch(after, /refused/);
      assert.ok(good.ready);
    });

    await t.step("no token in the logs, the probes, the answers or /metrics", async () => {
      metricsTexts.push(await metricsOf(registry));
      const texts = {
        "the registry's output": registryLog(),
        "/metrics": metricsTexts.join("\n"),
        "the answers": answers.join("\n"),
        "the pods' logs": (await Promise.all(pods.map(supervisorLog))).join("\n"),
        "the pods' output": pods.flatMap((p) => p.supervisor.lines).join("\n"),
        "the probes": pods.flatMap((p) => p.probes.map((r) => r.reason)).join("\n"),
      };
      for (const [where, text] of Object.entries(texts)) {
        for (const token of [GOOD, WRONG]) {
          assert.ok(!text.includes(token), `${token} in ${where}`);
        }
      }
      // The first registry counted the refused registrations.
      assert.match(metricsTexts[0], /tarsregistry_call_errors_total\{method="onStartup"\} [1-9]/);
    });
  } finally {
    await evil.client.close();
    await client.close();
    for (const pod of pods) await pod.cleanup();
    for (const r of registries) await r.kill().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});
