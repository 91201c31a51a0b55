/**
 * The admin registry's servant over TARS, driven with the project's client the way the console
 * calls it, against fake node objects (tests/support/fake_node.ts: TARS servers of NodeF on
 * loopback that record what they are asked): the registry's clock is a fake one, the nodes answer
 * at once unless a test holds them.
 */
import assert from "node:assert/strict";
import { TarsClient } from "../../protocol/client.ts";
import { ADMIN_REG_OBJ, AdminReg } from "../../protocol/interfaces/admin_reg.ts";
import { TarsErrCode } from "../../protocol/interfaces/node_f.ts";
import { RegistryRet } from "../../protocol/interfaces/registry_f.ts";
import { TarsServer } from "../../protocol/server.ts";
import { denoNetwork } from "../../protocol/transport.ts";
import { parseAddressRange } from "../../lib/ip_address.ts";
import { connectFrom } from "../../tests/support/bound_network.ts";
import { eventually } from "../../tests/support/eventually.ts";
import { fakeClock } from "../../tests/support/fake_clock.ts";
import { startFakeNode } from "../../tests/support/fake_node.ts";
import { RegistryMetrics } from "../metrics.ts";
import { RegistryService } from "../registry_service.ts";
import { instrument } from "../servants.ts";
import { SqliteStore } from "../store/sqlite_store.ts";
import { NodeCaller, type NodeObjectRef } from "./node_caller.ts";
import { ServerOperations } from "./operations.ts";
import { adminRegServant } from "./servant.ts";
import { runTaskCommand } from "./task_commands.ts";
import { TaskRunner } from "./task_runner.ts";
import { callFailure as failure } from "../../tests/support/call_failure.ts";

const NOW = Date.UTC(2026, 3, 1, 8, 0, 0);
const OBJ = "App.Server.Obj";

/** A fake node object for `nodeName`, with its object as the registry would know it. */
function fakeNode(nodeName: string) {
  const node = startFakeNode();
  return { ...node, nodeName, ref: { objectName: node.objectName, active: true } };
}

