import { DpopKey } from './dpop-key.js';
import { signWith } from './forge.js';
import type { IssuerSite } from './issuer-site.js';
import type {
  MintClaims,
  MintOptions,
  PublicJwks,
  RequestCounters,
  SigningKey,
  TestAlgorithm,
  TokenEndpointFailure,
  TokenRequestRecord,
} from './types.js';

const DEFAULT_LIFETIME_SECONDS = 3600;
const DEFAULT_SUBJECT = 'test-user';

/**
 * What every issuer of a {@link LocalIssuer} offers, the issuer itself and each of its realms:
 * its URLs, minting, keys, counters and faults. Each one has its own counters and faults.
 */
export abstract class IssuerHandle {
  protected constructor(protected readonly site: IssuerSite) {}

  /** Live counters, updated in place as requests arrive (before any fault applies). */
  get requests(): RequestCounters {
    return this.site.requests;
  }

  /** The issuer identifier (`iss`). */
  get issuer(): string {
    return this.site.urls.issuer;
  }

  /** The URL of the JWKS. */
  get jwksUri(): string {
    return this.site.urls.jwksUri;
  }

  /** The URL of the token endpoint (`POST`, client credentials grant). */
  get tokenEndpoint(): string {
    return this.site.urls.tokenEndpoint;
  }

  /**
   * The URL of the metadata document: the OIDC one for `discovery: 'openid' | 'both' | 'none'`
   * (not served for `'none'`), the RFC 8414 one for `'oauth'`.
   */
  get discoveryUrl(): string {
    return this.site.options.discovery === 'oauth'
      ? this.site.urls.oauthMetadataUrl
      : this.site.urls.openidConfigurationUrl;
  }

  /** The URL of the OpenID Connect discovery document (`{issuer}/.well-known/openid-configuration`). */
  get openidConfigurationUrl(): string {
    return this.site.urls.openidConfigurationUrl;
  }

  /** The URL of the RFC 8414 metadata (`{origin}/.well-known/oauth-authorization-server{issuer path}`). */
  get oauthMetadataUrl(): string {
    return this.site.urls.oauthMetadataUrl;
  }

  /** The configured algorithms, the first being the default. */
  get algorithms(): readonly TestAlgorithm[] {
    return this.site.keys.algorithms;
  }

  /**
   * Mints a signed JWT. Default claims: `iss` = issuer, `sub` = `'test-user'`, `iat` = now,
   * `exp` = now + `expiresIn` (1 h), all from `Date.now()` so a faked clock applies; with
   * `options.dpop`, `cnf: { jkt }`. Given claims override them; `options.omit` drops them.
   * Signing is synchronous; a bad option (an alg with no published key) is a rejection.
   */
  mint(claims: MintClaims = {}, options: MintOptions = {}): Promise<string> {
    return new Promise((resolve) => {
      const keys = this.site.keys;
      const namedKey = options.kid === undefined ? undefined : keys.byKid(options.kid);
      const alg = options.alg ?? namedKey?.alg ?? keys.defaultAlgorithm;
      const issuerKey = namedKey && namedKey.alg === alg ? namedKey : keys.current(alg);
      const kidHeader = options.noKid ? {} : { kid: options.kid ?? issuerKey.kid };
      const header: Record<string, unknown> = { alg, ...kidHeader, ...options.header };
      resolve(signWith(options.key ?? issuerKey.privateKey, header, this.payloadOf(claims, options)));
    });
  }

  /**
   * A new DPoP key pair for a client (RFC 9449), to make proofs with `proof()` / `badProof()` and to
   * bind tokens with `mint(claims, { dpop: key })`. Default alg: `'ES256'`.
   */
  dpopKey(alg: TestAlgorithm = 'ES256'): Promise<DpopKey> {
    return DpopKey.generate(alg);
  }

  /** The current DPoP server nonce of the token endpoint (RFC 9449 §8), required in proofs with `dpop.nonce`. */
  get dpopNonce(): string {
    return this.site.nonces.current;
  }

  /** Replaces the DPoP server nonce: proofs carrying the old one get `use_dpop_nonce`. Returns the new one. */
  rotateDpopNonce(): string {
    return this.site.nonces.rotate();
  }

