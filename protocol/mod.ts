/**
 * The TARS protocol stack: codec, packets, endpoints, RPC client and server, and the interface
 * declarations of the TARS framework services this project talks to. It imports only lib/.
 *
 * Imported directly, so that a short-lived command does not load the server or this module's
 * every file (prestop and notify load the client and no server):
 * - `endpoint.ts`: endpoint and object strings.
 * - `client.ts`: the RPC client (with `locator.ts` for names without endpoints, and
 *   `failover.ts` for the endpoints of replicas).
 * - `server.ts`: the RPC server (the registry).
 * - `call_error.ts`, `interface.ts`: call errors and interface declarations.
 * - `interfaces/*.ts`: the framework's interfaces; `interfaces/endpoint_f.ts` also holds the one
 *   conversion between endpoints and `EndpointF`.
 *
 * @module
 */
export * from "./codec/mod.ts";
export * from "./call_error.ts";
export * from "./endpoint.ts";
export * from "./frame_decoder.ts";
export * from "./interface.ts";
export * from "./packets.ts";
export * from "./transport.ts";
export { TarsConnection } from "./connection.ts";
export { Locator, type LookupOptions, type QueryFunctions } from "./locator.ts";
export {
  type CallOptions,
  type ClientOptions,
  type FailoverProxyOptions,
  type Proxy,
  TarsClient,
} from "./client.ts";
export { Failover, type FailoverCallOptions, type FailoverOptions } from "./failover.ts";
export {
  type BoundAddress,
  type CallContext,
  type ServantImpl,
  type ServerOptions,
  TarsServer,
} from "./server.ts";
export * from "./interfaces/endpoint_f.ts";
export * from "./interfaces/query_f.ts";
export * from "./interfaces/admin_f.ts";
export * from "./interfaces/notify_f.ts";
export * from "./interfaces/registry_f.ts";
export * from "./interfaces/node_f.ts";
export * from "./interfaces/admin_reg.ts";