/** The registry's admin servant over TARS, two pods of App.Server, and their fake nodes. */
async function harness() {
  const dir = await Deno.makeTempDir({ prefix: "admin_reg_servant_test_" });
  const clock = fakeClock(NOW);
  const logged: string[] = [];
  const log = (line: string) => logged.push(line);
  const store = SqliteStore.open(`${dir}/registry.db`, { now: clock.now });
  const service = await RegistryService.open(store, { now: clock.now, nodeTimeout: 60_000, log });
  const nodes = [fakeNode("10.0.0.1"), fakeNode("10.0.0.2")];
  const objects = new Map<string, NodeObjectRef>(nodes.map((n) => [n.nodeName, n.ref]));
  for (const node of nodes) {
    await service.onStartup({
      nodeName: node.nodeName,
      application: "App",
      server: "Server",
      adapters: [{ servant: OBJ, endpoint: `tcp -h ${node.nodeName} -p 9000` }],
      state: "active",
      version: "v7",
      processId: 4242,
      tarscliVersion: "0.2.0",
    });
  }
  await service.onStartup({
    nodeName: "127.0.0.1",
    application: "tars",
    server: "tarsregistry",
    adapters: [{ servant: "tars.tarsregistry.QueryObj", endpoint: "tcp -h 127.0.0.1 -p 17890" }],
  });
  const client = new TarsClient({ log: () => {} });
  const caller = new NodeCaller({ client, nodeObject: (name) => objects.get(name) });
  const operations = new ServerOperations({ service, nodes: caller });
  const timeouts = { call: 1000, query: 1000, ping: 500 };
  const tasks = new TaskRunner({
    store,
    runItem: (item) => runTaskCommand(operations, item, { timeout: 1000 }),
    log,
  });
  const servant = adminRegServant({
    service,
    store,
    operations,
    tasks,
    nodes: caller,
    nodeObject: (name) => objects.get(name),
    trust: { adminAllow: [parseAddressRange("127.0.0.1/32")], trustNodeNames: false },
    timeouts,
    version: "tarsregistry 0.2.0",
  });
  const server = new TarsServer({ log });
  server.addServant(
    ADMIN_REG_OBJ,
    AdminReg,
    instrument(servant, { metrics: new RegistryMetrics(), log }),
  );
  const { port } = server.listen("tcp -h 127.0.0.1 -p 0");
  const object = `${ADMIN_REG_OBJ}@tcp -h 127.0.0.1 -p ${port}`;
  const consoleClient = new TarsClient({ log: () => {}, timeout: 5000 });
  const strangerClient = new TarsClient({
    log: () => {},
    timeout: 5000,
    network: { ...denoNetwork, connect: (target) => connectFrom("127.0.0.66", target) },
  });
  return {
    clock,
    service,
    store,
    nodes,
    objects,
    logged,
    tasks,
    console: consoleClient.proxy(AdminReg, object),
    stranger: strangerClient.proxy(AdminReg, object),
    active: () => service.find(OBJ).activeEp.map((e) => e.host).sort(),
    async close() {
      await tasks.stop({ timeout: 1000 });
      await consoleClient.close();
      await strangerClient.close();
      await client.close();
      await server.stop();
      for (const node of nodes) await node.stop();
      await store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

type Harness = Awaited<ReturnType<typeof harness>>;

function test(name: string, body: (h: Harness) => Promise<void>) {
  Deno.test(`admin registry: ${name}`, async () => {
    const h = await harness();
    try {
      await body(h);
    } finally {
      await h.close();
    }
  });
}

const APP = { application: "App", serverName: "Server" };

test("the header's version, the caller's address, the framework check", async (h) => {
  assert.deepEqual(await h.console.getVersion({}), { ret: 0, version: "tarsregistry 0.2.0" });
  assert.deepEqual(await h.console.getClientIp({}), { ret: 0, sClientIp: "127.0.0.1" });
  const { ret, servers } = await h.console.getServers({});
  assert.equal(ret, 0);
  assert.deepEqual(servers, [
    {
      serverName: "tarsregistry",
      nodeName: "127.0.0.1",
      objName: "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 17890",
    },
    { serverName: "tarsnode", nodeName: "10.0.0.1", objName: h.nodes[0].ref.objectName },
    { serverName: "tarsnode", nodeName: "10.0.0.2", objName: h.nodes[1].ref.objectName },
  ]);
  assert.deepEqual(await h.console.checkServer({ server: servers[1] }), { ret: 0 });
  const gone = { serverName: "X", nodeName: "10.9.9.9", objName: "X.Y.Z@tcp -h 127.0.0.1 -p 1" };
  assert.deepEqual(await h.console.checkServer({ server: gone }), { ret: -1 });
  assert.deepEqual(await h.console.checkServer({ server: { ...gone, objName: "" } }), { ret: -1 });
});

test("pingNode: a non-empty result on success, why on failure", async (h) => {
  assert.deepEqual(await h.console.pingNode({ name: "10.0.0.1" }), {
    ret: true,
    result: "ping succ",
  });
  const unknown = await h.console.pingNode({ name: "10.9.9.9" });
  assert.equal(unknown.ret, false);
  assert.match(unknown.result, /^pingNode '10\.9\.9\.9' exception: node '10\.9\.9\.9' has no node/);
  await h.nodes[1].stop();
  const stopped = await h.console.pingNode({ name: "10.0.0.2" });
  assert.equal(stopped.ret, false);
  assert.match(stopped.result, /tars_ping on node '10\.0\.0\.2'/);
});

test("node versions, heartbeats, the server's state on its node", async (h) => {
  assert.deepEqual(await h.console.getNodeVesion({ name: "10.0.0.1" }), {
    ret: 0,
    version: "0.2.0",
    result: "",
  });
  assert.equal((await h.console.getNodeVesion({ name: "10.9.9.9" })).ret, -1);
  const { heartbeats } = await h.console.getNodeList({ nodeNames: ["10.0.0.1", "10.9.9.9"] });
  assert.match(heartbeats.get("10.0.0.1")!, /^2026-04-01 \d\d:00:00$/);
  assert.equal(heartbeats.get("10.9.9.9"), "");
  assert.deepEqual(
    await h.console.getServerState({ ...APP, nodeName: "10.0.0.1" }),
    {
      ret: 0,
      state: {
        settingStateInReg: "active",
        presentStateInReg: "active",
        presentStateInNode: "Active",
        processId: 4242,
        patchVersion: "v7",
        patchTime: "",
        patchUser: "",
      },
      result: "getStateInfo succ",
    },
  );
  const unknown = await h.console.getServerState({ ...APP, nodeName: "10.9.9.9" });
  assert.deepEqual([unknown.ret, unknown.result], [1003, " 'App.Server_10.9.9.9' no config"]);
});

test("notifyServer is answered by the service through its node", async (h) => {
  const answer = await h.console.notifyServer({
    ...APP,
    nodeName: "10.0.0.1",
    command: "tars.setloglevel DEBUG",
  });
  assert.deepEqual(answer, {
    ret: 0,
    result: "[notify servant object num:1]\n[1]:set log level [DEBUG] ok",
  });
  assert.deepEqual(h.nodes[0].calls, ["notify App.Server tars.setloglevel DEBUG"]);
});

test("stopServer: inactive in lookups at once, held down by its node; startServer", async (h) => {
  const stopped = await h.console.stopServer({ ...APP, nodeName: "10.0.0.1" });
  assert.deepEqual(stopped, { ret: 0, result: "stopServer [App.Server] succ" });
  assert.deepEqual(h.active(), ["10.0.0.2"]);
  // The pod registers again (its supervisor restarts): the operator's stop stays.
  await h.service.onStartup({
    nodeName: "10.0.0.1",
    application: "App",
    server: "Server",
    adapters: [{ servant: OBJ, endpoint: "tcp -h 10.0.0.1 -p 9000" }],
  });
  assert.deepEqual(h.active(), ["10.0.0.2"]);
  assert.deepEqual(await h.console.startServer({ ...APP, nodeName: "10.0.0.1" }), {
    ret: 0,
    result: "startServer [App.Server] succ",
  });
  assert.deepEqual(h.active(), ["10.0.0.1", "10.0.0.2"]);
  assert.deepEqual(h.nodes[0].calls, ["stop App.Server", "start App.Server"]);
});

test("restartServer: the node's restart; no answer in time is 1002, at once", async (h) => {
  assert.deepEqual(await h.console.restartServer({ ...APP, nodeName: "10.0.0.2" }), {
    ret: 0,
    result: "restartServer [App.Server] succ",
  });
  h.nodes[0].hold("restartServer");
  const started = performance.now();
  const late = await h.console.restartServer({ ...APP, nodeName: "10.0.0.1" });
  const took = performance.now() - started;
  h.nodes[0].release();
  assert.equal(late.ret, TarsErrCode.EM_TARS_CALL_NODE_TIMEOUT_ERR);
  assert.match(late.result, /no answer within 1000 ms; what it asked may still be under way/);
  assert.ok(took < 3000, `answered after ${took} ms`);
  // The registry itself, and a server it does not know.
  const self = await h.console.restartServer({
    application: "tars",
    serverName: "tarsregistry",
    nodeName: "127.0.0.1",
  });
  assert.deepEqual([self.ret, /Kubernetes/.test(self.result)], [1011, true]);
  const unknown = await h.console.stopServer({ ...APP, nodeName: "10.9.9.9" });
  assert.equal(unknown.ret, 1003);
});

test("a node without a node object, or dead, is 1001, at once", async (h) => {
  h.objects.delete("10.0.0.2");
  const missing = await h.console.notifyServer({ ...APP, nodeName: "10.0.0.2", command: "x" });
  assert.equal(missing.ret, TarsErrCode.EM_TARS_NODE_NOT_REGISTRY_ERR);
  assert.match(missing.result, /has no node object.*TARS_NODE_PORT/);
  h.objects.set("10.0.0.2", { ...h.nodes[1].ref, active: false });
  const dead = await h.console.notifyServer({ ...APP, nodeName: "10.0.0.2", command: "x" });
  assert.equal(dead.ret, TarsErrCode.EM_TARS_NODE_NOT_REGISTRY_ERR);
  assert.match(dead.result, /heartbeat timeout/);
  const logs = await failure(
    h.console.getLogFileList({ ...APP, nodeName: "10.0.0.2" }),
  );
  assert.equal(logs.code, TarsErrCode.EM_TARS_NODE_NOT_REGISTRY_ERR);
});

test("updateServerFlowState: the traffic switch, kept across re-registration", async (h) => {
  const flow = { ...APP, nodeList: ["10.0.0.1"] };
  assert.deepEqual(await h.console.updateServerFlowState({ ...flow, bActive: false }), { ret: 0 });
  assert.deepEqual(h.active(), ["10.0.0.2"]);
  await h.service.onStartup({
    nodeName: "10.0.0.1",
    application: "App",
    server: "Server",
    adapters: [{ servant: OBJ, endpoint: "tcp -h 10.0.0.1 -p 9000" }],
  });
  assert.deepEqual(h.active(), ["10.0.0.2"]);
  await h.console.updateServerFlowState({ ...flow, bActive: true });
  assert.deepEqual(h.active(), ["10.0.0.1", "10.0.0.2"]);
  const none = await failure(
    h.console.updateServerFlowState({ ...flow, nodeList: [], bActive: true }),
  );
  assert.match(none.message, /name at least one node/);
});

test("a mutating call from an address not in --admin-allow is refused", async (h) => {
  const calls = [
    h.stranger.stopServer({ ...APP, nodeName: "10.0.0.1" }),
    h.stranger.restartServer({ ...APP, nodeName: "10.0.0.1" }),
    h.stranger.notifyServer({ ...APP, nodeName: "10.0.0.1", command: "tars.viewstatus" }),
    h.stranger.updateServerFlowState({ ...APP, nodeList: ["10.0.0.1"], bActive: false }),
    h.stranger.undeploy({ ...APP, nodeName: "10.0.0.1", user: "x" }),
    h.stranger.addTaskReq({ taskReq: { taskNo: "t9", taskItemReq: [] } }),
    h.stranger.getLogData({ ...APP, nodeName: "10.0.0.1", logFile: "start.log", cmd: "" }),
  ];
  for (const call of calls) {
    const error = await failure(call);
    assert.equal(error.code, RegistryRet.REFUSED);
    assert.match(error.message, /127\.0\.0\.66 is not in --admin-allow/);
  }
  assert.deepEqual(h.nodes[0].calls, []);
  assert.deepEqual(h.active(), ["10.0.0.1", "10.0.0.2"]);
  // Reading is open to anyone.
  assert.equal((await h.stranger.pingNode({ name: "10.0.0.1" })).ret, true);
});

test("every other function answers at once: not supported on Kubernetes", async (h) => {
  const started = performance.now();
  for (
    const call of [
      h.console.batchPatch({
        req: {
          appname: "App",
          servername: "Server",
          nodename: "10.0.0.1",
          groupname: "",
          binname: "",
          version: "",
          user: "",
          servertype: "",
          patchobj: "",
          md5: "",
        },
      }),
      h.console.loadServer({ ...APP, nodeName: "10.0.0.1" }),
      h.console.getNodeLoad({ ...APP, nodeName: "10.0.0.1", pid: 1 }),
      h.console.shutdownNode({ name: "10.0.0.1" }),
      h.console.dockerPull({ baseImageId: "x" }),
      h.console.reportNode({ rn: { nodeName: "10.0.0.1", sid: "s" } }),
      h.console.getGroupId({ ip: "10.0.0.1" }),
    ]
  ) {
    const error = await failure(call);
    assert.equal(error.code, TarsErrCode.EM_TARS_CAN_NOT_EXECUTE);
    assert.match(error.message, /is not supported on Kubernetes: /);
  }
  assert.ok(performance.now() - started < 2000);
});

test("the log view reads through the node", async (h) => {
  assert.deepEqual(await h.console.getLogFileList({ ...APP, nodeName: "10.0.0.1" }), {
    ret: 0,
    logFileList: ["App.Server.log", "start.log"],
  });
  const cmd = "tail -100 __log_file_name__ | cat -v ";
  assert.deepEqual(
    await h.console.getLogData({ ...APP, nodeName: "10.0.0.1", logFile: "start.log", cmd }),
    { ret: 0, fileData: "lines of start.log\n" },
  );
  assert.deepEqual(h.nodes[0].calls, [`log start.log ${cmd}`]);
});

test("undeploy removes the server's rows, after its node stopped it", async (h) => {
  const { ret, log } = await h.console.undeploy({ ...APP, nodeName: "10.0.0.2", user: "admin" });
  assert.equal(ret, 0);
  assert.match(log, /App\.Server removed from node 10\.0\.0\.2 \(1 adapters\)/);
  assert.deepEqual(h.nodes[1].calls, ["stop App.Server"]);
  assert.equal(
    h.service.server({ application: "App", server: "Server", nodeName: "10.0.0.2" }),
    undefined,
  );
  assert.deepEqual(h.active(), ["10.0.0.1"]);
});

/** A task as TarsWeb 2.x sends it: no tag 4 or 5. */
function consoleTask(taskNo: string, command: string, nodeNames: string[], serial = true) {
  return {
    taskNo,
    serial,
    userName: "admin",
    taskItemReq: nodeNames.map((nodeName, i) => ({
      taskNo,
      itemNo: `${taskNo}-${i}`,
      application: "App",
      serverName: "Server",
      nodeName,
      command,
      userName: "admin",
      parameters: new Map([["bak_flag", "0"]]),
    })),
  };
}

test("a serial restart task over two pods, as TarsWeb 2.x asks and polls it", async (h) => {
  h.nodes[0].hold("restartServer");
  assert.deepEqual(
    await h.console.addTaskReq({ taskReq: consoleTask("t1", "restart", ["10.0.0.1", "10.0.0.2"]) }),
    { ret: 0 },
  );
  // Right after: the task is there, under way (1 in TarsWeb 2.x's numbering), the second item waits.
  const early = await h.console.getTaskRsp({ taskNo: "t1" });
  assert.equal(early.ret, 0);
  assert.equal(early.taskRsp.status, 1);
  assert.deepEqual(early.taskRsp.taskItemRsp.map((i) => [i.req.nodeName, i.status]), [
    ["10.0.0.1", 1],
    ["10.0.0.2", 0],
  ]);
  assert.deepEqual(h.nodes[1].calls, []);
  h.nodes[0].release();
  await eventually(
    3000,
    "the task done",
    async () => (await h.console.getTaskRsp({ taskNo: "t1" })).taskRsp.status === 2,
  );
  const done = (await h.console.getTaskRsp({ taskNo: "t1" })).taskRsp;
  assert.deepEqual(
    done.taskItemRsp.map((i) => [i.status, i.statusInfo, i.executeLog]),
    [
      [2, "EM_I_SUCCESS", "restartServer [App.Server] succ"],
      [2, "EM_I_SUCCESS", "restartServer [App.Server] succ"],
    ],
  );
  assert.deepEqual(done.taskItemRsp[0].req.parameters, new Map([["bak_flag", "0"]]));
  assert.match(done.taskItemRsp[0].startTime, /^2026-04-01 /);
  assert.deepEqual([done.serial, done.userName], [true, "admin"]);
  assert.deepEqual(h.nodes.map((n) => n.calls), [["restart App.Server"], ["restart App.Server"]]);
  const history = await h.console.getTaskHistory({ ...APP, command: "restart" });
  assert.deepEqual(history.taskRsps.map((t) => t.taskNo), ["t1"]);
  assert.deepEqual(await h.console.getTaskRsp({ taskNo: "no-such" }), {
    ret: -1,
    taskRsp: {
      taskItemRsp: [],
      taskNo: "",
      serial: false,
      userName: "",
      status: 0,
      createTime: "",
      executeLog: "",
    },
  });
});

test("a task of TarsWeb 3.x is answered in its numbering; a failed item", async (h) => {
  h.objects.delete("10.0.0.2");
  await h.console.addTaskReq({
    taskReq: { ...consoleTask("t3", "stop", ["10.0.0.1", "10.0.0.2"], false), eachNum: 1 },
  });
  await h.tasks.idle();
  const rsp = (await h.console.getTaskRsp({ taskNo: "t3" })).taskRsp;
  // Success 3, failed 4, partial 6 in the current IDL's numbering.
  assert.deepEqual(rsp.taskItemRsp.map((i) => i.status), [3, 4]);
  assert.equal(rsp.status, 6);
  assert.match(rsp.taskItemRsp[1].executeLog, /has no node object/);
});

test("notify and undeploy tasks; an unknown command fails its item", async (h) => {
  const notify = consoleTask("n1", "notify", ["10.0.0.1"]);
  notify.taskItemReq[0].parameters = new Map([["command", "tars.setloglevel DEBUG"]]);
  await h.console.addTaskReq({ taskReq: notify });
  const other = consoleTask("n2", "patch_tars", ["10.0.0.1"]);
  await h.console.addTaskReq({ taskReq: other });
  await h.console.addTaskReq({ taskReq: consoleTask("n3", "undeploy_tars", ["10.0.0.2"]) });
  await h.tasks.idle();
  assert.deepEqual(h.nodes[0].calls, ["notify App.Server tars.setloglevel DEBUG"]);
  const failed = (await h.console.getTaskRsp({ taskNo: "n2" })).taskRsp;
  assert.deepEqual([failed.status, failed.taskItemRsp[0].status], [3, 3]);
  assert.match(failed.taskItemRsp[0].executeLog, /publishing a package is not supported/);
  assert.equal((await h.console.getTaskRsp({ taskNo: "n3" })).taskRsp.status, 2);
  assert.deepEqual(h.active(), ["10.0.0.1"]);
});

test("a task with a bad field is refused before anything is written", async (h) => {
  const bad = consoleTask("b1", "restart", ["10.0.0.1"]);
  bad.taskItemReq[0].itemNo = "";
  const error = await failure(h.console.addTaskReq({ taskReq: bad }));
  assert.match(error.message, /taskItemReq\[0\]\.itemNo/);
  assert.equal((await h.console.getTaskRsp({ taskNo: "b1" })).ret, -1);
});

test("profile templates from t_profile_template", async (h) => {
  const { ret, profileTemplate, resultDesc } = await h.console.getProfileTemplate({
    profileName: "tars.default",
  });
  // The embedded store has the table, with no template in it.
  assert.deepEqual([ret, profileTemplate, resultDesc], [
    0,
    "",
    "(tars.default:template not found)",
  ]);
  const server = await h.console.getServerProfileTemplate({ ...APP, nodeName: "10.0.0.1" });
  assert.equal(server.ret, 0);
  assert.equal((await h.console.getServerProfileTemplate({ ...APP, nodeName: "" })).ret, -1);
});
