import assert from "node:assert/strict";
import { decodeFields, encodeFields } from "../codec/codec.ts";
import { bool, list, opt, string, struct } from "../codec/types.ts";
import {
  AdminReg,
  EACH_NUM_ABSENT,
  FrameworkServer,
  ServerStateDesc,
  TaskItemReq,
  TaskItemRsp,
  TaskReq,
  TaskRsp,
} from "./admin_reg.ts";
import { methodSignature, structFields } from "../../tests/support/idl_signature.ts";

const APP = ["1 application string", "2 serverName string", "3 nodeName string"];

/**
 * AdminReg.tars as published (TarsCloud/TarsProtocol framework/AdminReg.tars), written out by
 * hand: function → [return type, then each parameter as "tag name type", `out` marked]. The IDL
 * numbers parameters 1..n in declaration order, out-parameters included; the return is tag 0.
 */
const IDL: Record<string, string[]> = {
  reportNode: ["int32", "1 rn tars.ReportNode"],
  deleteNode: ["int32", "1 rn tars.ReportNode"],
  // The IDL names the third parameter `ret`, which is the return value's name here.
  reportResult: [
    "int32",
    "1 requestId int32",
    "2 funcName string",
    "3 iRet int32",
    "4 result string",
  ],
  addTaskReq: ["int32", "1 taskReq tars.TaskReq"],
  getTaskRsp: ["int32", "1 taskNo string", "2 out taskRsp tars.TaskRsp"],
  getTaskHistory: [
    "int32",
    "1 application string",
    "2 serverName string",
    "3 command string",
    "4 out taskRsps list<tars.TaskRsp>",
  ],
  setTaskItemInfo: ["int32", "1 itemNo string", "2 info map<string,string>"],
  getAllApplicationNames: ["list<string>", "1 out result string"],
  getAllNodeNames: ["list<string>", "1 out result string"],
  pingNode: ["bool", "1 name string", "2 out result string"],
  getNodeVesion: ["int32", "1 name string", "2 out version string", "3 out result string"],
  shutdownNode: ["int32", "1 name string", "2 out result string"],
  getAllServerIds: ["list<list<string>>", "1 out result string"],
  getServerState: [
    "int32",
    ...APP,
    "4 out state tars.ServerStateDesc",
    "5 out result string",
  ],
  getGroupId: ["int32", "1 ip string", "2 out groupId int32", "3 out result string"],
  startServer: ["int32", ...APP, "4 out result string"],
  stopServer: ["int32", ...APP, "4 out result string"],
  restartServer: ["int32", ...APP, "4 out result string"],
  destroyServer: ["int32", ...APP, "4 out result string"],
  notifyServer: ["int32", ...APP, "4 command string", "5 out result string"],
  batchPatch: ["int32", "1 req tars.PatchRequest", "2 out result string"],
  undeploy: ["int32", ...APP, "4 user string", "5 out log string"],
  updatePatchLog: [
    "int32",
    ...APP,
    "4 patchId string",
    "5 user string",
    "6 patchType string",
    "7 succ bool",
  ],
  getPatchPercent: ["int32", ...APP, "4 out tPatchInfo tars.PatchInfo"],
  delCache: [
    "int32",
    "1 nodeName string",
    "2 sFullCacheName string",
    "3 sBackupPath string",
    "4 sKey string",
    "5 out result string",
  ],
  loadServer: ["int32", ...APP, "4 out result string"],
  getProfileTemplate: [
    "int32",
    "1 profileName string",
    "2 out profileTemplate string",
    "3 out resultDesc string",
  ],
  getServerProfileTemplate: [
    "int32",
    ...APP,
    "4 out profileTemplate string",
    "5 out resultDesc string",
  ],
  getClientIp: ["int32", "1 out sClientIp string"],
  getLogFileList: ["int32", ...APP, "4 out logFileList list<string>"],
  getLogData: [
    "int32",
    ...APP,
    "4 logFile string",
    "5 cmd string",
    "6 out fileData string",
  ],
  getNodeLoad: ["int32", ...APP, "4 pid int32", "5 out fileData string"],
  deletePatchFile: ["int32", "1 application string", "2 serverName string", "3 patchFile string"],
  getServers: ["int32", "1 out servers list<tars.FrameworkServer>"],
  checkServer: ["int32", "1 server tars.FrameworkServer"],
  getVersion: ["int32", "1 out version string"],
  updateServerFlowState: [
    "int32",
    "1 application string",
    "2 serverName string",
    "3 nodeList list<string>",
    "4 bActive bool",
  ],
  forceDockerLogin: ["int32", "1 nodeName string", "2 out result list<string>"],
  checkDockerRegistry: [
    "int32",
    "1 registry string",
    "2 userName string",
    "3 password string",
    "4 out result string",
  ],
  dockerPull: ["int32", "1 baseImageId string"],
  getNodeList: ["int32", "1 nodeNames list<string>", "2 out heartbeats map<string,string>"],
};

