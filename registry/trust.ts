/**
 * Who may change what in the registry. A peer is the source address of its TARS connection
 * (`CallContext.remote.host`).
 *
 * - Peers in `--admin-allow` (loopback by default) may run the admin commands that change or stop
 *   anything (`clean`, `shutdown`, any later admin write) and speak for any node.
 * - Every other peer speaks only for itself: its `onStartup`, `keepAlive`, `onPrestop` and
 *   `registerMetrics` must name its own address as the node, and its adapters' endpoints and its
 *   node object's endpoint must be on that address. In Kubernetes a pod's connection to the registry's Service keeps the pod IP,
 *   and on a VM the host's address, so this holds without configuration.
 * - `--trust-node-names` lets every peer speak for any node, for networks that rewrite source
 *   addresses; the admin commands stay limited to `--admin-allow`.
 *
 * A refusal is a TarsCallError with {@linkcode RegistryRet.REFUSED} whose message says why and
 * which flag allows the call; it is thrown before anything is written.
 *
 * @module
 */
import { type AddressRange, inAddressRange, sameAddress } from "../lib/mod.ts";
import { TarsCallError } from "../protocol/call_error.ts";
import { parseEndpoint } from "../protocol/endpoint.ts";
import { RegistryRet } from "../protocol/interfaces/registry_f.ts";

/** The registry's trust settings: `--admin-allow` and `--trust-node-names`. */
export interface TrustPolicy {
  /** Peers that may run admin writes and speak for any node. */
  readonly adminAllow: readonly AddressRange[];
  /** When true, every peer may speak for any node. */
  readonly trustNodeNames: boolean;
}

/** Whether `peer` is in `--admin-allow`. */
export function isAdminPeer(peer: string, policy: TrustPolicy): boolean {
  return policy.adminAllow.some((range) => inAddressRange(peer, range));
}

function refused(message: string): TarsCallError {
  return new TarsCallError(RegistryRet.REFUSED, message);
}

function allowList(policy: TrustPolicy): string {
  return policy.adminAllow.map((range) => range.text).join(",");
}

/**
 * Throws a refusal unless `peer` may run `action`, an admin command that changes or stops
 * something: only peers in `--admin-allow` may. Every admin write calls it first.
 */
export function assertAdminPeer(
  peer: string,
  options: { policy: TrustPolicy; action: string },
): void {
  if (isAdminPeer(peer, options.policy)) return;
  throw refused(
    `${options.action} refused: ${peer} is not in --admin-allow (${allowList(options.policy)}), ` +
      `and only those addresses may ${options.action}; add the caller's address to ` +
      `--admin-allow to allow it`,
  );
}

/**
 * Throws a refusal unless `peer` may speak for `nodeName` and register `endpoints`: a peer in
 * `--admin-allow` may for any node, as may every peer under `--trust-node-names`; any other only
 * for its own address, with every endpoint on it. An endpoint that does not parse is left to
 * validation.
 */
export function assertSpeaksFor(
  peer: string,
  options: { policy: TrustPolicy; call: string; nodeName: string; endpoints?: readonly string[] },
): void {
  const { policy, call, nodeName } = options;
  if (policy.trustNodeNames || isAdminPeer(peer, policy)) return;
  const allow = `add ${peer} to --admin-allow to let it speak for any node, or run the ` +
    `registry with --trust-node-names where the network rewrites source addresses`;
  if (!sameAddress(nodeName, peer)) {
    throw refused(
      `${call} refused: ${peer} may speak only for its own node, not for ${
        JSON.stringify(nodeName)
      } (the node name must be the connection's source address); ${allow}`,
    );
  }
  for (const endpoint of options.endpoints ?? []) {
    let host: string;
    try {
      host = parseEndpoint(endpoint).host;
    } catch {
      continue;
    }
    if (!sameAddress(host, peer)) {
      throw refused(
        `${call} refused: the endpoint ${JSON.stringify(endpoint)} is not on ${peer}, ` +
          `the connection's source address; a pod registers only its own endpoints; ${allow}`,
      );
    }
  }
}
