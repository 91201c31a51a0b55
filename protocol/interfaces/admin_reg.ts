/**
 * `AdminReg` (the framework's AdminReg.tars): the admin registry the web console calls, its task
 * structs and the two numberings of their states.
 *
 * @module
 */
import {
  bool,
  int32,
  list,
  map,
  opt,
  req,
  string,
  struct,
  type StructValue,
} from "../codec/types.ts";
import { defineInterface, out, param } from "../interface.ts";
import { PatchInfo, PatchRequest, ReportNode } from "./node_f.ts";

/** Servant name of the admin registry, the object the web console calls. */
export const ADMIN_REG_OBJ = "tars.tarsAdminRegistry.AdminRegObj";

/**
 * `tars.EMTaskStatus` as the current AdminReg.tars numbers it (TarsWeb 3.x, the C++ framework
 * 3.x). TarsWeb 2.x numbers the same states otherwise: {@linkcode TaskStatusV2}.
 */
export const TaskStatus = {
  EM_T_NOT_START: 0,
  EM_T_PREPARE: 1,
  EM_T_RUNNING: 2,
  EM_T_SUCCESS: 3,
  EM_T_FAILED: 4,
  EM_T_CANCEL: 5,
  EM_T_PARIAL: 6,
} as const;

/** `tars.EMTaskItemStatus` as the current AdminReg.tars numbers it. */
export const TaskItemStatus = {
  EM_I_NOT_START: 0,
  EM_I_PREPARE: 1,
  EM_I_RUNNING: 2,
  EM_I_SUCCESS: 3,
  EM_I_FAILED: 4,
  EM_I_CANCEL: 5,
  EM_I_PAUSE_FLOW: 6,
} as const;

/**
 * `tars.EMTaskStatus` of TarsWeb 2.x's copy of AdminReg.tars (the C++ framework 2.x): no
 * `PREPARE`, so success is 2 there and 3 in {@linkcode TaskStatus}.
 */
export const TaskStatusV2 = {
  EM_T_NOT_START: 0,
  EM_T_RUNNING: 1,
  EM_T_SUCCESS: 2,
  EM_T_FAILED: 3,
  EM_T_CANCEL: 4,
  EM_T_PARIAL: 5,
} as const;

/** `tars.EMTaskItemStatus` of TarsWeb 2.x's copy of AdminReg.tars. */
export const TaskItemStatusV2 = {
  EM_I_NOT_START: 0,
  EM_I_RUNNING: 1,
  EM_I_SUCCESS: 2,
  EM_I_FAILED: 3,
  EM_I_CANCEL: 4,
} as const;

/** `tars.ServerStateDesc`: a server's states in the registry and on its node. */
export const ServerStateDesc = struct("tars.ServerStateDesc", {
  /** `active` or `inactive`, as the registry keeps it. */
  settingStateInReg: req(0, string),
  presentStateInReg: req(1, string),
  /** The node's `ServerState` by name (`Active`). */
  presentStateInNode: req(2, string),
  processId: req(3, int32),
  patchVersion: req(4, string),
  patchTime: req(5, string),
  patchUser: req(6, string),
});

/** `tars.TaskItemReq`: one command of a task, for one server on one node. */
export const TaskItemReq = struct("tars.TaskItemReq", {
  taskNo: opt(0, string),
  itemNo: opt(1, string),
  application: opt(2, string),
  serverName: opt(3, string),
  nodeName: opt(4, string),
  setName: opt(5, string),
  /** `restart`, `stop`, `start`, `undeploy_tars`, `patch_tars`… */
  command: opt(6, string),
  userName: opt(7, string),
  parameters: opt(8, map(string, string)),
});

/** `tars.TaskItemRsp`: an item and how it went. */
export const TaskItemRsp = struct("tars.TaskItemRsp", {
  req: opt(0, TaskItemReq),
  /** `YYYY-MM-DD HH:MM:SS`, empty before it started. */
  startTime: opt(1, string),
  endTime: opt(2, string),
  /** An `EMTaskItemStatus`. */
  status: opt(3, int32),
  statusInfo: opt(4, string),
  executeLog: opt(5, string),
  percent: opt(6, int32),
});

/**
 * What `TaskReq.eachNum` reads when the request has no tag 5. The IDL's default is 1; -1 here tells
 * a request of TarsWeb 2.x, whose copy of the IDL stops at tag 3, from one of TarsWeb 3.x, whose
 * generated code writes every field, tag 5 included, whatever its value. A task runs -1 as 1.
 */
export const EACH_NUM_ABSENT = -1;

/**
 * `tars.TaskReq`: a batch of items, one after another (`serial`) or at once. Tags 4 and 5 are
 * the current IDL's; TarsWeb 2.x's copy has 0-3 only.
 */
export const TaskReq = struct("tars.TaskReq", {
  taskItemReq: opt(0, list(TaskItemReq)),
  taskNo: opt(1, string),
  serial: opt(2, bool),
  userName: opt(3, string),
  isElegant: opt(4, bool, false),
  eachNum: opt(5, int32, EACH_NUM_ABSENT),
});

/** `tars.TaskRsp`: a task and its items. */
export const TaskRsp = struct("tars.TaskRsp", {
  taskItemRsp: opt(0, list(TaskItemRsp)),
  taskNo: opt(1, string),
  serial: opt(2, bool),
  userName: opt(3, string),
  /** An `EMTaskStatus`. */
  status: opt(4, int32),
  createTime: opt(5, string),
  executeLog: opt(6, string),
});

