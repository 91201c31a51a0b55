/**
 * Where a TARS framework object (the registry's `Registry`, the notify service...) is served: asked
 * of the locator (QueryF; the locator's endpoints are replicas, tried in turn within the lookup's
 * bound, as the client's failover does) and cached in `data/cache_<obj>`, so a short-lived
 * `tarscli prestop` finds what the supervisor already looked up.
 *
 * As with the client's Locator (protocol/locator.ts), an answer older than the ttl is still used
 * while a new lookup runs behind the call (one per object), and kept when that lookup fails: a
 * heartbeat never waits for a lookup while there is an answer, so a locator endpoint that hangs (a
 * replica, or a hung registry pod behind the registry's Service) costs the pod no heartbeat. Unlike
 * the Locator, a call that no endpoint of the answer took drops it (`forget`), and the next call
 * waits for a lookup: what is looked up here is mostly the registry itself, whose old address is
 * what just failed (a rebuilt registry comes back with a new IP).
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
   * `Obj@tcp -h H -p P:tcp ...`: the cached answer (memory, else `data/cache_<obj>`), looked up
   * again behind the call once it is older than the ttl; with none, a QueryF `findObjectById`
   * lookup (within `timeout`, default the resolver's). Each answer is written to the cache file
   * atomically. An object string that already has endpoints is returned as it is. Throws when
   * there is no answer and the registry knows no active endpoint of it.
   */
  resolve(object: string, options?: { timeout?: number }): Promise<string>;
  /** Drops the cached entry (file and memory) after a failed call, so the next resolve asks again. */
  forget(object: string): Promise<void>;
  /** Resolves once no lookup is in flight (those running when it is called have ended). */
  settled(): Promise<void>;
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

  /** An answer not written in the future (a clock that went back, another machine's file). */
  const usable = (entry: Cached | undefined): entry is Cached =>
    entry !== undefined && now() >= entry.writtenAt;
  const fresh = (entry: Cached | undefined): entry is Cached =>
    usable(entry) && now() - entry.writtenAt < ttl;

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
    const path = objectCachePath(options.dataDir, object);
    try {
      await writeFilesAtomic([{ path, data: `${entry.target}\n${entry.writtenAt}\n` }]);
    } catch (error) {
      log(`${(error as Error).message} (endpoint cache; the lookup still counts)`);
    }
    return entry.target;
  }

  /** The lookup of `object` in flight, or a new one. */
  function lookUpOnce(object: string, timeout: number | undefined): Promise<string> {
    let pending = lookups.get(object);
    if (!pending) {
      pending = lookUp(object, timeout).finally(() => lookups.delete(object));
      lookups.set(object, pending);
    }
    return pending;
  }

  /** A lookup behind the calls that go on with `entry`, kept when it fails. */
  function lookUpBehind(object: string, entry: Cached): void {
    if (lookups.has(object)) return;
    lookUpOnce(object, undefined).catch((error) => {
      const age = Math.round((now() - entry.writtenAt) / 1000);
      log(`${(error as Error).message}; using its answer of ${age} s ago`);
    });
  }

  return {
    async resolve(object, resolveOptions) {
      if (parseObjectRef(object).endpoints.length > 0) return object;
      let entry = memory.get(object);
      if (!usable(entry)) {
        entry = await readCache(object, objectCachePath(options.dataDir, object));
        if (usable(entry)) memory.set(object, entry);
      }
      if (usable(entry)) {
        if (!fresh(entry)) lookUpBehind(object, entry);
        return entry.target;
      }
      return await lookUpOnce(object, resolveOptions?.timeout);
    },
    async forget(object) {
      memory.delete(object);
      await ifExists(Deno.remove(objectCachePath(options.dataDir, object))).catch((error) => {
        log(`Cannot remove the endpoint cache of ${object}: ${(error as Error).message}`);
      });
    },
    async settled() {
      await Promise.allSettled([...lookups.values()]);
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
