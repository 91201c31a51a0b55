/**
 * The replica reads: how the registry's memory ({@linkcode RegistryState}) follows its store. The
 * whole store is read at start; a shared store (MySQL, which other replicas and tools write too)
 * is read again every reload for what they wrote: what changed since the last read (the store
 * finds it by `registry_timestamp` and heartbeats), every
 * {@linkcode ReplicaReadsOptions.keySumInterval} also the tables' row counts and key checksums,
 * which show a deletion (a change read cannot see one): when they differ from memory, and every
 * {@linkcode ReplicaReadsOptions.fullReloadInterval} in any case, the whole store.
 *
 * Reads stream into memory in place. The registry's own writes go to memory through
 * {@linkcode ReplicaReads.apply}: a write applied while a read runs is applied again after it,
 * since what the read gave may be older than the write.
 *
 * @module
 */
import type { RegistryState, SkippedAdapter } from "./registry_state.ts";
import { addSums, NO_ROWS, sameSums } from "./store/key_sums.ts";
import type { ChangeMark, KeySums, RegistryStore } from "./store/types.ts";

/** Default {@linkcode ReplicaReadsOptions.fullReloadInterval}: 5 minutes. */
export const FULL_RELOAD_INTERVAL = 300_000;
/** Default {@linkcode ReplicaReadsOptions.keySumInterval}: 30 s. */
export const KEY_SUM_INTERVAL = 30_000;

/** Settings and dependencies of the replica reads. */
export interface ReplicaReadsOptions {
  /** Clock in epoch ms. */
  readonly now: () => number;
  /**
   * A shared store: how often (ms) the whole store is read again; the reloads between read what
   * changed only (`--full-reload-interval`; default 5 minutes).
   */
  readonly fullReloadInterval?: number;
  /**
   * A shared store: how often (ms) a reload also compares the row counts and key checksums of the
   * store with memory, to notice rows another replica deleted (default 30 s).
   */
  readonly keySumInterval?: number;
  /** Where skipped rows and reads of the whole store are reported. */
  readonly log: (line: string) => void;
}

/** A write to memory, applied once the store acknowledged it. */
export type StateWrite = (state: RegistryState) => void;

/** What a change read's key sums say of memory. */
type Verdict = "agrees" | "differs" | "unsettled";

/** Reads of the store into memory, and the writes applied meanwhile; see the module comment. */
export class ReplicaReads {
  readonly #store: Pick<RegistryStore, "load" | "readChanges">;
  readonly #state: RegistryState;
  readonly #now: () => number;
  readonly #log: (line: string) => void;
  readonly #fullReloadInterval: number;
  readonly #keySumInterval: number;
  /** Writes applied while the store is read, applied again after the read. */
  #replay: StateWrite[] | undefined;
  /** Writes that added or removed a row (onStartup, onPrestop, clean) so far. */
  #rowWrites = 0;
  /** A shared store: where the next change read starts (undefined before the first read). */
  #mark: ChangeMark | undefined;
  /** A shared store: what its key sums hold that memory does not (rows no record is made of). */
  #unread: KeySums = NO_ROWS;
  #lastFullRead = -Infinity;
  /** When memory last agreed with the store's key sums (or was read whole). */
  #lastAgreed = -Infinity;

  /** Reads `store` into `state`, which nothing else writes but {@linkcode apply}. */
  constructor(
    store: Pick<RegistryStore, "load" | "readChanges">,
    state: RegistryState,
    options: ReplicaReadsOptions,
  ) {
    this.#store = store;
    this.#state = state;
    this.#now = options.now;
    this.#log = options.log;
    this.#fullReloadInterval = options.fullReloadInterval ?? FULL_RELOAD_INTERVAL;
    this.#keySumInterval = options.keySumInterval ?? KEY_SUM_INTERVAL;
  }