  /**
   * Adds a new key for `alg` (default: the first algorithm): published, and the one that signs
   * for `alg` from now on. The old key stays published until {@link retire}.
   */
  async rotate(alg: TestAlgorithm = this.site.keys.defaultAlgorithm): Promise<{ kid: string }> {
    const { kid } = await this.site.keys.add(alg);
    return { kid };
  }

  /**
   * Removes a key from the JWKS. When it was the current key of its alg, the newest remaining one
   * of that alg signs from now on. `mint({ kid })` can still sign with it, for "removed key" tests.
   * @throws Error when no published key has this kid.
   */
  retire(kid: string): void {
    this.site.keys.retire(kid);
  }

  /** The kids in the JWKS, in publication order. */
  publishedKids(): string[] {
    return this.site.keys.publishedKids();
  }

  /** The JWKS as served without faults: public parts only. */
  jwks(): PublicJwks {
    return this.site.keys.jwks();
  }

  /** The current signing key of `alg` (default: the first algorithm), e.g. to build tokens with `signWith`. */
  signingKey(alg: TestAlgorithm = this.site.keys.defaultAlgorithm): {
    kid: string;
    alg: TestAlgorithm;
    privateKey: SigningKey;
  } {
    const { kid, privateKey } = this.site.keys.current(alg);
    return { kid, alg, privateKey };
  }

  /** Sets every counter in {@link requests} back to 0 (the same object stays live) and forgets {@link tokenRequests}. */
  resetCounters(): void {
    this.site.resetCounters();
  }

  /** What the token endpoint received since start or {@link resetCounters}, without secrets. */
  tokenRequests(): TokenRequestRecord[] {
    return this.site.tokens.records();
  }

  /** JWKS and discovery answer `status` (default 503) until cleared. Replaces any other answer fault. */
  fail(options: { status?: number } = {}): void {
    this.site.answerFault = { kind: 'fail', status: options.status ?? 503 };
  }

  /** JWKS and discovery answers wait `ms` milliseconds (before any other fault) until cleared. */
  slow(ms: number): void {
    this.site.answerDelayMs = ms;
  }

  /** JWKS and discovery answer 200 with a body that is not JSON (labelled `application/json`) until cleared. */
  garbage(): void {
    this.site.answerFault = { kind: 'garbage' };
  }

  /** JWKS and discovery answer 200 with their valid JSON padded to at least `bytes` bytes until cleared. */
  oversized(bytes: number): void {
    this.site.answerFault = { kind: 'oversized', bytes };
  }

  /** JWKS and discovery answer 200 with `{ "keys": "nope" }` until cleared. */
  invalidShape(): void {
    this.site.answerFault = { kind: 'invalidShape' };
  }

  /** JWKS and discovery requests get their connection destroyed without an answer until cleared. */
  resetConnections(): void {
    this.site.answerFault = { kind: 'resetConnections' };
  }

  /** JWKS and discovery answer `302 Location: to` until cleared. */
  redirect(to: string): void {
    this.site.answerFault = { kind: 'redirect', to };
  }

  /** Sets (or with `undefined` removes) the `Cache-Control` header of JWKS and discovery answers. */
  cacheControl(value: string | undefined): void {
    this.site.cacheControlValue = value;
  }

  /** Clears every JWKS/discovery fault (`fail`, `slow`, `garbage`, ...); `cacheControl` goes back to the option. */
  clearFaults(): void {
    this.site.clearFaults();
  }

  /** The token endpoint answers `status` (default 503) with an OAuth error body until cleared. */
  failTokenEndpoint(failure: TokenEndpointFailure = {}): void {
    this.site.tokenFailure = { ...failure };
  }

  /** Token endpoint answers wait `ms` milliseconds until cleared. */
  slowTokenEndpoint(ms: number): void {
    this.site.tokenDelayMs = ms;
  }

  /** Clears the token endpoint faults. */
  clearTokenFaults(): void {
    this.site.clearTokenFaults();
  }

  private payloadOf(claims: MintClaims, options: MintOptions): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    const defaults: Record<string, unknown> = {
      iss: this.issuer,
      sub: DEFAULT_SUBJECT,
      iat: now,
      exp: now + (options.expiresIn ?? DEFAULT_LIFETIME_SECONDS),
      ...(options.dpop ? { cnf: { jkt: options.dpop.thumbprint } } : {}),
    };
    for (const name of options.omit ?? []) delete defaults[name];
    return { ...defaults, ...claims };
  }
}
