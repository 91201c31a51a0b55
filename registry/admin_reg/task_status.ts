/**
 * The states of a task's items and of the task, and their numbers in each console's numbering.
 * TarsWeb 2.x (2.4.17, the console this registry is tried with) numbers them without `PREPARE`:
 * success is 2 there and 3 in the current IDL and TarsWeb 3.x. A task is answered in the
 * numbering of the console that asked for it (`TaskNumbering`): the one TarsWeb 3.x writes tag 5
 * of its `TaskReq` and TarsWeb 2.x's copy of the IDL has no tag 5.
 *
 * @module
 */
import {
  TaskItemStatus,
  TaskItemStatusV2,
  TaskStatus,
  TaskStatusV2,
} from "../../protocol/interfaces/admin_reg.ts";
import type { TaskNumbering } from "../store/mod.ts";

/** Where an item is: waiting, running, or how it ended. */
export type ItemState = "notStart" | "running" | "success" | "failed" | "cancel";

/** Whether `state` is where an item ends. */
export function isFinal(state: ItemState): boolean {
  return state === "success" || state === "failed" || state === "cancel";
}

const ITEM_NAMES: Record<ItemState, keyof typeof TaskItemStatus & keyof typeof TaskItemStatusV2> = {
  notStart: "EM_I_NOT_START",
  running: "EM_I_RUNNING",
  success: "EM_I_SUCCESS",
  failed: "EM_I_FAILED",
  cancel: "EM_I_CANCEL",
};

/** The number of an item state in `numbering`. */
export function itemStatusNumber(state: ItemState, numbering: TaskNumbering): number {
  return (numbering === 3 ? TaskItemStatus : TaskItemStatusV2)[ITEM_NAMES[state]];
}

/** The IDL's name of an item state (`EM_I_SUCCESS`), as the C++ admin registry's `statusInfo`. */
export function itemStatusName(state: ItemState): string {
  return ITEM_NAMES[state];
}

/**
 * The state of a stored item number in `numbering`. The current IDL's `PREPARE` and
 * `PAUSE_FLOW` (another admin registry's rows) read as running; a number neither numbering has,
 * as failed.
 */
export function itemStateOf(status: number, numbering: TaskNumbering): ItemState {
  if (numbering === 3) {
    switch (status) {
      case TaskItemStatus.EM_I_NOT_START:
        return "notStart";
      case TaskItemStatus.EM_I_PREPARE:
      case TaskItemStatus.EM_I_RUNNING:
      case TaskItemStatus.EM_I_PAUSE_FLOW:
        return "running";
      case TaskItemStatus.EM_I_SUCCESS:
        return "success";
      case TaskItemStatus.EM_I_CANCEL:
        return "cancel";
      default:
        return "failed";
    }
  }
  switch (status) {
    case TaskItemStatusV2.EM_I_NOT_START:
      return "notStart";
    case TaskItemStatusV2.EM_I_RUNNING:
      return "running";
    case TaskItemStatusV2.EM_I_SUCCESS:
      return "success";
    case TaskItemStatusV2.EM_I_CANCEL:
      return "cancel";
    default:
      return "failed";
  }
}

/**
 * The task's state from its items', in `numbering`: not started while none started; running while
 * any has not ended; at the end success, failed or cancelled when all items ended so, else partial.
 * (The C++ admin registry says partial as soon as the items' states differ; TarsWeb 2.x takes
 * anything but not started, running or success for a failure, so a serial task of two items would
 * fail there once its first item succeeded.)
 */
export function taskStatusNumber(states: readonly ItemState[], numbering: TaskNumbering): number {
  const numbers = numbering === 3 ? TaskStatus : TaskStatusV2;
  if (states.every((s) => s === "notStart")) return numbers.EM_T_NOT_START;
  if (!states.every(isFinal)) return numbers.EM_T_RUNNING;
  if (states.every((s) => s === "success")) return numbers.EM_T_SUCCESS;
  if (states.every((s) => s === "failed")) return numbers.EM_T_FAILED;
  if (states.every((s) => s === "cancel")) return numbers.EM_T_CANCEL;
  return numbers.EM_T_PARIAL;
}
