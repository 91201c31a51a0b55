/**
 * `Registry` (K8STARS's registry interface, with this project's optional fields at new tags): the
 * pods' calls (registration, heartbeat, removal, metrics port) and their return codes.
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

/** Servant name of the registry's registration object. */
export const REGISTRY_OBJ = "tars.tarsregistry.Registry";

/**
 * Return codes (`iRet`) of the Registry calls besides the framework's, each with a description
 * that says more. Positive, so they never meet the framework's negative codes.
 */
export const RegistryRet = {
  /** The caller may not do this from its address; the description names the flag that allows it. */
  REFUSED: 403,
  /**
   * `keepAlive` or `registerMetrics` naming a node or server the registry does not know (a
   * rebuilt store, a clean): call `onStartup` with the present state. A heartbeat with the node
   * name alone (the original Go tarscli's) is answered 0 as before.
   */
  NOT_REGISTERED: 404,
  /**
   * Too many writes (`--max-pending-writes`), or too many reads, wait for the store: try again
   * later.
   */
  BUSY: 429,
  /**
   * The store did not answer within `--store-timeout`: the registry's memory did not change (the
   * store may still complete the write later).
   */
  STORE_TIMEOUT: 504,
} as const;

/** `tars.AdapterConf`: one adapter a pod serves. */
export const AdapterConf = struct("tars.AdapterConf", {
  servant: req(0, string),
  endpoint: req(1, string),
  protocol: opt(2, string),
  maxConns: opt(3, int32),
  threadNum: opt(4, int32),
  queueCap: opt(5, int32),
  queueTimeout: opt(6, int32),
});

/**
 * `tars.onStartupReq`: a pod announces its server and adapters. Tags 0-7 are K8STARS's; 8-13 are
 * this project's: the original clients do not send them, and the registry then keeps what it has
 * (an empty string or a pid of -1 says the same), but for the node endpoint: a pod that sends none
 * serves no node object; and a pod that sends no token registers only a server without
 * registration tokens.
 */
export const OnStartupReq = struct("tars.onStartupReq", {
  nodeName: req(0, string),
  application: req(1, string),
  server: req(2, string),
  setID: opt(3, string),
  adapters: opt(4, list(AdapterConf)),
  disableFlow: opt(5, bool),
  State: opt(6, string, "active"),
  Version: opt(7, string),
  /** `tars_cpp`, `tars_go`, `tars_java`, `tars_nodejs`, `tars_php` or `not_tars`. */
  serverType: opt(8, string),
  /** The service's pid, 0 while it is not running; -1 (the default) when the sender does not know. */
  processId: opt(9, int32, -1),
  /** The version of the tarscli that registers the pod (the node's `tars_version`). */
  tarscliVersion: opt(10, string),
  /**
   * Where the pod serves its node object (`tars.tarsnode.NodeObj`), `tcp -h POD_IP -p PORT -t
   * 60000`; empty: it serves none. The registry writes `tars.tarsnode.NodeObj@` and it to
   * `t_node_info.node_obj` and answers it in lookups of `tars.tarsnode.NodeObj`.
   */
  nodeEndpoint: opt(11, string),
  /**
   * The IDC group the pod is in (`TARS_GROUP`, its zone say); empty: none named, the registry
   * keeps what it has. Lookups by group route the pod's endpoints, and the calls from its
   * address, by it.
   */
  group: opt(12, string),
  /**
   * The pod's registration token (`TARS_REGISTRY_TOKEN`): a server for which the registry has
   * registration tokens registers only with one of them. Empty or absent: none.
   */
  token: opt(13, string),
});

/** `tars.onPrestopReq`: a pod is about to stop. */
export const OnPrestopReq = struct("tars.onPrestopReq", {
  nodeName: req(0, string),
  application: opt(1, string),
  server: opt(2, string),
});

/**
 * `tars.keepAliveReq`: a pod's heartbeat with its state. Tag 4 stays unused: an older K8STARS
 * tarscli sends a string set id there.
 */
export const KeepAliveReq = struct("tars.keepAliveReq", {
  nodeName: req(0, string),
  state: req(1, string),
  application: opt(2, string),
  server: opt(3, string),
  /** The service's pid, 0 while it is not running; -1 (the default) when the sender does not know. */
  processId: opt(5, int32, -1),
});

/** `tars.RegisterMetricsReq`: a pod's Prometheus port. */
export const RegisterMetricsReq = struct("tars.RegisterMetricsReq", {
  nodeName: req(0, string),
  application: req(1, string),
  server: req(2, string),
  metricsPort: req(3, int32),
});

/** `tars.GetMetricsAdaptersReq`: an optional label filter. */
export const GetMetricsAdaptersReq = struct("tars.GetMetricsAdaptersReq", {
  filter: opt(0, map(string, string)),
});

/** `tars.MetricsAdapterInfo`: Prometheus targets of one application/server/set group. */
export const MetricsAdapterInfo = struct("tars.MetricsAdapterInfo", {
  targets: opt(0, list(string)),
  labels: opt(1, map(string, string)),
});

/** A decoded `onStartupReq`. */
export type OnStartupReqValue = StructValue<typeof OnStartupReq.fields>;
/** A decoded `onPrestopReq`. */
export type OnPrestopReqValue = StructValue<typeof OnPrestopReq.fields>;
/** A decoded `keepAliveReq`. */
export type KeepAliveReqValue = StructValue<typeof KeepAliveReq.fields>;
/** A decoded `RegisterMetricsReq`. */
export type RegisterMetricsReqValue = StructValue<typeof RegisterMetricsReq.fields>;
/** A decoded `MetricsAdapterInfo`. */
export type MetricsAdapterInfoValue = StructValue<typeof MetricsAdapterInfo.fields>;

/** The K8STARS registry extension: register, heartbeat, remove, metrics targets. */
export const RegistryF = defineInterface("Registry", {
  onStartup: { params: [param("req", OnStartupReq)] },
  onPrestop: { params: [param("req", OnPrestopReq)] },
  keepAlive: { params: [param("req", KeepAliveReq)] },
  registerMetrics: { params: [param("req", RegisterMetricsReq)] },
  getMetricsAdapters: {
    params: [param("req", GetMetricsAdaptersReq), out("rsp", list(MetricsAdapterInfo))],
  },
});
