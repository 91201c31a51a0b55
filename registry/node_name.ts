/**
 * Node names and the addresses they stand for. A pod's node is named by its IP (the supervisor
 * sends `POD_IP`); a registry replica names its own node `host:port`, the host it advertises and
 * the port of its QueryObj, so that two replicas on one host (two ports) are two nodes, each
 * with its own heartbeat, servers and adapters. What needs the node's address (the node row's
 * `endpoint_ip`, the placeholder node object, a Prometheus target) takes it from the name.
 *
 * @module
 */

/** The node name of a registry replica: `host:port` (`[v6]:port` for an IPv6 host). */
export function replicaNodeName(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/**
 * The address a node name stands for: the host of a replica's `host:port` or `[v6]:port`, else
 * the name itself (a pod's IP, IPv6 included).
 */
export function nodeAddress(nodeName: string): string {
  const bracketed = /^\[([^\]]+)\]:\d+$/.exec(nodeName);
  if (bracketed) return bracketed[1];
  const hostPort = /^([^:]+):\d+$/.exec(nodeName);
  return hostPort ? hostPort[1] : nodeName;
}
