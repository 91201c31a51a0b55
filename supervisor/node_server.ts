/**
 * Where the supervisor serves the pod's node object (node_servant.ts): a small TARS server
 * (protocol/server.ts) on `POD_IP` and `TARS_NODE_PORT`, or, with the variable unset, the highest
 * free port of the `${random_port}` range (genconf hands the range out from the bottom, and a
 * port taken between the check and the bind is skipped, so several supervisors on one machine
 * never share one). It takes few connections and small requests: only the registry calls it.
 *
 * The port is bound at start, so the endpoint the pod registers accepts connections from then on;
 * the TARS server and the servant (with its log view) are loaded by the first connection: most
 * pods are never called by the console, and the supervisor lives as long as the pod.
 *
 * Who may call: the registry, at the addresses the locator gives for the registry's own objects
 * (`tars.tarsregistry.Registry`, and `tars.tarsAdminRegistry.AdminRegObj` where an admin registry
 * is registered; asked again after 10 s), loopback (127.0.0.1, ::1) and the pod's own address.
 * Every other caller is refused.
 *
 * @module
 */
import { canonicalAddress, sameAddress } from "../lib/ip_address.ts";
import { parseObjectRef } from "../protocol/endpoint.ts";
import type { NodeF } from "../protocol/interfaces/node_f.ts";
import { REGISTRY_OBJ } from "../protocol/interfaces/registry_f.ts";
import type { ServantImpl, TarsServer } from "../protocol/server.ts";
import { type Conn, denoNetwork, type Listener } from "../protocol/transport.ts";
import type { ObjectResolver } from "./object_resolver.ts";

/** The admin registry's object: the console's calls come through it. */
export const ADMIN_REGISTRY_OBJ = "tars.tarsAdminRegistry.AdminRegObj";

/** The node object's listener. */
export interface NodeServer {
  /** `tcp -h POD_IP -p PORT -t 60000`: what the pod registers with onStartup. */
  readonly endpoint: string;
  /** Stops accepting; calls in flight get at most `timeout` ms (default 1 s). */
  close(timeout?: number): Promise<void>;
}

/** Where and how to serve the node object. */
export interface NodeServerOptions {
  /** The pod's address (POD_IP, genconf's `${local_ip}`). */
  readonly host: string;
  /** TARS_NODE_PORT (0: any free port); undefined: a free port of `range`, from the top. */
  readonly port: number | undefined;
  /** The `${random_port}` range. */
  readonly range: { readonly min: number; readonly max: number };
  /** The service's own ports (its endpoints': not yet listening when the supervisor starts). */
  readonly servicePorts: ReadonlySet<number>;
  readonly log: (line: string) => void;
}

/** Idle connections close after this (the `-t` of the endpoint, as tarsnode's). */
const IDLE_TIMEOUT = 60_000;

/**
 * Listens for the node object and serves `tars.tarsnode.NodeObj` with the servant `load` gives,
 * called once, when the first connection comes; throws when no port can be bound, saying why and
 * which variable to change.
 */
export async function startNodeServer(
  load: () => Promise<ServantImpl<typeof NodeF>>,
  options: NodeServerOptions,
): Promise<NodeServer> {
  const endpointAt = (port: number) => `tcp -h ${options.host} -p ${port} -t ${IDLE_TIMEOUT}`;
  const listener = options.port !== undefined
    ? await listenOn(options.host, options.port, "TARS_NODE_PORT")
    : await listenInRange(options);
  const endpoint = endpointAt((listener.addr as Deno.NetAddr).port);
  const first = listener.accept();
  // The first connection, when the server is not to serve it (closing, or it could not load); an
  // accept that failed is no one's to retry then.
  const dropFirst = () => first.then((conn) => conn.close(), () => {});
  let closing = false;
  let server: TarsServer | undefined;
  const started = first.then(() => {}, () => {}).then(async () => {
    if (closing) return dropFirst();
    const [served, { NODE_OBJ, NodeF }, servant] = await Promise.all([
      import("../protocol/server.ts"),
      import("../protocol/interfaces/node_f.ts"),
      load(),
    ]);
    if (closing) return dropFirst();
    server = new served.TarsServer({
      log: options.log,
      maxConnections: 64,
      maxConnsPerPeer: 16,
      // Requests are a few names and a command; a log view answer is at most 1 MiB.
      maxFrame: 64 * 1024,
      maxBuffered: 16 * 1024 * 1024,
      // The listener bound at start, and the connection that is already accepted on it.
      network: { ...denoNetwork, listen: () => handedOver(listener, first) },
    });
    server.addServant(NODE_OBJ, NodeF, servant);
    server.listen(endpoint);
  }).catch((error) => {
    // The pod stays registered with this endpoint: the console's calls are refused, not hung.
    options.log(`supervisor: the node object cannot serve: ${(error as Error).message}`);
    if (!closing) listener.close();
    closing = true;
    return dropFirst();
  });
  return {
    endpoint,
    close: async (timeout = 1000) => {
      if (!server && !closing) listener.close();
      closing = true;
      await started;
      await server?.stop({ timeout });
    },
  };
}

