/**
 * The console's operations end to end: a real registry process serving AdminRegObj, pods of the
 * example service (examples/simple) under `tarscli supervisor` and the kubelet stand-in, each
 * serving its node object, and the admin registry driven with the project's client the way the
 * web console calls it (TarsCloud/TarsWeb: AdminRegObj found through the locator, its functions
 * with the console's arguments). Each pod has a loopback address of its own; the console calls
 * from 127.0.0.1 (the registry's default --admin-allow), a stranger from 127.0.0.66.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { TarsClient } from "../protocol/client.ts";
import { parseEndpoint } from "../protocol/endpoint.ts";
import { ADMIN_REG_OBJ, AdminReg } from "../protocol/interfaces/admin_reg.ts";
import { TarsErrCode } from "../protocol/interfaces/node_f.ts";
import { QueryF } from "../protocol/interfaces/query_f.ts";
import { REGISTRY_OBJ, RegistryF, RegistryRet } from "../protocol/interfaces/registry_f.ts";
import { denoNetwork } from "../protocol/transport.ts";
import { HELLO_OBJ, HelloF } from "../examples/simple/hello_f.ts";
import { readServerInfo } from "../genconf/mod.ts";
import {
  type Pod,
  type RegistryProcess,
  servicePid,
  startPod,
  startRegistryProcess,
} from "../local/mod.ts";
import { delay } from "../lib/timers.ts";
import { connectFrom } from "./support/bound_network.ts";
import { eventually } from "./support/eventually.ts";
import { startFakeNode } from "./support/fake_node.ts";
import { mariadbMissing, mariadbSearchPath, startMariadb } from "./support/mariadb.ts";
import { skipWhen } from "./support/skip.ts";
import { callFailure as failure } from "./support/call_failure.ts";

/** Bound on a pod becoming ready (genconf, registration, Node start-up, a check interval). */
const READY_MS = 30_000;
/** The console's own timeout of an AdminReg call. */
const CONSOLE_TIMEOUT = 30_000;
const APP = { application: "TestApp", serverName: "Hello" };

/** `host:port` of the pod's HelloObj endpoint. */
async function helloEndpoint(pod: Pod): Promise<string> {
  const { host, port } = parseEndpoint((await readServerInfo(pod.tarsPath)).adapters[0].endpoint);
  return `${host}:${port}`;
}

/** Active and inactive `host:port` of the example's servant in the registry. */
async function lookup(client: TarsClient, locator: string) {
  const answer = await client.proxy(QueryF, locator).findObjectById4Any({ id: HELLO_OBJ });
  const hp = (eps: { host: string; port: number }[]) =>
    eps.map((e) => `${e.host}:${e.port}`).sort();
  return { active: hp(answer.activeEp), inactive: hp(answer.inactiveEp) };
}

