/**
 * IP addresses and address ranges (CIDR), for the registry's `--admin-allow` and for comparing a
 * connection's source address with the node name a pod reports. Both IPv4 and IPv6; an
 * IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, how a dual-stack socket shows an IPv4 peer) counts
 * as its IPv4 address.
 *
 * @module
 */

/** An address range: `10.0.0.0/8`, `::1/128`. */
export interface AddressRange {
  /** The range as written. */
  readonly text: string;
  /** The network's bytes: 4 for IPv4, 16 for IPv6. */
  readonly bytes: readonly number[];
  /** Leading bits that must match. */
  readonly prefix: number;
}

function ipv4Bytes(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes: number[] = [];
  for (const part of parts) {
    // No leading zeros: 010 is octal to some parsers.
    if (!/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bytes.push(Number(part));
  }
  return bytes;
}

function ipv6Bytes(text: string): number[] | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string): number[] | undefined => {
    if (half === "") return [];
    const words: number[] = [];
    const parts = half.split(":");
    for (const [i, part] of parts.entries()) {
      if (i === parts.length - 1 && part.includes(".")) {
        const v4 = ipv4Bytes(part);
        if (!v4) return undefined;
        words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
      } else if (/^[0-9a-f]{1,4}$/i.test(part)) words.push(parseInt(part, 16));
      else return undefined;
    }
    return words;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const words = [...head, ...Array(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return words.flatMap((w) => [w >> 8, w & 255]);
}

/**
 * The bytes of an IP address (4 for IPv4, 16 for IPv6; an IPv4-mapped IPv6 address gives its 4
 * IPv4 bytes), or undefined when `text` is not one. Brackets and a zone (`%eth0`) are ignored.
 */
export function parseIpAddress(text: string): number[] | undefined {
  const bare = text.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  if (!bare.includes(":")) return ipv4Bytes(bare);
  const bytes = ipv6Bytes(bare);
  const mapped = bytes && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 &&
    bytes[11] === 255;
  return mapped ? bytes.slice(12) : bytes;
}

/** True for an IPv4 address (`10.0.0.5`) or an IPv6 one (`fd00::5`) as written, not a host name. */
export function isIpAddress(text: string): boolean {
  return /^[0-9a-fA-F:.]+$/.test(text) && parseIpAddress(text) !== undefined;
}

/** The canonical text of an address (`::ffff:10.0.0.1` -> `10.0.0.1`); other text unchanged. */
export function canonicalAddress(text: string): string {
  const bytes = parseIpAddress(text);
  if (!bytes) return text;
  if (bytes.length === 4) return bytes.join(".");
  return text.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

/** Whether two texts name the same IP address (`::1` and `0:0:0:0:0:0:0:1`); else equal text. */
export function sameAddress(a: string, b: string): boolean {
  const x = parseIpAddress(a);
  const y = parseIpAddress(b);
  if (!x || !y) return a === b;
  return x.length === y.length && x.every((byte, i) => byte === y[i]);
}

/** Parses `ADDRESS/BITS` (or a bare address: all its bits); throws a SyntaxError naming it. */
export function parseAddressRange(text: string): AddressRange {
  const [address, bits, extra] = text.trim().split("/");
  const bytes = parseIpAddress(address);
  if (!bytes || extra !== undefined) {
    throw new SyntaxError(`"${text}" is not an address range: write e.g. 10.0.0.0/8 or ::1/128`);
  }
  const max = bytes.length * 8;
  if (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > max)) {
    throw new RangeError(`"${text}": the prefix length must be a number from 0 to ${max}`);
  }
  return { text: text.trim(), bytes, prefix: bits === undefined ? max : Number(bits) };
}

/** Whether `address` lies in `range` (an IPv4 address never in an IPv6 range, and back). */
export function inAddressRange(address: string, range: AddressRange): boolean {
  const bytes = parseIpAddress(address);
  if (!bytes || bytes.length !== range.bytes.length) return false;
  for (let bit = 0; bit < range.prefix; bit += 8) {
    const mask = range.prefix - bit >= 8 ? 0xff : (0xff << (8 - (range.prefix - bit))) & 0xff;
    if ((bytes[bit / 8] & mask) !== (range.bytes[bit / 8] & mask)) return false;
  }
  return true;
}
