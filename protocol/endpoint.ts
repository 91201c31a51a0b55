/**
 * TARS endpoint strings (`tcp -h HOST -p PORT -t MS`) and object strings
 * (`App.Server.Obj@ep1:ep2`): parsing and printing.
 *
 * @module
 */

/** Transport of a TARS endpoint. */
export type Transport = "tcp" | "udp" | "ssl";

/** A parsed TARS endpoint string such as `tcp -h 10.0.0.1 -p 10000 -t 60000`. */
export interface Endpoint {
  readonly transport: Transport;
  readonly host: string;
  readonly port: number;
  /** Idle timeout in milliseconds (`-t`), 3000 when absent. */
  readonly timeout: number;
  /** Other flags (`-g`, `-q`, `-w`, `-v`, `-e`, ...) in their original order, kept for printing. */
  readonly extra: readonly (readonly [flag: string, value: string | undefined])[];
}

/** An object string `App.Server.Obj@ep1:ep2` split into its name and endpoints. */
export interface ObjectRef {
  readonly name: string;
  readonly endpoints: readonly Endpoint[];
}

/** The timeout an endpoint gets when its string has no `-t`. */
export const DEFAULT_ENDPOINT_TIMEOUT = 3000;

const TRANSPORTS: readonly string[] = ["tcp", "udp", "ssl"];

function fail(text: string, why: string): never {
  throw new SyntaxError(`Bad endpoint "${text}": ${why}`);
}

function parseNumber(text: string, flag: string, value: string | undefined, max: number): number {
  if (value === undefined || !/^\d+$/.test(value)) fail(text, `${flag} needs a number`);
  const n = Number(value);
  if (n > max) fail(text, `${flag} ${value} is above ${max}`);
  return n;
}

/** Parses `tcp -h HOST -p PORT [-t MS] [other flags]`; errors quote the string. */
export function parseEndpoint(text: string): Endpoint {
  const words = text.trim().split(/\s+/);
  const transport = words[0]?.toLowerCase();
  if (!TRANSPORTS.includes(transport)) fail(text, "it must start with tcp, udp or ssl");
  let host: string | undefined;
  let port: number | undefined;
  let timeout = DEFAULT_ENDPOINT_TIMEOUT;
  const extra: [string, string | undefined][] = [];
  for (let i = 1; i < words.length; i++) {
    const flag = words[i];
    if (!flag.startsWith("-")) fail(text, `unexpected word "${flag}"`);
    const next = words[i + 1];
    const value = next !== undefined && !next.startsWith("-") ? next : undefined;
    if (value !== undefined) i++;
    switch (flag) {
      case "-h":
        if (value === undefined) fail(text, "-h needs a host");
        host = value;
        break;
      case "-p":
        port = parseNumber(text, "-p", value, 65535);
        break;
      case "-t":
        timeout = parseNumber(text, "-t", value, 2 ** 31 - 1);
        break;
      default:
        extra.push([flag, value]);
    }
  }
  if (host === undefined) fail(text, "-h HOST is missing");
  if (port === undefined) fail(text, "-p PORT is missing");
  return { transport: transport as Transport, host, port, timeout, extra };
}

/** Prints an endpoint in the canonical `tcp -h H -p P -t T` form, extra flags after. */
export function formatEndpoint(ep: Endpoint): string {
  let s = `${ep.transport} -h ${ep.host} -p ${ep.port} -t ${ep.timeout}`;
  for (const [flag, value] of ep.extra) s += value === undefined ? ` ${flag}` : ` ${flag} ${value}`;
  return s;
}

/** Splits `ep1:ep2` on the colons that start a new endpoint (host names may hold colons, as IPv6 does). */
export function splitEndpointList(text: string): string[] {
  return text.split(/:(?=\s*(?:tcp|udp|ssl)\b)/i).map((s) => s.trim()).filter((s) => s !== "");
}

/** Parses `App.Server.Obj@ep1:ep2` (endpoints optional: `App.Server.Obj` resolves through a locator). */
export function parseObjectRef(text: string): ObjectRef {
  const at = text.indexOf("@");
  const name = (at < 0 ? text : text.slice(0, at)).trim();
  if (name === "" || /\s/.test(name)) {
    throw new SyntaxError(`Bad object string "${text}": it must start with an object name`);
  }
  if (at < 0) return { name, endpoints: [] };
  const list = splitEndpointList(text.slice(at + 1));
  if (list.length === 0) {
    throw new SyntaxError(`Bad object string "${text}": no endpoint after "@"`);
  }
  try {
    return { name, endpoints: list.map(parseEndpoint) };
  } catch (error) {
    throw new SyntaxError(`Bad object string "${text}": ${(error as Error).message}`);
  }
}

/** Prints an object reference as `Name@ep1:ep2`, or the bare name when it has no endpoints. */
export function formatObjectRef(ref: ObjectRef): string {
  if (ref.endpoints.length === 0) return ref.name;
  return `${ref.name}@${ref.endpoints.map(formatEndpoint).join(":")}`;
}
