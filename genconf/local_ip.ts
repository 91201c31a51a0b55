/**
 * The value of `${local_ip}`: `POD_IP` when set, else the IPv4 address of the interface that
 * carries the default route. The route is read from the kernel's table (`/proc/net/route`),
 * so no packet is sent.
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

function soleExternalIPv4(interfaces: readonly Deno.NetworkInterfaceInfo[], why: string): string {
  const external = interfaces.filter((i) => i.family === "IPv4" && !i.address.startsWith("127."));
  if (external.length === 1) return external[0].address;
  const found = external.length === 0
    ? "no IPv4 interface but loopback"
    : `several IPv4 interfaces (${external.map((i) => `${i.name} ${i.address}`).join(", ")})`;
  throw new Error(`Cannot tell the pod IP: ${why}, and this machine has ${found}; set POD_IP`);
}

/**
 * Finds the address `${local_ip}` stands for: `podIp` when given, else the address of the
 * default route's interface. When the route table cannot be read (no /proc, or Deno without
 * --allow-all, which /proc needs), the only non-loopback IPv4 address is taken; with none or
 * several, an Error says to set POD_IP.
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
    return soleExternalIPv4(
      sources.networkInterfaces(),
      `the route table is unreadable (${(error as Error).message})`,
    );
  }
  const iface = defaultRouteInterface(table);
  if (iface === undefined) {
    return soleExternalIPv4(sources.networkInterfaces(), "there is no default route");
  }
  const address = sources.networkInterfaces().find((i) => i.name === iface && i.family === "IPv4");
  if (!address) {
    throw new Error(`The default route's interface ${iface} has no IPv4 address; set POD_IP`);
  }
  return address.address;
}