/** `tars.FrameworkServer`: a framework server the console's framework check pings. */
export const FrameworkServer = struct("tars.FrameworkServer", {
  serverName: req(0, string),
  nodeName: req(1, string),
  /** `Servant@endpoint`; empty for a node, which is pinged by name. */
  objName: req(2, string),
});

/** A decoded `TaskReq`. */
export type TaskReqValue = StructValue<typeof TaskReq.fields>;
/** A decoded `TaskItemReq`. */
export type TaskItemReqValue = StructValue<typeof TaskItemReq.fields>;
/** A decoded `FrameworkServer`. */
export type FrameworkServerValue = StructValue<typeof FrameworkServer.fields>;

const application = param("application", string);
const serverName = param("serverName", string);
const nodeName = param("nodeName", string);
const result = out("result", string);

/**
 * `tars.AdminReg` (framework/AdminReg.tars), served as `tars.tarsAdminRegistry.AdminRegObj`:
 * what the web console asks of the framework. Every function of the current IDL, in its order,
 * with its spelling (`getNodeVesion`).
 */
export const AdminReg = defineInterface("AdminReg", {
  reportNode: { params: [param("rn", ReportNode)], ret: int32 },
  deleteNode: { params: [param("rn", ReportNode)], ret: int32 },
  reportResult: {
    params: [
      param("requestId", int32),
      param("funcName", string),
      // `ret` in the IDL, a name the return value takes here; names matter only to TUP callers.
      param("iRet", int32),
      param("result", string),
    ],
    ret: int32,
  },
  addTaskReq: { params: [param("taskReq", TaskReq)], ret: int32 },
  getTaskRsp: { params: [param("taskNo", string), out("taskRsp", TaskRsp)], ret: int32 },
  getTaskHistory: {
    params: [application, serverName, param("command", string), out("taskRsps", list(TaskRsp))],
    ret: int32,
  },
  setTaskItemInfo: {
    params: [param("itemNo", string), param("info", map(string, string))],
    ret: int32,
  },
  getAllApplicationNames: { params: [result], ret: list(string) },
  getAllNodeNames: { params: [result], ret: list(string) },
  pingNode: { params: [param("name", string), result], ret: bool },
  getNodeVesion: {
    params: [param("name", string), out("version", string), result],
    ret: int32,
  },
  shutdownNode: { params: [param("name", string), result], ret: int32 },
  getAllServerIds: { params: [result], ret: list(list(string)) },
  getServerState: {
    params: [application, serverName, nodeName, out("state", ServerStateDesc), result],
    ret: int32,
  },
  getGroupId: {
    params: [param("ip", string), out("groupId", int32), result],
    ret: int32,
  },
  startServer: { params: [application, serverName, nodeName, result], ret: int32 },
  stopServer: { params: [application, serverName, nodeName, result], ret: int32 },
  restartServer: { params: [application, serverName, nodeName, result], ret: int32 },
  destroyServer: { params: [application, serverName, nodeName, result], ret: int32 },
  notifyServer: {
    params: [application, serverName, nodeName, param("command", string), result],
    ret: int32,
  },
  batchPatch: { params: [param("req", PatchRequest), result], ret: int32 },
  undeploy: {
    params: [application, serverName, nodeName, param("user", string), out("log", string)],
    ret: int32,
  },
  updatePatchLog: {
    params: [
      application,
      serverName,
      nodeName,
      param("patchId", string),
      param("user", string),
      param("patchType", string),
      param("succ", bool),
    ],
    ret: int32,
  },
  getPatchPercent: {
    params: [application, serverName, nodeName, out("tPatchInfo", PatchInfo)],
    ret: int32,
  },
  delCache: {
    params: [
      param("nodeName", string),
      param("sFullCacheName", string),
      param("sBackupPath", string),
      param("sKey", string),
      result,
    ],
    ret: int32,
  },
  loadServer: { params: [application, serverName, nodeName, result], ret: int32 },
  getProfileTemplate: {
    params: [
      param("profileName", string),
      out("profileTemplate", string),
      out("resultDesc", string),
    ],
    ret: int32,
  },
  getServerProfileTemplate: {
    params: [
      application,
      serverName,
      nodeName,
      out("profileTemplate", string),
      out("resultDesc", string),
    ],
    ret: int32,
  },
  getClientIp: { params: [out("sClientIp", string)], ret: int32 },
  getLogFileList: {
    params: [application, serverName, nodeName, out("logFileList", list(string))],
    ret: int32,
  },
  getLogData: {
    params: [
      application,
      serverName,
      nodeName,
      param("logFile", string),
      param("cmd", string),
      out("fileData", string),
    ],
    ret: int32,
  },
  getNodeLoad: {
    params: [application, serverName, nodeName, param("pid", int32), out("fileData", string)],
    ret: int32,
  },
  deletePatchFile: {
    params: [application, serverName, param("patchFile", string)],
    ret: int32,
  },
  getServers: { params: [out("servers", list(FrameworkServer))], ret: int32 },
  checkServer: { params: [param("server", FrameworkServer)], ret: int32 },
  getVersion: { params: [out("version", string)], ret: int32 },
  updateServerFlowState: {
    params: [application, serverName, param("nodeList", list(string)), param("bActive", bool)],
    ret: int32,
  },
  forceDockerLogin: {
    params: [param("nodeName", string), out("result", list(string))],
    ret: int32,
  },
  checkDockerRegistry: {
    params: [
      param("registry", string),
      param("userName", string),
      param("password", string),
      result,
    ],
    ret: int32,
  },
  dockerPull: { params: [param("baseImageId", string)], ret: int32 },
  getNodeList: {
    params: [param("nodeNames", list(string)), out("heartbeats", map(string, string))],
    ret: int32,
  },
});
