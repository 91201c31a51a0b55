/**
 * For tests of replicas: a spread name (`spreadBy` of TarsClient and Failover) under which a
 * chosen endpoint is tried first, so a test puts the faulty replica where a caller meets it.
 *
 * @module
 */
import { Failover } from "../../protocol/failover.ts";

/** A name (`pod-N`) for which `first` comes first of `endpoints` (`host:port` each). */
export function nameThatTriesFirst(first: string, endpoints: readonly string[]): string {
  if (!endpoints.includes(first)) throw new RangeError(`${first} is not one of ${endpoints}`);
  for (let i = 0;; i++) {
    if (new Failover({ spreadBy: `pod-${i}` }).order(endpoints)[0] === first) return `pod-${i}`;
  }
}
