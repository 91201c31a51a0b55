/**
 * The TARS protocol stack: codec, packets, endpoints, RPC client and server, and the interface
 * declarations of the TARS framework services this project talks to.
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
export { Locator, type QueryFunctions } from "./locator.ts";
export { type CallOptions, type ClientOptions, type Proxy, TarsClient } from "./client.ts";
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
