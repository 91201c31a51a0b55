/**
 * Calls to endpoints that answer alike (the registry's replicas): one call tried on each in turn
 * within its budget, an endpoint that failed avoided for a while, and the callers spread over the
 * endpoints.
 *
 * - Order: each caller ranks the endpoints by a hash of its own name and the endpoint (rendezvous
 *   hashing), so callers spread evenly whatever order the endpoints are listed in, a caller keeps
 *   its endpoint while the list changes, and when one endpoint fails its callers spread over the
 *   others instead of all moving to the next one in the list.
 * - Quarantine: an endpoint whose try failed is tried last for a while: 1 s after its first failure
 *   in a row, doubling to 30 s, each wait jittered down to as little as half so callers do not come
 *   back at once. Once it is over, the next call tries the endpoint in its place again (the probe); a
 *   success ends its record, another failure starts a longer quarantine.
 * - Budget: the tries of a call share its budget, each an equal share of what is left over the
 *   endpoints still to try, so a hung first endpoint leaves the next one the rest.
 *
 * It holds no timer: time comes from `now` and the tries keep their own timeouts.
 *
 * @module
 */
import { type Backoff, backoffDelay } from "../lib/timers.ts";

/** One try of a call: the call to `endpoint`, which must settle within `timeout` ms. */
export type FailoverTry<T> = (endpoint: string, timeout: number) => Promise<T>;

/** Settings and dependencies of a {@linkcode Failover}. */
export interface FailoverOptions {
  /** A name whose hash orders the endpoints for this caller (a pod's node name); default random. */
  readonly spreadBy?: string;
  /** Milliseconds clock; default `performance.now`. */
  readonly now?: () => number;
  /** Numbers in [0, 1) for the jitter and the random `spreadBy`; default `Math.random`. */
  readonly random?: () => number;
  /** Quarantine after 1, 2, ... failures in a row; default {@linkcode QUARANTINE}. */
  readonly quarantine?: Backoff;
}

/** Options of one {@linkcode Failover.call}. */
export interface FailoverCallOptions {
  /** What all the tries may take together, in ms. */
  readonly budget: number;
  /**
   * Errors that are the endpoint's answer (it works and says no): they end the call as they are,
   * neither tried elsewhere nor held against the endpoint.
   */
  readonly final?: (error: unknown) => boolean;
  /** Told when a try failed and the call goes on to another endpoint: its error and quarantine. */
  readonly onRetry?: (endpoint: string, error: Error, quarantine: number) => void;
}

/** The quarantine of an endpoint that failed: 1 s doubling to 30 s, before the jitter. */
export const QUARANTINE: Backoff = { first: 1000, max: 30_000 };

/** A try after the first needs this much of the budget left; a smaller share would only time out. */
export const MIN_TRY_MS = 100;

/** Failed endpoints remembered before those whose quarantine ended are dropped. */
const MAX_RECORDS = 256;

interface Failures {
  /** Failures in a row. */
  count: number;
  /** The end of its quarantine. */
  until: number;
}

/** The order and quarantines of one caller's endpoints; see the module's description. */
export class Failover {
  readonly #key: string;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #quarantine: Backoff;
  readonly #failures = new Map<string, Failures>();

  constructor(options: FailoverOptions = {}) {
    this.#now = options.now ?? (() => performance.now());
    this.#random = options.random ?? Math.random;
    this.#quarantine = options.quarantine ?? QUARANTINE;
    this.#key = options.spreadBy ?? this.#random().toString(36).slice(2);
  }

  /**
   * `endpoints` in the order a call tries them: those not in quarantine by this caller's rank,
   * then those in quarantine, the one whose quarantine ends first before the others.
   */
  order(endpoints: readonly string[]): string[] {
    const now = this.#now();
    const ranked = [...new Set(endpoints)].map((endpoint) => ({
      endpoint,
      rank: rendezvousRank(this.#key, endpoint),
      until: this.#failures.get(endpoint)?.until ?? -Infinity,
    }));
    const open = ranked.filter((e) => e.until <= now).sort((a, b) => a.rank - b.rank);
    const resting = ranked.filter((e) => e.until > now).sort((a, b) => a.until - b.until);
    return [...open, ...resting].map((e) => e.endpoint);
  }

  /**
   * Tries `attempt` on `endpoints` in {@linkcode order} until one answers, within `budget` ms:
   * resolves to the first answer, rethrows a `final` error at once, and otherwise rejects with an
   * AggregateError of every try's error once each endpoint was tried or the budget is spent.
   */
  async call<T>(
    endpoints: readonly string[],
    attempt: FailoverTry<T>,
    options: FailoverCallOptions,
  ): Promise<T> {
    const order = this.order(endpoints);
    const deadline = this.#now() + options.budget;
    const errors: Error[] = [];
    const reasons: string[] = [];
    let quarantine = 0;
    for (let i = 0; i < order.length; i++) {
      const left = deadline - this.#now();
      if (i > 0 && left < MIN_TRY_MS) {
        reasons.push(`not tried: ${order.slice(i).join(", ")} (the ${options.budget} ms ran out)`);
        break;
      }
      if (i > 0) options.onRetry?.(order[i - 1], errors[i - 1], quarantine);
      const endpoint = order[i];
      try {
        const answer = await attempt(endpoint, Math.max(1, left / (order.length - i)));
        this.#failures.delete(endpoint);
        return answer;
      } catch (error) {
        if (options.final?.(error)) {
          this.#failures.delete(endpoint);
          throw error;
        }
        quarantine = this.#failed(endpoint);
        errors.push(error as Error);
        reasons.push(`${endpoint}: ${(error as Error).message}`);
      }
    }
    throw new AggregateError(
      errors,
      order.length === 0 ? "no endpoint to call" : `no endpoint answered: ${reasons.join("; ")}`,
    );
  }

  /** Records a failed try of `endpoint`; returns its quarantine in ms. */
  #failed(endpoint: string): number {
    const now = this.#now();
    if (this.#failures.size >= MAX_RECORDS) {
      for (const [key, record] of this.#failures) {
        if (record.until <= now) this.#failures.delete(key);
      }
    }
    const record = this.#failures.get(endpoint) ?? { count: 0, until: now };
    record.count++;
    const wait = backoffDelay(record.count, this.#quarantine);
    const quarantine = Math.round(wait * (0.5 + this.#random() / 2));
    record.until = now + quarantine;
    this.#failures.set(endpoint, record);
    return quarantine;
  }
}

/** The rank of `endpoint` for caller `key`: FNV-1a of both, lower first. */
function rendezvousRank(key: string, endpoint: string): number {
  let hash = 0x811c9dc5;
  const text = `${key}\n${endpoint}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // FNV's low bits mix poorly over short inputs: a final avalanche (murmur3's fmix32).
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b) >>> 0;
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35) >>> 0;
  hash ^= hash >>> 16;
  return hash >>> 0;
}
