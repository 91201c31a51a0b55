/**
 * The admin registry (`tars.tarsAdminRegistry.AdminRegObj`): what the TARS web console calls to
 * operate services, served by the registry. Its parts:
 *
 * - `servant.ts`: the AdminReg servant, every function of AdminReg.tars;
 * - `node_caller.ts`: calls to a pod's node object, found in the registry's state;
 * - `operations.ts`: start, stop, restart, notify and undeploy of one server;
 * - `task_runner.ts`, `task_rows.ts`, `task_commands.ts`, `task_status.ts`,
 *   `task_parameters.ts`: the console's tasks, kept in `t_task`/`t_task_item`;
 * - `profiles.ts`: profile templates.
 *
 * @module
 */
import { TarsClient } from "../../protocol/client.ts";
import type { AdminReg } from "../../protocol/interfaces/admin_reg.ts";
import type { ServantImpl } from "../../protocol/server.ts";
import type { RegistryService } from "../registry_service.ts";
import type { TrustPolicy } from "../trust.ts";
import { NodeCaller, type NodeObjectLookup } from "./node_caller.ts";
import { ServerOperations } from "./operations.ts";
import { adminRegServant } from "./servant.ts";
import { runTaskCommand } from "./task_commands.ts";
import { TaskRunner } from "./task_runner.ts";

export { adminRegServant, type AdminTimeouts } from "./servant.ts";
export { NodeCaller, NodeCallError, type NodeObjectLookup } from "./node_caller.ts";

/** The longest a ping of a node may take: the console's node check waits 1 to 2 s. */
const PING_TIMEOUT = 800;
/** The longest a state query of a node may take. */
const QUERY_TIMEOUT = 5_000;
/** How long a stopping registry waits for the task items it runs. */
const STOP_WAIT = 5_000;

/** Settings of the admin registry. */
export interface AdminRegistryOptions {
  /** Who may call what (`--admin-allow`). */
  readonly trust: TrustPolicy;
  /** A call the console waits for, forwarded to a node (`--node-call-timeout`). */
  readonly nodeCallTimeout: number;
  /** One item of a task (`--task-item-timeout`). */
  readonly taskItemTimeout: number;
  /** What `getVersion` answers. */
  readonly version: string;
  /** Where the task runner and the node client report problems. */
  readonly log: (line: string) => void;
  /** Where a node's object is (default: the service's registered node objects). */
  readonly nodeObject?: NodeObjectLookup;
}

/** A running admin registry. */
export interface AdminRegistry {
  /** The AdminRegObj servant. */
  readonly servant: ServantImpl<typeof AdminReg>;
  /**
   * Takes no new task, cancels the items not started, waits a while for those running, and
   * closes the connections to the nodes.
   */
  stop(): Promise<void>;
}

/** The admin registry of `service`, with its node client and task runner. */
export function createAdminRegistry(
  service: RegistryService,
  options: AdminRegistryOptions,
): AdminRegistry {
  const client = new TarsClient({ log: options.log, timeout: options.nodeCallTimeout });
  const nodeObject = options.nodeObject ?? ((name: string) => service.nodeObject(name));
  const nodes = new NodeCaller({ client, nodeObject });
  const operations = new ServerOperations({ service, nodes });
  const tasks = new TaskRunner({
    store: service.store,
    runItem: (item) => runTaskCommand(operations, item, { timeout: options.taskItemTimeout }),
    log: options.log,
  });
  const servant = adminRegServant({
    service,
    store: service.store,
    operations,
    tasks,
    nodes,
    nodeObject,
    trust: options.trust,
    timeouts: {
      call: options.nodeCallTimeout,
      query: Math.min(QUERY_TIMEOUT, options.nodeCallTimeout),
      ping: Math.min(PING_TIMEOUT, options.nodeCallTimeout),
    },
    version: options.version,
  });
  return {
    servant,
    async stop() {
      await tasks.stop({ timeout: STOP_WAIT });
      await client.close();
    },
  };
}