Deno.test("console operations: AdminRegObj over real pods and their node objects", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "admin_registry_e2e_" });
  const store = `sqlite:${join(dir, "registry.db")}`;
  const pods: Pod[] = [];
  let registry: RegistryProcess | undefined;
  const client = new TarsClient({ timeout: 3000, log: () => {} });
  const strangerClient = new TarsClient({
    timeout: 5000,
    log: () => {},
    network: { ...denoNetwork, connect: (target) => connectFrom("127.0.0.66", target) },
  });
  try {
    registry = await startRegistryProcess(["--store", store, "--reload-interval", "1s"]);
    const locator = registry.locator;
    for (const [name, podIp] of [["pod-a", "127.0.0.2"], ["pod-b", "127.0.0.3"]]) {
      pods.push(await startPod({ name, podIp, locator }));
    }
    const [a, b] = pods;
    for (const pod of pods) await pod.waitReady(READY_MS);
    const endpoints = [await helloEndpoint(a), await helloEndpoint(b)];
    await eventually(
      5000,
      "both pods active",
      async () => (await lookup(client, locator)).active.length === 2,
    );
    // The console finds AdminRegObj through the registry, as TarsWeb does.
    const consoleLocator = new TarsClient({ locator, timeout: CONSOLE_TIMEOUT, log: () => {} });
    const admin = consoleLocator.proxy(AdminReg, ADMIN_REG_OBJ);
    const port = registry.port;
    const stranger = strangerClient.proxy(AdminReg, `${ADMIN_REG_OBJ}@tcp -h 127.0.0.1 -p ${port}`);
    const node = (pod: Pod) => ({ ...APP, nodeName: pod === a ? "127.0.0.2" : "127.0.0.3" });

    try {
      await t.step("the header, the framework check and the node check answer", async () => {
        assert.match((await admin.getVersion({})).version, /^tarsregistry \d+\.\d+\.\d+/);
        const { servers } = await admin.getServers({});
        const names = servers.map((s) => `${s.serverName} ${s.nodeName}`);
        // The registry's own node is its host and port (two replicas on one host: two nodes).
        for (
          const name of [`tarsregistry 127.0.0.1:${port}`, `tarsAdminRegistry 127.0.0.1:${port}`]
        ) {
          assert.ok(names.includes(name), names.join(", "));
        }
        const nodes = servers.filter((s) => s.serverName === "tarsnode");
        assert.deepEqual(nodes.map((s) => s.nodeName), ["127.0.0.2", "127.0.0.3"]);
        for (const server of servers) {
          assert.deepEqual(await admin.checkServer({ server }), { ret: 0 }, server.objName);
        }
        assert.deepEqual(await admin.pingNode({ name: "127.0.0.2" }), {
          ret: true,
          result: "ping succ",
        });
        const state = await admin.getServerState(node(a));
        assert.equal(state.ret, 0, state.result);
        assert.equal(state.state.presentStateInNode, "Active");
        assert.equal(state.state.processId, await servicePid(a.tarsPath));
      });

      await t.step("send command: tars.setloglevel DEBUG, answered by the service", async () => {
        const answer = await admin.notifyServer({ ...node(a), command: "tars.setloglevel DEBUG" });
        assert.equal(answer.ret, 0, answer.result);
        assert.match(answer.result, /log level set to DEBUG/);
      });

      await t.step("restartServer while a client calls through the registry", async () => {
        const before = await servicePid(a.tarsPath);
        const caller = new TarsClient({
          locator,
          refreshInterval: 300,
          timeout: 3000,
          log: () => {},
        });
        const hello = caller.proxy(HelloF, HELLO_OBJ);
        let ok = 0;
        const failed: string[] = [];
        let calling = true;
        const calls = (async () => {
          while (calling) {
            try {
              await hello.sayHello({ name: "console" });
              ok++;
            } catch (error) {
              failed.push((error as Error).message);
            }
            await delay(20);
          }
        })();
        try {
          const answer = await admin.restartServer(node(a));
          assert.equal(answer.ret, 0, answer.result);
          await a.waitReady(READY_MS);
          await eventually(
            10_000,
            "pod-a active again",
            async () => (await lookup(client, locator)).active.includes(endpoints[0]),
          );
          await delay(500);
        } finally {
          calling = false;
          await calls;
          await caller.close();
        }
        assert.deepEqual(failed, []);
        assert.ok(ok > 20, `${ok} calls`);
        const after = await servicePid(a.tarsPath);
        assert.ok(after !== 0 && after !== before, `pid ${before} -> ${after}`);
      });

      await t.step(
        "stopServer: inactive, not restarted, not ready; startServer: active",
        async () => {
          const stopped = await admin.stopServer(node(a));
          assert.equal(stopped.ret, 0, stopped.result);
          assert.deepEqual((await lookup(client, locator)).active, [endpoints[1]]);
          await a.waitReady(READY_MS, false);
          const state = await admin.getServerState(node(a));
          assert.deepEqual(
            [state.state.settingStateInReg, state.state.presentStateInNode],
            ["inactive", "Inactive"],
          );
          // Held down: three report intervals later, still no service.
          await delay(6_000);
          assert.equal((await admin.getServerState(node(a))).state.presentStateInNode, "Inactive");
          assert.equal(a.ready, false);
          const started = await admin.startServer(node(a));
          assert.equal(started.ret, 0, started.result);
          await a.waitReady(READY_MS);
          await eventually(
            10_000,
            "pod-a active again",
            async () => (await lookup(client, locator)).active.includes(endpoints[0]),
          );
        },
      );

      await t.step("a batch task: restart over both pods, serial, both items done", async () => {
        const pids = [await servicePid(a.tarsPath), await servicePid(b.tarsPath)];
        const taskNo = crypto.randomUUID();
        // As TarsWeb 2.x sends it (no tags 4 and 5) and polls it every 3 s (here 0.5 s).
        const added = await admin.addTaskReq({
          taskReq: {
            taskNo,
            serial: true,
            userName: "admin",
            taskItemReq: pods.map((pod, i) => ({
              taskNo,
              itemNo: `${taskNo}-${i}`,
              ...node(pod),
              command: "restart",
              userName: "admin",
              parameters: new Map(),
            })),
          },
        });
        assert.deepEqual(added, { ret: 0 });
        let status = -1;
        await eventually(60_000, "the task done", async () => {
          const rsp = await admin.getTaskRsp({ taskNo });
          assert.equal(rsp.ret, 0);
          status = rsp.taskRsp.status;
          // TarsWeb 2.x goes on polling at 0 and 1 only.
          assert.ok([0, 1, 2].includes(status), `status ${status}`);
          return status === 2;
        }, { interval: 500 });
        const { taskRsp } = await admin.getTaskRsp({ taskNo });
        assert.deepEqual(
          taskRsp.taskItemRsp.map((i) => [i.req.nodeName, i.status, i.statusInfo]),
          [["127.0.0.2", 2, "EM_I_SUCCESS"], ["127.0.0.3", 2, "EM_I_SUCCESS"]],
        );
        // Serial: the second started after the first ended.
        assert.ok(taskRsp.taskItemRsp[1].startTime >= taskRsp.taskItemRsp[0].endTime);
        for (const [i, pod] of pods.entries()) {
          await pod.waitReady(READY_MS);
          const pid = await servicePid(pod.tarsPath);
          assert.ok(pid !== 0 && pid !== pids[i], `${pod.name}: pid ${pids[i]} -> ${pid}`);
        }
        const history = await admin.getTaskHistory({ ...APP, command: "restart" });
        assert.ok(history.taskRsps.some((task) => task.taskNo === taskNo));
      });

      await t.step("the log view: start.log through the node object", async () => {
        const list = await admin.getLogFileList(node(b));
        assert.equal(list.ret, 0);
        assert.ok(list.logFileList.includes("start.log"), list.logFileList.join(", "));
        const data = await admin.getLogData({
          ...node(b),
          logFile: "start.log",
          cmd: "tail -1000 __log_file_name__ | cat -v ",
        });
        assert.equal(data.ret, 0);
        assert.match(data.fileData, /\[\d+\] /);
      });

      await t.step("a mutating call from an address not in --admin-allow is refused", async () => {
        const error = await failure(stranger.stopServer(node(b)));
        assert.equal(error.code, RegistryRet.REFUSED);
        assert.match(error.message, /127\.0\.0\.66 is not in --admin-allow/);
        await delay(1000);
        assert.ok(b.ready);
        assert.ok((await lookup(client, locator)).active.includes(endpoints[1]));
      });

      await t.step("an unsupported function answers at once", async () => {
        const started = performance.now();
        const error = await failure(admin.loadServer(node(b)));
        assert.equal(error.code, TarsErrCode.EM_TARS_CAN_NOT_EXECUTE);
        assert.match(error.message, /loadServer is not supported on Kubernetes/);
        assert.ok(performance.now() - started < 1000);
      });

      await t.step(
        "updateServerFlowState: off, kept when the pod registers again, on",
        async () => {
          const flow = { ...APP, nodeList: ["127.0.0.3"] };
          assert.deepEqual(await admin.updateServerFlowState({ ...flow, bActive: false }), {
            ret: 0,
          });
          assert.deepEqual((await lookup(client, locator)).inactive, [endpoints[1]]);
          // The registry goes away and comes back on its store: the pods register again.
          const port = registry!.port;
          await registry!.kill();
          await delay(3_000);
          registry = await startRegistryProcess(["--store", store], { port });
          await eventually(20_000, "both pods registered again", async () => {
            const metrics = await (await fetch(
              `http://127.0.0.1:${registry!.metricsPort}/metrics`,
            )).text();
            const match = /tarsregistry_calls_total\{method="onStartup",kind="registration"\} (\d+)/
              .exec(metrics);
            return Number(match?.[1] ?? 0) >= 2;
          });
          const view = await lookup(client, locator);
          assert.deepEqual([view.active, view.inactive], [[endpoints[0]], [endpoints[1]]]);
          const admin2 = client.proxy(AdminReg, `${ADMIN_REG_OBJ}@tcp -h 127.0.0.1 -p ${port}`);
          await admin2.updateServerFlowState({ ...flow, bActive: true });
          assert.deepEqual((await lookup(client, locator)).active, endpoints.toSorted());
        },
      );
    } finally {
      await consoleLocator.close();
    }
  } finally {
    await client.close();
    await strangerClient.close();
    for (const pod of pods) await pod.cleanup();
    await registry?.kill();
    await Deno.remove(dir, { recursive: true });
  }
});

