/**
 * Self-preservation: no mass expiry. When the heartbeats of more than a share of all nodes (pods)
 * stop at once, the likely cause is between the pods and the registry (a network cut, a registry
 * that was stopped, hung or restarted on an old store), not that many pods died together: then
 * the registry expires none of them, and lookups answer them as they were, until their heartbeats
 * return or the share of stopped heartbeats falls to the rate (`--expiry-protect-rate`).
 *
 * The rule, counted at every node check from the nodes in memory (T is `--node-timeout`):
 * - a node's heartbeat has *stopped* when it is silent for more than T/2 (several missed
 *   heartbeats; a pod sends one at least every `TARS_REPORT_INTERVAL`) and it is still active,
 *   however long ago (a registry that could not hear it all along), or when it was expired in the
 *   last half node-timeout (silent for at most 1.5 T): so the stops counted together are those
 *   within one node-timeout of each other;
 * - a node is *heard* when it is active and sent a heartbeat within T/2;
 * - the registry *holds* while stopped / (stopped + heard) is more than the rate and at least two
 *   stopped: a single pod that stops alone expires as before. Expired nodes of long ago and nodes
 *   that left (`onPrestop`, the console's undeploy, `clean`: gone from memory) count for nothing.
 *
 * The T/2 look-ahead lets the registry see a mass stop before its first node is overdue (the
 * pods' last heartbeats spread over one report interval), so nothing of it expires first; and the
 * rule reads only rows every replica of a shared store has, so replicas decide alike, a restarted
 * one too.
 *
 * @module
 */
import type { NodeRecord } from "./store/mod.ts";

/** What a count of the nodes found. */
export interface HeartbeatCount {
  /** Nodes whose heartbeats stopped (see the module comment). */
  readonly stopped: number;
  /** Active nodes with a heartbeat within half a node-timeout. */
  readonly heard: number;
  /** Stopped nodes still active with no heartbeat for the whole node-timeout. */
  readonly overdue: number;
}

/** Counts the nodes by the rule of the module comment, at `now`. */
export function countHeartbeats(
  nodes: Iterable<Readonly<NodeRecord>>,
  options: { now: number; nodeTimeout: number },
): HeartbeatCount {
  const { now, nodeTimeout } = options;
  let stopped = 0;
  let heard = 0;
  let overdue = 0;
  for (const node of nodes) {
    const silent = now - node.lastHeartbeat;
    if (node.presentState === "active") {
      if (silent <= nodeTimeout / 2) {
        heard++;
        continue;
      }
      stopped++;
      if (silent > nodeTimeout) overdue++;
    } else if (silent > nodeTimeout / 2 && silent <= nodeTimeout * 1.5) {
      stopped++;
    }
  }
  return { stopped, heard, overdue };
}

/** The state of self-preservation as of the last node check. */
export interface PreservationStatus extends HeartbeatCount {
  /** Whether the registry holds (expires no node, lookups ignore heartbeat ages). */
  readonly holding: boolean;
  /** stopped / (stopped + heard), 0 without nodes. */
  readonly share: number;
  /** `--expiry-protect-rate` as a fraction; 0: off. */
  readonly rate: number;
}

/** Settings of {@linkcode SelfPreservation}. */
export interface SelfPreservationOptions {
  /** `--expiry-protect-rate` as a fraction (0.3); 0 turns self-preservation off. */
  readonly rate: number;
  /** `--node-timeout` in ms. */
  readonly nodeTimeout: number;
  /** Where entering and leaving the mode are told. */
  readonly log: (line: string) => void;
}

const percent = (fraction: number) => `${Math.round(fraction * 100)}%`;

/** The mode, decided at each node check; see the module comment. */
export class SelfPreservation {
  readonly #options: SelfPreservationOptions;
  #status: PreservationStatus;

  constructor(options: SelfPreservationOptions) {
    this.#options = options;
    this.#status = {
      holding: false,
      stopped: 0,
      heard: 0,
      overdue: 0,
      share: 0,
      rate: options.rate,
    };
  }

  /** Whether it holds now. */
  get holding(): boolean {
    return this.#status.holding;
  }

  /** The last check's counts and decision. */
  get status(): PreservationStatus {
    return this.#status;
  }

  /**
   * Counts `nodes` at `now` and decides whether to hold; logs when that changes. Returns true
   * when it changed (the answers built under the other rule are then out of date).
   */
  assess(nodes: Iterable<Readonly<NodeRecord>>, now: number): boolean {
    const { rate, nodeTimeout, log } = this.#options;
    const count = countHeartbeats(nodes, { now, nodeTimeout });
    const total = count.stopped + count.heard;
    const share = total === 0 ? 0 : count.stopped / total;
    const holding = rate > 0 && count.stopped >= 2 && share > rate;
    const was = this.#status.holding;
    this.#status = { ...count, holding, share, rate };
    if (holding === was) return false;
    const of = `the heartbeats of ${count.stopped} of ${total} nodes stopped (${percent(share)}`;
    log(
      holding
        ? `Self-preservation on: ${of}, more than --expiry-protect-rate ${percent(rate)}, at ` +
          `once): no node expires and lookups answer them as before, until their heartbeats ` +
          `return or the share falls to ${percent(rate)}`
        : `Self-preservation off: ${of}, not more than --expiry-protect-rate ${percent(rate)}, ` +
          `or fewer than 2): ${count.overdue} overdue node(s) expire as usual`,
    );
    return true;
  }

  /** Why `/healthz` is not 200 while it holds; undefined otherwise. */
  problem(): string | undefined {
    const s = this.#status;
    if (!s.holding) return undefined;
    return `self-preservation: the heartbeats of ${s.stopped} of ${s.stopped + s.heard} ` +
      `nodes (pods) stopped at once (${percent(s.share)}, more than --expiry-protect-rate ` +
      `${percent(s.rate)}); ${s.overdue} of them overdue (no heartbeat for --node-timeout) are ` +
      `held: answered as before and not expired, until their heartbeats return or the share ` +
      `falls to ${percent(s.rate)}`;
  }
}
