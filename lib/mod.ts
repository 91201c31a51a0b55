/**
 * The bottom layer: small helpers every other package uses, importing nothing of the project.
 *
 * - `posix_path.ts`: POSIX path helpers without `node:path` (no Node layer in the probe).
 * - `duration.ts`: durations such as `1m30s`.
 * - `write_atomic.ts`: files replaced by rename, so readers never see half of one.
 * - `not_found.ts`: a read, stat or removal that answers undefined where nothing is there.
 * - `usage_error.ts`: a mistake in how a command was called (exit code 2), and the check of a
 *   command's arguments that names the one it does not take.
 * - `context.ts`: what a command gets from the entry point (environment, output).
 * - `version_info.ts`: the release version.
 * - `settings.ts`: every environment variable and registry flag, declared once (add one there).
 * - `ip_address.ts`: IP addresses and address ranges (CIDR), IPv4 and IPv6.
 * - `timers.ts`: a delay an abort cuts short, a deadline on a promise, retries with back-off.
 * - `bind_error.ts`: why a socket could not be bound, and the message naming the setting.
 * - `process_group.ts`: the process runner, and `sh` in a process group of its own: run with a
 *   time bound, its output read to the end, the whole group killed.
 * - `tars_config.ts`: the TARS config format: parse, print, merge (genconf's configs, the
 *   registry's profile templates).
 *
 * Import this module, or the files above directly: each of them is public, and the modules on
 * the paths of `main.ts`, the short-lived commands (`hzcheck`, `prestop`, `notify`) and the
 * supervisor import the files one by one to keep those module graphs small (module-graph tests in
 * supervisor/ guard them).
 *
 * @module
 */
export { bindError, type BindFailure, type BindProblem, describeBindError } from "./bind_error.ts";
export type { CommandContext, CommandModule } from "./context.ts";
export { parseDuration } from "./duration.ts";
export { exists, ifExists, ifExistsSync } from "./not_found.ts";
export { basename, dirname, isAbsolute, join, normalize } from "./posix_path.ts";
export { checkSwitches, type SwitchesOptions, UsageError } from "./usage_error.ts";
export {
  type Backoff,
  backoffDelay,
  delay,
  retry,
  type RetryOptions,
  settlesWithin,
  withDeadline,
} from "./timers.ts";
export {
  createProcessRunner,
  type Drain,
  drain,
  type GroupExit,
  type ProcessRunner,
  runInGroup,
  type RunInGroupOptions,
  type ShellOptions,
  signalGroup,
  spawnShell,
} from "./process_group.ts";
export {
  type Environment,
  type FlagSpec,
  helpLines,
  isServerType,
  type LifecycleSettings,
  readRegistryFlags,
  readSettings,
  REGISTRY_FLAGS,
  type RegistryFlags,
  SERVER_TYPES,
  type ServerType,
  type SettingsOf,
  type SettingsReader,
  shownDefault,
  shownName,
  VARIABLES,
  variablesOf,
  type VariableSpec,
} from "./settings.ts";
export {
  type AddressRange,
  canonicalAddress,
  inAddressRange,
  isIpAddress,
  parseAddressRange,
  parseIpAddress,
  sameAddress,
} from "./ip_address.ts";
export {
  type ConfigComment,
  configComment,
  type ConfigItem,
  type ConfigSection,
  configSection,
  type ConfigValue,
  configValue,
  mergeTarsConfig,
  parseTarsConfig,
  type ParseTarsConfigOptions,
  printTarsConfig,
} from "./tars_config.ts";
export { VERSION } from "./version_info.ts";
export { type FileToWrite, writeFilesAtomic } from "./write_atomic.ts";
