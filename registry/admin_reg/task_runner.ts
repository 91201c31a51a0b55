/**
 * Runs the console's tasks (`addTaskReq`): the task is written to the store first (so any replica
 * answers `getTaskRsp` for it as soon as `addTaskReq` is answered), then its items run in the
 * background of the replica that took it, each one's start and end written as it happens:
 *
 * - serial: one after another; once one did not succeed, the rest are cancelled (as the C++ admin
 *   registry does);
 * - parallel: at most {@linkcode TaskRunnerOptions.parallel} at once;
 * - in batches (TarsWeb 3.x's `isElegant`): `eachNum` at once, batch after batch.
 *
 * Every task running is tracked: `stop()` cancels the items not started yet and waits a while for
 * those running; one still running then is written as failed (the registry stopped while it ran;
 * what it asked may still be under way in the pod), and its late outcome is not written.
 *
 * @module
 */
import type { AdminStore, TaskItemRow, TaskRows } from "../store/mod.ts";
import type { Outcome } from "./operations.ts";
import { type ItemState, itemStatusNumber } from "./task_status.ts";

/** How a task's items run. */
export type TaskPlan =
  | { readonly kind: "serial" }
  | { readonly kind: "parallel" }
  | { readonly kind: "batches"; readonly size: number };

/** Dependencies and limits of a {@linkcode TaskRunner}. */
export interface TaskRunnerOptions {
  /** Where tasks and their items' progress are written. */
  readonly store: Pick<AdminStore, "addTask" | "changeTaskItem">;
  /** Runs one item: the operation its command names. */
  readonly runItem: (item: TaskItemRow) => Promise<Outcome>;
  /** Where a failure to record an item's progress is reported. */
  readonly log: (line: string) => void;
  /** Items of a parallel task that run at once (default 10, as the C++ admin registry 2.x). */
  readonly parallel?: number;
  /** Calls `callback` after `ms`; returns its cancel (default: a `setTimeout`). */
  readonly timer?: (callback: () => void, ms: number) => () => void;
}

function realTimer(callback: () => void, ms: number): () => void {
  const id = setTimeout(callback, ms);
  return () => clearTimeout(id);
}

/** What the log of an item says when the registry stopped before it ran. */
export const CANCELLED_AT_STOP = "cancelled: the registry stopped before this item ran";

/** What the log of an item says when the registry stopped while it ran. */
export const ABANDONED_AT_STOP = "the registry stopped while this item ran: what it asked may " +
  "still be under way in the pod";

/** An item being run. */
interface Running {
  readonly task: TaskRows;
  readonly item: TaskItemRow;
  /** Set when the runner stopped without it: its outcome is not written. */
  abandoned: boolean;
}

/** Runs tasks; see the module comment. */
export class TaskRunner {
  readonly #store: TaskRunnerOptions["store"];
  readonly #runItem: TaskRunnerOptions["runItem"];
  readonly #log: (line: string) => void;
  readonly #parallel: number;
  readonly #timer: (callback: () => void, ms: number) => () => void;
  readonly #running = new Set<Promise<void>>();
  readonly #items = new Set<Running>();
  #stopping = false;

  constructor(options: TaskRunnerOptions) {
    this.#store = options.store;
    this.#runItem = options.runItem;
    this.#log = options.log;
    this.#parallel = options.parallel ?? 10;
    this.#timer = options.timer ?? realTimer;
  }

  /** Tasks being run. */
  get running(): number {
    return this.#running.size;
  }

  /**
   * Writes the task (every item not started) and starts running it; resolves once it is written.
   * Refused once the runner stops.
   */
  async add(task: TaskRows, plan: TaskPlan): Promise<void> {
    if (this.#stopping) {
      throw new Error("The registry is stopping: it takes no new task; ask another replica");
    }
    await this.#store.addTask(task);
    const run = this.#run(task, plan).catch((error) => {
      this.#log(`Task ${task.taskNo} failed: ${error instanceof Error ? error.stack : error}`);
    });
    this.#running.add(run);
    run.finally(() => this.#running.delete(run));
  }

  /** Resolves when no task runs. */
  async idle(): Promise<void> {
    while (this.#running.size > 0) await Promise.all(this.#running);
  }

  /**
   * Takes no more tasks, cancels the items not started, and waits up to `timeout` ms for the items
   * running; those still running then are written as failed ({@linkcode ABANDONED_AT_STOP}).
   */
  async stop(options: { timeout: number }): Promise<void> {
    this.#stopping = true;
    let cancel = () => {};
    const late = new Promise<"late">((resolve) => {
      cancel = this.#timer(() => resolve("late"), options.timeout);
    });
    try {
      if (await Promise.race([this.idle(), late]) !== "late") return;
    } finally {
      cancel();
    }
    for (const running of [...this.#items]) {
      running.abandoned = true;
      await this.#record(running.task, running.item, "failed", "end", ABANDONED_AT_STOP);
    }
  }

  async #run(task: TaskRows, plan: TaskPlan): Promise<void> {
    const items = task.items;
    if (plan.kind === "serial") {
      let failed = false;
      for (const item of items) {
        if (failed) await this.#end(task, item, "cancel", "cancelled: an earlier item failed");
        else failed = (await this.#item(task, item)) !== "success";
      }
      return;
    }
    const size = plan.kind === "batches" ? Math.max(1, plan.size) : items.length;
    for (let at = 0; at < items.length; at += size) {
      await this.#pool(task, items.slice(at, at + size));
    }
  }

  /** Runs `items` at most {@linkcode TaskRunnerOptions.parallel} at once. */
  async #pool(task: TaskRows, items: readonly TaskItemRow[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < items.length) await this.#item(task, items[next++]);
    };
    await Promise.all(
      Array.from({ length: Math.min(this.#parallel, items.length) }, () => worker()),
    );
  }

  /** Runs one item and records its start and end; resolves how it ended. */
  async #item(task: TaskRows, item: TaskItemRow): Promise<ItemState> {
    if (this.#stopping) return await this.#end(task, item, "cancel", CANCELLED_AT_STOP);
    await this.#record(task, item, "running", "start");
    const running: Running = { task, item, abandoned: false };
    this.#items.add(running);
    let outcome: Outcome;
    try {
      outcome = await this.#runItem(item);
    } catch (error) {
      this.#log(
        `Task ${task.taskNo} item ${item.itemNo} failed: ${
          error instanceof Error ? error.stack : error
        }`,
      );
      outcome = { ret: -1, result: `internal error of the registry: ${(error as Error).message}` };
    } finally {
      this.#items.delete(running);
    }
    const state = outcome.ret === 0 ? "success" : "failed";
    if (running.abandoned) return state;
    return await this.#end(task, item, state, outcome.result);
  }

  async #end(
    task: TaskRows,
    item: TaskItemRow,
    state: ItemState,
    log: string,
  ): Promise<ItemState> {
    await this.#record(task, item, state, "end", log);
    return state;
  }

  /** Writes an item's progress; a store that fails is reported, and the task goes on. */
  async #record(
    task: TaskRows,
    item: TaskItemRow,
    state: ItemState,
    stamp: "start" | "end",
    log?: string,
  ): Promise<void> {
    try {
      await this.#store.changeTaskItem({
        taskNo: task.taskNo,
        itemNo: item.itemNo,
        status: itemStatusNumber(state, task.numbering),
        stamp,
        log,
      });
    } catch (error) {
      this.#log(
        `Task ${task.taskNo} item ${item.itemNo}: recording that it is ${state} failed: ` +
          `${(error as Error).message}`,
      );
    }
  }
}
