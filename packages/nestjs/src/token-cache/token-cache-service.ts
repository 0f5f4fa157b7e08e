import { Inject, Injectable } from '@nestjs/common';
import { JWKS_CACHE_CONFIG } from '../jwks-cache.module-definition.js';
import { resolveConfig } from '../config/resolve-config.js';
import type { JwksCacheModuleOptions, TokenSourceOptions } from '../config/options.js';
import { OidcDiscovery } from '../discovery/oidc-discovery.js';
import { JwksProvider } from '../jwks/jwks-provider.js';
import { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import { CacheStore } from '../store/cache-store.js';
import {
  authorizedFetch,
  invalidateRejected,
  type TokenAccess,
  type TokenFetchOptions,
  tokenForRetry,
} from './authorized-fetch.js';
import type { FetchInput } from './bearer-request.js';
import { TokenLoader } from './token-loader.js';
import { TokenRegistry } from './token-registry.js';
import type { TokenStats } from './token-slot.js';
import { validateRegisteredSource } from './token-source.js';
import { contextTenant } from './context-tenant.js';
import { UnknownTokenSourceError } from '../errors.js';

export type { TokenFetchOptions } from './authorized-fetch.js';
export type { TokenStats } from './token-slot.js';

/**
 * Outbound service-to-service access tokens (OAuth 2.0 client credentials, or any token
 * function), cached per token name and tenant until shortly before they expire.
 *
 * - A cached token is handed out while it has more than `leeway` left; in the last
 *   `refreshAhead` before that, callers get it at once and one background refresh starts.
 * - Concurrent callers of one name + tenant (+ settings) share one token request.
 * - Failures are never cached; a still-valid token keeps being served while a refresh fails;
 *   repeated failures back off (1 s, 2 s, … 60 s, ±20 %), and within that window a caller with no
 *   usable token gets the last error at once.
 * - Errors are {@link TokenRequestError}s (HTTP `status`, OAuth `error`); none ever holds the
 *   client secret or a token, nor does any log line.
 */
@Injectable()
export class TokenCacheService {
  private readonly registry: TokenRegistry;
  private readonly loader: TokenLoader;
  private readonly configuredIssuers: ReadonlySet<string>;

  constructor(
    @Inject(JWKS_CACHE_CONFIG) config: JwksCacheModuleOptions,
    private readonly store: CacheStore,
    events: JwksCacheEvents,
    jwksProvider: JwksProvider,
    oidcDiscovery: OidcDiscovery,
  ) {
    const resolved = resolveConfig(config);
    this.configuredIssuers = new Set(resolved.issuers.map((issuer) => issuer.issuer));
    this.registry = new TokenRegistry(
      resolved.tokenDefaults,
      resolved.maxTenantsPerToken,
      (state) => this.loader.isLoading(state),
      config.encryptionKey !== undefined,
    );
    // The module's OidcDiscovery: one document cache with JwksProvider.
    this.loader = new TokenLoader(this.registry, store, events, oidcDiscovery, jwksProvider);
    // The module options were validated at start-up already.
    for (const [name, source] of Object.entries(config.tokens ?? {})) this.registry.add(name, source);
  }

  /**
   * Adds a token source at run time, or replaces the one of that name (its per-tenant settings
   * are resolved again; a cached client-credentials token stays valid only if its settings did not
   * change; a replaced token function's tokens are dropped, in process and in the store).
   * @throws TypeError naming the option, when `source` is invalid.
   */
  register(name: string, source: TokenSourceOptions): void {
    validateRegisteredSource(name, source, this.configuredIssuers);
    const previous = this.registry.sourceOf(name);
    if (previous?.options.tokenFunction !== undefined)
      for (const storeKey of this.registry.forgetTokensOf(name)) void this.store.delete(storeKey);
    this.registry.add(name, source);
  }

  /**
   * A valid access token for `name` (and `tenant`): the cached one while it has more than
   * `leeway` left, else a new one (one request for all concurrent callers).
   * @param name the token source. @default 'default'
   * @param tenant passed to per-tenant settings and token functions; each tenant has its own token.
   *   Without one, a source with `tenantFrom` takes it from the request being served.
   * @throws UnknownTokenSourceError when no source is registered under `name`.
   * @throws JwtContextMissingError for a source with `tenantFrom`, called without a tenant outside a guarded request.
   * @throws TokenRequestError when no usable token could be obtained (`TokenUnusableError` for
   *   a token that failed `verify` or, with `rejectUnparsable`, has no readable expiry).
   */
  ensureToken(name = 'default', tenant?: string): Promise<string> {
    try {
      tenant = this.tenantFor(name, tenant);
    } catch (error) {
      return Promise.reject(error);
    }
    let slot = this.registry.held(name, tenant);
    if (slot === undefined) {
      try {
        slot = this.registry.slotFor(name, tenant);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.loader.serve(slot);
  }

  /**
   * Drops the cached token of `name` (and `tenant`), in process and in the store, e.g. after the
   * downstream answered 401. The next `ensureToken` obtains a new one.
   */
  async invalidate(name = 'default', tenant?: string): Promise<void> {
    await this.loader.drop(this.registry.slotFor(name, this.tenantFor(name, tenant)));
  }

  /**
   * `fetch` with `Authorization: Bearer <token>`. On a 401, the token is invalidated and the
   * request is sent once more with a new token; the second answer is returned as it is. At most
   * once per token: a 401 with a token obtained for such a retry is returned without invalidating. A string,
   * `URLSearchParams`, `ArrayBuffer`, typed-array, `Blob` or `FormData` body (or a `Request`
   * input) is resent; a `ReadableStream` body cannot be, so then the 401 is returned (after the
   * invalidation).
   */
  fetch(input: FetchInput, init?: RequestInit, options: TokenFetchOptions = {}): Promise<Response> {
    let tenant: string | undefined;
    try {
      tenant = this.tenantFor(options.token ?? 'default', options.tenant);
    } catch (error) {
      return Promise.reject(error);
    }
    return authorizedFetch(this.access(), input, init, { ...options, tenant });
  }

  /**
   * The retry step of {@link fetch}, for transports other than HTTP (`withToken` of
   * `@jwks-cache/nestjs/microservices` uses it): after the downstream refused `rejected` as
   * unauthenticated, invalidates it (once per token, as `fetch()` does after a 401) and resolves
   * to a new token to resend with once. Resolves to `undefined`, invalidating nothing, when
   * `rejected` was itself obtained by such a retry: pass that second refusal on unchanged.
   * @param options the token name (default `'default'`) and tenant `rejected` was obtained for.
   * @throws TokenRequestError when no new token could be obtained.
   */
  async tokenAfterRejection(rejected: string, options: TokenFetchOptions = {}): Promise<string | undefined> {
    const name = options.token ?? 'default';
    const access = this.access();
    const slot = access.slotFor(name, this.tenantFor(name, options.tenant));
    if (!(await invalidateRejected(access, slot, rejected))) return undefined;
    return tokenForRetry(access, slot);
  }

  /** What the authorized fetch and its retry step need from this service. */
  private access(): TokenAccess {
    return {
      ensureToken: (name, tenant) => this.ensureToken(name, tenant),
      slotFor: (name, tenant) => this.registry.slotFor(name, tenant),
      drop: (slot) => this.loader.drop(slot),
      dpopSigner: (name) => this.registry.sourceOf(name)?.dpop,
    };
  }

  /**
   * A DPoP proof (RFC 9449) for a request made with the token of `name` (and `tenant`), for
   * callers that do not use {@link fetch}: send it in the `DPoP` header, with
   * `Authorization: DPoP <ensureToken(name, tenant)>`. A new proof (new `jti`) per call; it names
   * `method` and `url`, the hash of the current token (`ath`), and the origin's last `DPoP-Nonce`.
   * @throws UnknownTokenSourceError; TypeError when the source has no `dpop`.
   */
  async dpopProof(name: string, target: { method: string; url: string; tenant?: string }): Promise<string> {
    const source = this.registry.sourceOf(name);
    if (source === undefined)
      throw new UnknownTokenSourceError(`No token source is registered under the name "${name}"`);
    if (source.dpop === undefined)
      throw new TypeError(`Token source "${name}" has no dpop option: its tokens are Bearer tokens`);
    const accessToken = await this.ensureToken(name, target.tenant);
    return source.dpop.proof({ method: target.method, url: target.url, accessToken });
  }

  /** Counters per token name (copies). */
  stats(): Record<string, TokenStats> {
    return this.registry.stats();
  }

  /** The tenant given, else the request's for a source with `tenantFrom`. */
  private tenantFor(name: string, tenant: string | undefined): string | undefined {
    if (tenant !== undefined) return tenant;
    const tenantFrom = this.registry.sourceOf(name)?.tenantFrom;
    return tenantFrom === undefined ? undefined : contextTenant(tenantFrom, name);
  }
}
