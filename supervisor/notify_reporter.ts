/**
 * Messages about the service (down, restarted, inactive) for the TARS web console, sent to the
 * notify service (`ServerInfo.notifyObj`, found through the locator). Small setups often run no
 * notify service: a report never fails its caller, and each distinct failure is logged once.
 *
 * @module
 */
import type { ServerInfo } from "../genconf/mod.ts";
import type { TarsClient } from "../protocol/client.ts";
import { NotifyF, NotifyLevel, ReportType } from "../protocol/interfaces/notify_f.ts";
import type { ObjectResolver } from "./object_resolver.ts";

/** How serious a report is. */
export type NotifyReportLevel = "normal" | "warn" | "error";

/** Sends reports about the service; never rejects. */
export interface NotifyReporter {
  report(level: NotifyReportLevel, message: string): Promise<void>;
}

const LEVELS: Readonly<Record<NotifyReportLevel, number>> = {
  normal: NotifyLevel.NORMAL,
  warn: NotifyLevel.WARN,
  error: NotifyLevel.ERROR,
};

/** Distinct failure reasons remembered before the memory starts over. */
const MAX_REMEMBERED_REASONS = 100;

/**
 * Reports through `NotifyF.reportNotifyInfo` to `info.notifyObj` (nothing is sent when it is
 * empty); each call bounded by `timeout` ms (default 3 s). A failure forgets the cached address
 * and goes to `log` the first time its reason is seen.
 */
export function createNotifyReporter(
  resolver: ObjectResolver,
  options: { client: TarsClient; info: ServerInfo; timeout?: number; log: (line: string) => void },
): NotifyReporter {
  const { client, info, log } = options;
  const timeout = options.timeout ?? 3000;
  const seen = new Set<string>();

  const failed = (reason: string) => {
    if (seen.has(reason)) return;
    if (seen.size >= MAX_REMEMBERED_REASONS) seen.clear();
    seen.add(reason);
    log(`notify: cannot report to ${info.notifyObj}: ${reason} (said once per reason)`);
  };

  return {
    async report(level, message) {
      if (info.notifyObj.trim() === "") return;
      let target: string;
      try {
        target = await resolver.resolve(info.notifyObj);
      } catch (error) {
        failed((error as Error).message);
        return;
      }
      try {
        await client.proxy(NotifyF, target, { timeout }).reportNotifyInfo({
          info: {
            eType: ReportType.REPORT,
            sApp: info.application,
            sSet: info.setId,
            sContainer: "",
            sServer: info.server,
            sMessage: message,
            eLevel: LEVELS[level],
            sNodeName: info.localIp,
          },
        });
      } catch (error) {
        await resolver.forget(info.notifyObj);
        failed((error as Error).message);
      }
    },
  };
}
