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
 * Every task running is tracked: `stop()` cancels the items not started yet and waits for those
 * running (each bounded by its node call's timeout).
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
}

/** What the log of an item says when the registry stopped before it ran. */
export const CANCELLED_AT_STOP = "cancelled: the registry stopped before this item ran";

/** Runs tasks; see the module comment. */
export class TaskRunner {
  readonly #store: TaskRunnerOptions["store"];
  readonly #runItem: TaskRunnerOptions["runItem"];
  readonly #log: (line: string) => void;
  readonly #parallel: number;
  readonly #running = new Set<Promise<void>>();
  #stopping = false;

  constructor(options: TaskRunnerOptions) {
    this.#store = options.store;
    this.#runItem = options.runItem;
    this.#log = options.log;
    this.#parallel = options.parallel ?? 10;
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

  /** Takes no more tasks, cancels the items not started, and waits for the items running. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.idle();
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
    }
    const state = outcome.ret === 0 ? "success" : "failed";
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
