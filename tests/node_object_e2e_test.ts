/**
 * The pod's node object end to end: a real registry process, two pods of the example service under
 * `tarscli supervisor` and the kubelet stand-in, and the calls the admin registry makes to a node
 * (`tars.tarsnode.NodeObj`, found through the registry as the admin registry finds it), from the
 * registry's address, while a client calls the service through the registry.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readServerInfo } from "../genconf/mod.ts";
import { TarsClient } from "../protocol/client.ts";
import { parseEndpoint } from "../protocol/endpoint.ts";
import { NODE_OBJ, NodeF, ServerState, TarsErrCode } from "../protocol/interfaces/node_f.ts";
import { QueryF } from "../protocol/interfaces/query_f.ts";
import { HELLO_OBJ } from "../examples/simple/hello_f.ts";
import { type Pod, type RegistryProcess, startPod, startRegistryProcess } from "../local/mod.ts";
import { delay } from "../lib/timers.ts";
import { boundNetwork } from "./support/bound_network.ts";
import { callContinuously } from "./support/call_continuously.ts";
import { eventually } from "./support/eventually.ts";

/** Bound on a pod becoming ready (genconf, registration, Node start-up, a check interval). */
const READY_MS = 30_000;
/** A node call that drains and restarts takes a few seconds here (TARS_PRESTOP_WAITTIME 2 s). */
const NODE_CALL_MS = 30_000;
const HELLO = { application: "TestApp", serverName: "Hello" };

/** Active and inactive `host:port` of an object in the registry. */
async function lookup(client: TarsClient, locator: string, id: string) {
  const answer = await client.proxy(QueryF, locator).findObjectById4Any({ id });
  const hp = (eps: { host: string; port: number }[]) =>
    eps.map((e) => `${e.host}:${e.port}`).sort();
  return { active: hp(answer.activeEp), inactive: hp(answer.inactiveEp) };
}

async function helloEndpoint(pod: Pod): Promise<string> {
  const { host, port } = parseEndpoint((await readServerInfo(pod.tarsPath)).adapters[0].endpoint);
  return `${host}:${port}`;
}

async function supervisorLog(pod: Pod): Promise<string> {
  return await Deno.readTextFile(join(pod.tarsPath, "log", "supervisor.log")).catch(() => "");
}

