/**
 * The registry requests of a pod, built from its ServerInfo: what K8STARS's tarscli sends
 * (node name = the pod IP, one AdapterConf per adapter with the full `App.Server.Obj` servant;
 * the registry names the adapter `<servant>Adapter`), plus the application and server on the
 * heartbeat and on prestop so they touch this server only.
 *
 * @module
 */
import type { ServerInfo } from "../genconf/mod.ts";
import type { KeepAliveReqValue, OnPrestopReqValue, OnStartupReqValue } from "../protocol/mod.ts";
import type { ServiceState } from "./state_file.ts";

/** `onStartup`: register the node, the server (state, traffic, version) and its adapters. */
export function startupRequest(
  info: ServerInfo,
  options: { state: ServiceState; disableFlow: boolean; version: string },
): OnStartupReqValue {
  return {
    nodeName: info.localIp,
    application: info.application,
    server: info.server,
    setID: info.setId,
    adapters: info.adapters.map((adapter) => ({
      servant: adapter.servant,
      endpoint: adapter.endpoint,
      protocol: adapter.protocol,
      maxConns: adapter.maxconns,
      threadNum: adapter.threads,
      queueCap: adapter.queuecap,
      queueTimeout: adapter.queuetimeout,
    })),
    disableFlow: options.disableFlow,
    State: options.state,
    Version: options.version,
  };
}

/** `keepAlive`: the heartbeat with the server's present state. */
export function keepAliveRequest(info: ServerInfo, state: ServiceState): KeepAliveReqValue {
  return {
    nodeName: info.localIp,
    state,
    application: info.application,
    server: info.server,
  };
}

/** `onPrestop`: remove this server's adapters and rows from the registry. */
export function prestopRequest(info: ServerInfo): OnPrestopReqValue {
  return { nodeName: info.localIp, application: info.application, server: info.server };
}
