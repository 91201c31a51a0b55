/**
 * Who may register as which server (registration_tokens.ts has the tokens). trust.ts has already
 * checked that the caller speaks for its own address; this checks the names it registers:
 *
 * - `onStartup` of a server with tokens carries one of them (tag 13 of `onStartupReq`), or is
 *   refused; a server without tokens registers as before, unless `--require-tokens`.
 * - `keepAlive` and `onPrestop` carry no token. For a server with tokens they renew or end only a
 *   registration that exists on that node and has not expired (a heartbeat within
 *   `--node-timeout`, or held by self-preservation: registry/self_preservation.ts), else they are
 *   answered "not registered", and the pod registers again with its token. So an address that
 *   another pod gets later cannot renew a registration left behind.
 * - A node's heartbeat is the node's, not a server's: any call that renews a node whose heartbeat
 *   expired (an `onStartup` or `keepAlive` of another server on that address) would renew every
 *   server on it. So such a call first ends the registrations with tokens the node still has,
 *   but the one it registers with its token, and logs each.
 *
 * Servers without tokens heartbeat as before, the node-only forms of the original K8STARS tarscli
 * included (it never registers again after a refused heartbeat). The admin registry's and the
 * console's operations do not pass through here; `--admin-allow` governs them as before.
 *
 * A refusal is a TarsCallError with {@linkcode RegistryRet.REFUSED}, "not registered" one with
 * {@linkcode RegistryRet.NOT_REGISTERED}; neither holds the token, nor does the log.
 *
 * @module
 */
import { TarsCallError } from "../protocol/call_error.ts";
import { RegistryRet } from "../protocol/interfaces/registry_f.ts";
import type { RegistrationTokens } from "./registration_tokens.ts";
import type { RegistryService } from "./registry_service.ts";

/** The settings and dependencies of the guard. */
export interface RegistrationGuardOptions {
  /** The tokens in force, asked at every call (the file may have been read again). */
  readonly tokens: () => RegistrationTokens;
  /** `--require-tokens`: a server without tokens may not register either. */
  readonly requireTokens: boolean;
  /** Clock in epoch ms, the service's. */
  readonly now: () => number;
  /** Where the registrations it ends are reported. */
  readonly log: (line: string) => void;
}

/** The names a Registry call gives (empty or absent: the node-only form). */
interface Names {
  readonly nodeName: string;
  readonly application?: string;
  readonly server?: string;
}

function refused(message: string): TarsCallError {
  return new TarsCallError(RegistryRet.REFUSED, `onStartup refused: ${message}`);
}

/** Checks each Registry call of a pod against the registration tokens. */
export class RegistrationGuard {
  readonly #service: RegistryService;
  readonly #options: RegistrationGuardOptions;

  constructor(service: RegistryService, options: RegistrationGuardOptions) {
    this.#service = service;
    this.#options = options;
  }

  /**
   * Throws a refusal unless `req` may register its server with `req.token`; then ends the
   * registrations with tokens of its node when its heartbeat expired (but this server's).
   */
  async admitStartup(req: Names & { readonly token?: string }): Promise<void> {
    const tokens = this.#options.tokens();
    const application = req.application ?? "";
    const server = req.server ?? "";
    if (application === "" || server === "") {
      // One of the two alone: validation refuses it.
      if (application !== "" || server !== "") return;
      if (this.#options.requireTokens) {
        throw refused(
          "the registry runs with --require-tokens, and a registration of the node alone (no " +
            "application and server, the original K8STARS form) names no server a token could " +
            "be for; register with an application, a server and the server's token",
        );
      }
      await this.#endLapsed(tokens, req.nodeName);
      return;
    }
    const full = `${application}.${server}`;
    const name = tokens.governing(application, server);
    switch (tokens.verify(application, server, req.token)) {
      case "none":
        if (this.#options.requireTokens) {
          throw refused(
            `the registry runs with --require-tokens, and its tokens file has no line for ` +
              `${full} or ${application}; add a line "${application} TOKEN" (or "${full} ` +
              `TOKEN") to it, and set TARS_REGISTRY_TOKEN in the pod to that token`,
          );
        }
        await this.#endLapsed(tokens, req.nodeName);
        return;
      case "missing":
        throw refused(
          `${full} has registration tokens (the lines for ${name} in the registry's tokens ` +
            `file), and the request carries none; set TARS_REGISTRY_TOKEN in the pod to one of them`,
        );
      case "wrong":
        throw refused(
          `the registration token is not one of ${name}'s, which the registry's tokens file ` +
            `lists for ${full}; set TARS_REGISTRY_TOKEN in the pod to one of them`,
        );
      case "valid":
        await this.#endLapsed(tokens, req.nodeName, { application, server });
    }
  }

