/**
 * `AdminF` (the framework's AdminF.tars): the administration object every TARS service serves,
 * `AdminObj`.
 *
 * @module
 */
import { int64, string } from "../codec/types.ts";
import { defineInterface, param } from "../interface.ts";

/** Servant name every TARS service serves on its `local` endpoint. */
export const ADMIN_OBJ = "AdminObj";

/** `tars.AdminF`: the administration interface of every TARS service. */
export const AdminF = defineInterface("AdminF", {
  shutdown: { params: [] },
  notify: { params: [param("command", string)], ret: string },
  getPid: { params: [], ret: int64 },
});
