/**
 * The commands a console task's items may carry, and the operation each runs: `restart`, `stop`,
 * `start`, `undeploy_tars` (the console's words; `undeploy` too), and `notify` with the text to
 * pass in the parameter `command`. Publishing (`patch_tars`, `grace_patch_tars`) fails with what to
 * do instead; another command fails as the C++ admin registry fails it.
 *
 * @module
 */
import { TarsErrCode } from "../../protocol/interfaces/node_f.ts";
import type { TaskItemRow } from "../store/mod.ts";
import type { Outcome, ServerOperations } from "./operations.ts";
import { decodeParameters } from "./task_parameters.ts";

/** The commands a task item may carry. */
export const TASK_COMMANDS = ["restart", "stop", "start", "notify", "undeploy_tars", "undeploy"];

/** Runs the operation `item.command` names, each node call within `timeout` ms. */
export function runTaskCommand(
  operations: ServerOperations,
  item: TaskItemRow,
  options: { timeout: number },
): Promise<Outcome> {
  const key = { application: item.application, server: item.server, nodeName: item.nodeName };
  switch (item.command) {
    case "restart":
      return operations.restart(key, options);
    case "stop":
      return operations.stop(key, options);
    case "start":
      return operations.start(key, options);
    case "undeploy_tars":
    case "undeploy":
      return operations.undeploy(key, options);
    case "notify": {
      const command = decodeParameters(item.parameters).get("command") ?? "";
      if (command === "") {
        return Promise.resolve({
          ret: TarsErrCode.EM_TARS_PARAMETER_ERR,
          result: "notify: give the text to pass in the parameter command " +
            "(e.g. tars.setloglevel DEBUG)",
        });
      }
      return operations.notify(key, command, options);
    }
    case "patch_tars":
    case "grace_patch_tars":
      return Promise.resolve({
        ret: TarsErrCode.EM_TARS_CAN_NOT_EXECUTE,
        result: `${item.command}: publishing a package is not supported on Kubernetes: build an ` +
          `image of the new version and roll it out`,
      });
    default:
      return Promise.resolve({
        ret: TarsErrCode.EM_TARS_UNKNOWN_ERR,
        result: `command not support: ${JSON.stringify(item.command)}; the commands are ` +
          `${TASK_COMMANDS.join(", ")}`,
      });
  }
}
