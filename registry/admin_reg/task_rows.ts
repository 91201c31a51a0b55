/**
 * A console task (`addTaskReq`) checked and turned into the rows the store writes: lengths are
 * those of `t_task` and `t_task_item` in db_tars, so a task accepted here is written under MySQL's
 * strict mode. A bad one throws a ValidationError naming the field before anything is written.
 *
 * @module
 */
import { EACH_NUM_ABSENT, type TaskReqValue } from "../../protocol/interfaces/admin_reg.ts";
import type { TaskItemRow, TaskNumbering, TaskRows } from "../store/mod.ts";
import { text, ValidationError } from "../validate.ts";
import type { TaskPlan } from "./task_runner.ts";
import { encodeParameters } from "./task_parameters.ts";
import { itemStatusNumber } from "./task_status.ts";

/** The most items a task may have. */
export const MAX_TASK_ITEMS = 1000;

/** Column widths of `t_task` and `t_task_item`. */
const TASK_LIMITS = {
  taskNo: 40,
  itemNo: 40,
  userName: 20,
  application: 30,
  server: 50,
  nodeName: 50,
  setName: 20,
  command: 20,
  /** Bytes of a `text` column. */
  parameters: 65_535,
} as const;

/**
 * The numbering of the console that sent `req`: TarsWeb 3.x writes tag 5 (`eachNum`), TarsWeb
 * 2.x's copy of the IDL has none.
 */
export function numberingOf(req: TaskReqValue): TaskNumbering {
  return req.eachNum === EACH_NUM_ABSENT ? 2 : 3;
}

/** How the task's items run: in batches (`isElegant`), one after another, or at once. */
export function planOf(req: TaskReqValue): TaskPlan {
  if (req.isElegant) {
    return { kind: "batches", size: req.eachNum > 0 ? req.eachNum : 1 };
  }
  return req.serial ? { kind: "serial" } : { kind: "parallel" };
}

/** Validates `addTaskReq` into the rows of the task, every item not started. */
export function taskRows(req: TaskReqValue): TaskRows {
  const taskNo = text(req.taskNo, { field: "taskNo", max: TASK_LIMITS.taskNo, required: true });
  const numbering = numberingOf(req);
  const items = req.taskItemReq;
  if (items.length > MAX_TASK_ITEMS) {
    throw new ValidationError(
      `Invalid taskItemReq: ${items.length} items, more than ${MAX_TASK_ITEMS}; split the task`,
    );
  }
  const seen = new Set<string>();
  const rows = items.map((item, i): TaskItemRow => {
    const field = (name: string) => `taskItemReq[${i}].${name}`;
    if (item.taskNo !== "" && item.taskNo !== taskNo) {
      throw new ValidationError(
        `Invalid ${field("taskNo")} ${JSON.stringify(item.taskNo)}: it is not the task's ` +
          `${JSON.stringify(taskNo)}`,
      );
    }
    const itemNo = text(item.itemNo, {
      field: field("itemNo"),
      max: TASK_LIMITS.itemNo,
      required: true,
    });
    if (seen.has(itemNo)) {
      throw new ValidationError(`Invalid ${field("itemNo")} ${JSON.stringify(itemNo)}: repeated`);
    }
    seen.add(itemNo);
    const parameters = encodeParameters(item.parameters);
    if (new TextEncoder().encode(parameters).length > TASK_LIMITS.parameters) {
      throw new ValidationError(
        `Invalid ${field("parameters")}: longer than ${TASK_LIMITS.parameters} bytes`,
      );
    }
    const required = (name: keyof typeof TASK_LIMITS, value: string, wire: string = name) =>
      text(value, { field: field(wire), max: TASK_LIMITS[name], required: true });
    return {
      itemNo,
      application: required("application", item.application),
      server: required("server", item.serverName, "serverName"),
      nodeName: required("nodeName", item.nodeName),
      setName: text(item.setName, { field: field("setName"), max: TASK_LIMITS.setName }),
      command: required("command", item.command),
      parameters,
      status: itemStatusNumber("notStart", numbering),
    };
  });
  return {
    taskNo,
    serial: req.serial,
    userName: text(req.userName, { field: "userName", max: TASK_LIMITS.userName }),
    numbering,
    items: rows,
  };
}
