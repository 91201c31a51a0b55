/**
 * The pod's node object over real connections on loopback: a fake supervisor behind it, callers
 * from the registry's address, from loopback and from a stranger's (a client bound to another
 * loopback address), and the choice of its port.
 */
import assert from "node:assert/strict";
import { join } from "../lib/posix_path.ts";
import { TarsCallError } from "../protocol/call_error.ts";
import { TarsClient } from "../protocol/client.ts";
import { NODE_OBJ, NodeF, ServerState, TarsErrCode } from "../protocol/interfaces/node_f.ts";
import { REGISTRY_OBJ } from "../protocol/interfaces/registry_f.ts";
import { boundNetwork } from "../tests/support/bound_network.ts";
import type { NodeRequestKind } from "./machine.ts";
import { type NodeAnswer, type NodeControl, nodeServant, type NodeStatus } from "./node_servant.ts";
import { ADMIN_REGISTRY_OBJ, registryCallers, startNodeServer } from "./node_server.ts";
import type { ObjectResolver } from "./object_resolver.ts";

const POD = "127.0.0.2";
const REGISTRY = "127.0.0.3";
const STRANGER = "127.0.0.9";

/** A supervisor that records requests and answers them from a script. */
function fakeControl() {
  const requests: NodeRequestKind[] = [];
  const notified: string[] = [];
  let status: NodeStatus = { state: "active", reason: "every endpoint", pid: 4242, held: false };
  const control: NodeControl = {
    request(kind) {
      requests.push(kind);
      return Promise.resolve({ ret: 0, result: `${kind} done` });
    },
    status: () => status,
    notify(command): Promise<NodeAnswer> {
      notified.push(command);
      return Promise.resolve({ ret: 0, result: `log level set to ${command.split(" ")[1]}` });
    },
  };
  return {
    control,
    requests,
    notified,
    set(next: NodeStatus) {
      status = next;
    },
  };
}

/** A resolver that finds the registry at REGISTRY and no admin registry; counts its lookups. */
function fakeResolver() {
  const lookups: string[] = [];
  const resolver: ObjectResolver = {
    resolve(object) {
      lookups.push(object);
      if (object === REGISTRY_OBJ) return Promise.resolve(`${object}@tcp -h ${REGISTRY} -p 17891`);
      return Promise.reject(new Error(`${object} has no active tcp endpoints in the registry`));
    },
    forget: () => Promise.resolve(),
    settled: () => Promise.resolve(),
  };
  return { resolver, lookups };
}

async function startNode(options: { logDir: string }) {
  const fake = fakeControl();
  const { resolver, lookups } = fakeResolver();
  let clock = 0;
  const node = await startNodeServer(
    () =>
      Promise.resolve(nodeServant(fake.control, {
        application: "TestApp",
        server: "Hello",
        nodeName: POD,
        logDir: options.logDir,
        checkCaller: registryCallers(resolver, { ownAddress: POD, now: () => clock }),
        log: () => {},
      })),
    { host: POD, port: 0, range: { min: 0, max: 0 }, servicePorts: new Set(), log: () => {} },
  );
  const clients: TarsClient[] = [];
  const from = (address?: string) => {
    const client = new TarsClient({
      log: () => {},
      network: address ? boundNetwork(address) : undefined,
    });
    clients.push(client);
    return client.proxy(NodeF, `${NODE_OBJ}@${node.endpoint}`);
  };
  return {
    ...fake,
    lookups,
    node,
    from,
    advance(ms: number) {
      clock += ms;
    },
    async close() {
      for (const client of clients) await client.close();
      await node.close();
    },
  };
}

const HELLO = { application: "TestApp", serverName: "Hello" };

