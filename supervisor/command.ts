/**
 * `tarscli supervisor`: the container entrypoint. Its signal listeners come first, before the
 * rest of the supervisor's modules load (run_supervisor.ts, imported once they are in place): as
 * PID 1 a signal without a listener is dropped by the kernel, and elsewhere Deno would die of it,
 * so a SIGTERM that comes while the supervisor starts is kept and handed to its machine.
 *
 * @module
 */
import type { CommandContext } from "../lib/context.ts";
import { checkSwitches } from "../lib/usage_error.ts";
import type { SupervisorEvent } from "./machine.ts";

const STOP_SIGNALS: readonly Deno.Signal[] = ["SIGTERM", "SIGINT"];
const FORWARDED_SIGNALS: readonly Deno.Signal[] = ["SIGHUP", "SIGUSR1", "SIGUSR2", "SIGQUIT"];

/** The signals as events: queued until the machine is connected, then handed to it at once. */
export interface SignalQueue {
  /** Hands the queued events to `dispatch`, and every later one. */
  connect(dispatch: (event: SupervisorEvent) => void): void;
  /** Removes the listeners. */
  close(): void;
}

/** Listens for the stop signals and the ones passed on to the service. */
function listenForSignals(): SignalQueue {
  const queued: SupervisorEvent[] = [];
  let dispatch = (event: SupervisorEvent): void => {
    queued.push(event);
  };
  const listeners: [Deno.Signal, () => void][] = [
    ...STOP_SIGNALS.map((signal): [Deno.Signal, () => void] => [
      signal,
      () => dispatch({ type: "stop", signal }),
    ]),
    ...FORWARDED_SIGNALS.map((signal): [Deno.Signal, () => void] => [
      signal,
      () => dispatch({ type: "signal", signal }),
    ]),
  ];
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
  return {
    connect(to) {
      dispatch = to;
      for (const event of queued.splice(0)) to(event);
    },
    close() {
      for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
    },
  };
}

/** Runs the supervisor until SIGTERM or SIGINT; exits 0 once the service is stopped. */
export async function run(args: string[], ctx: CommandContext): Promise<number> {
  const signals = listenForSignals();
  try {
    checkSwitches("supervisor", args, { reads: "the TARS_* variables" });
    const { runSupervisor } = await import("./run_supervisor.ts");
    return await runSupervisor(ctx, signals);
  } finally {
    signals.close();
  }
}
