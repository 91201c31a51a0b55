/**
 * How the admin registry reaches the node object of a pod (`tars.tarsnode.NodeObj`, served by the
 * pod's `tarscli supervisor`): its object string from the registry's own state (`t_node_info.
 * node_obj`, which the pod registers), then a call with the project's RPC client, bounded in time.
 * Every failure is a {@linkcode NodeCallError} with the code the C++ admin registry answers for it
 * and a message that says what happened: a node that is not registered, dead or without a node
 * object (1001), a call that timed out (1002), anything else (-1).
 *
 * @module
 */
import { TarsCallError, TarsCode } from "../../protocol/call_error.ts";
import type { Proxy, TarsClient } from "../../protocol/client.ts";
import { defineInterface } from "../../protocol/interface.ts";
import { NodeF, TarsErrCode } from "../../protocol/interfaces/node_f.ts";

/** A node's object as the registry knows it. */
export interface NodeObjectRef {
  /** `tars.tarsnode.NodeObj@tcp -h IP -p PORT -t 60000`. */
  readonly objectName: string;
  /** Whether the node is alive: active, with a heartbeat within `--node-timeout`. */
  readonly active: boolean;
}

/** The node object of a node, or undefined when the node is unknown or serves none. */
export type NodeObjectLookup = (nodeName: string) => NodeObjectRef | undefined;

/** A call to a node that did not get an answer, with the admin registry's code for it. */
export class NodeCallError extends Error {
  /** `EM_TARS_NODE_NOT_REGISTRY_ERR`, `EM_TARS_CALL_NODE_TIMEOUT_ERR` or -1. */
  readonly code: number;

  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "NodeCallError";
    this.code = code;
  }
}

/** `tars_ping`, which every TARS servant answers. */
const Ping = defineInterface("Ping", { tars_ping: { params: [] } });

/** Settings of a {@linkcode NodeCaller}. */
export interface NodeCallerOptions {
  /** The RPC client the calls go through (shared: one connection per node). */
  readonly client: TarsClient;
  /** Where a node's object is. */
  readonly nodeObject: NodeObjectLookup;
}

/** Calls the node objects of pods; see the module comment. */
export class NodeCaller {
  readonly #client: TarsClient;
  readonly #nodeObject: NodeObjectLookup;

  constructor(options: NodeCallerOptions) {
    this.#client = options.client;
    this.#nodeObject = options.nodeObject;
  }

  /**
   * Runs `call` on the node object of `nodeName` within `timeout` ms; `what` names the call in
   * messages. Throws a NodeCallError when the node cannot be called or does not answer.
   */
  async call<T>(
    nodeName: string,
    options: { what: string; timeout: number },
    call: (node: Proxy<typeof NodeF>, timeout: number) => Promise<T>,
  ): Promise<T> {
    const objectName = this.#objectOf(nodeName);
    // A proxy is a few closures; the client keeps the connection to each node.
    const proxy = this.#client.proxy(NodeF, objectName);
    try {
      return await call(proxy, options.timeout);
    } catch (error) {
      throw failure(error, { ...options, nodeName, objectName });
    }
  }

  /** Pings the node object of `nodeName` within `timeout` ms; throws when it does not answer. */
  async pingNode(nodeName: string, timeout: number): Promise<void> {
    const objectName = this.#objectOf(nodeName);
    try {
      await this.#client.proxy(Ping, objectName).tars_ping({}, { timeout });
    } catch (error) {
      throw failure(error, { what: "tars_ping", timeout, nodeName, objectName });
    }
  }

  /** The object string of a live node's object; throws 1001 for a node that has none. */
  #objectOf(nodeName: string): string {
    const object = this.#nodeObject(nodeName);
    if (!object) {
      throw new NodeCallError(
        TarsErrCode.EM_TARS_NODE_NOT_REGISTRY_ERR,
        `node '${nodeName}' has no node object: it is not registered, or its pod runs a tarscli ` +
          `that serves none (tarscli supervisor serves one unless TARS_NODE_PORT=0)`,
      );
    }
    if (!object.active) {
      throw new NodeCallError(
        TarsErrCode.EM_TARS_NODE_NOT_REGISTRY_ERR,
        `node '${nodeName}' not registered or heartbeat timeout: its pod sent no heartbeat ` +
          `within --node-timeout`,
      );
    }
    return object.objectName;
  }

  /** Pings `objectName` (`Obj@tcp -h … -p …`) within `timeout` ms; throws when it does not answer. */
  async ping(objectName: string, timeout: number): Promise<void> {
    try {
      await this.#client.proxy(Ping, objectName).tars_ping({}, { timeout });
    } catch (error) {
      throw failure(error, { what: "tars_ping", timeout, objectName });
    }
  }
}

/** The NodeCallError for a failed call. */
function failure(
  error: unknown,
  call: { what: string; timeout: number; objectName: string; nodeName?: string },
): NodeCallError {
  const target = call.nodeName ? `node '${call.nodeName}' (${call.objectName})` : call.objectName;
  if (error instanceof TarsCallError && error.code === TarsCode.INVOKE_TIMEOUT) {
    return new NodeCallError(
      TarsErrCode.EM_TARS_CALL_NODE_TIMEOUT_ERR,
      `${call.what} on ${target}: no answer within ${call.timeout} ms; what it asked may still ` +
        `be under way there`,
      { cause: error },
    );
  }
  return new NodeCallError(
    TarsErrCode.EM_TARS_UNKNOWN_ERR,
    `${call.what} on ${target} failed: ${(error as Error).message}`,
    { cause: error },
  );
}
