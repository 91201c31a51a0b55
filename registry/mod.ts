/**
 * The TARS name registry (`tarscli registry`, the `tarsregistry` binary): QueryObj lookups from
 * memory, the K8STARS Registry calls validated once (validate.ts) and made durable by a store
 * (store/mod.ts) before memory changes, who may register as which server (registration tokens:
 * registration_guard.ts), AdminObj, the admin registry the web console calls
 * (AdminRegObj: admin_reg/mod.ts), and HTTP metrics and health.
 *
 * Imported directly:
 * - `command.ts`: `tarscli registry`, loaded by the command table when it runs.
 * - `main.ts`: the `tarsregistry` binary's entry point.
 *
 * Through this module: running a registry in a process of one's own and its parts, for tools and
 * tests.
 *
 * @module
 */
export { readRegistryConfig, type RegistryConfig, registryUsage } from "./config.ts";
export {
  type NodeObjectView,
  RegistryService,
  type RegistryServiceOptions,
} from "./registry_service.ts";
export { RegistrationGuard, type RegistrationGuardOptions } from "./registration_guard.ts";
export { RegistrationTokens } from "./registration_tokens.ts";
export { type RegistryDeps, type RunningRegistry, startRegistry } from "./run.ts";
export { adminServant, instrument, queryServant, registryServant } from "./servants.ts";
export {
  type AdapterSpec,
  type CleanOptions,
  type KeepAliveRequest,
  type MetricsRequest,
  type PrestopRequest,
  type StartupRequest,
  ValidationError,
} from "./validate.ts";
