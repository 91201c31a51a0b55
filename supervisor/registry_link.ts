/**
 * The pod's three calls to the registry (`tars.tarsregistry.Registry`), found through the locator
 * by an {@linkcode ObjectResolver}. A failed call forgets the cached address, so the next one
 * looks the registry up again (a rebuilt registry gets a new IP).
 *
 * @module
 */
import type { TarsClient } from "../protocol/client.ts";
import {
  type KeepAliveReqValue,
  type OnPrestopReqValue,
  type OnStartupReqValue,
  REGISTRY_OBJ,
  RegistryF,
} from "../protocol/interfaces/registry_f.ts";
import type { ObjectResolver } from "./object_resolver.ts";

/** Register, heartbeat and remove, each throwing an Error that names the call when it fails. */
export interface RegistryLink {
  onStartup(req: OnStartupReqValue): Promise<void>;
  keepAlive(req: KeepAliveReqValue): Promise<void>;
  onPrestop(req: OnPrestopReqValue): Promise<void>;
}

/**
 * Calls the Registry servant found by `resolver`, each call bounded by `timeout` ms (default 3 s);
 * a failed call or a non-zero ret forgets the cached address and throws an Error naming the call
 * and the reason.
 */
export function createRegistryLink(
  resolver: ObjectResolver,
  options: { client: TarsClient; timeout?: number },
): RegistryLink {
  const timeout = options.timeout ?? 3000;

  async function call<K extends keyof RegistryLink>(
    name: K,
    req: Parameters<RegistryLink[K]>[0],
  ): Promise<void> {
    let target: string;
    try {
      target = await resolver.resolve(REGISTRY_OBJ);
    } catch (error) {
      throw new Error(`Registry ${name} failed: ${(error as Error).message}`, { cause: error });
    }
    const proxy = options.client.proxy(RegistryF, target, { timeout });
    try {
      // Each method takes its own request type; the union is what `req` is typed as here.
      await (proxy[name] as (args: { req: typeof req }) => Promise<unknown>)({ req });
    } catch (error) {
      await resolver.forget(REGISTRY_OBJ);
      throw new Error(`Registry ${name} to ${target} failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  return {
    onStartup: (req) => call("onStartup", req),
    keepAlive: (req) => call("keepAlive", req),
    onPrestop: (req) => call("onPrestop", req),
  };
}
