/**
 * `tars.tarsAdminRegistry.AdminRegObj`: the admin registry the web console calls, answered from
 * the registry's state and store, and forwarded to the pods' node objects. Every function of
 * AdminReg.tars answers: what the console needs (versions, framework check, node ping, server
 * state, start, stop, restart, notify, undeploy, tasks, the traffic switch, logs, profile
 * templates), and the rest at once with `EM_TARS_CAN_NOT_EXECUTE` saying why it does not apply on
 * Kubernetes and what to do instead. A call that changes or commands something, or reads a pod's
 * files, is taken only from a peer in `--admin-allow` (trust.ts).
 *
 * @module
 */
import { TarsCallError } from "../../protocol/call_error.ts";
import { AdminReg, type FrameworkServerValue } from "../../protocol/interfaces/admin_reg.ts";
import { ServerState, TarsErrCode } from "../../protocol/interfaces/node_f.ts";
import type { CallContext, ServantImpl } from "../../protocol/server.ts";
import type { RegistryService } from "../registry_service.ts";
import { formatDatetime } from "../store/datetime.ts";
import type { AdminStore, TaskRecord } from "../store/mod.ts";
import { assertAdminPeer, type TrustPolicy } from "../trust.ts";
import { type NodeCaller, NodeCallError, type NodeObjectLookup } from "./node_caller.ts";
import type { ServerOperations } from "./operations.ts";
import { profileTemplate, serverProfile } from "./profiles.ts";
import { decodeParameters } from "./task_parameters.ts";
import { planOf, taskRows } from "./task_rows.ts";
import type { TaskRunner } from "./task_runner.ts";
import { itemStateOf, itemStatusName, itemStatusNumber, taskStatusNumber } from "./task_status.ts";

/** How long the admin registry waits for a node, by kind of call (ms). */
export interface AdminTimeouts {
  /** A start, stop, restart or notify the console waits for (its own timeout is 30 s). */
  readonly call: number;
  /** A state query or a log read. */
  readonly query: number;
  /** A ping (the console's node check waits 1 to 2 s). */
  readonly ping: number;
}

/** What the servant answers from and forwards to. */
export interface AdminRegDeps {
  readonly service: RegistryService;
  /** The store's reads: tasks, node versions, templates. */
  readonly store: Pick<
    AdminStore,
    "task" | "taskHistory" | "nodeVersion" | "profileTemplate" | "serverProfile"
  >;
  readonly operations: ServerOperations;
  readonly tasks: TaskRunner;
  readonly nodes: NodeCaller;
  /** Where a node's object is (the framework check lists them). */
  readonly nodeObject: NodeObjectLookup;
  readonly trust: TrustPolicy;
  readonly timeouts: AdminTimeouts;
  /** What `getVersion` answers: the console shows it as the framework's version. */
  readonly version: string;
}

const STATE_NAMES = new Map<number, string>(
  Object.entries(ServerState).map(([name, value]) => [value, name]),
);

/** A call this registry does not serve, answered at once with why and what to do instead. */
function unsupported(call: string, why: string): never {
  throw new TarsCallError(
    TarsErrCode.EM_TARS_CAN_NOT_EXECUTE,
    `${call} is not supported on Kubernetes: ${why}`,
  );
}

const PUBLISHING = "publishing packages is not done through the registry: build an image of " +
  "the new version and roll it out";
const IMAGES = "Kubernetes pulls the images (imagePullSecrets)";
const LONG_CONNECTION = "it is tarsnode's long connection to the admin registry; a pod's node " +
  "object is called directly";

/** A TaskRsp of a stored task, in the numbering of the console that asked for it. */
function taskRsp(task: TaskRecord) {
  const states = task.items.map((item) => itemStateOf(item.status, task.numbering));
  return {
    taskItemRsp: task.items.map((item, i) => ({
      req: {
        taskNo: task.taskNo,
        itemNo: item.itemNo,
        application: item.application,
        serverName: item.server,
        nodeName: item.nodeName,
        setName: item.setName,
        command: item.command,
        userName: task.userName,
        parameters: decodeParameters(item.parameters),
      },
      startTime: item.startTime,
      endTime: item.endTime,
      status: itemStatusNumber(states[i], task.numbering),
      statusInfo: itemStatusName(states[i]),
      executeLog: item.log,
      percent: 0,
    })),
    taskNo: task.taskNo,
    serial: task.serial,
    userName: task.userName,
    status: taskStatusNumber(states, task.numbering),
    createTime: task.createTime,
    executeLog: "",
  };
}

