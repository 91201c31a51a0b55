/**
 * genconf's public face: run it in-process (the supervisor does) or read what it wrote.
 *
 * @module
 */
export { type GenconfOptions, type GenconfResult, runGenconf } from "./genconf.ts";
export { type GenconfSettings, readGenconfSettings } from "./settings.ts";
export {
  type AdapterInfo,
  readServerInfo,
  type ServerInfo,
  serverInfoPath,
  type ServerPaths,
} from "./server_info.ts";
