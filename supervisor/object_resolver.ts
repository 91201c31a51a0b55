/**
 * Where a TARS framework object (the registry's `Registry`, the notify service...) is served: asked
 * of the locator (QueryF; the locator's endpoints are replicas, tried in turn within the lookup's
 * bound, as the client's failover does) and cached in `data/cache_<obj>`, so a short-lived
 * `tarscli prestop` finds what the supervisor already looked up. A failed call drops the entry: a
 * rebuilt registry comes back with a new IP.
 *
 * Unlike the client's Locator (protocol/locator.ts), which keeps its last good answer when the
 * registry cannot be asked, a failed lookup here fails the caller and an expired entry is not used:
 * what is looked up here is mostly the registry itself, whose old address is what just failed, and
 * every caller (heartbeats, reports, prestop) is bounded and tries again on its own schedule, so
 * nothing waits on a stale answer.
 *
 * @module
 */
import { join } from "../lib/posix_path.ts";
import { ifExists } from "../lib/not_found.ts";
import { writeFilesAtomic } from "../lib/write_atomic.ts";
import type { TarsClient } from "../protocol/client.ts";
import { formatEndpoint, parseObjectRef } from "../protocol/endpoint.ts";
import {
  type EndpointFValue,
  fromEndpointF,
  isTcpEndpointF,
} from "../protocol/interfaces/endpoint_f.ts";
import { QueryF } from "../protocol/interfaces/query_f.ts";

/** Finds `Obj@endpoints` for a servant name through the locator, with a file cache per object. */
export interface ObjectResolver {
  /**
   * `Obj@tcp -h H -p P:tcp ...`: from `data/cache_<obj>` when younger than the ttl, else a QueryF
   * `findObjectById` lookup (within `timeout`, default the resolver's) written to the cache
   * atomically. An object string that already has endpoints is returned as it is. Throws when the
   * registry knows no active endpoint of it.
   */
  resolve(object: string, options?: { timeout?: number }): Promise<string>;
  /** Drops the cached entry (file and memory) after a failed call, so the next resolve asks again. */
  forget(object: string): Promise<void>;
}

/** Settings and dependencies of {@linkcode createObjectResolver}. */
export interface ObjectResolverOptions {
  readonly client: TarsClient;
  /** `tars.tarsregistry.QueryObj@tcp -h ... -p ...` (ServerInfo.locator). */
  readonly locator: string;
  /** `$TARS_PATH/data`, where the `cache_<obj>` files live. */
  readonly dataDir: string;
  /** Epoch milliseconds (the cache files are shared between processes). */
  readonly now?: () => number;
  /** How long an answer is used, in ms; default 10 s. */
  readonly ttl?: number;
  /** Bound of one locator lookup, in ms; default 3 s. */
  readonly timeout?: number;
  /** Told about cache files that cannot be used or written. */
  readonly log?: (line: string) => void;
}

interface Cached {
  readonly target: string;
  readonly writtenAt: number;
}

/** The cache file of `object` under `dataDir`. */
export function objectCachePath(dataDir: string, object: string): string {
  return join(dataDir, `cache_${object.replace(/[^A-Za-z0-9._-]/g, "_")}`);
}

/** Creates a resolver asking `options.locator` through `options.client`. */
export function createObjectResolver(options: ObjectResolverOptions): ObjectResolver {
  const now = options.now ?? Date.now;
  const ttl = options.ttl ?? 10_000;
  const log = options.log ?? (() => {});
  const query = options.client.proxy(QueryF, options.locator, {
    timeout: options.timeout ?? 3000,
    failover: {},
  });
  const memory = new Map<string, Cached>();
  const lookups = new Map<string, Promise<string>>();

  const fresh = (entry: Cached | undefined): entry is Cached => {
    const age = entry ? now() - entry.writtenAt : NaN;
    return age >= 0 && age < ttl;
  };

  async function readCache(object: string, path: string): Promise<Cached | undefined> {
    const text = await ifExists(Deno.readTextFile(path)).catch((error) => {
      log(`${path}: cannot read the cache (${(error as Error).message}); asking the locator`);
      return undefined;
    });
    if (text === undefined) return undefined;
    try {
      return parseCache(text, object);
    } catch (error) {
      log(`${path}: ${(error as Error).message}; asking the locator and replacing it`);
      return undefined;
    }
  }

  async function lookUp(object: string, timeout: number | undefined): Promise<string> {
    const path = objectCachePath(options.dataDir, object);
    const cached = await readCache(object, path);
    if (fresh(cached)) {
      memory.set(object, cached);
      return cached.target;
    }
    let found: EndpointFValue[];
    try {
      found = (await query.findObjectById({ id: object }, { timeout })).ret;
    } catch (error) {
      throw new Error(
        `Cannot look up ${object} in the registry at ${options.locator}: ` +
          `${(error as Error).message}`,
        { cause: error },
      );
    }
    const endpoints = found.filter(isTcpEndpointF).map((ep) => formatEndpoint(fromEndpointF(ep)));
    if (endpoints.length === 0) {
      throw new Error(
        `${object} has no active tcp endpoints in the registry at ${options.locator}: ` +
          "check that it runs and is registered",
      );
    }
    const entry = { target: `${object}@${endpoints.join(":")}`, writtenAt: now() };
    memory.set(object, entry);
    try {
      await writeFilesAtomic([{ path, data: `${entry.target}\n${entry.writtenAt}\n` }]);
    } catch (error) {
      log(`${(error as Error).message} (endpoint cache; the lookup still counts)`);
    }
    return entry.target;
  }

  return {
    resolve(object, resolveOptions) {
      if (parseObjectRef(object).endpoints.length > 0) return Promise.resolve(object);
      const entry = memory.get(object);
      if (fresh(entry)) return Promise.resolve(entry.target);
      let pending = lookups.get(object);
      if (!pending) {
        pending = lookUp(object, resolveOptions?.timeout).finally(() => lookups.delete(object));
        lookups.set(object, pending);
      }
      return pending;
    },
    async forget(object) {
      memory.delete(object);
      await ifExists(Deno.remove(objectCachePath(options.dataDir, object))).catch((error) => {
        log(`Cannot remove the endpoint cache of ${object}: ${(error as Error).message}`);
      });
    },
  };
}

/** Line 1 the object string with its endpoints, line 2 when it was written (epoch ms). */
function parseCache(text: string, object: string): Cached {
  const [target = "", at = ""] = text.split("\n").map((line) => line.trim());
  let ref;
  try {
    ref = parseObjectRef(target);
  } catch (error) {
    throw new SyntaxError(`not an endpoint cache (${(error as Error).message})`);
  }
  if (ref.name !== object || ref.endpoints.length === 0) {
    throw new SyntaxError(`not an endpoint cache of ${object} (line 1 is "${target}")`);
  }
  const writtenAt = Number(at);
  if (at === "" || !Number.isFinite(writtenAt)) {
    throw new SyntaxError(`not an endpoint cache (line 2 "${at}" is not a time in epoch ms)`);
  }
  return { target, writtenAt };
}