Deno.test("node object: callers", async (t) => {
  const logDir = await Deno.makeTempDir({ prefix: "node_servant_" });
  const n = await startNode({ logDir });
  try {
    await t.step("the registry, found through the locator, may call", async () => {
      assert.deepEqual(await n.from(REGISTRY).restartServer(HELLO), {
        ret: 0,
        result: "restart done",
      });
      assert.deepEqual(n.requests, ["restart"]);
      assert.deepEqual(n.lookups, [REGISTRY_OBJ, ADMIN_REGISTRY_OBJ]);
    });

    await t.step("loopback and the pod itself may call without a lookup", async () => {
      const lookups = n.lookups.length;
      assert.equal((await n.from().stopServer(HELLO)).ret, 0);
      assert.equal((await n.from(POD).startServer(HELLO)).ret, 0);
      assert.deepEqual(n.requests, ["restart", "stop", "start"]);
      assert.equal(n.lookups.length, lookups);
    });

    await t.step("a stranger is refused with the reason, nothing asked of the pod", async () => {
      const stranger = n.from(STRANGER);
      const answer = await stranger.stopServer(HELLO);
      assert.equal(answer.ret, TarsErrCode.EM_TARS_INVALID_IP_ERR);
      assert.equal(
        answer.result,
        `stopServer refused: ${STRANGER} may not call the node object: only the registry ` +
          `(found through the locator; the registry is at ${REGISTRY}), loopback and the pod ` +
          "itself may",
      );
      assert.equal((await stranger.notifyServer({ ...HELLO, command: "x" })).ret, 1006);
      assert.equal((await stranger.getLogData({ ...HELLO, logFile: "a", cmd: "b" })).ret, 1006);
      assert.equal((await stranger.getStateInfo(HELLO)).info.processId, -1);
      // A function that answers a value, not a code: a call error.
      await assert.rejects(stranger.getName({}), (error: unknown) => {
        assert.ok(error instanceof TarsCallError);
        assert.equal(error.code, TarsErrCode.EM_TARS_INVALID_IP_ERR);
        return true;
      });
      assert.deepEqual(n.requests, ["restart", "stop", "start"]);
      assert.deepEqual(n.notified, []);
    });

    await t.step("the registry's addresses are asked again at most once a second", async () => {
      const lookups = n.lookups.length;
      const stranger = n.from(STRANGER);
      for (let i = 0; i < 5; i++) await stranger.stopServer(HELLO);
      assert.equal(n.lookups.length - lookups, 0, "asked within the second before");
      n.advance(1000);
      for (let i = 0; i < 5; i++) await stranger.stopServer(HELLO);
      assert.equal(n.lookups.length - lookups, 2, "one lookup of each object");
      n.advance(10_000);
      assert.equal((await n.from(REGISTRY).stopServer(HELLO)).ret, 0);
      assert.equal(n.lookups.length - lookups, 4, "the registry's addresses expired");
    });
  } finally {
    await n.close();
    await Deno.remove(logDir, { recursive: true });
  }
});

