import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { FlattenedJWSInput, JWK, JWTHeaderParameters, JWTVerifyGetKey } from 'jose';
import { HeaderNotAllowedError, InvalidResponseError } from '../errors.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import { JWKS_CACHE_CONFIG } from '../jwks-cache.module-definition.js';
import { resolveConfig } from '../config/resolve-config.js';
import type { JwksCacheModuleOptions, VerifyOverrides } from '../config/options.js';
import { CacheStore } from '../store/cache-store.js';
import { ImportedKeyCache, type VerificationKey } from './imported-key-cache.js';
import type { IssuerHealth, IssuerKeyState, SeedOutcome } from './issuer-key-state.js';
import type { IssuerSettings } from './issuer-settings.js';
import { collectProviderStats, type JwksProviderStats } from './jwks-provider-stats.js';
import { applyConfiguredSeed, warmUpIssuers } from './issuer-start-up.js';
import { IssuerDirectory } from './issuer-directory.js';
import { TokenVerifier } from './token-verifier.js';
import { checkAlgorithm } from './token-checks.js';
import { keyForToken, keyTypeOf } from './key-selection.js';
import { OidcDiscovery } from '../discovery/oidc-discovery.js';
import { assertNarrowing, InvalidVerifyOverridesError } from './verify-overrides.js';
import type { ExportedKeySet } from './stored-key-set.js';
import type { VerifiedToken } from './verified-token.js';
import type { HttpRequestToVerify, RequestVerifier, VerifiedRequest } from './request-verifier.js';

export type { VerifiedToken } from './verified-token.js';
export type { IssuerHealth, IssuerKeyStats, SeedOutcome } from './issuer-key-state.js';
export type { HttpRequestToVerify, RequestHeaders, RequestVerifier, VerifiedRequest } from './request-verifier.js';
export type { DynamicIssuerStats, IssuerTemplateStats } from './dynamic-issuers.js';
export type { KeySetStats } from './key-sets-by-uri.js';
export type { JwksProviderStats } from './jwks-provider-stats.js';

/**
 * The inbound side: each configured issuer's key set, cached and kept current, and token
 * verification against it. Usable without the guard (GraphQL, WebSockets, queues).
 *
 * Verification runs the cheapest checks first and makes no network request for a token whose
 * `iss` is not configured. `jku`, `x5u`, `jwk` and `x5c` headers are never followed: only the
 * configured issuers' keys are used.
 */
