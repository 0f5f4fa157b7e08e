import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { FetchError, JwksCacheError, StoreError, TokenRequestError, TokenUnusableError, UnknownTokenSourceError } from '../errors.js';
import { JwksCacheEvents } from '../health/jwks-cache-events.js';
import { JWKS_CACHE_CONFIG } from '../jwks-cache.module-definition.js';
import { JwksProvider } from '../jwks/jwks-provider.js';
import { OidcDiscovery } from '../jwks/oidc-discovery.js';
import { DEFAULT_MAX_TENANTS_PER_TOKEN, type JwksCacheModuleOptions, type TokenFunctionResult, type TokenSourceOptions } from '../options.js';
import { CacheStore } from '../store/cache-store.js';
import { bearerRequest, type FetchInput } from './bearer-request.js';
import { callTokenFunction } from './call-token-function.js';
import { freshnessOf, isCachedTokenEntry, readExpiresIn, readExpiry, withinLifetime, type CachedTokenEntry, type ObtainedToken } from './cached-token.js';
import { requestClientCredentialsToken } from './client-credentials-request.js';
import { RetryBackoff } from './retry-backoff.js';
import { contextTenant } from './context-tenant.js';
import {
  registeredSource,
  resolveTokenSource,
  validateRegisteredSource,
  type RegisteredTokenSource,
  type ResolvedTokenSource,
} from './token-source.js';

/** Counters of one token name, since the service started. */
export interface TokenStats {
  /** Calls answered with a cached token (in process, or adopted from the shared store). */
  served: number;
  /** Tokens obtained from the source (by callers and by background refreshes). */
  fetched: number;
  /** Background refreshes started in the refresh-ahead window. */
  refreshedAhead: number;
  /** Failed attempts to obtain a token: the request, an unusable token, or verification. */
  failures: number;
  /** Cached tokens dropped by `invalidate()` or after a 401 seen by `fetch()`. */
  invalidations: number;
  /** Tenants (the no-tenant case included) whose token state is held in process now. */
  tenants: number;
}

/** Which token `TokenCacheService.fetch()` attaches. */
export interface TokenFetchOptions {
  /** The token name. @default 'default' */
  token?: string;
  /** The tenant, for sources with per-tenant settings or tokens. @default undefined */
  tenant?: string;
}

/** The state behind one store key, shared by cache and single-flight. */
interface KeyState {
  /** The in-process copy; the hot path reads only this. Set only through `setEntry`. */
  entry: CachedTokenEntry | undefined;
  /** `entry.token` as a settled promise, created once per token rather than once per call. */
  handedOut: Promise<string> | undefined;
  /** The one request (or store read) under way for this key. */
  inflight: Promise<string> | undefined;
  backoff: RetryBackoff;
  /** The token `fetch()` last invalidated after a 401: a concurrent 401 with it invalidates nothing more. */
  invalidatedAfter401: string | undefined;
  /** The token `fetch()` obtained to retry after a 401: a 401 with it is the downstream's answer, not the token's fault. */
  retriedAfter401: string | undefined;
}

/** What `ensureToken(name, tenant)` resolves to, memoized so the hot path neither resolves nor hashes. */
interface TokenSlot {
  name: string;
  tenant: string | undefined;
  source: RegisteredTokenSource;
  resolved: ResolvedTokenSource;
  state: KeyState;
  stats: TokenCounters;
}

/** The counted part of {@link TokenStats}, one object per token name shared by its slots. */
type TokenCounters = Omit<TokenStats, 'tenants'>;