Deno.test("node object: what it answers", async (t) => {
  const logDir = await Deno.makeTempDir({ prefix: "node_servant_" });
  await Deno.writeTextFile(join(logDir, "start.log"), "one\ntwo\nthree\n");
  const n = await startNode({ logDir });
  const node = n.from();
  try {
    await t.step("notifyServer: the service's answer", async () => {
      assert.deepEqual(await node.notifyServer({ ...HELLO, command: "tars.setloglevel DEBUG" }), {
        ret: 0,
        result: "log level set to DEBUG",
      });
      assert.deepEqual(n.notified, ["tars.setloglevel DEBUG"]);
    });

    await t.step("state and pid, as the admin registry reads them", async () => {
      const info = await node.getStateInfo(HELLO);
      assert.equal(info.ret, 0);
      assert.deepEqual(
        [info.info.serverState, info.info.processId, info.info.settingState, info.info.nodeName],
        [ServerState.Active, 4242, ServerState.Active, POD],
      );
      assert.deepEqual(await node.getServerPid(HELLO), { ret: 4242, result: "pid 4242" });
      n.set({ state: "inactive", reason: "held down by stopServer", pid: 0, held: true });
      assert.deepEqual((await node.getState(HELLO)).ret, ServerState.Inactive);
      assert.deepEqual((await node.getSettingState(HELLO)).ret, ServerState.Inactive);
      assert.equal((await node.getStateInfo(HELLO)).info.settingState, ServerState.Inactive);
      assert.equal(await node.getName({}).then((r) => r.ret), POD);
    });

    await t.step("another server than the pod's: -1, as tarsnode answers", async () => {
      const other = { application: "TestApp", serverName: "Other" };
      assert.deepEqual(await node.stopServer(other), {
        ret: -1,
        result: `TestApp.Other is not on node ${POD}: this pod runs TestApp.Hello`,
      });
      assert.deepEqual(n.requests, []);
    });

    await t.step("the log view", async () => {
      assert.deepEqual(await node.getLogFileList(HELLO), { ret: 0, logFileList: ["start.log"] });
      assert.deepEqual(
        await node.getLogData({
          ...HELLO,
          logFile: "start.log",
          cmd: "tail -2 __log_file_name__|head -5 | cat -v ",
        }),
        { ret: 0, fileData: "two\nthree\n" },
      );
      const refused = await node.getLogData({
        ...HELLO,
        logFile: "start.log",
        cmd: "cat /etc/passwd",
      });
      assert.equal(refused.ret, -1);
      assert.match(refused.fileData, /the node runs no shell/);
      const outside = await node.getLogData({
        ...HELLO,
        logFile: "../start.log",
        cmd: "tail -1 __log_file_name__",
      });
      assert.equal(outside.ret, -1);
    });

    await t.step("every other function: not supported, at once", async () => {
      const started = performance.now();
      const answers = [
        await node.destroyServer(HELLO),
        await node.loadServer(HELLO),
        await node.shutdown({}),
        await node.stopAllServers({}),
        await node.synState(HELLO),
        await node.addFile({ ...HELLO, file: "x" }),
        await node.delCache({ sFullCacheName: "a", sBackupPath: "b", sKey: "c" }),
      ];
      for (const answer of answers) {
        assert.equal(answer.ret, TarsErrCode.EM_TARS_CAN_NOT_EXECUTE);
        assert.match(answer.result, /is not supported on Kubernetes/);
      }
      const patch = await node.getPatchPercent(HELLO);
      assert.equal(patch.ret, 1011);
      assert.match(patch.tPatchInfo.sResult, /^getPatchPercent is not supported on Kubernetes/);
      assert.equal((await node.forceDockerLogin({})).ret, 1011);
      assert.equal((await node.getNodeLoad({ ...HELLO, pid: 1 })).ret, 1011);
      assert.equal((await node.getUnusedShmKeys({ count: 1 })).ret, 1011);
      assert.ok(performance.now() - started < 2000);
    });
  } finally {
    await n.close();
    await Deno.remove(logDir, { recursive: true });
  }
});

Deno.test("node object: its port", async (t) => {
  const servant = nodeServant(fakeControl().control, {
    application: "TestApp",
    server: "Hello",
    nodeName: POD,
    logDir: "/nonexistent",
    checkCaller: () => Promise.resolve(undefined),
    log: () => {},
  });
  const taken = Deno.listen({ hostname: POD, port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  try {
    await t.step("the highest free port of the range, away from the service's", async () => {
      const node = await startNodeServer(() => Promise.resolve(servant), {
        host: POD,
        port: undefined,
        range: { min: port - 3, max: port + 1 },
        servicePorts: new Set([port + 1]),
        log: () => {},
      });
      try {
        // port + 1 is the service's, port is in use: port - 1, unless something else holds it.
        const chosen = Number(/-p (\d+)/.exec(node.endpoint)![1]);
        assert.ok(chosen < port && chosen >= port - 3, node.endpoint);
        assert.match(
          node.endpoint,
          new RegExp(`^tcp -h ${POD.replaceAll(".", "\\.")} -p \\d+ -t 60000$`),
        );
      } finally {
        await node.close();
      }
    });

    await t.step("TARS_NODE_PORT in use: an error that names it", async () => {
      await assert.rejects(
        () =>
          startNodeServer(() => Promise.resolve(servant), {
            host: POD,
            port,
            range: { min: 1, max: 1 },
            servicePorts: new Set(),
            log: () => {},
          }),
        new RegExp(`Cannot listen on ${POD}:${port} \\(TARS_NODE_PORT\\): the address is in use`),
      );
    });

    await t.step("no free port in the range: an error that says what to set", async () => {
      await assert.rejects(
        () =>
          startNodeServer(() => Promise.resolve(servant), {
            host: POD,
            port: undefined,
            range: { min: port, max: port },
            servicePorts: new Set(),
            log: () => {},
          }),
        {
          name: "RangeError",
          message: new RegExp(`^No free port on ${POD} in ${port}\\.\\.${port} `),
        },
      );
    });
  } finally {
    taken.close();
  }
});
