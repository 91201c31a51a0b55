/**
 * Records as a store read hands them to the registry's memory, for the tests of
 * `RegistryState` and of the replica reads: a server of `App.Srv` serving `App.Srv.Obj` on port
 * 9000 of its node, and a node.
 *
 * @module
 */
import type { NodeRecord, ServerRecord } from "../../registry/store/types.ts";

/** The object every {@linkcode serverRecord} serves. */
export const RECORD_OBJ = "App.Srv.Obj";

/** `App.Srv` on `nodeName`, active, serving {@linkcode RECORD_OBJ}, with `overrides`. */
export function serverRecord(
  nodeName: string,
  overrides: Partial<ServerRecord> = {},
): ServerRecord {
  return {
    application: "App",
    server: "Srv",
    nodeName,
    settingState: "active",
    presentState: "active",
    flowEnabled: true,
    setId: "",
    setName: "",
    setArea: "",
    setGroup: "",
    version: "1",
    processId: 0,
    serverType: "tars_cpp",
    metricsPort: 0,
    adapters: [{
      adapterName: "App.Srv.ObjAdapter",
      servant: RECORD_OBJ,
      endpoint: `tcp -h ${nodeName} -p 9000`,
      protocol: "tars",
      threadNum: 1,
      maxConns: 100,
      queueCap: 0,
      queueTimeout: 0,
    }],
    ...overrides,
  };
}

/** An active node without a node object, its last heartbeat at `lastHeartbeat`. */
export function nodeRecord(nodeName: string, lastHeartbeat: number): NodeRecord {
  return { nodeName, presentState: "active", lastHeartbeat, nodeObj: "" };
}
