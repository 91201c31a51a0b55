/**
 * The store as the registry calls it, so that a store that hangs or fails cannot hang callers:
 * every call has a deadline (`--store-timeout`; reads of the whole store or of its changes a
 * longer one), at most `--max-pending-writes` writes and {@linkcode MAX_PENDING_READS} reads wait
 * for the store at once (more are refused at once, "registry busy"), and the state of the writes
 * is kept for `/healthz` (failing or stalled until one succeeds). It wraps any
 * {@linkcode RegistryStore}, which stays as it is.
 *
 * Writes and reads wait in caps of their own, so reads (the reloads, and the console's reads of
 * tasks, node versions and profiles, which any peer may ask for) cannot crowd out the pods'
 * registrations and heartbeats, nor writes the reads.
 *
 * A call past its deadline fails for its caller, and the service then leaves memory as it was;
 * the store call itself goes on (nothing can cancel it) and counts as waiting until it settles,
 * so a hung database cannot pile up calls without bound.
 *
 * @module
 */
import { TarsCallError } from "../protocol/call_error.ts";
import { RegistryRet } from "../protocol/interfaces/registry_f.ts";
import type {
  FlowRows,
  ProfileTemplateRow,
  ServerKey,
  ServerProfileRow,
  SettingState,
  TaskFilter,
  TaskItemChange,
  TaskRecord,
  TaskRows,
} from "./store/mod.ts";
import type {
  CleanCutoff,
  CleanResult,
  ExpiredNodes,
  ExpireOptions,
  GroupRuleRows,
  KeepAliveResult,
  KeepAliveRows,
  LoadResult,
  LoadSink,
  MetricsRow,
  PrestopResult,
  RegistryInfoRows,
  RegistryStore,
  ServerTarget,
  StartupRows,
  StoreCounts,
} from "./store/mod.ts";

/** Default {@linkcode StoreGuardOptions.maxPendingReads}. */
export const MAX_PENDING_READS = 100;

/** Limits of a {@linkcode GuardedStore}. */
export interface StoreGuardOptions {
  /** Milliseconds a call may take (`--store-timeout`). */
  readonly timeout: number;
  /** Writes that may wait for the store at once (`--max-pending-writes`). */
  readonly maxPendingWrites: number;
  /** Reads that may wait for the store at once (default {@linkcode MAX_PENDING_READS}). */
  readonly maxPendingReads?: number;
  /**
   * Milliseconds a read of the whole store or of its changes may take (default `timeout`): a
   * full read of a large database takes longer than a write.
   */
  readonly readTimeout?: number;
  /** Milliseconds clock (default `performance.now`). */
  readonly now?: () => number;
}

interface Waiting {
  readonly deadline: number;
  readonly expire: () => void;
}

/** The calls of one kind waiting for the store, and how many may. */
interface Cap {
  pending: number;
  readonly max: number;
}

/** A store whose calls are bounded in time and number; see the module comment. */
export class GuardedStore implements RegistryStore {
  readonly #store: RegistryStore;
  readonly #timeout: number;
  readonly #readTimeout: number;
  readonly #writes: Cap;
  readonly #reads: Cap;
  readonly #now: () => number;
  readonly #waiting = new Set<Waiting>();
  #writeFailure: string | undefined;
  #sweeper: ReturnType<typeof setInterval> | undefined;

