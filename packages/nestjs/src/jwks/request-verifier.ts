import type { VerifyOverrides } from '../config/options.js';
import type { VerifiedToken } from './verified-token.js';

/** Header values as Node and Express/Fastify give them (lower-case names), or a Fetch `Headers`. */
export type RequestHeaders = Record<string, string | string[] | undefined> | { get(name: string): string | null };

/** A request to check, as `JwksProvider.verifyRequest` takes it. */
export interface HttpRequestToVerify {
  /** The HTTP method, e.g. `GET`. */
  method: string;
  /**
   * The absolute URL the client sent the request to (behind a proxy: the public one). Its query
   * and fragment are ignored; it is what a DPoP proof's `htu` must name.
   */
  url: string;
  headers: RequestHeaders;
}

/** A request whose token (and, with DPoP, proof) passed every check. */
export interface VerifiedRequest extends VerifiedToken {
  /** How the token was presented. */
  readonly scheme: 'bearer' | 'dpop';
  /** With DPoP: the thumbprint of the proof's key (= the token's `cnf.jkt`). */
  readonly jkt?: string;
  /** When the issuer uses server nonces: the nonce to send in the answer's `DPoP-Nonce`. */
  readonly nonce?: string;
}

/**
 * What checks a whole request (its scheme, and with DPoP its proof) for
 * `JwksProvider.verifyRequest`. The module's is `DpopRequestVerifier` (in `dpop/`, which sits
 * above `jwks/` and verifies tokens through `JwksProvider`): it attaches itself at start, so that
 * `jwks/` never imports `dpop/`.
 */
export interface RequestVerifier {
  verifyRequest(request: HttpRequestToVerify, overrides?: VerifyOverrides): Promise<VerifiedRequest>;
}
