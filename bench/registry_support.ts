/**
 * What the registry benches share: the registry as a process of a given checkout (this one, or
 * the tree before a change, to compare both in one run), the pods they register and the calls
 * they make, the lookup frame and its check, and the figures they read from /proc.
 *
 * @module
 */
import {
  decodeFields,
  decodeResponse,
  encodeFields,
  encodeRequestFrame,
  PACKET_NORMAL,
  QUERY_OBJ,
  QueryF,
  REGISTRY_OBJ,
  RegistryF,
  TARS_VERSION,
  TarsClient,
} from "../protocol/mod.ts";
import { startRegistryProcess } from "../local/mod.ts";

/** Calls in flight of every load: 8 connections x 8. */
export const CONNECTIONS = 8;
/** Requests in flight per connection. */
export const DEPTH = 8;
/** Calls in flight in all. */
export const IN_FLIGHT = CONNECTIONS * DEPTH;
/** Servers the registered pods are spread over (pods per server: pods / SERVERS). */
export const SERVERS = 100;
const FIND = QueryF.compiled.get("findObjectById")!;
const IN_GROUP = QueryF.compiled.get("findObjectByIdInSameGroup")!;
const FIRST_ID = 0x40000000;

/** A checkout whose registry a bench runs: this tree, or the tree before a change. */
export interface Tree {
  /** How the tables name it: `this tree`, `before`. */
  readonly label: string;
  /** Its root directory; undefined for this checkout. */
  readonly root?: string;
}

/** This checkout, and the `--baseline DIR` checkout when given. */
export function treesOf(args: readonly string[]): Tree[] {
  const at = args.indexOf("--baseline");
  const trees: Tree[] = [{ label: "this tree" }];
  if (at >= 0) {
    const root = args[at + 1];
    if (!root) throw new Error("--baseline needs the directory of a checkout of the tree before");
    trees.push({ label: "before", root });
  }
  return trees;
}

/** A registry process that is listening: its pid is the registry's own (the Deno process). */
export interface BenchRegistry {
  readonly pid: number;
  readonly port: number;
  /** Milliseconds from the spawn until it printed that it listens. */
  readonly startMs: number;
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>;
}

/** Starts `registry/main.ts` of `tree` on `store` (local/registry_process.ts, loopback). */
export async function startBenchRegistry(
  tree: Tree,
  store: string,
  ...extra: string[]
): Promise<BenchRegistry> {
  const started = performance.now();
  const registry = await startRegistryProcess(["--store", store, ...extra], { root: tree.root });
  const startMs = performance.now() - started;
  await assertRegistryProcess(registry.child.pid);
  return {
    pid: registry.child.pid,
    port: registry.port,
    startMs,
    async stop() {
      await registry.child.stop({ grace: 5000 });
    },
  };
}

