/**
 * The MySQL store's group commit of the pods' calls (onStartup, keepAlive, onPrestop). Calls
 * queued together run in one transaction, sent as one multi-statement query (`START TRANSACTION;
 * …every call's statements…; COMMIT`): one round trip and one commit for the batch instead of a
 * transaction and a round trip per statement of each call. Each call resolves only after that
 * commit, so what is acknowledged is durable, and a call's statements take effect all together or
 * not at all:
 *
 * - a statement that fails rolls the batch back, which then runs again with each call between a
 *   savepoint and its release: the failing call is rolled back to its savepoint and rejected, the
 *   others commit;
 * - a deadlock (InnoDB rolled the whole transaction back) runs the batch again, up to
 *   {@linkcode BatchOptions.deadlockRetries} times, and a table changed under it (a column
 *   dropped, added without a default, narrowed) once more on the layout read again.
 *
 * At most {@linkcode BatchOptions.lanes} batches run at a time; calls that come meanwhile wait and
 * form the next batch, at most {@linkcode BatchOptions.limit} of them, in the order they came.
 *
 * @module
 */
import type { PoolConnection, ResultSetHeader } from "mysql2/promise";
import { setImmediate, setTimeout } from "node:timers";
import type { Layout } from "./mysql_layout.ts";
import type { Statement } from "./mysql_statements.ts";
import { type CallOutcome, type PendingCall, settleCalls } from "./call_outcome.ts";

/** A call as statements (built on the layout its batch runs on) and its result from theirs. */
export interface BatchedCall<T> {
  statements(layout: Layout): Statement[];
  result(results: readonly ResultSetHeader[]): T;
}

/** What the batcher needs of its store. */
export interface BatchContext {
  /** A pooled connection (its clock pinned when the store pins it); released by the batcher. */
  connection(): Promise<PoolConnection>;
  /** The layout statements are built on now. */
  layout(): Layout;
  /** Reads the layout again (a statement met a changed table). */
  refreshLayout(): Promise<void>;
}

/** How calls are batched. */
export interface BatchOptions {
  /** Batches running at once. */
  readonly lanes: number;
  /** Calls in one batch at most. */
  readonly limit: number;
  /** Times a batch chosen as a deadlock victim runs again. */
  readonly deadlockRetries: number;
  /** Whether an error means the statement met a changed table (worth one more try). */
  readonly isSchemaError: (error: unknown) => boolean;
}

interface Queued extends PendingCall {
  readonly call: BatchedCall<unknown>;
}

/** ER_LOCK_DEADLOCK: InnoDB rolled the whole transaction back; running it again is safe. */
export function isDeadlock(error: unknown): boolean {
  return (error as { errno?: number } | null)?.errno === 1213;
}