  /**
   * Applies a write the store acknowledged to memory, now and again after a read in progress.
   * `changesRows`: it added or removed a row (onStartup, onPrestop, clean), which makes a
   * comparison of key sums read meanwhile moot.
   */
  apply(write: StateWrite, options: { changesRows?: boolean } = {}): void {
    if (options.changesRows) this.#rowWrites++;
    write(this.#state);
    this.#replay?.push(write);
  }

  /**
   * Reads the whole store into memory (what it no longer has goes); writes made meanwhile are
   * kept. A read already running makes this one a no-op.
   */
  async readAll(): Promise<void> {
    const shared = this.#store.readChanges !== undefined;
    await this.#reading(async (live) => {
      const rowWrites = this.#rowWrites;
      const sweep = this.#state.sweep(this.#now());
      const result = await this.#store.load({
        node: (record) => live() && sweep.node(record),
        server: (record) => live() && sweep.server(record),
      }, { sums: shared });
      this.#report(sweep.finish());
      if (!shared) return;
      this.#mark = result.mark;
      this.#lastFullRead = this.#lastAgreed = result.takenAt;
      // Rows the store has and memory makes nothing of (adapters of no server, duplicates),
      // known only when no write changed the rows in memory during the read.
      this.#unread = result.sums && rowWrites === this.#rowWrites
        ? addSums(result.sums, this.#state.keySums(), -1)
        : NO_ROWS;
    });
  }

  /**
   * A shared store: reads what changed since the last read, with the key sums when they are due,
   * and the whole store when the full reload interval has passed, when the key sums differ from
   * memory, or when they could not be compared for too long. A store this process alone writes:
   * nothing (memory has every write already).
   */
  async catchUp(): Promise<void> {
    if (!this.#store.readChanges) return;
    const now = this.#now();
    if (this.#mark === undefined || now - this.#lastFullRead >= this.#fullReloadInterval) {
      await this.readAll();
      return;
    }
    const check = now - this.#lastAgreed >= this.#keySumInterval;
    const verdict = await this.#readChanges(this.#mark, check);
    if (verdict === "agrees") return;
    this.#log(
      verdict === "differs"
        ? "The database's row counts or key checksums differ from memory (rows another " +
          "replica or tool deleted, or wrote late): reading it whole"
        : "Registrations and removals here kept the database's row counts and key checksums " +
          "from being compared with memory: reading it whole",
    );
    await this.readAll();
  }

  /**
   * Reads what changed in a shared store since `mark`, and with `check` its key sums: whether
   * memory agrees with them, differs, or could not be compared for too long (`unsettled`).
   */
  async #readChanges(mark: ChangeMark, check: boolean): Promise<Verdict> {
    let verdict: Verdict = "agrees";
    await this.#reading(async (live) => {
      const rowWrites = this.#rowWrites;
      const now = this.#now();
      const skipped: SkippedAdapter[] = [];
      const result = await this.#store.readChanges!(mark, {
        node: (record) => live() && this.#state.putNode(record, now),
        serversOn: (nodeName, servers) => {
          if (live()) skipped.push(...this.#state.replaceServers(nodeName, servers));
        },
      }, { sums: check });
      this.#report(skipped);
      this.#mark = result.mark;
      if (!result.sums) return;
      // A write that added or removed a row during the read makes the comparison moot: the
      // next reload compares again, and reads the whole store when that went on for half a
      // check interval more, so a deletion shows within about twice the interval however busy.
      if (rowWrites !== this.#rowWrites) {
        const waited = result.takenAt - this.#lastAgreed;
        if (waited >= this.#keySumInterval * 1.5) verdict = "unsettled";
        return;
      }
      if (sameSums(addSums(this.#state.keySums(), this.#unread), result.sums)) {
        this.#lastAgreed = result.takenAt;
      } else {
        verdict = "differs";
      }
    });
    return verdict;
  }

  /**
   * Runs a read of the store; the writes applied meanwhile are applied again after it, whether
   * it succeeded or not (what it read may be older than they). What a store hands over once the
   * read has settled (a read given up at its deadline goes on) is dropped: `live()` says false.
   */
  async #reading(read: (live: () => boolean) => Promise<void>): Promise<void> {
    if (this.#replay) return;
    const replay: StateWrite[] = this.#replay = [];
    let settled = false;
    try {
      await read(() => !settled);
    } finally {
      settled = true;
      this.#replay = undefined;
      for (const write of replay) write(this.#state);
    }
  }

  #report(skipped: readonly SkippedAdapter[]): void {
    for (const s of skipped) {
      this.#log(
        `Skipping ${s.servant} of ${s.application}.${s.server} on ${s.nodeName}: ${s.reason}`,
      );
    }
  }
}