/** The AdminReg servant; see the module comment. */
export function adminRegServant(deps: AdminRegDeps): ServantImpl<typeof AdminReg> {
  const { service, store, operations, nodes, timeouts } = deps;
  const admin = (ctx: CallContext, action: string) =>
    assertAdminPeer(ctx.remote.host, { policy: deps.trust, action });
  const key = (req: { application: string; serverName: string; nodeName: string }) => ({
    application: req.application,
    server: req.serverName,
    nodeName: req.nodeName,
  });
  /** Calls a node for a reading call without a text out-parameter: no answer is a call error. */
  const read = async <T>(
    nodeName: string,
    what: string,
    call: Parameters<NodeCaller["call"]>[2],
  ): Promise<T> => {
    try {
      return await nodes.call(nodeName, { what, timeout: timeouts.call }, call) as T;
    } catch (error) {
      if (error instanceof NodeCallError) throw new TarsCallError(error.code, error.message);
      throw error;
    }
  };
  const pingNode = async (name: string) => {
    try {
      await nodes.pingNode(name, timeouts.ping);
      return { ret: true, result: "ping succ" };
    } catch (error) {
      if (!(error instanceof NodeCallError)) throw error;
      return { ret: false, result: `pingNode '${name}' exception: ${error.message}` };
    }
  };

  return {
    reportNode: () => unsupported("reportNode", LONG_CONNECTION),
    deleteNode: () => unsupported("deleteNode", LONG_CONNECTION),
    reportResult: () => unsupported("reportResult", LONG_CONNECTION),

    addTaskReq: async ({ taskReq }, ctx) => {
      admin(ctx, "addTaskReq");
      await deps.tasks.add(taskRows(taskReq), planOf(taskReq));
      return { ret: 0 };
    },
    getTaskRsp: async ({ taskNo }) => {
      const task = await store.task(taskNo);
      if (!task) return { ret: -1, taskRsp: {} };
      return { ret: 0, taskRsp: taskRsp(task) };
    },
    getTaskHistory: async ({ application, serverName, command }) => ({
      ret: 0,
      taskRsps: (await store.taskHistory({ application, server: serverName, command })).map(
        taskRsp,
      ),
    }),
    setTaskItemInfo: () =>
      unsupported(
        "setTaskItemInfo",
        "the admin registry records the items of its tasks itself, in t_task_item",
      ),

    getAllApplicationNames: () => ({
      ret: [...new Set(service.servers().map((v) => v.server.application))],
      result: "",
    }),
    getAllNodeNames: () => ({
      ret: [...new Set(service.servers().map((v) => v.server.nodeName))].sort(),
      result: "",
    }),
    pingNode: ({ name }) => pingNode(name),
    getNodeVesion: async ({ name }) => {
      const version = await store.nodeVersion(name);
      if (version === undefined) {
        return { ret: -1, version: "", result: `node_name(${name}) is not in t_node_info` };
      }
      return { ret: 0, version, result: "" };
    },
    shutdownNode: () =>
      unsupported("shutdownNode", "a pod's node stops with its pod: delete the pod"),
    getAllServerIds: () =>
      unsupported("getAllServerIds", "the console reads the servers from t_server_conf"),

    getServerState: async (req) => {
      const view = service.server(key(req));
      const name = `${req.application}.${req.serverName}_${req.nodeName}`;
      if (!view) {
        return {
          ret: TarsErrCode.EM_TARS_LOAD_SERVICE_DESC_ERR,
          state: {
            settingStateInReg: "",
            presentStateInReg: "",
            presentStateInNode: "",
            processId: 0,
            patchVersion: "",
            patchTime: "",
            patchUser: "",
          },
          result: ` '${name}' no config`,
        };
      }
      const s = view.server;
      const state = {
        settingStateInReg: s.settingState,
        presentStateInReg: s.presentState,
        presentStateInNode: "",
        processId: s.processId,
        patchVersion: s.version,
        patchTime: "",
        patchUser: "",
      };
      try {
        const answer = await nodes.call(
          req.nodeName,
          { what: "getStateInfo", timeout: timeouts.query },
          (node, timeout) =>
            node.getStateInfo(
              { application: req.application, serverName: req.serverName },
              { timeout },
            ),
        );
        return {
          ret: answer.ret,
          state: {
            ...state,
            presentStateInNode: STATE_NAMES.get(answer.info.serverState) ?? "",
            processId: answer.info.processId,
          },
          result: answer.result,
        };
      } catch (error) {
        if (!(error instanceof NodeCallError)) throw error;
        return { ret: error.code, state, result: error.message };
      }
    },
    getGroupId: () => unsupported("getGroupId", "the registry keeps no IDC groups"),

    startServer: (req, ctx) => {
      admin(ctx, "startServer");
      return operations.start(key(req), { timeout: timeouts.call });
    },
    stopServer: (req, ctx) => {
      admin(ctx, "stopServer");
      return operations.stop(key(req), { timeout: timeouts.call });
    },
    restartServer: (req, ctx) => {
      admin(ctx, "restartServer");
      return operations.restart(key(req), { timeout: timeouts.call });
    },
    destroyServer: (req, ctx) => {
      admin(ctx, "destroyServer");
      return operations.undeploy(key(req), { timeout: timeouts.call });
    },
    notifyServer: (req, ctx) => {
      admin(ctx, "notifyServer");
      return operations.notify(key(req), req.command, { timeout: timeouts.call });
    },
    batchPatch: () => unsupported("batchPatch", PUBLISHING),
    undeploy: async (req, ctx) => {
      admin(ctx, "undeploy");
      const outcome = await operations.undeploy(key(req), { timeout: timeouts.call });
      return { ret: outcome.ret, log: outcome.result };
    },
    updatePatchLog: () => unsupported("updatePatchLog", PUBLISHING),
    getPatchPercent: () => unsupported("getPatchPercent", PUBLISHING),
    delCache: () => unsupported("delCache", "the registry runs no cache servers' memory"),
    loadServer: () =>
      unsupported(
        "loadServer",
        "a pod's config is made when it starts (tarscli genconf): restart the server",
      ),

    getProfileTemplate: async ({ profileName }) => {
      const merged = await profileTemplate(store, profileName);
      return { ret: 0, profileTemplate: merged.profile, resultDesc: merged.description };
    },
    getServerProfileTemplate: async (req) => {
      if (req.application === "" || req.serverName === "" || req.nodeName === "") {
        return {
          ret: -1,
          profileTemplate: "",
          resultDesc: "give the application, the server and the node",
        };
      }
      const merged = await serverProfile(store, key(req));
      if (!merged) {
        return {
          ret: -1,
          profileTemplate: "",
          resultDesc: `${req.application}.${req.serverName} is not registered on node ` +
            `'${req.nodeName}'`,
        };
      }
      return { ret: 0, profileTemplate: merged.profile, resultDesc: merged.description };
    },
    getClientIp: (_args, ctx) => ({ ret: 0, sClientIp: ctx.remote.host }),

    getLogFileList: (req, ctx) => {
      admin(ctx, "getLogFileList");
      return read(req.nodeName, "getLogFileList", (node, timeout) =>
        node.getLogFileList(
          { application: req.application, serverName: req.serverName },
          { timeout },
        ));
    },
    getLogData: (req, ctx) => {
      admin(ctx, "getLogData");
      return read(req.nodeName, "getLogData", (node, timeout) =>
        node.getLogData(
          {
            application: req.application,
            serverName: req.serverName,
            logFile: req.logFile,
            cmd: req.cmd,
          },
          { timeout },
        ));
    },
    getNodeLoad: () =>
      unsupported("getNodeLoad", "a pod's load is Kubernetes' (kubectl top, metrics)"),
    deletePatchFile: () => unsupported("deletePatchFile", PUBLISHING),

    getServers: () => ({ ret: 0, servers: frameworkServers(deps) }),
    checkServer: async ({ server }) => {
      if (server.objName === "") return { ret: (await pingNode(server.nodeName)).ret ? 0 : -1 };
      try {
        await nodes.ping(server.objName, timeouts.ping);
        return { ret: 0 };
      } catch (error) {
        if (!(error instanceof NodeCallError)) throw error;
        return { ret: -1 };
      }
    },
    getVersion: () => ({ ret: 0, version: deps.version }),
    updateServerFlowState: async (req, ctx) => {
      admin(ctx, "updateServerFlowState");
      await service.setFlowState({
        application: req.application,
        server: req.serverName,
        nodeNames: req.nodeList,
        active: req.bActive,
      });
      return { ret: 0 };
    },
    forceDockerLogin: () => unsupported("forceDockerLogin", IMAGES),
    checkDockerRegistry: () => unsupported("checkDockerRegistry", IMAGES),
    dockerPull: () => unsupported("dockerPull", IMAGES),
    getNodeList: ({ nodeNames }) => {
      const heartbeats = new Map<string, string>();
      for (const name of nodeNames) {
        const node = service.node(name);
        heartbeats.set(name, node ? formatDatetime(node.lastHeartbeat) : "");
      }
      return { ret: 0, heartbeats };
    },
  };
}

/**
 * The framework's servers for the console's framework check: every adapter of the `tars`
 * application (the registry, the admin registry, the framework's services), and the node object
 * of every node that serves one, as `tarsnode`.
 */
function frameworkServers(deps: AdminRegDeps): FrameworkServerValue[] {
  const servers: FrameworkServerValue[] = [];
  const nodes = new Set<string>();
  for (const view of deps.service.servers()) {
    const s = view.server;
    nodes.add(s.nodeName);
    if (s.application !== "tars") continue;
    for (const adapter of s.adapters) {
      servers.push({
        serverName: s.server,
        nodeName: s.nodeName,
        objName: `${adapter.servant}@${adapter.endpoint}`,
      });
    }
  }
  for (const nodeName of [...nodes].sort()) {
    const object = deps.nodeObject(nodeName);
    if (object) servers.push({ serverName: "tarsnode", nodeName, objName: object.objectName });
  }
  return servers;
}
