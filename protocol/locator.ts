/**
 * The client's locator: names without endpoints resolved through the registry's QueryObj, the
 * answers cached and refreshed in the background.
 *
 * @module
 */
import type { EndpointFValue } from "./interfaces/endpoint_f.ts";

/** Options of one lookup. */
export interface LookupOptions {
  /** Milliseconds the lookup may take; the query's own timeout when left out. */
  readonly timeout?: number;
}

/**
 * How the locator asks the registry: `findObjectByIdInSameGroup`, as TarsCpp's and TarsGo's
 * clients do by default (so a registry with IDC groups answers a caller its own group's
 * endpoints first, and any other the object's every endpoint), or `findObjectByIdInSameSet`.
 */
export interface QueryFunctions {
  findObjectByIdInSameGroup(
    args: { id: string },
    options?: LookupOptions,
  ): Promise<{ ret: number; activeEp: EndpointFValue[] }>;
  findObjectByIdInSameSet(
    args: { id: string; setId: string },
    options?: LookupOptions,
  ): Promise<{ ret: number; activeEp: EndpointFValue[] }>;
}

interface Entry {
  endpoints: EndpointFValue[];
  /** When the answer is to be asked again. */
  staleAt: number;
  /** The lookup in flight, the one per name. */
  refreshing?: Promise<EndpointFValue[]>;
}

/** Answers kept this long after an empty lookup, so new pods are found soon. */
const EMPTY_ANSWER_TTL_MS = 10_000;

/** A lookup that failed is tried again after this long (or after a call that found no endpoint). */
const FAILED_LOOKUP_RETRY_MS = 1000;

/**
 * Resolves object names to active endpoints through the registry (QueryF), caching each answer
 * for `refreshInterval` and asking again sooner after an empty answer or a failed call.
 *
 * A call never waits for a lookup while there is an answer with endpoints: once it is due, the
 * lookup runs in the background (one at a time per name) and the call goes on with the answer it
 * has. Only a name asked for the first time, or last answered with no endpoint, waits for it, and
 * a call that none of the answer's endpoints took ({@linkcode Locator.renew}).
 * When the registry cannot be asked, the last good answer is kept and used until a good new one
 * arrives: this cache carries a service's calls to other services, which must go on while the
 * registry restarts or hangs. The supervisor's ObjectResolver (supervisor/object_resolver.ts)
 * differs on purpose and says why.
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

  /**
   * Active endpoints of an object (in a set when `setId` is given): the cached answer, or, the
   * first time and after an empty answer, the lookup's within `timeout`.
   */
  resolve(name: string, options?: { setId?: string } & LookupOptions): Promise<EndpointFValue[]> {
    const setId = options?.setId;
    const key = setId ? `${name}#${setId}` : name;
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { endpoints: [], staleAt: -Infinity };
      this.#entries.set(key, entry);
    }
    const due = this.#now() >= entry.staleAt;
    if (due) entry.refreshing ??= this.#refresh(key, entry, { name, setId }, options?.timeout);
    if (entry.endpoints.length > 0 || !due) return Promise.resolve(entry.endpoints);
    return entry.refreshing!;
  }

  /**
   * A new answer for an object whose cached one no call could use: the lookup in flight, or a new
   * one within `timeout`; the last good answer when the lookup fails.
   */
  renew(name: string, options?: { setId?: string } & LookupOptions): Promise<EndpointFValue[]> {
    const setId = options?.setId;
    const key = setId ? `${name}#${setId}` : name;
    const entry = this.#entries.get(key);
    if (!entry) return this.resolve(name, options);
    entry.staleAt = -Infinity;
    entry.refreshing ??= this.#refresh(key, entry, { name, setId }, options?.timeout);
    return entry.refreshing;
  }

  /**
   * Forgets when the answer of an object was fetched (a call found none of its endpoints), so the
   * next call starts a lookup; it goes on with the answer meanwhile.
   */
  invalidate(name: string, options?: { setId?: string }): void {
    const entry = this.#entries.get(options?.setId ? `${name}#${options.setId}` : name);
    if (entry) entry.staleAt = -Infinity;
  }

  /** Resolves once no lookup is in flight (those running when it is called have ended). */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#entries.values()].map((entry) => entry.refreshing));
  }

  /** Starts the lookup of `entry`, which is its `refreshing` until it settles. */
  #refresh(
    key: string,
    entry: Entry,
    object: { name: string; setId?: string },
    timeout: number | undefined,
  ): Promise<EndpointFValue[]> {
    return this.#lookUp(key, entry, object, timeout).finally(() => {
      entry.refreshing = undefined;
    });
  }

  async #lookUp(
    key: string,
    entry: Entry,
    object: { name: string; setId?: string },
    timeout: number | undefined,
  ): Promise<EndpointFValue[]> {
    const { name, setId } = object;
    const options = timeout === undefined ? undefined : { timeout };
    try {
      const answer = setId
        ? await this.#query.findObjectByIdInSameSet({ id: name, setId }, options)
        : await this.#query.findObjectByIdInSameGroup({ id: name }, options);
      if (answer.ret !== 0) throw new Error(`The registry answered ${answer.ret} for ${name}`);
      entry.endpoints = answer.activeEp;
      const ttl = entry.endpoints.length > 0 ? this.#refreshInterval : EMPTY_ANSWER_TTL_MS;
      entry.staleAt = this.#now() + ttl;
      return entry.endpoints;
    } catch (error) {
      // A failed lookup keeps the last good answer: a registry restart must not stop traffic.
      if (entry.endpoints.length === 0) {
        this.#entries.delete(key);
        throw error;
      }
      entry.staleAt = this.#now() + FAILED_LOOKUP_RETRY_MS;
      this.#log(`Looking up ${name} failed, using the last answer: ${(error as Error).message}`);
      return entry.endpoints;
    }
  }
}