Deno.test("AdminReg: every function with the IDL's name, parameter tags and types", () => {
  assert.deepEqual([...AdminReg.compiled.keys()], Object.keys(IDL));
  for (const [name, method] of AdminReg.compiled) {
    assert.deepEqual(methodSignature(method), IDL[name], name);
  }
});

Deno.test("AdminReg: structs at the tags of AdminReg.tars", () => {
  assert.deepEqual(structFields(ServerStateDesc), [
    "0 req settingStateInReg string",
    "1 req presentStateInReg string",
    "2 req presentStateInNode string",
    "3 req processId int32",
    "4 req patchVersion string",
    "5 req patchTime string",
    "6 req patchUser string",
  ]);
  assert.deepEqual(structFields(TaskItemReq), [
    "0 opt taskNo string",
    "1 opt itemNo string",
    "2 opt application string",
    "3 opt serverName string",
    "4 opt nodeName string",
    "5 opt setName string",
    "6 opt command string",
    "7 opt userName string",
    "8 opt parameters map<string,string>",
  ]);
  assert.deepEqual(structFields(TaskItemRsp), [
    "0 opt req tars.TaskItemReq",
    "1 opt startTime string",
    "2 opt endTime string",
    "3 opt status int32",
    "4 opt statusInfo string",
    "5 opt executeLog string",
    "6 opt percent int32",
  ]);
  assert.deepEqual(structFields(TaskReq), [
    "0 opt taskItemReq list<tars.TaskItemReq>",
    "1 opt taskNo string",
    "2 opt serial bool",
    "3 opt userName string",
    "4 opt isElegant bool",
    "5 opt eachNum int32",
  ]);
  assert.deepEqual(structFields(TaskRsp), [
    "0 opt taskItemRsp list<tars.TaskItemRsp>",
    "1 opt taskNo string",
    "2 opt serial bool",
    "3 opt userName string",
    "4 opt status int32",
    "5 opt createTime string",
    "6 opt executeLog string",
  ]);
  assert.deepEqual(structFields(FrameworkServer), [
    "0 req serverName string",
    "1 req nodeName string",
    "2 req objName string",
  ]);
});

Deno.test("AdminReg: a TaskReq of TarsWeb 2.x reads apart from one of TarsWeb 3.x", () => {
  const item = { taskNo: "t1", itemNo: "i1", application: "Test", command: "restart" };
  // TarsWeb 2.x's copy of the IDL stops at tag 3.
  const TaskReqV2 = struct("tars.TaskReq", {
    taskItemReq: opt(0, list(TaskItemReq)),
    taskNo: opt(1, string),
    serial: opt(2, bool),
    userName: opt(3, string),
  });
  const v2 = encodeFields(TaskReqV2, { taskItemReq: [item], taskNo: "t1", serial: true });
  assert.equal(decodeFields(TaskReq, v2).eachNum, EACH_NUM_ABSENT);
  assert.equal(decodeFields(TaskReq, v2).isElegant, false);
  // TarsWeb 3.x writes tag 5 whatever its value: its default 1, or 0 for a value it lacks.
  for (const eachNum of [1, 0, 3]) {
    const v3 = encodeFields(TaskReq, { taskNo: "t1", isElegant: false, eachNum });
    assert.equal(decodeFields(TaskReq, v3).eachNum, eachNum);
  }
});
