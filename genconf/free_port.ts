/**
 * The value of `${random_port}`: the first port of the range that is free on the endpoint's
 * host and not yet handed out in this run.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import type { Transport } from "../protocol/endpoint.ts";
import type { PortRange } from "./settings.ts";

/** A port to probe: where, which, and for which transport. */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly transport: Transport;
}

/** Tells whether the target port can be bound; throws when its host cannot be bound at all. */
export type PortProbe = (target: ProbeTarget) => Promise<boolean>;

/** Hands out distinct free ports from one range. */
export interface PortPicker {
  /** Returns a free port on `host`, never one returned or reserved before. */
  take(host: string, transport: Transport): Promise<number>;
  /** Keeps `port` from being handed out (an endpoint already uses it). */
  reserve(port: number): void;
}

function bindUdp(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(":") ? "udp6" : "udp4");
    socket.once("error", (error) => {
      socket.close();
      reject(error);
    });
    socket.bind(port, host, () => socket.close(() => resolve()));
  });
}

function isTaken(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return error instanceof Deno.errors.AddrInUse || error instanceof Deno.errors.PermissionDenied ||
    code === "EADDRINUSE" || code === "EACCES";
}

/** The real probe: binds the port (TCP for tcp and ssl, UDP for udp) and releases it at once. */
export async function probePort({ host, port, transport }: ProbeTarget): Promise<boolean> {
  try {
    if (transport === "udp") {
      await bindUdp(host, port);
    } else {
      Deno.listen({ hostname: host, port, transport: "tcp" }).close();
    }
    return true;
  } catch (error) {
    if (isTaken(error)) return false;
    throw new Error(
      `Cannot listen on ${host}:${port} to find a free port (${(error as Error).message}); ` +
        "use an address of this machine in the endpoint",
    );
  }
}

/** Makes a picker over `range` (inclusive) that asks `probe` (default: `probePort`) about each port. */
export function createPortPicker(
  range: PortRange,
  options: { probe?: PortProbe } = {},
): PortPicker {
  const probe = options.probe ?? probePort;
  const used = new Set<number>();
  return {
    async take(host, transport) {
      for (let port = range.min; port <= range.max; port++) {
        if (used.has(port)) continue;
        if (await probe({ host, port, transport })) {
          used.add(port);
          return port;
        }
      }
      throw new RangeError(
        `No free ${transport} port on ${host} in ${range.min}..${range.max}; free one, or widen ` +
          "TARS_RAND_PORT_MIN..TARS_RAND_PORT_MAX",
      );
    },
    reserve(port) {
      used.add(port);
    },
  };
}
