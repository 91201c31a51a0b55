/**
 * genconf's public face: generate the service's config and server info (`runGenconf`, what
 * `tarscli genconf` runs), and read what it wrote.
 *
 * The supervisor does not run genconf in its own process: it runs `tarscli genconf --json` as a
 * child (supervisor/genconf_child.ts), so that it never loads the YAML parser, and imports only
 * types from here.
 *
 * Imported directly, for a small module graph:
 * - `server_info.ts`: the server info's path, reader and checker (prestop, notify and the
 *   supervisor read it without this module's YAML and generation code).
 * - `command.ts`: the `tarscli genconf` command, loaded by the command table.
 *
 * @module
 */
export { type GenconfJsonLine } from "./command.ts";
export { type GenconfOptions, type GenconfResult, runGenconf } from "./genconf.ts";
export { type GenconfSettings, type PortRange, readGenconfSettings } from "./settings.ts";
export {
  type AdapterInfo,
  checkServerInfo,
  parseServerInfo,
  readServerInfo,
  type ServerInfo,
  serverInfoPath,
  type ServerPaths,
  serverPaths,
  stringifyServerInfo,
} from "./server_info.ts";
