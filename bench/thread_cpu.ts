/**
 * CPU time of idle processes, precise to the nanosecond: the sum over a process's threads of the
 * first field of `/proc/PID/task/TID/schedstat` (time on a CPU). `/proc/PID/stat` counts whole
 * clock ticks (10 ms), too coarse for a process that works about a millisecond per 10 s.
 *
 * A thread's figures leave `/proc` when it ends (tokio's blocking threads end after 10 s idle), so
 * the threads are polled during the window: a thread that ends loses at most one poll interval.
 *
 * @module
 */
import { delay } from "../lib/timers.ts";
import { ifExists } from "../lib/not_found.ts";

/** Options of {@linkcode measureThreadCpu}. */
export interface ThreadCpuOptions {
  /** How long to measure. */
  readonly windowMs: number;
  /** How often to read the threads; default 500 ms. */
  readonly pollMs?: number;
}

/** Nanoseconds on a CPU of each live thread of `pid`. */
async function readThreads(pid: number): Promise<Map<string, number>> {
  const threads = new Map<string, number>();
  for await (const entry of Deno.readDir(`/proc/${pid}/task`)) {
    const path = `/proc/${pid}/task/${entry.name}/schedstat`;
    const text = await ifExists(Deno.readTextFile(path));
    if (text === undefined) continue; // The thread ended meanwhile.
    const ns = Number(text.split(" ")[0]);
    if (!Number.isFinite(ns)) throw new Error(`Unexpected ${path}: "${text.trim()}"`);
    threads.set(entry.name, ns);
  }
  return threads;
}

/**
 * The CPU milliseconds each of `pids` used during the next `windowMs`. A thread started within
 * the window counts from zero. Rejects when a process ends during the window.
 */
export async function measureThreadCpu(
  pids: readonly number[],
  options: ThreadCpuOptions,
): Promise<number[]> {
  const pollMs = options.pollMs ?? 500;
  const read = (when: string) =>
    Promise.all(pids.map((pid) =>
      readThreads(pid).catch((error) => {
        throw new Error(`Process ${pid} ${when}`, { cause: error });
      })
    ));
  const first = await read("is not running");
  const last = first.map((threads) => new Map(threads));
  const end = performance.now() + options.windowMs;
  for (;;) {
    await delay(Math.max(0, Math.min(pollMs, end - performance.now())));
    const now = await read("ended during the CPU window");
    now.forEach((threads, i) => {
      for (const [tid, ns] of threads) last[i].set(tid, ns);
    });
    if (performance.now() >= end) break;
  }
  return last.map((threads, i) => {
    let ns = 0;
    for (const [tid, value] of threads) ns += value - (first[i].get(tid) ?? 0);
    return ns / 1e6;
  });
}
