/**
 * The node object's way into the supervisor (`NodeControl`, node_servant.ts): a stop, start or
 * restart is a `nodeRequest` event of the machine whose answer waits for the machine's
 * `nodeAnswer` effect (at most {@linkcode MAX_NODE_REQUESTS} at once); the service's status, read
 * from the machine; and `notifyServer`, sent to the service's AdminObj.
 *
 * @module
 */
import {
  NODE_ANSWER,
  type NodeRequestKind,
  type SupervisorEvent,
  type SupervisorState,
} from "./machine.ts";
import type { NodeAnswer, NodeControl, NodeStatus } from "./node_servant.ts";
import type { AdminChannel } from "./pod.ts";
import type { Bounded } from "./runner_work.ts";

/** Node requests that may wait for their answers at once. */
export const MAX_NODE_REQUESTS = 64;

/** Bound of the node object's `notifyServer` call to the service. */
export const NODE_NOTIFY_TIMEOUT = 3000;

/** What the node requests see of the runner. */
export interface NodeRequestsRunner {
  /** The machine's state now. */
  machine(): SupervisorState;
  dispatch(event: SupervisorEvent): void;
  /** The running service's pid; 0 when there is none. */
  servicePid(): number;
  /** The service's AdminObj; undefined before genconf ran. */
  admin(): AdminChannel | undefined;
  readonly bounded: Bounded;
  readonly log: (line: string) => void;
}

/** The node requests of one supervisor. */
export class NodeRequests implements NodeControl {
  readonly #runner: NodeRequestsRunner;
  /** The requests waiting for their answers, by id. */
  readonly #waiting = new Map<number, (answer: NodeAnswer) => void>();
  #lastId = 0;

  /** Requests to the machine of `runner`. */
  constructor(runner: NodeRequestsRunner) {
    this.#runner = runner;
  }

  /** Hands the machine a stop, start or restart; resolves with its answer when it is done. */
  request(kind: NodeRequestKind): Promise<NodeAnswer> {
    if (this.#waiting.size >= MAX_NODE_REQUESTS) {
      return Promise.resolve({
        ret: NODE_ANSWER.BUSY,
        result: `${MAX_NODE_REQUESTS} requests wait already; try again when they are answered`,
      });
    }
    const id = ++this.#lastId;
    const answered = new Promise<NodeAnswer>((resolve) => this.#waiting.set(id, resolve));
    this.#runner.dispatch({ type: "nodeRequest", id, kind });
    if (this.#runner.machine().phase === "exited") {
      this.answer([id], { ret: NODE_ANSWER.STATE, result: "the supervisor is exiting" });
    }
    return answered;
  }

  /** The service's state, its pid and whether a stop holds it down. */
  status(): NodeStatus {
    const machine = this.#runner.machine();
    return {
      state: machine.serviceState,
      reason: machine.reason,
      pid: machine.service.kind === "running" ? this.#runner.servicePid() : 0,
      held: machine.held,
    };
  }

  /** `AdminF.notify(command)` to the running service, bounded by `NODE_NOTIFY_TIMEOUT`. */
  async notify(command: string): Promise<NodeAnswer> {
    const machine = this.#runner.machine();
    const admin = this.#runner.admin();
    if (!admin || machine.service.kind !== "running") {
      return {
        ret: NODE_ANSWER.FAILED,
        result: `the service is not running (${machine.serviceState}: ${machine.reason})`,
      };
    }
    this.#runner.log(`node: notifyServer "${command}"`);
    try {
      return {
        ret: 0,
        result: await this.#runner.bounded(admin.notify(command), NODE_NOTIFY_TIMEOUT),
      };
    } catch (error) {
      return {
        ret: NODE_ANSWER.FAILED,
        result: `AdminF.notify("${command}") to the service failed: ${(error as Error).message}`,
      };
    }
  }

  /** Answers the requests `ids` (the machine's `nodeAnswer`). */
  answer(ids: readonly number[], answer: NodeAnswer): void {
    for (const id of ids) {
      this.#waiting.get(id)?.(answer);
      this.#waiting.delete(id);
    }
  }

  /** Answers every request still waiting (the supervisor exits). */
  answerAll(answer: NodeAnswer): void {
    this.answer([...this.#waiting.keys()], answer);
  }
}
