/**
 * What the console's start, stop, restart, notify and undeploy do, for one server on one node,
 * whether asked directly (`startServer`…) or as an item of a task: the registry's part (the setting
 * state, or the rows removed) and the node's (forwarded to the pod's node object). Each answers
 * the way the C++ admin registry does, a code and a text: the node's, or the registry's own
 * when the call did not get that far.
 *
 * @module
 */
import { TarsCallError } from "../../protocol/call_error.ts";
import { TarsErrCode } from "../../protocol/interfaces/node_f.ts";
import type { RegistryService } from "../registry_service.ts";
import type { ServerKey } from "../store/mod.ts";
import { serverKeyOf, ValidationError } from "../validate.ts";
import { type NodeCaller, NodeCallError } from "./node_caller.ts";

/** What an operation answers: 0 or an error code, and what happened. */
export interface Outcome {
  readonly ret: number;
  readonly result: string;
}

/** The servers that are this registry: the console may not stop them through it. */
const SELF_SERVERS = new Set(["tars.tarsregistry", "tars.tarsAdminRegistry"]);

/** Dependencies of {@linkcode ServerOperations}. */
export interface OperationsOptions {
  readonly service: RegistryService;
  readonly nodes: NodeCaller;
}

/** The console's operations on a server; see the module comment. */
export class ServerOperations {
  readonly #service: RegistryService;
  readonly #nodes: NodeCaller;

  constructor(options: OperationsOptions) {
    this.#service = options.service;
    this.#nodes = options.nodes;
  }

  /** Sets the server active and has its node start it. */
  start(key: ServerKey, options: { timeout: number }): Promise<Outcome> {
    return this.#run("startServer", key, async (checked) => {
      await this.#service.setSettingState(checked, "active");
      return await this.#nodeServer(checked, "startServer", options.timeout);
    });
  }

  /**
   * Sets the server inactive (lookups answer it inactive at once) and has its node stop it and
   * hold it down.
   */
  stop(key: ServerKey, options: { timeout: number }): Promise<Outcome> {
    return this.#run("stopServer", key, async (checked) => {
      const refused = refuseSelf("stop", checked);
      if (refused) return refused;
      await this.#service.setSettingState(checked, "inactive");
      return await this.#nodeServer(checked, "stopServer", options.timeout);
    });
  }

  /**
   * Has its node restart the server (out of traffic, drained, restarted, back in traffic), then
   * sets it active. Its traffic switch is left as the operator set it (the C++ admin registry 3.x
   * turns traffic on again after a restart task).
   */
  restart(key: ServerKey, options: { timeout: number }): Promise<Outcome> {
    return this.#run("restartServer", key, async (checked) => {
      const refused = refuseSelf("restart", checked);
      if (refused) return refused;
      const outcome = await this.#nodeServer(checked, "restartServer", options.timeout);
      if (outcome.ret === 0) await this.#service.setSettingState(checked, "active");
      return outcome;
    });
  }

  /** Has the node pass `command` to the service (`AdminF.notify`); answers the service's reply. */
  notify(key: ServerKey, command: string, options: { timeout: number }): Promise<Outcome> {
    return this.#run(
      "notifyServer",
      key,
      async (checked) =>
        await this.#node(
          checked,
          "notifyServer",
          options.timeout,
          (node, timeout) =>
            node.notifyServer(
              { application: checked.application, serverName: checked.server, command },
              { timeout },
            ),
        ),
    );
  }

  /**
   * Removes the server's rows from the registry, as its pod's `onPrestop` would, after its node
   * was asked to stop it (as the C++ admin registry does; whatever the node answers). A pod that
   * still runs and heartbeats registers again: delete the pod in Kubernetes to remove it for good.
   */
  undeploy(key: ServerKey, options: { timeout: number }): Promise<Outcome> {
    return this.#run("undeploy", key, async (checked) => {
      const refused = refuseSelf("undeploy", checked);
      if (refused) return refused;
      const stopped = await this.#nodeServer(checked, "stopServer", options.timeout);
      const removed = await this.#service.onPrestop(checked);
      const name = `${checked.application}.${checked.server}`;
      return {
        ret: 0,
        result: `undeploy: ${name} removed from node ${checked.nodeName} (${removed.adapters} ` +
          `adapters); its node's stop answered ${stopped.ret}: ${stopped.result}` +
          (stopped.ret === 0 ? "" : "; a pod that still runs registers again"),
      };
    });
  }

  /**
   * Runs an operation on a validated key of a registered server; a bad key or an unknown server
   * is answered as the C++ admin registry answers it, and a failure of the registry's own part
   * (the store) as -1 with its message.
   */
  async #run(
    what: string,
    key: ServerKey,
    work: (key: ServerKey) => Promise<Outcome>,
  ): Promise<Outcome> {
    let checked: ServerKey;
    try {
      checked = serverKeyOf(key);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      return { ret: TarsErrCode.EM_TARS_PARAMETER_ERR, result: `${what}: ${error.message}` };
    }
    if (!this.#service.server(checked)) {
      return {
        ret: TarsErrCode.EM_TARS_LOAD_SERVICE_DESC_ERR,
        result: `${what}: ${checked.application}.${checked.server} is not registered on node ` +
          `'${checked.nodeName}'`,
      };
    }
    try {
      return await work(checked);
    } catch (error) {
      if (!(error instanceof TarsCallError || error instanceof ValidationError)) throw error;
      return { ret: TarsErrCode.EM_TARS_UNKNOWN_ERR, result: `${what}: ${error.message}` };
    }
  }

  /** Has the node of `key` start, stop or restart the server (its `ServerInfo` the argument). */
  #nodeServer(
    key: ServerKey,
    what: "startServer" | "stopServer" | "restartServer",
    timeout: number,
  ): Promise<Outcome> {
    const server = { application: key.application, serverName: key.server };
    return this.#node(key, what, timeout, (node, t) => node[what](server, { timeout: t }));
  }

  /** Calls the node of `key`; a call that got no answer becomes its code and message. */
  async #node(
    key: ServerKey,
    what: string,
    timeout: number,
    call: Parameters<NodeCaller["call"]>[2],
  ): Promise<Outcome> {
    try {
      const answer = await this.#nodes.call(key.nodeName, { what, timeout }, call) as {
        ret: number;
        result: string;
      };
      return { ret: answer.ret, result: answer.result };
    } catch (error) {
      if (!(error instanceof NodeCallError)) throw error;
      return { ret: error.code, result: error.message };
    }
  }
}

/** The refusal of an operation on the registry itself, or undefined for another server. */
function refuseSelf(action: string, key: ServerKey): Outcome | undefined {
  const name = `${key.application}.${key.server}`;
  if (!SELF_SERVERS.has(name)) return undefined;
  return {
    ret: TarsErrCode.EM_TARS_CAN_NOT_EXECUTE,
    result: `can not ${action} ${name}: it is the registry that takes this call; ${action} its ` +
      `pods through Kubernetes (kubectl rollout restart, scale)`,
  };
}