const REPLICAS_TEST = "console operations: any replica on one MariaDB takes a console call";
Deno.test({
  name: REPLICAS_TEST,
  ignore: skipWhen(REPLICAS_TEST, mariadbMissing(Deno.env)),
  async fn(t) {
    const mariadb = await startMariadb({ searchPath: mariadbSearchPath(Deno.env.get("PATH")) });
    const client = new TarsClient({ log: () => {}, timeout: 5000 });
    const running: RegistryProcess[] = [];
    // A pod's node object, registered through one replica.
    const node = startFakeNode({ host: "127.0.0.5" });
    try {
      for (const advertise of ["127.0.0.1", "127.0.0.2"]) {
        running.push(
          await startRegistryProcess([
            "--store",
            mariadb.url,
            "--init-db",
            "--reload-interval",
            "1s",
            "--advertise",
            advertise,
          ]),
        );
      }
      const [one, two] = running.map((r) =>
        client.proxy(AdminReg, `${ADMIN_REG_OBJ}@tcp -h 127.0.0.1 -p ${r.port}`)
      );
      await client.proxy(RegistryF, `${REGISTRY_OBJ}@tcp -h 127.0.0.1 -p ${running[0].port}`)
        .onStartup({
          req: {
            nodeName: "127.0.0.5",
            application: "App",
            server: "Server",
            adapters: [{ servant: "App.Server.Obj", endpoint: "tcp -h 127.0.0.5 -p 9000" }],
            nodeEndpoint: node.endpoint,
          },
        });
      const key = { application: "App", serverName: "Server", nodeName: "127.0.0.5" };

      await t.step("the other replica forwards to the node object the pod registered", async () => {
        // A reload streams the nodes, then the servers: the node may be known a moment before
        // its server is.
        await eventually(
          5000,
          "the other replica knows the node and its server",
          async () =>
            (await two.pingNode({ name: "127.0.0.5" })).ret &&
            (await two.getServerState(key)).ret === 0,
        );
        const answer = await two.notifyServer({ ...key, command: "tars.setloglevel DEBUG" });
        assert.equal(answer.ret, 0, answer.result);
        assert.deepEqual(node.calls, ["notify App.Server tars.setloglevel DEBUG"]);
      });

      await t.step("a task added on one replica is read on the other at once", async () => {
        node.hold("restartServer");
        await one.addTaskReq({
          taskReq: {
            taskNo: "replicated",
            serial: true,
            userName: "admin",
            taskItemReq: [{ taskNo: "replicated", itemNo: "r-1", ...key, command: "restart" }],
          },
        });
        const early = await two.getTaskRsp({ taskNo: "replicated" });
        assert.equal(early.ret, 0);
        assert.deepEqual(early.taskRsp.taskItemRsp.map((i) => i.req.nodeName), ["127.0.0.5"]);
        assert.ok([0, 1].includes(early.taskRsp.status), `status ${early.taskRsp.status}`);
        node.release();
        await eventually(
          5000,
          "done, on the other replica",
          async () => (await two.getTaskRsp({ taskNo: "replicated" })).taskRsp.status === 2,
        );
        assert.deepEqual(node.calls.slice(1), ["restart App.Server"]);
      });

      await t.step("the traffic switch set on one replica is in the other's lookups", async () => {
        await two.updateServerFlowState({
          application: "App",
          serverName: "Server",
          nodeList: ["127.0.0.5"],
          bActive: false,
        });
        const query = client.proxy(QueryF, running[0].locator);
        await eventually(
          5000,
          "inactive on the first replica",
          async () =>
            (await query.findObjectById4Any({ id: "App.Server.Obj" })).inactiveEp.length === 1,
        );
      });
    } finally {
      await client.close();
      await node.stop();
      for (const r of running) await r.kill();
      await mariadb.stop();
    }
  },
});
