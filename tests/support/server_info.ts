/**
 * The ServerInfo the tests use: a service `App.Srv` with one adapter under a given TARS_PATH,
 * with the meta file's defaults, and any field overridden.
 *
 * @module
 */
import { type ServerInfo, serverPaths } from "../../genconf/server_info.ts";
import { SERVER_META_DEFAULTS } from "../../genconf/server_meta.ts";

/** A ServerInfo of `App.Srv` (one adapter, MainObj) under `tarsPath`. */
export function fakeServerInfo(
  tarsPath: string,
  overrides: Partial<ServerInfo> = {},
): ServerInfo {
  return {
    ...SERVER_META_DEFAULTS,
    application: "App",
    server: "Srv",
    buildServer: "Srv",
    setId: "",
    locator: "tars.tarsregistry.QueryObj@tcp -h 127.0.0.1 -p 1",
    localIp: "10.0.0.3",
    local: "tcp -h 127.0.0.1 -p 1 -t 5000",
    adapters: [{
      object: "MainObj",
      servant: "App.Srv.MainObj",
      adapter: "App.Srv.MainObjAdapter",
      endpoint: "tcp -h 10.0.0.3 -p 13000 -t 30000",
      maxconns: 200000,
      protocol: "tars",
      queuecap: 10000,
      queuetimeout: 60000,
      threads: 5,
    }],
    paths: serverPaths(tarsPath, "Srv"),
    ...overrides,
  };
}
