/**
 * `NodeF` (the framework's Node.tars): the node object tarsnode serves on a machine and the
 * supervisor in a pod, with the server states and the framework's error codes it answers.
 *
 * @module
 */
import {
  bool,
  float,
  int16,
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

/** Servant name of the node object: tarsnode's on a machine, the supervisor's in a pod. */
export const NODE_OBJ = "tars.tarsnode.NodeObj";

/**
 * `tars.ServerState` (NodeDescriptor.tars), an `int` on the wire. The C++ framework writes a
 * state as text with the member's name (`Active`), the registry's rows in lower case (`active`).
 */
export const ServerState = {
  Inactive: 0,
  Activating: 1,
  Active: 2,
  Deactivating: 3,
  Destroying: 4,
  Destroyed: 5,
} as const;

/**
 * `tars.tarsErrCode` (AdminReg.tars): the codes the node and the admin registry answer besides 0
 * (success) and -1 (`EM_TARS_UNKNOWN_ERR`).
 */
export const TarsErrCode = {
  EM_TARS_NODE_NOT_REGISTRY_ERR: 1001,
  EM_TARS_CALL_NODE_TIMEOUT_ERR: 1002,
  EM_TARS_LOAD_SERVICE_DESC_ERR: 1003,
  EM_TARS_SERVICE_STATE_ERR: 1004,
  EM_TARS_REQ_ALREADY_ERR: 1005,
  EM_TARS_INVALID_IP_ERR: 1006,
  EM_TARS_PARAMETER_ERR: 1007,
  EM_TARS_OTHER_ERR: 1008,
  EM_TARS_GET_PATCH_FILE_ERR: 1009,
  EM_TARS_PREPARE_ERR: 1010,
  EM_TARS_CAN_NOT_EXECUTE: 1011,
  EM_TARS_NODE_NO_CONNECTION: 1012,
  EM_TARS_UNKNOWN_ERR: -1,
  EM_TARS_SUCCESS: 0,
} as const;

/** `tars.LoadInfo`: a machine's load averages. */
export const LoadInfo = struct("tars.LoadInfo", {
  avg1: req(0, float),
  avg5: req(1, float),
  avg15: req(2, float),
  avgCpu: opt(3, int32),
});

/** `tars.PatchInfo`: the progress of a patch (publish). */
export const PatchInfo = struct("tars.PatchInfo", {
  bPatching: req(0, bool),
  iPercent: req(1, int32),
  iModifyTime: req(2, int32),
  sVersion: req(3, string),
  sResult: req(4, string),
  bSucc: opt(5, bool, false),
});

/** `tars.NodeInfo`: what a tarsnode registers about itself. */
export const NodeInfo = struct("tars.NodeInfo", {
  nodeName: req(0, string),
  nodeObj: req(1, string),
  endpointIp: req(2, string),
  endpointPort: req(3, int32),
  timeOut: req(4, int16),
  dataDir: req(5, string),
  version: opt(6, string),
  coreFileSize: opt(7, string),
  openFiles: opt(8, int32),
});

/** `tars.ReportNode`: a node's long-connection report to the admin registry. */
export const ReportNode = struct("tars.ReportNode", {
  nodeName: req(0, string),
  sid: req(1, string),
});

/** `tars.ServerStateInfo`: a server's state and pid as its node sees them. */
export const ServerStateInfo = struct("tars.ServerStateInfo", {
  /** A `ServerState`. */
  serverState: req(0, int32),
  processId: req(1, int32),
  nodeName: opt(2, string),
  application: opt(3, string),
  serverName: opt(4, string),
  /** A `ServerState`: whether the node keeps the server running. */
  settingState: opt(5, int32),
  exState: opt(6, map(string, string)),
});

/** `tars.PatchRequest`: a publish request. */
export const PatchRequest = struct("tars.PatchRequest", {
  appname: req(0, string),
  servername: req(1, string),
  nodename: req(2, string),
  groupname: req(3, string),
  binname: req(4, string),
  version: req(5, string),
  user: req(6, string),
  servertype: req(7, string),
  patchobj: req(8, string),
  md5: req(9, string),
  ostype: opt(10, string),
  filepath: opt(11, string),
});

/** A decoded `ServerStateInfo`. */
export type ServerStateInfoValue = StructValue<typeof ServerStateInfo.fields>;
/** A decoded `PatchInfo`. */
export type PatchInfoValue = StructValue<typeof PatchInfo.fields>;

const application = param("application", string);
const serverName = param("serverName", string);
const result = out("result", string);

/**
 * `tars.Node` (framework/Node.tars), served as `tars.tarsnode.NodeObj`: what the admin registry
 * asks of the node that runs a server. Every function of the current IDL; those an older IDL has
 * and the C++ admin registry 2.x still calls (`getServerPid`, `getState`, `getSettingState`, and
 * the rest of that version); and `restartServer`, which the official IDL leaves commented out and
 * TarsCloud/K8SFramework's per-pod node declares.
 */
export const NodeF = defineInterface("Node", {
  destroyServer: { params: [application, serverName, result], ret: int32 },
  patchPro: { params: [param("req", PatchRequest), result], ret: int32 },
  addFile: { params: [application, serverName, param("file", string), result], ret: int32 },
  getName: { params: [], ret: string },
  getLoad: { params: [], ret: LoadInfo },
  shutdown: { params: [result], ret: int32 },
  stopAllServers: { params: [result], ret: int32 },
  loadServer: { params: [application, serverName, result], ret: int32 },
  startServer: { params: [application, serverName, result], ret: int32 },
  stopServer: { params: [application, serverName, result], ret: int32 },
  restartServer: { params: [application, serverName, result], ret: int32 },
  notifyServer: {
    params: [application, serverName, param("command", string), result],
    ret: int32,
  },
  getServerPid: { params: [application, serverName, result], ret: int32 },
  /** Returns a `ServerState`. */
  getSettingState: { params: [application, serverName, result], ret: int32 },
  /** Returns a `ServerState`. */
  getState: { params: [application, serverName, result], ret: int32 },
  getStateInfo: {
    params: [application, serverName, out("info", ServerStateInfo), result],
    ret: int32,
  },
  synState: { params: [application, serverName, result], ret: int32 },
  getPatchPercent: {
    params: [application, serverName, out("tPatchInfo", PatchInfo)],
    ret: int32,
  },
  delCache: {
    params: [
      param("sFullCacheName", string),
      param("sBackupPath", string),
      param("sKey", string),
      result,
    ],
    ret: int32,
  },
  getUnusedShmKeys: {
    params: [param("count", int32), out("shm_keys", list(int32))],
    ret: int32,
  },
  getLogFileList: {
    params: [application, serverName, out("logFileList", list(string))],
    ret: int32,
  },
  getLogData: {
    params: [
      application,
      serverName,
      param("logFile", string),
      param("cmd", string),
      out("fileData", string),
    ],
    ret: int32,
  },
  getNodeLoad: {
    params: [application, serverName, param("pid", int32), out("fileData", string)],
    ret: int32,
  },
  forceDockerLogin: { params: [out("result", list(string))], ret: int32 },
});
