/**
 * The registration tokens file (`--registration-tokens FILE`, registration_tokens.ts has its
 * format), read at start and again whenever it changes, without a restart.
 *
 * A change is found by a `stat` of the path every check interval (device, inode, size, change and
 * modification times), not by a file watch: Kubernetes updates a mounted Secret by swapping a
 * symbolic link to a new directory, so a watch on the file keeps watching the old one, and a
 * watch on the directory depends on how the volume is laid out; a `stat` follows the path as it is
 * now, works on every file system, and costs one system call per interval (Kubernetes itself takes
 * up to a minute or so to update a mounted Secret). SIGHUP reads the file at once.
 *
 * At start a file that cannot be read stops the registry with an error naming it; later, a file
 * that cannot be read (being replaced, removed by mistake) keeps the tokens last read, said once
 * in the log, until it can be read again. A bad line is named with its line number and left out,
 * at start as later.
 *
 * @module
 */
import { UsageError } from "../lib/mod.ts";
import { every, type Periodic } from "./periodic.ts";
import { RegistrationTokens } from "./registration_tokens.ts";

/** Default check interval (ms): how soon a changed file is read. */
export const TOKENS_CHECK_INTERVAL = 5000;

/** What the file was when it was last read: device, inode, size and times. */
function signatureOf(info: Deno.FileInfo): string {
  return [info.dev, info.ino, info.size, info.mtime?.getTime(), info.ctime?.getTime()].join(":");
}

function counted(tokens: RegistrationTokens): string {
  const { names, tokens: count } = tokens.size;
  return `${count} token(s) for ${names} name(s)`;
}

/** The tokens file, read again when it changes. */
export class TokensFile {
  readonly #path: string;
  readonly #log: (line: string) => void;
  #tokens: RegistrationTokens = RegistrationTokens.NONE;
  #signature: string | undefined;
  /** The last failure logged, so a file that stays unreadable is logged once. */
  #failure: string | undefined;
  /** The read or check in progress: they run one at a time. */
  #busy: Promise<void> = Promise.resolve();
  #periodic: Periodic | undefined;

  private constructor(path: string, log: (line: string) => void) {
    this.#path = path;
    this.#log = log;
  }

  /**
   * Reads the file (a UsageError naming it when it cannot be read) and, with `checkInterval`
   * (ms), checks it for changes that often until {@linkcode TokensFile.stop}.
   */
  static async open(
    path: string,
    options: { log: (line: string) => void; checkInterval?: number },
  ): Promise<TokensFile> {
    const file = new TokensFile(path, options.log);
    try {
      await file.#read("read");
    } catch (error) {
      throw new UsageError(
        `The registration tokens file ${path} cannot be read (${(error as Error).message}); ` +
          `give the path of a readable file with --registration-tokens or ` +
          `TARS_REGISTRY_TOKENS`,
      );
    }
    if (options.checkInterval !== undefined) {
      file.#periodic = every(options.checkInterval, () => file.check(), (error) => {
        options.log(`Registration tokens: checking ${path} failed: ${(error as Error).message}`);
      });
    }
    return file;
  }

  /** The path of the file. */
  get path(): string {
    return this.#path;
  }

  /** The tokens in force: those of the last good read. */
  get tokens(): RegistrationTokens {
    return this.#tokens;
  }

  /** Reads the file again when its `stat` differs from the last read's. */
  check(): Promise<void> {
    return this.#serially(async () => {
      let info: Deno.FileInfo;
      try {
        info = await Deno.stat(this.#path);
      } catch (error) {
        this.#failed(error);
        return;
      }
      if (signatureOf(info) !== this.#signature) await this.#readKeeping("read again (it changed)");
    });
  }

  /** Reads the file again now (SIGHUP). */
  reload(): Promise<void> {
    return this.#serially(() => this.#readKeeping("read again (SIGHUP)"));
  }

  /** Stops the checks; a read in progress finishes first. */
  async stop(): Promise<void> {
    await this.#periodic?.stop();
    await this.#busy;
  }

  #serially(work: () => Promise<void>): Promise<void> {
    const next = this.#busy.then(work);
    this.#busy = next.catch(() => {});
    return next;
  }

  /** Reads the file; a failure keeps the tokens it has, logged once. */
  async #readKeeping(how: string): Promise<void> {
    try {
      await this.#read(how);
    } catch (error) {
      this.#failed(error);
    }
  }

  /** Stats, then reads and parses the file; throws when either fails. */
  async #read(how: string): Promise<void> {
    // The stat comes first: a change during the read shows at the next check.
    const signature = signatureOf(await Deno.stat(this.#path));
    const text = await Deno.readTextFile(this.#path);
    const { tokens, problems } = RegistrationTokens.parse(text, { source: this.#path });
    this.#tokens = tokens;
    this.#signature = signature;
    this.#failure = undefined;
    this.#log(`Registration tokens: ${how} ${this.#path}: ${counted(tokens)}`);
    for (const problem of problems) this.#log(`Registration tokens: ${problem}`);
  }

  #failed(error: unknown): void {
    const reason = (error as Error).message;
    if (reason === this.#failure) return;
    this.#failure = reason;
    this.#log(
      `Registration tokens: ${this.#path} cannot be read (${reason}); the ` +
        `${counted(this.#tokens)} read before stay in force until it can be read again`,
    );
  }
}