  constructor(store: RegistryStore, options: StoreGuardOptions) {
    this.#store = store;
    this.#timeout = options.timeout;
    this.#readTimeout = options.readTimeout ?? options.timeout;
    this.#writes = { pending: 0, max: options.maxPendingWrites };
    this.#reads = { pending: 0, max: options.maxPendingReads ?? MAX_PENDING_READS };
    this.#now = options.now ?? (() => performance.now());
    const readChanges = store.readChanges?.bind(store);
    if (readChanges) {
      this.readChanges = (mark, sink, options) =>
        this.#call("reading what changed", () => readChanges(mark, sink, options), {
          write: false,
          timeout: this.#readTimeout,
        });
    }
    const changedOutside = store.changedOutside?.bind(store);
    if (changedOutside) this.changedOutside = changedOutside;
  }

  /** {@inheritDoc RegistryStore.readChanges} (when the store has it) */
  readonly readChanges?: RegistryStore["readChanges"];

  /** {@inheritDoc RegistryStore.changedOutside} (when the store has it; it waits for nothing) */
  readonly changedOutside?: RegistryStore["changedOutside"];

  /** {@inheritDoc RegistryStore.kind} */
  get kind(): RegistryStore["kind"] {
    return this.#store.kind;
  }

  /** Writes started and not yet settled (those past their deadline included). */
  get pendingWrites(): number {
    return this.#writes.pending;
  }

  /** Reads started and not yet settled (those past their deadline included). */
  get pendingReads(): number {
    return this.#reads.pending;
  }

  /** Why writes fail or stall, from a failed or late write until one succeeds; else undefined. */
  get writeFailure(): string | undefined {
    return this.#writeFailure;
  }

  /** {@inheritDoc RegistryStore.onStartup} */
  onStartup(rows: StartupRows): Promise<void> {
    return this.#call("onStartup", () => this.#store.onStartup(rows), { write: true });
  }

  /** {@inheritDoc RegistryStore.keepAlive} */
  keepAlive(rows: KeepAliveRows): Promise<KeepAliveResult> {
    return this.#call("keepAlive", () => this.#store.keepAlive(rows), { write: true });
  }

  /** {@inheritDoc RegistryStore.onPrestop} */
  onPrestop(target: ServerTarget): Promise<PrestopResult> {
    return this.#call("onPrestop", () => this.#store.onPrestop(target), { write: true });
  }

  /** {@inheritDoc RegistryStore.expireNodes} */
  expireNodes(timeout: number, options?: ExpireOptions): Promise<ExpiredNodes> {
    return this.#call("the node check", () => this.#store.expireNodes(timeout, options), {
      write: true,
    });
  }

  /** {@inheritDoc RegistryStore.announceRegistry} */
  announceRegistry(rows: RegistryInfoRows): Promise<void> {
    return this.#call("announceRegistry", () => this.#store.announceRegistry(rows), {
      write: true,
    });
  }

  /** {@inheritDoc RegistryStore.withdrawRegistry} */
  withdrawRegistry(locatorId: string): Promise<void> {
    return this.#call("withdrawRegistry", () => this.#store.withdrawRegistry(locatorId), {
      write: true,
    });
  }

  /** {@inheritDoc RegistryStore.registerMetrics} */
  registerMetrics(row: MetricsRow): Promise<boolean> {
    return this.#call("registerMetrics", () => this.#store.registerMetrics(row), { write: true });
  }

  /** {@inheritDoc RegistryStore.clean} */
  clean(cutoff: CleanCutoff): Promise<CleanResult> {
    return this.#call("clean", () => this.#store.clean(cutoff), { write: !cutoff.dryRun });
  }

  /** {@inheritDoc RegistryStore.load} */
  load(sink: LoadSink, options?: { sums?: boolean }): Promise<LoadResult> {
    return this.#call("reading the store", () => this.#store.load(sink, options), {
      write: false,
      timeout: this.#readTimeout,
    });
  }

  /** {@inheritDoc RegistryStore.readGroupRules} */
  readGroupRules(): Promise<GroupRuleRows> {
    return this.#call("reading the IDC groups", () => this.#store.readGroupRules(), {
      write: false,
    });
  }

  /** {@inheritDoc RegistryStore.counts} */
  counts(): Promise<StoreCounts> {
    return this.#call("counting rows", () => this.#store.counts(), { write: false });
  }

  /** {@inheritDoc AdminStore.setSettingState} */
  setSettingState(key: ServerKey, state: SettingState): Promise<boolean> {
    return this.#call("setting the state", () => this.#store.setSettingState(key, state), {
      write: true,
    });
  }

  /** {@inheritDoc AdminStore.setFlowState} */
  setFlowState(rows: FlowRows): Promise<number> {
    return this.#call("setting the traffic switch", () => this.#store.setFlowState(rows), {
      write: true,
    });
  }

  /** {@inheritDoc AdminStore.nodeVersion} */
  nodeVersion(nodeName: string): Promise<string | undefined> {
    return this.#call("reading a node", () => this.#store.nodeVersion(nodeName), {
      write: false,
    });
  }

  /** {@inheritDoc AdminStore.profileTemplate} */
  profileTemplate(name: string): Promise<ProfileTemplateRow | undefined> {
    return this.#call("reading a template", () => this.#store.profileTemplate(name), {
      write: false,
    });
  }

  /** {@inheritDoc AdminStore.serverProfile} */
  serverProfile(key: ServerKey): Promise<ServerProfileRow | undefined> {
    return this.#call("reading a server's profile", () => this.#store.serverProfile(key), {
      write: false,
    });
  }

  /** {@inheritDoc AdminStore.addTask} */
  addTask(task: TaskRows): Promise<void> {
    return this.#call("addTaskReq", () => this.#store.addTask(task), { write: true });
  }

  /** {@inheritDoc AdminStore.changeTaskItem} */
  changeTaskItem(change: TaskItemChange): Promise<void> {
    return this.#call("recording a task item", () => this.#store.changeTaskItem(change), {
      write: true,
    });
  }

  /** {@inheritDoc AdminStore.task} */
  task(taskNo: string): Promise<TaskRecord | undefined> {
    return this.#call("reading a task", () => this.#store.task(taskNo), { write: false });
  }

  /** {@inheritDoc AdminStore.taskHistory} */
  taskHistory(filter: TaskFilter): Promise<TaskRecord[]> {
    return this.#call("reading tasks", () => this.#store.taskHistory(filter), { write: false });
  }

  /** Closes the store, waiting at most the timeout for it (a hung database cannot be closed). */
  close(): Promise<void> {
    return this.#call("closing the store", () => this.#store.close(), {
      write: false,
      count: false,
    })
      .catch((error) => {
        if (!(error instanceof TarsCallError)) throw error;
      });
  }

  #call<T>(
    what: string,
    work: () => Promise<T>,
    options: { write: boolean; count?: boolean; timeout?: number },
  ): Promise<T> {
    const timeout = options.timeout ?? this.#timeout;
    const cap = options.count === false ? undefined : options.write ? this.#writes : this.#reads;
    if (cap && cap.pending >= cap.max) {
      return Promise.reject(
        new TarsCallError(
          RegistryRet.BUSY,
          options.write
            ? `${what}: registry busy: ${cap.pending} writes wait for the store ` +
              `(--max-pending-writes ${cap.max}); nothing was changed, try again later`
            : `${what}: registry busy: ${cap.pending} reads wait for the store (at most ` +
              `${cap.max}); nothing was read, try again later`,
        ),
      );
    }
    if (cap) cap.pending++;
    return new Promise<T>((resolve, reject) => {
      let expired = false;
      const waiting: Waiting = {
        deadline: this.#now() + timeout,
        expire: () => {
          expired = true;
          if (options.write) {
            this.#writeFailure = `store writes stall: ${what} got no answer within ` +
              `${this.#timeout} ms (--store-timeout)`;
          }
          reject(
            new TarsCallError(
              RegistryRet.STORE_TIMEOUT,
              options.write
                ? `${what}: the store did not answer within ${timeout} ms ` +
                  `(--store-timeout); the registry's view did not change`
                : `${what}: the store did not answer within ${timeout} ms; the read is given up`,
            ),
          );
        },
      };
      this.#waiting.add(waiting);
      this.#sweeper ??= setInterval(() => this.#sweep(), this.#sweepMs());
      const settled = () => {
        if (cap) cap.pending--;
        this.#waiting.delete(waiting);
        this.#stopSweeperWhenIdle();
      };
      let running: Promise<T>;
      try {
        running = work();
      } catch (error) {
        running = Promise.reject(error);
      }
      running.then((value) => {
        settled();
        // Even a late answer shows the store works again.
        if (options.write) this.#writeFailure = undefined;
        if (!expired) resolve(value);
      }, (error) => {
        settled();
        if (options.write) {
          this.#writeFailure = `store writes fail: ${what}: ${(error as Error).message}`;
        }
        if (!expired) reject(error);
      });
    });
  }

  #sweepMs(): number {
    return Math.min(100, Math.max(5, this.#timeout / 10));
  }

  #sweep(): void {
    const now = this.#now();
    for (const waiting of this.#waiting) {
      if (waiting.deadline > now) continue;
      this.#waiting.delete(waiting);
      waiting.expire();
    }
    this.#stopSweeperWhenIdle();
  }

  #stopSweeperWhenIdle(): void {
    if (this.#waiting.size > 0) return;
    clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }
}
