/**
 * Registration tokens: which pods may register as which application or server. The file
 * (`--registration-tokens FILE`) has one `NAME TOKEN` line per token, where NAME is an
 * application (`Victim`) or a server (`Victim.Pay`) and TOKEN is the token itself or
 * `sha256:<64 hex digits>`, the SHA-256 of it; blank lines and lines starting with `#` are
 * skipped. Every line of a name is valid (several while a token is rotated). A server's own lines,
 * when it has any, are the ones that count for it; else its application's.
 *
 * Only SHA-256 digests are kept in memory, and a presented token is hashed and compared with every
 * digest of its name in constant time, so the time of an answer tells nothing about how much of a
 * token was right. Nothing here puts a token (or a line of the file, which may hold one) into a
 * message.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Longest token taken, in characters, in the file and in a request. */
export const MAX_TOKEN_LENGTH = 4096;

const DIGEST_PREFIX = "sha256:";
/** An application or `application.server`: no spaces, no control characters, one dot at most. */
// deno-lint-ignore no-control-regex -- keeping control characters out is its purpose
const NAME = /^[^\s.\u0000-\u001f\u007f-\u009f]+(\.[^\s.\u0000-\u001f\u007f-\u009f]+)?$/;

/** What a presented token is for a name: no tokens apply, or it is missing, wrong or valid. */
export type TokenVerdict = "none" | "missing" | "wrong" | "valid";

function digestOf(token: string): Uint8Array {
  return createHash("sha256").update(token, "utf8").digest();
}

/** The tokens read from a tokens file: SHA-256 digests by name. */
export class RegistrationTokens {
  /** No tokens at all: every name registers as before. */
  static readonly NONE = new RegistrationTokens(new Map());

  readonly #byName: ReadonlyMap<string, readonly Uint8Array[]>;

  private constructor(byName: ReadonlyMap<string, readonly Uint8Array[]>) {
    this.#byName = byName;
  }

  /**
   * Parses the text of a tokens file; `source` names it in the problems. A bad line is named by
   * its number and left out; one whose name is good but whose token is not still counts as a line
   * of its name, so a mistyped token closes its name instead of opening it to everyone.
   */
  static parse(
    text: string,
    options: { source: string },
  ): { tokens: RegistrationTokens; problems: string[] } {
    const byName = new Map<string, Uint8Array[]>();
    const problems: string[] = [];
    text.split("\n").forEach((raw, index) => {
      const line = raw.trim();
      if (line === "" || line.startsWith("#")) return;
      const where = `${options.source}:${index + 1}`;
      const fields = line.split(/\s+/);
      if (fields.length !== 2) {
        problems.push(
          `${where}: expected NAME TOKEN (two fields separated by spaces), found ` +
            `${fields.length} fields; the line is ignored`,
        );
        return;
      }
      const [name, token] = fields;
      if (!NAME.test(name)) {
        problems.push(
          `${where}: the name is not an application or application.server (a name without ` +
            `spaces or control characters, at most one dot); the line is ignored`,
        );
        return;
      }
      const digests = byName.get(name) ?? [];
      byName.set(name, digests);
      const digest = parseToken(token);
      if (typeof digest === "string") {
        problems.push(
          `${where}: ${digest}; the line is ignored, and ${name} takes no token from it (its ` +
            `other lines still count)`,
        );
        return;
      }
      digests.push(digest);
    });
    return { tokens: new RegistrationTokens(byName), problems };
  }

  /** Whether no name has tokens. */
  get empty(): boolean {
    return this.#byName.size === 0;
  }

  /** How many names have lines, and how many valid tokens they have in all. */
  get size(): { names: number; tokens: number } {
    let tokens = 0;
    for (const digests of this.#byName.values()) tokens += digests.length;
    return { names: this.#byName.size, tokens };
  }

  /**
   * The name whose lines count for the server `application.server`: the server's own, else its
   * application's, else undefined (no tokens apply).
   */
  governing(application: string, server: string): string | undefined {
    if (this.#byName.size === 0) return undefined;
    const full = `${application}.${server}`;
    if (this.#byName.has(full)) return full;
    return this.#byName.has(application) ? application : undefined;
  }

  /** What `token` is for the server `application.server`. */
  verify(application: string, server: string, token: string | undefined): TokenVerdict {
    const name = this.governing(application, server);
    if (name === undefined) return "none";
    if (token === undefined || token === "") return "missing";
    if (token.length > MAX_TOKEN_LENGTH) return "wrong";
    const presented = digestOf(token);
    let match = false;
    // Every digest is compared, whether one matched already or not.
    for (const digest of this.#byName.get(name)!) match = sameDigest(presented, digest) || match;
    return match ? "valid" : "wrong";
  }
}

/**
 * Whether two SHA-256 digests are equal, in a time that does not depend on where they differ:
 * every byte is compared (node:crypto's timingSafeEqual does the same, at 20 times the cost of
 * this loop for 32 bytes).
 */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let difference = 0;
  for (let i = 0; i < 32; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

/** The digest a token field gives, or what is wrong with it. */
function parseToken(token: string): Uint8Array | string {
  if (token.length > MAX_TOKEN_LENGTH) {
    return `the token is longer than ${MAX_TOKEN_LENGTH} characters`;
  }
  if (!token.toLowerCase().startsWith(DIGEST_PREFIX)) return digestOf(token);
  const hex = token.slice(DIGEST_PREFIX.length);
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    return `a ${DIGEST_PREFIX} token must be followed by 64 hexadecimal digits (the SHA-256 of ` +
      `the token, as sha256sum prints it)`;
  }
  return Uint8Array.from(hex.match(/../g)!, (byte) => parseInt(byte, 16));
}