Deno.test("node object: the admin registry's calls to a pod, end to end", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "node_object_" });
  const pods: Pod[] = [];
  let registry: RegistryProcess | undefined;
  // The registry's address here: the admin registry's calls come from it.
  const client = new TarsClient({ timeout: NODE_CALL_MS, log: () => {} });
  const stranger = new TarsClient({
    timeout: 5000,
    log: () => {},
    network: boundNetwork("127.0.0.99"),
  });
  const stop = new AbortController();
  let load: ReturnType<typeof callContinuously> | undefined;
  try {
    registry = await startRegistryProcess(["--store", `sqlite:${join(dir, "r.db")}`]);
    const locator = registry.locator;
    for (const [name, podIp] of [["pod-a", "127.0.0.21"], ["pod-b", "127.0.0.22"]]) {
      pods.push(await startPod({ name, podIp, locator }));
    }
    const [a, b] = pods;
    await a.waitReady(READY_MS);
    await b.waitReady(READY_MS);
    let target = "";
    let node!: ReturnType<typeof client.proxy<typeof NodeF>>;

    await t.step("the registry answers the pods' node objects", async () => {
      let found = { active: [] as string[], inactive: [] as string[] };
      await eventually(10_000, "both node objects", async () => {
        found = await lookup(client, locator, NODE_OBJ);
        return found.active.length === 2;
      });
      assert.deepEqual(found.inactive, []);
      const own = found.active.find((hp) => hp.startsWith("127.0.0.21:"));
      assert.ok(own, JSON.stringify(found));
      target = `${NODE_OBJ}@tcp -h 127.0.0.21 -p ${own.split(":")[1]} -t 60000`;
      node = client.proxy(NodeF, target);
      assert.match(
        await supervisorLog(a),
        /node object tars\.tarsnode\.NodeObj on tcp -h 127\.0\.0\.21 /,
      );
    });

    await t.step("notifyServer: the service answers", async () => {
      assert.deepEqual(await node.notifyServer({ ...HELLO, command: "tars.setloglevel DEBUG" }), {
        ret: 0,
        result: "log level set to DEBUG",
      });
    });

    await t.step("a caller that is not the registry is refused", async () => {
      const answer = await stranger.proxy(NodeF, target).stopServer(HELLO);
      assert.equal(answer.ret, TarsErrCode.EM_TARS_INVALID_IP_ERR);
      assert.match(answer.result, /127\.0\.0\.99 may not call the node object/);
      assert.ok(a.ready);
    });

    await t.step("restartServer while a client calls: no call lost, a new pid", async () => {
      load = callContinuously(locator, { workers: 8, stop: stop.signal });
      await eventually(10_000, "calls answered by both pods", () => {
        return (load!.answeredBy.get("pod-a") ?? 0) > 50 &&
          (load!.answeredBy.get("pod-b") ?? 0) > 50;
      });
      const before = (await node.getStateInfo(HELLO)).info.processId;
      assert.ok(before > 0);
      const started = Date.now();
      const answer = await node.restartServer(HELLO);
      const took = Date.now() - started;
      assert.deepEqual(answer, { ret: 0, result: "restarted: the service is active again" });
      const after = await node.getStateInfo(HELLO);
      assert.equal(after.info.serverState, ServerState.Active);
      assert.notEqual(after.info.processId, before);
      // Back in traffic: pod-a answers calls again.
      const answered = load.answeredBy.get("pod-a") ?? 0;
      await eventually(10_000, "pod-a answers again", () => {
        return (load!.answeredBy.get("pod-a") ?? 0) > answered + 50;
      });
      stop.abort();
      const result = await load.done;
      load = undefined;
      assert.deepEqual(result.failures, [], `${result.failures.length} of ${result.calls} failed`);
      console.log(
        `restartServer: ${result.calls} calls through the registry, ${result.failures.length} ` +
          `failed; answered in ${took} ms; service pid ${before} -> ${after.info.processId}`,
      );
    });

    await t.step("stopServer: inactive, not restarted, the pod not ready", async () => {
      const endpoint = await helloEndpoint(a);
      assert.deepEqual(await node.stopServer(HELLO), {
        ret: 0,
        result: "stopped (exit code 0); the service stays down",
      });
      const info = await node.getStateInfo(HELLO);
      assert.deepEqual(
        [info.info.serverState, info.info.processId, info.info.settingState],
        [ServerState.Inactive, 0, ServerState.Inactive],
      );
      await a.waitReady(READY_MS, false);
      await eventually(10_000, "inactive in the registry", async () => {
        return (await lookup(client, locator, HELLO_OBJ)).inactive.includes(endpoint);
      });
      const starts = (await supervisorLog(a)).match(/service started: /g)?.length;
      // Many check rounds (300 ms each): it stays down.
      await delay(2000);
      assert.equal((await supervisorLog(a)).match(/service started: /g)?.length, starts);
      assert.equal(a.ready, false);
      assert.match(a.probes.at(-1)!.reason, /not ready: inactive \(held down by stopServer/);
      assert.equal((await node.notifyServer({ ...HELLO, command: "tars.viewstatus" })).ret, -1);
    });

    await t.step("startServer: active and ready again", async () => {
      assert.deepEqual(await node.startServer(HELLO), {
        ret: 0,
        result: "started: the service is active",
      });
      assert.equal((await node.getStateInfo(HELLO)).info.serverState, ServerState.Active);
      await a.waitReady(READY_MS);
      const endpoint = await helloEndpoint(a);
      await eventually(10_000, "active in the registry", async () => {
        return (await lookup(client, locator, HELLO_OBJ)).active.includes(endpoint);
      });
    });

    await t.step("the log view: the files of log/ and the end of start.log", async () => {
      const list = await node.getLogFileList(HELLO);
      assert.equal(list.ret, 0);
      assert.ok(list.logFileList.includes("start.log"), JSON.stringify(list.logFileList));
      assert.ok(list.logFileList.includes("supervisor.log"));
      // What TarsWeb's log view sends: the last 50000 lines, with a keyword, the last 20 of them.
      const data = await node.getLogData({
        ...HELLO,
        logFile: "start.log",
        cmd: "tail -50000 __log_file_name__ | grep  -a  HelloObj on|tail -20 | cat -v ",
      });
      assert.equal(data.ret, 0);
      const lines = data.fileData.trimEnd().split("\n");
      assert.ok(lines.length >= 3, data.fileData);
      assert.ok(lines.every((l) => /TestApp\.Hello\.HelloObj on tcp -h 127\.0\.0\.21 /.test(l)));
    });
  } finally {
    stop.abort();
    await load?.done;
    await client.close();
    await stranger.close();
    for (const pod of pods) await pod.cleanup();
    await registry?.kill();
    await Deno.remove(dir, { recursive: true });
  }
});