/** `listener` as the TARS server's to accept from: `first` (already accepted), then the rest. */
function handedOver(listener: Deno.TcpListener, first: Promise<Conn>): Listener {
  let next: Promise<Conn> | undefined = first;
  return {
    addr: listener.addr,
    accept() {
      const conn = next ?? listener.accept();
      next = undefined;
      return conn;
    },
    close: () => listener.close(),
  };
}

async function listenOn(host: string, port: number, setting: string): Promise<Deno.TcpListener> {
  try {
    return Deno.listen({ hostname: host, port, transport: "tcp" });
  } catch (error) {
    const { bindError } = await import("../lib/bind_error.ts");
    throw bindError(error, { address: `${host}:${port}`, setting });
  }
}

async function listenInRange(options: NodeServerOptions): Promise<Deno.TcpListener> {
  const { min, max } = options.range;
  for (let port = max; port >= min; port--) {
    if (options.servicePorts.has(port)) continue;
    try {
      return Deno.listen({ hostname: options.host, port, transport: "tcp" });
    } catch (error) {
      const { bindError, describeBindError } = await import("../lib/bind_error.ts");
      const { problem } = describeBindError(error);
      if (problem === "in use" || problem === "denied") continue;
      throw bindError(error, { address: `${options.host}:${port}`, setting: "POD_IP" });
    }
  }
  throw new RangeError(
    `No free port on ${options.host} in ${min}..${max} for the node object: set ` +
      "TARS_NODE_PORT, widen TARS_RAND_PORT_MIN..TARS_RAND_PORT_MAX, or set TARS_NODE_PORT=0",
  );
}

/** How long the registry's addresses are used before the locator is asked again. */
const CALLERS_TTL = 10_000;
/** A caller not among them has them asked again, at most this often (a registry that moved). */
const CALLERS_RECHECK = 1000;

/**
 * The caller check of the node object: undefined for loopback, the pod's own address and the
 * registry's addresses as `resolver` finds them through the locator (asked again after 10 s, or
 * after 1 s for a caller not among them, so a registry that moved is let in and a stranger's
 * calls do not each become lookups); else why the caller is refused.
 */
export function registryCallers(
  resolver: ObjectResolver,
  options: { ownAddress: string; now?: () => number },
): (peer: string) => Promise<string | undefined> {
  const now = options.now ?? Date.now;
  const always = ["127.0.0.1", "::1", options.ownAddress];
  let known: { at: number; hosts: Set<string>; failures: string[] } | undefined;

  async function registryHosts(maxAge: number) {
    if (known && now() - known.at < maxAge) return known;
    const found = await Promise.allSettled(
      [REGISTRY_OBJ, ADMIN_REGISTRY_OBJ].map((object) => resolver.resolve(object)),
    );
    const hosts = new Set<string>();
    const failures: string[] = [];
    for (const result of found) {
      if (result.status === "rejected") {
        failures.push((result.reason as Error).message);
        continue;
      }
      for (const endpoint of parseObjectRef(result.value).endpoints) {
        hosts.add(canonicalAddress(endpoint.host));
      }
    }
    known = { at: now(), hosts, failures };
    return known;
  }

  return async (peer) => {
    if (always.some((address) => sameAddress(address, peer))) return undefined;
    const address = canonicalAddress(peer);
    if ((await registryHosts(CALLERS_TTL)).hosts.has(address)) return undefined;
    const { hosts, failures } = await registryHosts(CALLERS_RECHECK);
    if (hosts.has(address)) return undefined;
    const where = hosts.size > 0
      ? `the registry is at ${[...hosts].sort().join(", ")}`
      : `the registry's address is not known: ${failures.join("; ")}`;
    return `${peer} may not call the node object: only the registry (found through the ` +
      `locator; ${where}), loopback and the pod itself may`;
  };
}
