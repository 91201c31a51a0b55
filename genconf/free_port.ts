/**
 * The value of `${random_port}`: the first port of the range that is free on the endpoint's
 * host and not yet handed out in this run.
 *
 * @module
 */
import { createSocket } from "node:dgram";
import { describeBindError } from "../lib/bind_error.ts";
import type { Transport } from "../protocol/endpoint.ts";
import type { PortRange } from "./settings.ts";

/** A port to probe: where, which, and for which transport. */
export interface ProbeTarget {
  readonly host: string;
  readonly port: number;
  readonly transport: Transport;
}

/**
 * Tells whether the target port can be bound; throws a {@linkcode PortProbeError} when its host
 * cannot be bound at all.
 */
export type PortProbe = (target: ProbeTarget) => Promise<boolean>;

/** A probe could not bind its host at all (not an address of this machine, not a name). */
export class PortProbeError extends Error {
  readonly target: ProbeTarget;
  /** Why, in words. */
  readonly reason: string;

  constructor(target: ProbeTarget, reason: string, options?: ErrorOptions) {
    super(`Cannot listen on ${target.host}:${target.port} to find a free port: ${reason}`, options);
    this.name = "PortProbeError";
    this.target = target;
    this.reason = reason;
  }
}

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

/**
 * The real probe: binds the port (TCP for tcp and ssl, UDP for udp) and releases it at once. A
 * port in use or not permitted is not free; any other failure is the host's.
 */
export async function probePort(target: ProbeTarget): Promise<boolean> {
  const { host, port, transport } = target;
  try {
    if (transport === "udp") {
      await bindUdp(host, port);
    } else {
      Deno.listen({ hostname: host, port, transport: "tcp" }).close();
    }
    return true;
  } catch (error) {
    const { problem, reason } = describeBindError(error);
    if (problem === "in use" || problem === "denied") return false;
    throw new PortProbeError(target, reason, { cause: error });
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