  /**
   * Throws "not registered" when `req` names a server with tokens whose registration on the node
   * does not exist or expired; for a server without tokens (or the node-only form), ends the
   * registrations with tokens of its node when its heartbeat expired.
   */
  async admitKeepAlive(req: Names): Promise<void> {
    const tokens = this.#options.tokens();
    if (this.#assertLasting(tokens, "keepAlive", req)) return;
    await this.#endLapsed(tokens, req.nodeName);
  }

  /**
   * Throws "not registered" when `req` names a server with tokens whose registration on the node
   * does not exist or expired.
   */
  admitPrestop(req: Names): void {
    this.#assertLasting(this.#options.tokens(), "onPrestop", req);
  }

  /**
   * For a server with tokens: throws "not registered" unless its registration on the node lasts,
   * and returns true. False for a server without tokens and the node-only form.
   */
  #assertLasting(tokens: RegistrationTokens, call: string, req: Names): boolean {
    const application = req.application ?? "";
    const server = req.server ?? "";
    if (application === "" || server === "") return false;
    if (tokens.governing(application, server) === undefined) return false;
    const lasting = this.#service.node(req.nodeName) !== undefined &&
      !this.#service.heartbeatLapsed(req.nodeName) &&
      this.#service.serversOn(req.nodeName).some((s) =>
        s.application === application && s.server === server
      );
    if (lasting) return true;
    throw new TarsCallError(
      RegistryRet.NOT_REGISTERED,
      `${call}: ${application}.${server} on ${req.nodeName} is not registered here, or its ` +
        `registration expired (no heartbeat for --node-timeout, ` +
        `${this.#service.nodeTimeout / 1000} s): a server with registration tokens is renewed ` +
        `or removed only while its registration lasts; call onStartup with its token`,
    );
  }

  /**
   * When the heartbeat of `nodeName` expired: ends its registrations of servers with tokens, but
   * `keep`'s, before a call renews the node (and with it every server on it). A node that
   * self-preservation holds has not expired: its registrations last.
   */
  async #endLapsed(
    tokens: RegistrationTokens,
    nodeName: string,
    keep?: { application: string; server: string },
  ): Promise<void> {
    if (tokens.empty || !this.#service.heartbeatLapsed(nodeName)) return;
    const age = this.#options.now() - this.#service.node(nodeName)!.lastHeartbeat;
    const lapsed = this.#service.serversOn(nodeName).filter((s) =>
      tokens.governing(s.application, s.server) !== undefined &&
      !(s.application === keep?.application && s.server === keep?.server)
    ).map((s) => ({ nodeName, application: s.application, server: s.server }));
    for (const target of lapsed) {
      await this.#service.onPrestop(target);
      this.#options.log(
        `Ended the expired registration of ${target.application}.${target.server} on ` +
          `${nodeName} (no heartbeat for ${Math.round(age / 1000)} s): its address registers ` +
          `again, and a server with registration tokens comes back only by its own onStartup ` +
          `with a token`,
      );
    }
  }
}