/** Node name (pod IP) of pod `i`. */
export function podIp(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/** Server of pod `i`: `Pod0` … `Pod99`, so each server object has pods / 100 endpoints. */
export function podServer(i: number): string {
  return `Pod${i % SERVERS}`;
}

/** The object server `PodN` serves. */
export function podObject(i: number): string {
  return `Bench.${podServer(i)}.Obj`;
}

/** The Registry proxy of a registry on loopback. */
export function registryProxy(client: TarsClient, port: number) {
  return client.proxy(RegistryF, `${REGISTRY_OBJ}@tcp -h 127.0.0.1 -p ${port} -t 60000`);
}

/** Runs `work(i)` for i in [from, to) with at most `inFlight` calls outstanding. */
export async function pool(
  range: { from: number; to: number },
  inFlight: number,
  work: (i: number) => Promise<unknown>,
): Promise<void> {
  let next = range.from;
  const loops = Math.min(inFlight, range.to - range.from);
  await Promise.all(Array.from({ length: loops }, async () => {
    while (next < range.to) await work(next++);
  }));
}

/**
 * The onStartup request of pod `i`: one adapter of {@linkcode podObject}, and `token` and the IDC
 * `group` if any.
 */
export function startupReq(i: number, token?: string, group?: string) {
  return {
    req: {
      nodeName: podIp(i),
      application: "Bench",
      server: podServer(i),
      adapters: [{
        servant: podObject(i),
        endpoint: `tcp -h ${podIp(i)} -p 10000 -t 60000`,
        protocol: "tars",
      }],
      State: "active",
      Version: "1.0.0",
      token,
      group,
    },
  };
}

/**
 * Registers pods `from` … `to - 1` (times `step`, default 1: every pod; 100 puts them all on one
 * server) with onStartup, one adapter each, with `token` and `group(i)` when given, at 64 in
 * flight; returns calls/s.
 */
export async function registerPods(
  port: number,
  range: { from: number; to: number },
  options: { token?: string; group?: (i: number) => string; step?: number } = {},
): Promise<number> {
  const client = new TarsClient({ timeout: 60_000 });
  try {
    const proxy = registryProxy(client, port);
    const step = options.step ?? 1;
    const started = performance.now();
    await pool(range, IN_FLIGHT, (k) => {
      const i = k * step;
      return proxy.onStartup(startupReq(i, options.token, options.group?.(i)));
    });
    return (range.to - range.from) / ((performance.now() - started) / 1000);
  } finally {
    await client.close();
  }
}

/** The keepAlive request of pod `i`. */
export function keepAliveReq(i: number) {
  return {
    req: { nodeName: podIp(i), state: "active", application: "Bench", server: podServer(i) },
  };
}

/** QueryF's lookups of an object by its id alone. */
export type IdLookup = "findObjectById" | "findObjectByIdInSameGroup";

/** The request frame of `method(id)` (default `findObjectById`) and where its request id sits. */
export function lookupFrame(
  id: string,
  method: IdLookup = "findObjectById",
): { frame: Uint8Array; idOffset: number } {
  const encode = (requestId: number) =>
    encodeRequestFrame({
      version: TARS_VERSION,
      packetType: PACKET_NORMAL,
      messageType: 0,
      requestId,
      servantName: QUERY_OBJ,
      funcName: method,
      buffer: encodeFields(FIND.args, { id }),
      timeout: 3000,
      context: new Map(),
      status: new Map(),
    }).slice();
  const frame = encode(FIRST_ID);
  const other = encode(FIRST_ID + 1);
  return { frame, idOffset: frame.findIndex((b, i) => b !== other[i]) - 3 };
}

/** The active endpoints (`host:port`, sorted) of a findObjectByIdInSameGroup reply frame. */
export function groupReplyEndpoints(reply: Uint8Array): string[] {
  const response = decodeResponse(reply.subarray(4));
  if (response.ret !== 0) {
    throw new Error(`The server answered ${response.ret}: ${response.resultDesc}`);
  }
  const { activeEp } = decodeFields(IN_GROUP.result, response.buffer) as {
    activeEp: { host: string; port: number }[];
  };
  return activeEp.map((e) => `${e.host}:${e.port}`).sort();
}

/** The endpoints (`host:port/istcp`, sorted) of a findObjectById reply frame. */
export function lookupReplyEndpoints(reply: Uint8Array): string[] {
  const response = decodeResponse(reply.subarray(4));
  if (response.ret !== 0) {
    throw new Error(`The server answered ${response.ret}: ${response.resultDesc}`);
  }
  const { ret } = decodeFields(FIND.result, response.buffer) as {
    ret: { host: string; port: number; istcp: number }[];
  };
  return ret.map((e) => `${e.host}:${e.port}/${e.istcp}`).sort();
}

/** A value of `field` (kB) in /proc/PID/status: `VmRSS`, `VmHWM`. */
export async function statusKiB(pid: number, field: "VmRSS" | "VmHWM"): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
  if (!m) throw new Error(`No ${field} in /proc/${pid}/status`);
  return Number(m[1]);
}

/** Resident set size of a process in KiB (`VmRSS` in /proc/PID/status). */
export function rssKiB(pid: number): Promise<number> {
  return statusKiB(pid, "VmRSS");
}

/**
 * CPU seconds a process (all its threads, not its children) used so far in user and in system
 * mode: utime and stime of /proc/PID/stat.
 */
export async function cpuTimes(
  pid: number,
  ticksPerSecond: number,
): Promise<{ user: number; system: number }> {
  const stat = await Deno.readTextFile(`/proc/${pid}/stat`);
  // Fields after the command name (which may hold spaces) start at field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / ticksPerSecond, system: Number(fields[12]) / ticksPerSecond };
}

/** Clock ticks per second (`getconf CLK_TCK`; 100 when it cannot be asked). */
export async function clockTicks(): Promise<number> {
  try {
    const out = await new Deno.Command("getconf", { args: ["CLK_TCK"], stderr: "null" }).output();
    const n = Number(new TextDecoder().decode(out.stdout).trim());
    return n > 0 ? n : 100;
  } catch {
    return 100;
  }
}

/** Throws unless `pid` runs `registry/main.ts` (so its CPU is the registry's alone). */
export async function assertRegistryProcess(pid: number): Promise<void> {
  const args = (await Deno.readTextFile(`/proc/${pid}/cmdline`)).split("\0");
  if (!args.some((arg) => arg === "registry/main.ts" || arg.endsWith("/registry/main.ts"))) {
    throw new Error(`Process ${pid} is not the registry: ${args.join(" ")}`);
  }
}
