/**
 * Log lines about peers, limited per source address: a peer that sends bad frames by the
 * thousand gets at most a few lines a minute and then one line with the count of the rest, so
 * abuse cannot fill the disk or drown the lines that matter.
 *
 * @module
 */

/** Limits of a {@linkcode PeerLog}. */
export interface PeerLogOptions {
  /** Lines per address and window (default 10). */
  readonly limit?: number;
  /** The window in ms (default 60,000). */
  readonly windowMs?: number;
  /** Addresses tracked at once (default 1,000); more share one count. */
  readonly maxPeers?: number;
  /** Milliseconds clock (default `performance.now`). */
  readonly now?: () => number;
}

interface Window {
  readonly start: number;
  logged: number;
  suppressed: number;
}

/** The key under which addresses beyond `maxPeers` are counted together. */
const OTHER_PEERS = "other addresses";

/** Writes lines about peers through `log`, at most `limit` per address and window. */
export class PeerLog {
  readonly #log: (line: string) => void;
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxPeers: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, Window>();

  constructor(log: (line: string) => void, options: PeerLogOptions = {}) {
    this.#log = log;
    this.#limit = options.limit ?? 10;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxPeers = options.maxPeers ?? 1000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** Logs `line` about the peer at `address`, unless that address used up its window. */
  line(address: string, line: string): void {
    const now = this.#now();
    let key = address;
    if (!this.#windows.has(key) && this.#windows.size >= this.#maxPeers) key = OTHER_PEERS;
    let window = this.#windows.get(key);
    if (window && now - window.start >= this.#windowMs) {
      this.#summarize(key, window);
      window = undefined;
    }
    if (!window) this.#windows.set(key, window = { start: now, logged: 0, suppressed: 0 });
    if (window.logged < this.#limit) {
      window.logged++;
      this.#log(line);
    } else window.suppressed++;
  }

  /** Ends every window that is over (or, with `all`, every window), with its summary line. */
  flush(options: { all?: boolean } = {}): void {
    const now = this.#now();
    for (const [key, window] of this.#windows) {
      if (options.all || now - window.start >= this.#windowMs) this.#summarize(key, window);
    }
  }

  #summarize(key: string, window: Window): void {
    this.#windows.delete(key);
    if (window.suppressed === 0) return;
    this.#log(
      `${window.suppressed} more line(s) about ${key} in the last ` +
        `${Math.round(this.#windowMs / 1000)} s were not logged (at most ${this.#limit} per ` +
        `address in that time)`,
    );
  }
}
