/**
 * The value of `${local_ip}`: `POD_IP` when set, else the IPv4 address of the interface that
 * carries the default route. The route is read from the kernel's table, so no packet is sent.
 *
 * @module
 */

/** Where the local address is looked up; tests pass their own. */
export interface LocalIpSources {
  /** The text of `/proc/net/route`. */
  readonly readRouteTable: () => Promise<string>;
  /** The machine's network interfaces, as `Deno.networkInterfaces()` lists them. */
  readonly networkInterfaces: () => readonly Deno.NetworkInterfaceInfo[];
}

const RTF_UP = 0x1;

/** The interface of the default IPv4 route with the lowest metric in `/proc/net/route` text. */
export function defaultRouteInterface(routeTable: string): string | undefined {
  let best: { iface: string; metric: number } | undefined;
  for (const line of routeTable.split("\n").slice(1)) {
    const [iface, destination, , flags, , , metric, mask] = line.trim().split(/\s+/);
    if (mask === undefined || destination !== "00000000" || mask !== "00000000") continue;
    if ((parseInt(flags, 16) & RTF_UP) === 0) continue;
    const m = Number(metric);
    if (best === undefined || m < best.metric) best = { iface, metric: m };
  }
  return best?.iface;
}

function systemSources(): LocalIpSources {
  return {
    readRouteTable: () => Deno.readTextFile("/proc/net/route"),
    networkInterfaces: () => Deno.networkInterfaces(),
  };
}

/**
 * Finds the address `${local_ip}` stands for: `podIp` when given, else the default route's
 * interface address. Throws an Error saying to set POD_IP when neither can be had.
 */
export async function findLocalIp(
  podIp: string | undefined,
  options: { sources?: LocalIpSources } = {},
): Promise<string> {
  if (podIp) return podIp;
  const sources = options.sources ?? systemSources();
  let table: string;
  try {
    table = await sources.readRouteTable();
  } catch (error) {
    throw new Error(
      `Cannot read the route table to find the pod IP (${(error as Error).message}); set POD_IP`,
    );
  }
  const iface = defaultRouteInterface(table);
  if (iface === undefined) throw new Error("No default route to find the pod IP by; set POD_IP");
  const address = sources.networkInterfaces().find((i) => i.name === iface && i.family === "IPv4");
  if (!address) {
    throw new Error(`The default route's interface ${iface} has no IPv4 address; set POD_IP`);
  }
  return address.address;
}
