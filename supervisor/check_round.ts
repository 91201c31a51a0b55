/**
 * The supervisor's check rounds (the machine's `check` effect): the before-check script while the
 * service runs, the markers in `data/` (`data/stop`, the drain marker) and a connect to every
 * endpoint, answered as the machine's `checked` event; a `cancelCheck` stops the round in
 * progress, its script too. And the probe of the ports while the service shuts down
 * (`probePorts`).
 *
 * @module
 */
import type { ServerInfo } from "../genconf/mod.ts";
import { exists } from "../lib/not_found.ts";
import { join } from "../lib/posix_path.ts";
import type { SupervisorEvent } from "./machine.ts";
import type { Pod } from "./pod.ts";

/** What a check round uses of the pod. */
export type CheckedPod = Pick<
  Pod,
  "info" | "checkEndpoints" | "isListening" | "runBeforeCheck" | "log"
>;

/** The check rounds of one pod. */
export class CheckRound {
  readonly #pod: CheckedPod;
  readonly #drainMarker: string;
  #round?: AbortController;

  /** Rounds of `pod`, whose drain marker is at `drainMarker`. */
  constructor(pod: CheckedPod, options: { drainMarker: string }) {
    this.#pod = pod;
    this.#drainMarker = options.drainMarker;
  }

  /** A round: the markers, and the script and the endpoints too `withService`. */
  async run(withService: boolean): Promise<SupervisorEvent> {
    const { signal } = this.#round = new AbortController();
    const pod = this.#pod;
    if (withService && pod.runBeforeCheck) {
      const result = await pod.runBeforeCheck(signal);
      if (!result.ok && !signal.aborted) pod.log(`before-check script: ${result.detail}`);
    }
    const [stop, drain, endpoints] = await Promise.all([
      exists(join(pod.info.paths.data, "stop")),
      exists(this.#drainMarker),
      withService ? pod.checkEndpoints(endpointsOf(pod.info), signal) : undefined,
    ]);
    return { type: "checked", markers: { stop, drain }, endpoints };
  }

  /** Stops the round in progress (its script, its connects). */
  cancel(): void {
    this.#round?.abort();
  }

  /** Whether any endpoint still accepts a connection: the machine's `portsProbed`. */
  async probePorts(): Promise<SupervisorEvent> {
    const open = await Promise.all(endpointsOf(this.#pod.info).map(this.#pod.isListening));
    return { type: "portsProbed", open: open.some((o) => o) };
  }
}

/** The endpoints the supervisor checks: every adapter's and `local`. */
function endpointsOf(info: ServerInfo): string[] {
  return [...info.adapters.map((a) => a.endpoint), info.local];
}