@Injectable()
export class JwksProvider implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(JwksProvider.name);
  /** The configured issuers and the issuer templates, with their key sets. */
  private readonly directory: IssuerDirectory;
  private readonly verifier: TokenVerifier;
  private readonly importedKeys: ImportedKeyCache;
  private readonly verifiedTokens: VerifiedTokenCache;
  /** The request-level checks of {@link verifyRequest}, attached at start by `DpopRequestVerifier`. */
  private requestVerifier: RequestVerifier | undefined;

  constructor(
    @Inject(JWKS_CACHE_CONFIG) options: JwksCacheModuleOptions,
    store: CacheStore,
    events: JwksCacheEvents,
    private readonly discovery: OidcDiscovery,
  ) {
    const config = resolveConfig(options);
    this.importedKeys = new ImportedKeyCache(config.jwks.importedKeyCacheSize, options.jwks?.importedKeyCache);
    this.verifiedTokens = new VerifiedTokenCache(config.verify.verifiedTokenCacheSize);
    this.directory = new IssuerDirectory(
      config.issuers,
      options.issuers ?? [],
      {
        store,
        events,
        jwksUriOf: (settings) => this.jwksUriOf(settings),
        forgetDiscovery: (issuer) => this.discovery.forget(issuer),
      },
      (state, issuer, seed) => applyConfiguredSeed(state, issuer, seed, this.logger),
    );
    this.verifier = new TokenVerifier(
      this.directory,
      this.verifiedTokens,
      this.importedKeys,
      config.verify.maxTokenBytes,
    );
  }

  /**
   * Verifies a compact JWS against its configured issuer's keys and checks its claims.
   * @param token the raw JWT (no `Bearer ` prefix).
   * @param overrides narrow the issuer's settings for this call (audience, typ, algorithms, …);
   * they may only add checks, never widen (see {@link checkOverrides}).
   * @returns the verified payload and header, frozen (they may be shared through the
   * verified-token cache).
   * @throws {TokenRejectedError} a subclass saying why; a `TypeError`
   * (`InvalidVerifyOverridesError`) for overrides that would widen the token's issuer's settings.
   */
  verify(token: string, overrides?: VerifyOverrides): Promise<VerifiedToken> {
    return this.verifier.verify(token, overrides);
  }

  /**
   * Verifies the token of an HTTP request as its scheme says (for callers other than `JwtGuard`):
   * `Authorization: Bearer` — a bearer token, refused when bound to a key (`cnf.jkt`) or when its
   * issuer's `dpop` is `'required'`; `Authorization: DPoP` with exactly one `DPoP` header — the
   * proof checked as RFC 9449 §4.3 says against `method` and `url`, the token's binding, and the
   * `jti` replay cache. `url` is the absolute URL the client used (behind a proxy, the public one).
   * @param overrides narrow the token's verification, as {@link verify}'s.
   * @returns the verified token with `scheme`, `jkt` (DPoP) and `nonce` (to send in `DPoP-Nonce`).
   * @throws {TokenRejectedError} a subclass saying why, e.g. `DpopProofInvalidError` (its `check`
   *   names the failed check), `DpopNonceRequiredError`, `DpopProofReplayedError`, `DpopSchemeError`.
   */
  verifyRequest(request: HttpRequestToVerify, overrides?: VerifyOverrides): Promise<VerifiedRequest> {
    if (this.requestVerifier === undefined) {
      return Promise.reject(
        new Error(
          'JwksProvider.verifyRequest needs JwksCacheModule: its request verifier (DpopRequestVerifier) is not attached',
        ),
      );
    }
    return this.requestVerifier.verifyRequest(request, overrides);
  }

  /**
   * Attaches the request-level checks {@link verifyRequest} delegates to. Called once at start by
   * `DpopRequestVerifier` (a provider of `JwksCacheModule`); not for applications.
   * @internal
   */
  attachRequestVerifier(verifier: RequestVerifier): void {
    this.requestVerifier = verifier;
  }

  /** The verifier attached by {@link attachRequestVerifier}, if any. @internal */
  attachedRequestVerifier(): RequestVerifier | undefined {
    return this.requestVerifier;
  }

  /**
   * Throws a `TypeError` (`InvalidVerifyOverridesError`) unless `overrides` only narrow every
   * issuer they can apply to (the one they name, else every configured issuer): an audience
   * within the issuer's, a `typ` only where the issuer sets none, a smaller clock tolerance, a
   * shorter `maxTokenAge`, a subset of the algorithms. `@JwtVerify`'s are checked at start.
   * @param where who gave them, for the message (e.g. `@JwtVerify() on OrdersController.list`).
   */
  checkOverrides(overrides: VerifyOverrides, where = 'verify() overrides'): void {
    const applicable = this.directory.settingsNamed(overrides?.issuer);
    if (applicable === undefined)
      throw new InvalidVerifyOverridesError(`${where}: issuer ${String(overrides?.issuer)} is not configured`);
    for (const settings of applicable) assertNarrowing(settings, overrides, where);
  }

  /**
   * The verified result of `token` when the verified-token cache holds it (still within
   * `exp`/`nbf`, its key still trusted), synchronously; `undefined` otherwise — then call
   * {@link verify}, which gives the reason for a rejection. Lets a guard answer a repeated
   * token without a promise.
   */
  verifyCached(token: string, overrides?: VerifyOverrides): VerifiedToken | undefined {
    const found = this.lookupVerified(token, overrides);
    return typeof found === 'object' ? found : undefined;
  }

  /**
   * For `JwtGuard`, which looks a token up and, on a miss, verifies the same token: the cached
   * result (as {@link verifyCached}), or on a miss the token's verified-token cache key, to hand
   * to {@link verifyMissed} so the token is hashed once per request; `undefined` when the cache
   * is off or the token cannot be in it. The key is a digest, never the token.
   */
  lookupVerified(token: string, overrides?: VerifyOverrides): VerifiedToken | string | undefined {
    return this.verifier.lookupVerified(token, overrides);
  }

  /**
   * {@link verify}, for a token {@link lookupVerified} has just missed: `cacheKey` is the key it
   * returned for this very token and these overrides (it is looked up again, not trusted blindly:
   * a wrong key could only cost a miss, and a hit under it needs the same digest).
   */
  verifyMissed(token: string, overrides: VerifyOverrides | undefined, cacheKey: string): Promise<VerifiedToken> {
    return this.verifier.verifyMissed(token, overrides, cacheKey);
  }

  /**
   * The key to verify a token of `issuer` with: `CryptoKey`, or the secret bytes for HS*.
   * Same rules as `verify` (allow-listed `alg`, key type, unknown-kid cooldown), and the same
   * keys: when several fit (a header without `kid`, at most 5 tried), the one whose signature
   * over `token` verifies is returned — which costs one signature check here.
   * @param token the token (compact, or jose's flattened form); needed only when several keys fit.
   * @throws {TokenRejectedError} e.g. `NoMatchingKeyError`; `SignatureInvalidError` when no
   *   fitting key verifies `token`; `MultipleMatchingKeysError` when several fit and no token was given.
   */
  async getKey(
    issuer: string,
    header: { kid?: string; alg: string },
    token?: string | FlattenedJWSInput,
  ): Promise<VerificationKey> {
    const { settings, state } = this.directory.found(issuer);
    checkAlgorithm(header.alg, settings, undefined);
    const query = { kid: header.kid, alg: header.alg };
    const candidates = await state.keysFor(query);
    return keyForToken(candidates, this.verifier.importerFor(header.alg), query, token, issuer);
  }

  /**
   * A jose `JWTVerifyGetKey` backed by this cache, for `jwtVerify(token, provider.keyResolver(iss))`.
   * Without a `kid` it resolves the key that verifies the token (see {@link getKey}).
   */
  keyResolver(issuer: string): JWTVerifyGetKey {
    this.directory.found(issuer);
    return async (header: JWTHeaderParameters, token: FlattenedJWSInput) => {
      if (header.crit !== undefined) throw new HeaderNotAllowedError('The token has a "crit" header');
      return this.getKey(issuer, { kid: header.kid, alg: header.alg }, token);
    };
  }

  /** The issuer's current key set (public, usable signing keys only), loading it when needed. */
  async getJwks(issuer: string): Promise<{ keys: JWK[] }> {
    const keySet = await this.stateOf(issuer).keySet();
    return { keys: keySet.keys.map((key) => ({ ...key.jwk })) };
  }

  /** Fetches the issuer's key set now (single-flight, ignores the cooldown). Throws a `FetchError`. */
  async refresh(issuer: string): Promise<void> {
    await this.stateOf(issuer).refresh();
  }

  /**
   * The issuer's current key set as plain JSON `{ jwks, fetchedAt, freshUntil }` (epoch ms), for a
   * serverless function to keep in its platform's key-value store and hand back to
   * {@link seedKeySet} on a cold start. No network call; `undefined` while the issuer has no keys.
   * `oct` members (an HS* issuer's secrets) are never exported.
   */
  exportKeySet(issuer: string): ExportedKeySet | undefined {
    return this.stateOf(issuer).export();
  }

  /**
   * Installs a key set exported by {@link exportKeySet}, checked exactly like a shared-store
   * entry: public signing keys only (a member with private parts or an `oct` key is dropped,
   * never used), a `fetchedAt` in the future refused, freshness capped at what this process's
   * `ttl` / `maxAgeBounds` grant from `fetchedAt` — so a tampered or old export costs no trust
   * and at most one fetch. Verifications that start while it is checked wait for it.
   * @returns what it did: `fresh` (no request needed), `stale`, `ignored` (ours is as new), `refused`.
   * @throws {UnknownIssuerError} the issuer is not configured.
   * @throws {TypeError} `exported` is not `{ jwks: { keys }, fetchedAt, freshUntil }` with finite numbers.
   */
  async seedKeySet(issuer: string, exported: ExportedKeySet): Promise<SeedOutcome> {
    return this.stateOf(issuer).seed(exported);
  }

  /**
   * Empties the imported-key cache (the default LRU, or `clear()` of a configured adapter —
   * without one, its `delete()` for the keys currently held). For tests between cases, or after
   * replacing an adapter's contents. Verified tokens and key sets are kept.
   */
  clearImportedKeys(): void {
    const current = this.directory.heldKeys().map(({ settings, key }) => ({
      key,
      algs: [...settings.algorithms].filter((alg) => keyTypeOf(alg) === key.kty),
    }));
    this.importedKeys.clear(current);
  }

  /**
   * Counters and state per issuer (configured ones, then the live issuers of the templates), per
   * template key set (by JWKS URI) and per template, of the verified-token cache and of the
   * imported keys. No network call.
   */
  stats(): JwksProviderStats {
    return collectProviderStats(this.directory, this.verifiedTokens, this.importedKeys);
  }

  /** Whether the issuer's keys are fresh, stale but still servable, or missing. No network call. */
  issuerState(issuer: string): IssuerHealth {
    return this.stateOf(issuer).health();
  }

  /** The configured issuers, in configuration order. */
  issuerIds(): string[] {
    return this.directory.configuredIssuers().map((settings) => settings.issuer);
  }

  /** Warm-up: fetches every issuer's keys at start; a failure is logged, fatal only with `failOnStartup`. */
  onApplicationBootstrap(): Promise<void> {
    return warmUpIssuers(this.directory, this.logger);
  }

  /** Stops background retries (and drops the templates' issuers). */
  onModuleDestroy(): void {
    this.directory.close();
  }

  private async jwksUriOf(settings: IssuerSettings): Promise<string> {
    if (settings.jwksUri !== undefined) return settings.jwksUri;
    const document = await this.discovery.discover(settings.issuer, settings.jwks);
    if (document.jwks_uri === undefined) {
      throw new InvalidResponseError(`The metadata of issuer ${settings.issuer} has no jwks_uri`, settings.issuer);
    }
    return document.jwks_uri;
  }

  private stateOf(issuer: string): IssuerKeyState {
    return this.directory.found(issuer).state;
  }
}
