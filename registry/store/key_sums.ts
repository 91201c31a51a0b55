/**
 * Row counts and key checksums of the tables a shared store's replicas read: how a replica
 * notices rows another one deleted without reading every row. A table's sum is its row count and
 * the XOR of the CRC-32 of each row's key (its names joined by NUL, as UTF-8); the database
 * computes the same with `COUNT(*)` and `BIT_XOR(CRC32(…))` (mysql_statements.ts). XOR makes a sum
 * order-free and lets a replica compute its own from memory in one pass.
 *
 * @module
 */

/** Count and key checksum of one table. */
export interface KeySum {
  readonly count: number;
  /** XOR of the CRC-32 of every key, an unsigned 32-bit integer. */
  readonly xor: number;
}

/** The sums of the three tables a replica holds in memory. */
export interface KeySums {
  /** `t_node_info`, keyed by node name. */
  readonly nodes: KeySum;
  /** `t_server_conf`, keyed by application, server and node. */
  readonly servers: KeySum;
  /** `t_adapter_conf`, keyed by application, server, node and adapter name. */
  readonly adapters: KeySum;
}

const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();
const utf8 = new TextEncoder();

/** CRC-32 (IEEE 802.3, as zlib and MySQL's `CRC32()`) of a string's UTF-8 bytes. */
export function crc32(text: string): number {
  let c = -1;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return crc32Bytes(utf8.encode(text));
    c = TABLE[(c ^ code) & 0xff] ^ (c >>> 8);
  }
  return (c ^ -1) >>> 0;
}

function crc32Bytes(bytes: Uint8Array): number {
  let c = -1;
  for (const byte of bytes) c = TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** Adds keys up into a {@linkcode KeySum}, and takes them out again. */
export class KeySumBuilder {
  #count = 0;
  #xor = 0;

  /** Adds (1) or takes out (-1) one row, by its key parts. */
  add(sign: 1 | -1, ...parts: string[]): void {
    this.#count += sign;
    this.#xor = (this.#xor ^ crc32(parts.join("\u0000"))) >>> 0;
  }

  /** The sum so far. */
  get sum(): KeySum {
    return { count: this.#count, xor: this.#xor };
  }
}

const TABLES = ["nodes", "servers", "adapters"] as const;

/** Whether two sets of sums are equal. */
export function sameSums(a: KeySums, b: KeySums): boolean {
  return TABLES.every((t) => a[t].count === b[t].count && a[t].xor === b[t].xor);
}

/** `a` with the rows of `b` added (or taken out with `sign` -1): counts add, checksums XOR. */
export function addSums(a: KeySums, b: KeySums, sign: 1 | -1 = 1): KeySums {
  const add = (x: KeySum, y: KeySum): KeySum => ({
    count: x.count + sign * y.count,
    xor: (x.xor ^ y.xor) >>> 0,
  });
  return {
    nodes: add(a.nodes, b.nodes),
    servers: add(a.servers, b.servers),
    adapters: add(a.adapters, b.adapters),
  };
}

/** The sums of no rows. */
export const NO_ROWS: KeySums = {
  nodes: { count: 0, xor: 0 },
  servers: { count: 0, xor: 0 },
  adapters: { count: 0, xor: 0 },
};
