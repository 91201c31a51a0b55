/**
 * `NotifyF` (NotifyF.tars): the notify service that collects services' reports.
 *
 * @module
 */
import { int32, opt, req, string, struct } from "../codec/types.ts";
import { defineInterface, param } from "../interface.ts";

/** Servant name of the TARS notify service. */
export const NOTIFY_OBJ = "tars.tarsnotify.NotifyObj";

/** `ReportInfo.eType` values. */
export const ReportType = { REPORT: 0, NOTIFY: 1 } as const;
/** `ReportInfo.eLevel` values. */
export const NotifyLevel = { NORMAL: 0, WARN: 1, ERROR: 2 } as const;

/** `tars.ReportInfo`: one message to the notify service. */
export const ReportInfo = struct("tars.ReportInfo", {
  eType: req(1, int32),
  sApp: req(2, string),
  sSet: req(3, string),
  sContainer: req(4, string),
  sServer: req(5, string),
  sMessage: req(6, string),
  sThreadId: opt(7, string),
  eLevel: opt(8, int32),
  sNodeName: opt(9, string),
});

/** `tars.NotifyF`: messages about services for the web console. */
export const NotifyF = defineInterface("NotifyF", {
  reportNotifyInfo: { params: [param("info", ReportInfo)] },
});