/** A token ready to be handed out, and the entry to cache when it may be cached. */
interface AcceptedToken {
  token: string;
  expiresAt: number | undefined;
  cacheable: CachedTokenEntry | undefined;
}

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
  private readonly logger = new Logger(TokenCacheService.name);
  private readonly sources = new Map<string, RegisteredTokenSource>();
  private readonly slots = new Map<string, Map<string | undefined, TokenSlot>>();
  private readonly states = new Map<string, KeyState>();
  private readonly counters = new Map<string, TokenCounters>();
  private readonly maxTenantsPerToken: number;
  private readonly warnedWithoutExpiry = new Set<string>();
  private readonly configuredIssuers: ReadonlySet<string>;
  private readonly oidcDiscovery: OidcDiscovery;

  constructor(
    @Inject(JWKS_CACHE_CONFIG) private readonly config: JwksCacheModuleOptions,
    private readonly store: CacheStore,
    private readonly events: JwksCacheEvents,
    @Optional() private readonly jwksProvider?: JwksProvider,
    @Optional() oidcDiscovery?: OidcDiscovery,
  ) {
    this.configuredIssuers = new Set((config.issuers ?? []).map((issuer) => issuer.issuer));
    this.maxTenantsPerToken = config.maxTenantsPerToken ?? DEFAULT_MAX_TENANTS_PER_TOKEN;
    // The module's instance shares its document cache with JwksProvider; without one, an own.
    this.oidcDiscovery = oidcDiscovery ?? new OidcDiscovery(config, store);
    // The module options were validated at start-up already.
    for (const [name, source] of Object.entries(config.tokens ?? {})) this.addSource(name, source);
  }

  /**
   * Adds a token source at run time, or replaces the one of that name (its per-tenant settings
   * are resolved again; a cached client-credentials token stays valid only if its settings did not
   * change; a replaced token function's tokens are dropped, in process and in the store).
   * @throws TypeError naming the option, when `source` is invalid.
   */
  register(name: string, source: TokenSourceOptions): void {
    validateRegisteredSource(name, source, this.configuredIssuers);
    const previous = this.sources.get(name);
    if (previous?.options.tokenFunction !== undefined) this.forgetTokensOf(name);
    this.addSource(name, source);
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
      return Promise.reject(error as Error);
    }
    let slot = this.slots.get(name)?.get(tenant);
    if (slot === undefined) {
      try {
        slot = this.createSlot(name, tenant);
      } catch (error) {
        return Promise.reject(error as Error);
      }
    }
    return this.serve(slot);
  }

  /**
   * Drops the cached token of `name` (and `tenant`), in process and in the store, e.g. after the
   * downstream answered 401. The next `ensureToken` obtains a new one.
   */
  async invalidate(name = 'default', tenant?: string): Promise<void> {
    await this.drop(this.slotFor(name, this.tenantFor(name, tenant)));
  }

  /**
   * `fetch` with `Authorization: Bearer <token>`. On a 401, the token is invalidated and the
   * request is sent once more with a new token; the second answer is returned as it is. At most
   * once per token: a 401 with a token obtained for such a retry is returned without invalidating. A string,
   * `URLSearchParams`, `ArrayBuffer`, typed-array, `Blob` or `FormData` body (or a `Request`
   * input) is resent; a `ReadableStream` body cannot be, so then the 401 is returned (after the
   * invalidation).
   */
  async fetch(input: FetchInput, init?: RequestInit, options: TokenFetchOptions = {}): Promise<Response> {
    const name = options.token ?? 'default';
    const tenant = this.tenantFor(name, options.tenant);
    const request = bearerRequest(input, init);
    const token = await this.ensureToken(name, tenant);
    const response = await request.send(token);
    if (response.status !== 401) return response;
    const slot = this.slotFor(name, tenant);
    const { state } = slot;
    // A token obtained to retry after a 401 and refused again is not invalidated (nor retried):
    // against a downstream that refuses every token, one extra token request in all.
    if (token === state.retriedAfter401) return response;
    await this.dropAfter401(slot, token);
    if (!request.replayable) return response;
    await response.body?.cancel();
    const retryToken = await this.ensureToken(name, tenant);
    state.retriedAfter401 = retryToken;
    return request.send(retryToken);
  }

  /** Counters per token name (copies). */
  stats(): Record<string, TokenStats> {
    return Object.fromEntries([...this.counters].map(([name, stats]) => [name, { ...stats, tenants: this.slots.get(name)?.size ?? 0 }]));
  }

  private addSource(name: string, options: TokenSourceOptions): void {
    this.sources.set(name, registeredSource(name, options, this.config.tokenDefaults));
    this.slots.delete(name); // Settings may have changed: resolve them again on the next call.
    if (!this.counters.has(name)) {
      this.counters.set(name, { served: 0, fetched: 0, refreshedAhead: 0, failures: 0, invalidations: 0 });
    }
  }

  /**
   * A token function's key names no setting (only the name or shareKey, and the tenant): replaced,
   * its tokens would keep being handed out. Drops the tokens of every tenant held in process, in
   * process and in the store, and the no-tenant entry. A load of the old function still in flight
   * ends up in an orphaned state, never in the store (see `cache`).
   */
  private forgetTokensOf(name: string): void {
    const source = this.sources.get(name)!;
    const slots = [...(this.slots.get(name)?.values() ?? [])];
    const resolved = slots.map((slot) => slot.resolved);
    if (!slots.some((slot) => slot.tenant === undefined)) resolved.push(resolveTokenSource(source, undefined));
    for (const { storeKey, shared } of resolved) {
      this.states.delete(storeKey);
      if (shared) void this.storeDelete(storeKey);
    }
  }

  /** The tenant given, else the request's for a source with `tenantFrom`. */
  private tenantFor(name: string, tenant: string | undefined): string | undefined {
    if (tenant !== undefined) return tenant;
    const tenantFrom = this.sources.get(name)?.tenantFrom;
    return tenantFrom === undefined ? undefined : contextTenant(tenantFrom, name);
  }

  private slotFor(name: string, tenant: string | undefined): TokenSlot {
    return this.slots.get(name)?.get(tenant) ?? this.createSlot(name, tenant);
  }

  private createSlot(name: string, tenant: string | undefined): TokenSlot {
    const source = this.sources.get(name);
    if (source === undefined) throw new UnknownTokenSourceError(`No token source is registered under the name "${name}"`);
    const resolved = resolveTokenSource(source, tenant);
    let state = this.states.get(resolved.storeKey);
    if (state === undefined) {
      state = {
        entry: undefined,
        handedOut: undefined,
        inflight: undefined,
        backoff: new RetryBackoff(source.retryBackoff),
        invalidatedAfter401: undefined,
        retriedAfter401: undefined,
      };
      this.states.set(resolved.storeKey, state);
    }
    const slot: TokenSlot = { name, tenant, source, resolved, state, stats: this.counters.get(name)! };
    let byTenant = this.slots.get(name);
    if (byTenant === undefined) {
      byTenant = new Map();
      this.slots.set(name, byTenant);
    }
    if (byTenant.size >= this.maxTenantsPerToken) this.dropOldestSlot(byTenant);
    byTenant.set(tenant, slot);
    return slot;
  }

  /**
   * Keeps `maxTenantsPerToken`: drops the slot created first, and its key state unless a request
   * for it is under way. Its token stays in the cache store, where the tenant finds it again.
   */
  private dropOldestSlot(byTenant: Map<string | undefined, TokenSlot>): void {
    const oldest = byTenant.entries().next().value;
    if (oldest === undefined) return;
    const [tenant, slot] = oldest;
    byTenant.delete(tenant);
    const { storeKey } = slot.resolved;
    if (this.states.get(storeKey) === slot.state && slot.state.inflight === undefined) this.states.delete(storeKey);
  }

  /**
   * Drops the key state of a slot evicted (by `maxTenantsPerToken` or `register`) while its load
   * was in flight, so that states stay bounded by the slots held plus the loads under way.
   */
  private forgetIfOrphaned(slot: TokenSlot): void {
    const { storeKey } = slot.resolved;
    if (slot.state.inflight !== undefined || this.states.get(storeKey) !== slot.state) return;
    if (this.slots.get(slot.name)?.get(slot.tenant)?.state !== slot.state) this.states.delete(storeKey);
  }

  /** The hot path: synchronous as long as the in-process copy is usable. */
  private serve(slot: TokenSlot): Promise<string> {
    const { state } = slot;
    const now = Date.now();
    const entry = state.entry;
    if (entry !== undefined) {
      const freshness = freshnessOf(entry, slot.source.window, now);
      if (freshness !== 'expired') {
        slot.stats.served += 1;
        if (freshness === 'refresh-ahead') this.refreshAhead(slot, now);
        return state.handedOut!;
      }
      setEntry(state, undefined);
    }
    if (state.inflight !== undefined) return state.inflight;
    const lastError = state.backoff.blockingError(now);
    if (lastError !== undefined) return Promise.reject(lastError);
    return this.load(slot, false);
  }

  private refreshAhead(slot: TokenSlot, now: number): void {
    const { state } = slot;
    if (state.inflight !== undefined || state.backoff.blockingError(now) !== undefined) return;
    slot.stats.refreshedAhead += 1;
    // The failure is counted, logged and emitted in requestToken; callers keep the cached token.
    this.load(slot, true).catch(() => undefined);
  }

  /** Starts the one load of this key; every caller until it settles shares it. */
  private load(slot: TokenSlot, background: boolean): Promise<string> {
    const { state } = slot;
    const inflight: Promise<string> = this.adoptStoredOrRequest(slot, background).finally(() => {
      if (state.inflight === inflight) state.inflight = undefined;
      this.forgetIfOrphaned(slot);
    });
    state.inflight = inflight;
    return inflight;
  }

  private async adoptStoredOrRequest(slot: TokenSlot, background: boolean): Promise<string> {
    return (await this.adoptStored(slot, background, false)) ?? this.requestOnceForFleet(slot, background);
  }

  private async adoptStored(slot: TokenSlot, background: boolean, skipL1: boolean): Promise<string | undefined> {
    if (!slot.resolved.shared) return undefined;
    const now = Date.now();
    const read = await this.storeGet(slot.resolved.storeKey, skipL1);
    const stored = isCachedTokenEntry(read) ? withinLifetime(read, slot.source.maxTokenLifetime, now) : undefined;
    if (stored === undefined) return undefined;
    const freshness = freshnessOf(stored, slot.source.window, now);
    // A background refresh adopts only a token another instance has refreshed already.
    if (freshness === 'fresh' || (freshness === 'refresh-ahead' && !background)) {
      setEntry(slot.state, stored);
      slot.stats.served += 1;
      return stored.token;
    }
    return undefined;
  }

  /**
   * Fleet-wide single-flight (`CacheStore.withLock`): one instance requests the token while the
   * others poll the shared store for it. Without Redis, or while it fails, every instance requests.
   */
  private async requestOnceForFleet(slot: TokenSlot, background: boolean): Promise<string> {
    if (!this.store.hasFleetLock || !slot.resolved.shared) return this.requestToken(slot, background);
    const key = slot.resolved.storeKey;
    const lockTtl = FLEET_TOKEN_LOCK_TTL_MS;
    const outcome = await this.store.withLock(key, async () => (await this.adoptStored(slot, background, true)) ?? this.requestToken(slot, background), { ttl: lockTtl });
    if (outcome.acquired) return outcome.result;
    const published = await this.store.waitFor<unknown>(key, {
      timeout: lockTtl,
      until: (entry) => isCachedTokenEntry(entry) && freshnessOf(entry, slot.source.window, Date.now()) === 'fresh',
    });
    return (published === undefined ? undefined : await this.adoptStored(slot, background, false)) ?? this.requestToken(slot, background);
  }

  private async requestToken(slot: TokenSlot, background: boolean): Promise<string> {
    const startedAt = Date.now();
    let accepted: AcceptedToken;
    try {
      accepted = await this.accept(slot, await this.obtainFromSource(slot), startedAt);
    } catch (error) {
      throw this.recordFailure(slot, toTokenError(error, slot), background);
    }
    slot.state.backoff.recordSuccess();
    slot.stats.fetched += 1;
    const expiresInMs = accepted.expiresAt === undefined ? undefined : accepted.expiresAt - Date.now();
    this.events.emit('token.fetched', { name: slot.name, tenant: slot.tenant, expiresInMs, background });
    if (accepted.cacheable !== undefined) await this.cache(slot, accepted.cacheable);
    return accepted.token;
  }

  private async obtainFromSource(slot: TokenSlot): Promise<ObtainedToken> {
    const { resolved, name, tenant } = slot;
    if (resolved.kind === 'tokenFunction') {
      return obtainedFromFunction(await callTokenFunction(resolved.tokenFunction, { name, tenant }, resolved.timeout), name);
    }
    const { credentials } = resolved;
    const tokenEndpoint = credentials.tokenEndpoint ?? (await this.discoverTokenEndpoint(credentials.issuer!, name));
    return requestClientCredentialsToken({ tokenName: name, tokenEndpoint, credentials });
  }

  private async discoverTokenEndpoint(issuer: string, name: string): Promise<string> {
    let endpoint: string | undefined;
    try {
      endpoint = (await this.oidcDiscovery.discover(issuer)).token_endpoint;
    } catch (error) {
      // Discovery errors name the issuer's URL and the HTTP status; no credential was sent.
      const status = error instanceof FetchError ? error.status : undefined;
      throw new TokenRequestError(`Discovery of the token endpoint of ${issuer} for "${name}" failed`, name, { cause: error, status });
    }
    if (endpoint === undefined) {
      throw new TokenRequestError(`The discovery document of ${issuer} names no token_endpoint (needed for "${name}")`, name);
    }
    return endpoint;
  }

  /** Reads the expiry, applies `rejectUnparsable` and `verify`, and decides whether to cache. */
  private async accept(slot: TokenSlot, obtained: ObtainedToken, startedAt: number): Promise<AcceptedToken> {
    const { source, name } = slot;
    const expiresAt = readExpiry(obtained, startedAt, source.maxTokenLifetime);
    if (expiresAt === undefined && source.rejectUnparsable) {
      throw new TokenUnusableError(`The token obtained for "${name}" has no readable expiry (no JWT exp, no expires_in)`, name);
    }
    if (source.verifyIssuer !== undefined) await this.verify(obtained.token, source.verifyIssuer, name);
    if (expiresAt === undefined) {
      this.warnWithoutExpiryOnce(name);
      return { token: obtained.token, expiresAt, cacheable: undefined };
    }
    const entry: CachedTokenEntry = { token: obtained.token, expiresAt, obtainedAt: Date.now() };
    // A token with less than `leeway` left is handed out to the waiting callers, not cached.
    const cacheable = freshnessOf(entry, source.window, entry.obtainedAt) === 'expired' ? undefined : entry;
    return { token: obtained.token, expiresAt, cacheable };
  }

  private async verify(token: string, issuer: string, name: string): Promise<void> {
    if (this.jwksProvider === undefined) {
      throw new TokenUnusableError(`The token obtained for "${name}" cannot be verified: JwksProvider is not available`, name);
    }
    try {
      await this.jwksProvider.verify(token, { issuer });
    } catch (error) {
      // Only the stable code is kept: the original error could carry the token's claims.
      const code = error instanceof JwksCacheError ? ` (${error.code})` : '';
      throw new TokenUnusableError(`The token obtained for "${name}" failed verification against ${issuer}${code}`, name);
    }
  }

  private async cache(slot: TokenSlot, entry: CachedTokenEntry): Promise<void> {
    setEntry(slot.state, entry);
    // Its source was replaced by `register()` meanwhile: the token goes to its callers only.
    if (this.states.get(slot.resolved.storeKey) !== slot.state && this.sources.get(slot.name) !== slot.source) return;
    // The store never keeps a token past the point where it stops being handed out.
    const ttl = entry.expiresAt - slot.source.window.leeway - Date.now();
    if (ttl > 0 && slot.resolved.shared) await this.storeSet(slot.resolved.storeKey, entry, ttl);
  }

  private recordFailure(slot: TokenSlot, error: TokenRequestError, background: boolean): TokenRequestError {
    slot.state.backoff.recordFailure(error, Date.now());
    slot.stats.failures += 1;
    this.events.emit('token.failed', { name: slot.name, tenant: slot.tenant, error });
    const context = background ? 'Background refresh (the cached token is served meanwhile): ' : '';
    this.logger.warn(`${context}${error.message}${describeTenant(slot.tenant)}`);
    return error;
  }

  private warnWithoutExpiryOnce(name: string): void {
    if (this.warnedWithoutExpiry.has(name)) return;
    this.warnedWithoutExpiry.add(name);
    this.logger.warn(
      `The token obtained for "${name}" has no readable expiry (no JWT exp, no expires_in): it is handed out but never cached. ` +
        'Set rejectUnparsable to refuse such tokens.',
    );
  }

  private async drop(slot: TokenSlot): Promise<void> {
    setEntry(slot.state, undefined);
    slot.stats.invalidations += 1;
    if (slot.resolved.shared) await this.storeDelete(slot.resolved.storeKey);
  }

  /**
   * After a 401: drop the token, once per token, unless a concurrent caller has replaced or
   * dropped it already (which would delete the fleet's shared entry once more per caller).
   */
  private async dropAfter401(slot: TokenSlot, rejectedToken: string): Promise<void> {
    const { state } = slot;
    if (state.invalidatedAfter401 === rejectedToken) return;
    if (state.entry !== undefined && state.entry.token !== rejectedToken) return;
    state.invalidatedAfter401 = rejectedToken;
    await this.drop(slot);
  }

  // A failing store is a miss: tokens still flow, from the source.
  private async storeGet(key: string, skipL1 = false): Promise<unknown> {
    try {
      return await this.store.get<unknown>(key, { skipL1 });
    } catch (error) {
      this.storeFailed('get', error);
      return undefined;
    }
  }

  private async storeSet(key: string, entry: CachedTokenEntry, ttl: number): Promise<void> {
    try {
      await this.store.set(key, entry, ttl);
    } catch (error) {
      this.storeFailed('set', error);
    }
  }

  private async storeDelete(key: string): Promise<void> {
    try {
      await this.store.delete(key);
    } catch (error) {
      this.storeFailed('delete', error);
    }
  }

  private storeFailed(operation: 'get' | 'set' | 'delete', error: unknown): void {
    const storeError = error instanceof StoreError ? error : new StoreError(`Token store ${operation} failed`);
    this.events.emit('store.error', { operation, error: storeError });
    this.logger.warn(`${storeError.message}; treated as a miss`);
  }
}

