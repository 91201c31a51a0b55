import assert from "node:assert/strict";
import { decodeFields, encodeFields } from "../codec/codec.ts";
import { TarsReader } from "../codec/reader.ts";
import { string, type StructType } from "../codec/types.ts";
import { methodSignature } from "../../tests/support/idl_signature.ts";
import { NodeF, PatchInfo, PatchRequest, ServerState, ServerStateInfo } from "./node_f.ts";

/**
 * Node.tars as published (TarsCloud/TarsProtocol framework/Node.tars, the current one and the
 * older one with getServerPid/getState/...), written out by hand: function → [return type or
 * "void", then each parameter as "tag name type" with `out` marked]. The IDL numbers parameters
 * 1..n in declaration order, out-parameters included, and puts the return value at tag 0.
 */
const IDL: Record<string, string[]> = {
  destroyServer: ["int32", "1 application string", "2 serverName string", "3 out result string"],
  patchPro: ["int32", "1 req tars.PatchRequest", "2 out result string"],
  addFile: [
    "int32",
    "1 application string",
    "2 serverName string",
    "3 file string",
    "4 out result string",
  ],
  getName: ["string"],
  getLoad: ["tars.LoadInfo"],
  shutdown: ["int32", "1 out result string"],
  stopAllServers: ["int32", "1 out result string"],
  loadServer: ["int32", "1 application string", "2 serverName string", "3 out result string"],
  startServer: ["int32", "1 application string", "2 serverName string", "3 out result string"],
  stopServer: ["int32", "1 application string", "2 serverName string", "3 out result string"],
  restartServer: ["int32", "1 application string", "2 serverName string", "3 out result string"],
  notifyServer: [
    "int32",
    "1 application string",
    "2 serverName string",
    "3 command string",
    "4 out result string",
  ],
  getServerPid: ["int32", "1 application string", "2 serverName string", "3 out result string"],
  getSettingState: ["int32", "1 application string", "2 serverName string", "3 out result string"],
  getState: ["int32", "1 application string", "2 serverName string", "3 out result string"],
  getStateInfo: [
    "int32",
    "1 application string",
    "2 serverName string",
    "3 out info tars.ServerStateInfo",
    "4 out result string",
  ],
  synState: ["int32", "1 application string", "2 serverName string", "3 out result string"],
  getPatchPercent: [
    "int32",
    "1 application string",
    "2 serverName string",
    "3 out tPatchInfo tars.PatchInfo",
  ],
  delCache: [
    "int32",
    "1 sFullCacheName string",
    "2 sBackupPath string",
    "3 sKey string",
    "4 out result string",
  ],
  getUnusedShmKeys: ["int32", "1 count int32", "2 out shm_keys list<int32>"],
  getLogFileList: [
    "int32",
    "1 application string",
    "2 serverName string",
    "3 out logFileList list<string>",
  ],
  getLogData: [
    "int32",
    "1 application string",
    "2 serverName string",
    "3 logFile string",
    "4 cmd string",
    "5 out fileData string",
  ],
  getNodeLoad: [
    "int32",
    "1 application string",
    "2 serverName string",
    "3 pid int32",
    "4 out fileData string",
  ],
  forceDockerLogin: ["int32", "1 out result list<string>"],
};

Deno.test("NodeF: every function with the IDL's name, parameter tags and types", () => {
  assert.deepEqual([...NodeF.compiled.keys()].sort(), Object.keys(IDL).sort());
  for (const [name, method] of NodeF.compiled) {
    assert.deepEqual(methodSignature(method), IDL[name], name);
  }
});

Deno.test("NodeF: structs at the tags of NodeDescriptor.tars", () => {
  const tags = (type: StructType) =>
    type.ordered.map(([name, def]) => `${def.tag} ${def.required ? "req" : "opt"} ${name}`);
  assert.deepEqual(tags(ServerStateInfo), [
    "0 req serverState",
    "1 req processId",
    "2 opt nodeName",
    "3 opt application",
    "4 opt serverName",
    "5 opt settingState",
    "6 opt exState",
  ]);
  assert.deepEqual(tags(PatchInfo), [
    "0 req bPatching",
    "1 req iPercent",
    "2 req iModifyTime",
    "3 req sVersion",
    "4 req sResult",
    "5 opt bSucc",
  ]);
  assert.deepEqual(PatchRequest.ordered.map(([name, def]) => `${def.tag} ${name}`), [
    "0 appname",
    "1 servername",
    "2 nodename",
    "3 groupname",
    "4 binname",
    "5 version",
    "6 user",
    "7 servertype",
    "8 patchobj",
    "9 md5",
    "10 ostype",
    "11 filepath",
  ]);
});

Deno.test("NodeF: arguments and results round-trip, at their tags on the wire", () => {
  const getLogData = NodeF.compiled.get("getLogData")!;
  const args = {
    application: "Test",
    serverName: "HelloServer",
    logFile: "start.log",
    cmd: "tail -100 __log_file_name__ | cat -v ",
  };
  const bytes = encodeFields(getLogData.args, args);
  assert.deepEqual(decodeFields(getLogData.args, bytes), args);
  // What a C++ client reads: the log file name at tag 3, the command at tag 4.
  const reader = new TarsReader(bytes);
  const seen: [number, string][] = [];
  while (!reader.done) {
    reader.readHead();
    const tag = reader.tag;
    seen.push([tag, reader.readValue(string, tag) as string]);
  }
  assert.deepEqual(seen, [
    [1, "Test"],
    [2, "HelloServer"],
    [3, "start.log"],
    [4, "tail -100 __log_file_name__ | cat -v "],
  ]);

  const getStateInfo = NodeF.compiled.get("getStateInfo")!;
  const answer = {
    ret: 0,
    info: {
      serverState: ServerState.Active,
      processId: 4242,
      nodeName: "10.0.0.7",
      application: "Test",
      serverName: "HelloServer",
      settingState: ServerState.Active,
      exState: new Map([["flow", "on"]]),
    },
    result: "ok",
  };
  assert.deepEqual(
    decodeFields(getStateInfo.result, encodeFields(getStateInfo.result, answer)),
    answer,
  );
  // A C++ node leaves the optional fields unset: they decode to their defaults.
  const bare = { ret: -1, info: { serverState: ServerState.Inactive, processId: -1 }, result: "" };
  assert.deepEqual(
    decodeFields(getStateInfo.result, encodeFields(getStateInfo.result, bare)).info,
    {
      serverState: 0,
      processId: -1,
      nodeName: "",
      application: "",
      serverName: "",
      settingState: 0,
      exState: new Map(),
    },
  );

  const getLogFileList = NodeF.compiled.get("getLogFileList")!;
  const files = { ret: 0, logFileList: ["Test.HelloServer.log", "start.log"] };
  assert.deepEqual(
    decodeFields(getLogFileList.result, encodeFields(getLogFileList.result, files)),
    files,
  );
});
