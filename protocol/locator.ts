/**
 * The client's locator: names without endpoints resolved through the registry's QueryObj, the
 * answers cached.
 *
 * @module
 */
import type { EndpointFValue } from "./interfaces/endpoint_f.ts";

/** How the locator asks the registry: a `findObjectById4Any` / `findObjectByIdInSameSet` call. */
export interface QueryFunctions {
  findObjectById4Any(args: { id: string }): Promise<{ ret: number; activeEp: EndpointFValue[] }>;
  findObjectByIdInSameSet(
    args: { id: string; setId: string },
  ): Promise<{ ret: number; activeEp: EndpointFValue[] }>;
}

interface Entry {
  endpoints: EndpointFValue[];
  fetchedAt: number;
  refreshing?: Promise<EndpointFValue[]>;
}

/** Answers kept this long after an empty lookup, so new pods are found soon. */
const EMPTY_ANSWER_TTL_MS = 10_000;

/**
 * Resolves object names to active endpoints through the registry (QueryF), caching each answer
 * for `refreshInterval` and asking again sooner after an empty answer or a failed call.
 *
 * When the registry cannot be asked, the last good answer is kept and used: this cache carries a
 * service's calls to other services, which must go on while the registry restarts. The supervisor's
 * ObjectResolver (supervisor/object_resolver.ts) differs on purpose and says why.
 */
export class Locator {
  readonly #query: QueryFunctions;
  readonly #refreshInterval: number;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  readonly #entries = new Map<string, Entry>();

  constructor(
    query: QueryFunctions,
    options?: { refreshInterval?: number; now?: () => number; log?: (line: string) => void },
  ) {
    this.#query = query;
    this.#refreshInterval = options?.refreshInterval ?? 60_000;
    this.#now = options?.now ?? (() => Date.now());
    this.#log = options?.log ?? ((line) => console.error(line));
  }

  /** Active endpoints of an object (in a set when `setId` is given), from cache when fresh. */
  resolve(name: string, options?: { setId?: string }): Promise<EndpointFValue[]> {
    const key = options?.setId ? `${name}#${options.setId}` : name;
    const entry = this.#entries.get(key);
    if (entry) {
      const ttl = entry.endpoints.length > 0 ? this.#refreshInterval : EMPTY_ANSWER_TTL_MS;
      if (this.#now() - entry.fetchedAt < ttl) return Promise.resolve(entry.endpoints);
      return entry.refreshing ?? this.#refresh(key, entry, name, options?.setId);
    }
    const fresh: Entry = { endpoints: [], fetchedAt: -Infinity };
    this.#entries.set(key, fresh);
    return this.#refresh(key, fresh, name, options?.setId);
  }

  /** Forgets the cached answer of an object, so the next call asks the registry again. */
  invalidate(name: string, options?: { setId?: string }): void {
    const entry = this.#entries.get(options?.setId ? `${name}#${options.setId}` : name);
    if (entry) entry.fetchedAt = -Infinity;
  }

  #refresh(key: string, entry: Entry, name: string, setId: string | undefined) {
    const lookup = async () => {
      try {
        const answer = setId
          ? await this.#query.findObjectByIdInSameSet({ id: name, setId })
          : await this.#query.findObjectById4Any({ id: name });
        if (answer.ret !== 0) {
          throw new Error(`The registry answered ${answer.ret} for ${name}`);
        }
        entry.endpoints = answer.activeEp;
        entry.fetchedAt = this.#now();
        return entry.endpoints;
      } catch (error) {
        // A failed lookup keeps the last good answer: a registry restart must not stop traffic.
        if (entry.endpoints.length === 0) {
          this.#entries.delete(key);
          throw error;
        }
        this.#log(
          `Looking up ${name} failed, using the last answer: ${(error as Error).message}`,
        );
        return entry.endpoints;
      } finally {
        entry.refreshing = undefined;
      }
    };
    entry.refreshing = lookup();
    return entry.refreshing;
  }
}