/** How long one instance may hold the fleet-wide lock of a token (a token request takes ≤ 5 s by default). */
const FLEET_TOKEN_LOCK_TTL_MS = 10_000;

function setEntry(state: KeyState, entry: CachedTokenEntry | undefined): void {
  state.entry = entry;
  state.handedOut = entry === undefined ? undefined : Promise.resolve(entry.token);
}

function obtainedFromFunction(result: TokenFunctionResult, name: string): ObtainedToken {
  if (typeof result === 'string' && result.length > 0) return { token: result };
  if (result !== null && typeof result === 'object' && typeof result.access_token === 'string' && result.access_token.length > 0) {
    return { token: result.access_token, expiresIn: readExpiresIn(result.expires_in) };
  }
  throw new TokenUnusableError(`The token function of "${name}" returned no token (a string or { access_token })`, name);
}

/**
 * Every failure as a `TokenRequestError`. A token function's own error is kept as `cause`: it is
 * the application's error, which this library cannot inspect for secrets. Anything else unexpected
 * is reported without its cause, which could hold request details.
 */
function toTokenError(error: unknown, slot: TokenSlot): TokenRequestError {
  if (error instanceof TokenRequestError) return error;
  if (slot.resolved.kind === 'tokenFunction') {
    return new TokenRequestError(`The token function of "${slot.name}" failed`, slot.name, { cause: error });
  }
  return new TokenRequestError(`Obtaining the token for "${slot.name}" failed`, slot.name);
}

function describeTenant(tenant: string | undefined): string {
  return tenant === undefined ? '' : ` (tenant ${JSON.stringify(tenant)})`;
}