/** Group-commits calls on a MySQL pool (see the module comment). */
export class WriteBatcher {
  readonly #context: BatchContext;
  readonly #options: BatchOptions;
  #queue: Queued[] = [];
  #running = 0;
  #scheduled = false;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(context: BatchContext, options: BatchOptions) {
    this.#context = context;
    this.#options = options;
  }

  /** Queues `call`; resolves with its result once its batch committed. */
  run<T>(call: BatchedCall<T>): Promise<T> {
    if (this.#closed) {
      return Promise.reject(new Error("The registry store is closed: open a new one"));
    }
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({
        call: call as BatchedCall<unknown>,
        resolve: resolve as (value: never) => void,
        reject,
      });
      this.#schedule();
    });
  }

  /** Takes no more calls; resolves once every call queued has settled. */
  close(): Promise<void> {
    this.#closed = true;
    if (this.#queue.length === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** Starts batches at the end of this event-loop turn, so the calls of the turn go together. */
  #schedule(): void {
    if (this.#scheduled || this.#running >= this.#options.lanes) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      while (this.#running < this.#options.lanes && this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#options.limit);
        this.#running++;
        this.#commit(batch).finally(() => {
          this.#running--;
          if (this.#queue.length > 0) this.#schedule();
          else if (this.#running === 0) { for (const idle of this.#idle.splice(0)) idle(); }
        });
      }
    });
  }

  async #commit(batch: readonly Queued[]): Promise<void> {
    let outcomes: CallOutcome[];
    try {
      outcomes = await this.#attempts(batch);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    settleCalls(batch, outcomes);
  }

  /**
   * The batch together; after a failure of one call, each call apart; a batch still chosen as a
   * deadlock victim after its retries goes call by call, each in a transaction of its own (fewer
   * locks held at once, as before batching).
   */
  async #attempts(batch: readonly Queued[]): Promise<CallOutcome[]> {
    let schemaRetried = false;
    for (let attempt = 1;; attempt++) {
      try {
        return await this.#together(batch);
      } catch (error) {
        if (isDeadlock(error) && attempt <= this.#options.deadlockRetries) {
          await deadlockPause(attempt);
          continue;
        }
        if (this.#options.isSchemaError(error) && !schemaRetried) {
          schemaRetried = true;
          await this.#context.refreshLayout();
          continue;
        }
        if (batch.length === 1) throw error;
        if (!isDeadlock(error)) return await this.#apart(batch);
        const outcomes: CallOutcome[] = [];
        for (const item of batch) {
          try {
            outcomes.push(...await this.#attempts([item]));
          } catch (error) {
            outcomes.push({ ok: false, error });
          }
        }
        return outcomes;
      }
    }
  }

  /** One transaction, one query: every call's statements between START and COMMIT. */
  async #together(batch: readonly Queued[]): Promise<CallOutcome[]> {
    const layout = this.#context.layout();
    const perCall = batch.map((item) => item.call.statements(layout));
    const all = perCall.flat();
    const conn = await this.#context.connection();
    try {
      let results: ResultSetHeader[];
      try {
        const [answer] = await conn.query<ResultSetHeader[]>(
          ["START TRANSACTION", ...all.map((s) => s.sql), "COMMIT"].join(";\n"),
          all.flatMap((s) => s.params),
        );
        results = answer;
      } catch (error) {
        await rollback(conn, error);
        throw error;
      }
      const outcomes: CallOutcome[] = [];
      let at = 1; // after START TRANSACTION
      batch.forEach((item, i) => {
        const own = results.slice(at, at + perCall[i].length);
        at += perCall[i].length;
        try {
          outcomes.push({ ok: true, value: item.call.result(own) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      });
      return outcomes;
    } finally {
      conn.release();
    }
  }

  /**
   * One transaction, each call between a savepoint and its release: a call that fails is rolled
   * back to its savepoint (after one more try when its table changed) and the others commit. A
   * deadlock rolls everything back: the batch runs apart again.
   */
  async #apart(batch: readonly Queued[]): Promise<CallOutcome[]> {
    for (let attempt = 1;; attempt++) {
      const conn = await this.#context.connection();
      try {
        try {
          await conn.query("START TRANSACTION");
          const outcomes: CallOutcome[] = [];
          for (const item of batch) outcomes.push(await this.#inSavepoint(conn, item.call));
          await conn.query("COMMIT");
          return outcomes;
        } catch (error) {
          await rollback(conn, error);
          throw error;
        }
      } catch (error) {
        if (!isDeadlock(error) || attempt > this.#options.deadlockRetries) throw error;
      } finally {
        conn.release();
      }
      await deadlockPause(attempt);
    }
  }

  /** Runs one call in a savepoint; throws only what ends the transaction (a deadlock). */
  async #inSavepoint(conn: PoolConnection, call: BatchedCall<unknown>): Promise<CallOutcome> {
    for (let schemaRetried = false;;) {
      const statements = call.statements(this.#context.layout());
      try {
        const [answer] = await conn.query<ResultSetHeader[]>(
          [
            "SAVEPOINT registry_call",
            ...statements.map((s) => s.sql),
            "RELEASE SAVEPOINT registry_call",
          ]
            .join(";\n"),
          statements.flatMap((s) => s.params),
        );
        return { ok: true, value: call.result(answer.slice(1, 1 + statements.length)) };
      } catch (error) {
        if (isDeadlock(error)) throw error;
        await conn.query("ROLLBACK TO SAVEPOINT registry_call");
        if (this.#options.isSchemaError(error) && !schemaRetried) {
          schemaRetried = true;
          await this.#context.refreshLayout();
          continue;
        }
        return { ok: false, error };
      }
    }
  }
}

/**
 * Waits a little, more after each try and by a random part, before a deadlock victim runs again:
 * the transaction it met is then likely done, and two victims do not meet again in step.
 */
function deadlockPause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, attempt * (5 + Math.random() * 10)));
}

/** Rolls back after `cause`; a connection that cannot roll back is dropped. */
export async function rollback(conn: PoolConnection, cause: unknown): Promise<void> {
  try {
    await conn.query("ROLLBACK");
  } catch (rollbackError) {
    conn.destroy();
    throw new AggregateError(
      [cause, rollbackError],
      "The registry store could not roll back a failed transaction: the connection was dropped",
    );
  }
}
