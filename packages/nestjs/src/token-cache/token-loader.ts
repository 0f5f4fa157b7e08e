import { Logger } from '@nestjs/common';
import { FetchError, JwksCacheError, TokenRequestError, TokenUnusableError } from '../errors.js';
import type { TokenFunctionResult } from '../config/options.js';
import type { OidcDiscovery } from '../discovery/oidc-discovery.js';
import { clock } from '../internal/clock.js';
import { SingleFlight } from '../internal/single-flight.js';
import type { JwksProvider } from '../jwks/jwks-provider.js';
import type { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import type { CacheStore } from '../store/cache-store.js';
import { onceForFleet } from '../store/fleet-single-flight.js';
import {
  freshnessOf,
  isCachedTokenEntry,
  readExpiresIn,
  readExpiry,
  withinLifetime,
  type CachedTokenEntry,
  type ObtainedToken,
} from './cached-token.js';
import { callTokenFunction } from './call-token-function.js';
import { requestClientCredentialsToken, tokenRequestTimeout } from './client-credentials-request.js';
import type { TokenRegistry } from './token-registry.js';
import { setEntry, type KeyState, type TokenSlot } from './token-slot.js';

/** A token ready to be handed out, and the entry to cache when it may be cached. */
interface AcceptedToken {
  token: string;
  expiresAt: number | undefined;
  cacheable: CachedTokenEntry | undefined;
}

/**
 * Obtains the token of a slot and keeps it: the in-process copy first, then the shared store,
 * then the source (one request per key, for the process and, with Redis, for the fleet), with
 * refresh-ahead, the backoff of consecutive failures, `rejectUnparsable` and `verify`. Store
 * faults are misses; no error or log line holds a secret or a token.
 */
export class TokenLoader {
  private readonly logger = new Logger('TokenCacheService');
  private readonly warnedWithoutExpiry = new Set<string>();
  /** The one request (or store read) under way per key state: its callers share it. */
  private readonly loads = new SingleFlight<KeyState, string>();

  constructor(
    private readonly registry: TokenRegistry,
    private readonly store: CacheStore,
    private readonly events: JwksCacheEvents,
    private readonly discovery: OidcDiscovery,
    private readonly jwksProvider: JwksProvider,
  ) {}

  /** Whether a load of `state` is under way. */
  isLoading(state: KeyState): boolean {
    return this.loads.current(state) !== undefined;
  }

  /** The hot path: synchronous as long as the in-process copy is usable. */
  serve(slot: TokenSlot): Promise<string> {
    const { state } = slot;
    const now = clock.now();
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
    const running = this.loads.current(state);
    if (running !== undefined) return running;
    const lastError = state.backoff.blockingError(now);
    if (lastError !== undefined) return Promise.reject(lastError);
    return this.load(slot, false);
  }

  private refreshAhead(slot: TokenSlot, now: number): void {
    const { state } = slot;
    if (this.loads.current(state) !== undefined || state.backoff.blockingError(now) !== undefined) return;
    slot.stats.refreshedAhead += 1;
    // The failure is counted, logged and emitted in requestToken; callers keep the cached token.
    this.load(slot, true).catch(() => undefined);
  }

  /** Starts the one load of this key; every caller until it settles shares it. */
  private load(slot: TokenSlot, background: boolean): Promise<string> {
    const running = this.loads.run(slot.state, () => this.adoptStoredOrRequest(slot, background));
    return running.finally(() => this.registry.forgetIfOrphaned(slot));
  }

  private async adoptStoredOrRequest(slot: TokenSlot, background: boolean): Promise<string> {
    return (await this.adoptStored(slot, background, false)) ?? this.requestOnceForFleet(slot, background);
  }

  private async adoptStored(slot: TokenSlot, background: boolean, skipL1: boolean): Promise<string | undefined> {
    if (!slot.resolved.shared) return undefined;
    const now = clock.now();
    const read = await this.store.get<unknown>(slot.resolved.storeKey, { skipL1 });
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

  /** One token request for the instances sharing the store (`onceForFleet`); alone without Redis, or while it fails. */
  private requestOnceForFleet(slot: TokenSlot, background: boolean): Promise<string> {
    return onceForFleet(this.store, {
      key: slot.resolved.storeKey,
      shared: slot.resolved.shared,
      lockTtl: fleetLockTtl(slot),
      adopt: (skipL1) => this.adoptStored(slot, background, skipL1),
      work: () => this.requestToken(slot, background),
      awaited: () => (entry) =>
        isCachedTokenEntry(entry) && freshnessOf(entry, slot.source.window, clock.now()) === 'fresh',
    });
  }

  private async requestToken(slot: TokenSlot, background: boolean): Promise<string> {
    const startedAt = clock.now();
    let accepted: AcceptedToken;
    try {
      accepted = await this.accept(slot, await this.obtainFromSource(slot), startedAt);
    } catch (error) {
      throw this.recordFailure(slot, toTokenError(error, slot), background);
    }
    slot.state.backoff.recordSuccess();
    slot.stats.fetched += 1;
    const expiresInMs = accepted.expiresAt === undefined ? undefined : accepted.expiresAt - clock.now();
    this.events.emit('token.fetched', { name: slot.name, tenant: slot.tenant, expiresInMs, background });
    if (accepted.cacheable !== undefined) await this.cache(slot, accepted.cacheable);
    return accepted.token;
  }

  private async obtainFromSource(slot: TokenSlot): Promise<ObtainedToken> {
    const { resolved, name, tenant } = slot;
    if (resolved.kind === 'tokenFunction') {
      return obtainedFromFunction(
        await callTokenFunction(resolved.tokenFunction, { name, tenant }, resolved.timeout),
        name,
      );
    }
    const { credentials } = resolved;
    const tokenEndpoint = credentials.tokenEndpoint ?? (await this.discoverTokenEndpoint(credentials.issuer!, name));
    return requestClientCredentialsToken({ tokenName: name, tokenEndpoint, credentials, dpop: slot.source.dpop });
  }

  private async discoverTokenEndpoint(issuer: string, name: string): Promise<string> {
    let endpoint: string | undefined;
    try {
      endpoint = (await this.discovery.discover(issuer)).token_endpoint;
    } catch (error) {
      // Discovery errors name the issuer's URL and the HTTP status; no credential was sent.
      const status = error instanceof FetchError ? error.status : undefined;
      throw new TokenRequestError(`Discovery of the token endpoint of ${issuer} for "${name}" failed`, name, {
        cause: error,
        status,
      });
    }
    if (endpoint === undefined) {
      throw new TokenRequestError(
        `The discovery document of ${issuer} names no token_endpoint (needed for "${name}")`,
        name,
      );
    }
    return endpoint;
  }

  /** Reads the expiry, applies `rejectUnparsable` and `verify`, and decides whether to cache. */
  private async accept(slot: TokenSlot, obtained: ObtainedToken, startedAt: number): Promise<AcceptedToken> {
    const { source, name } = slot;
    const expiresAt = readExpiry(obtained, startedAt, source.maxTokenLifetime);
    if (expiresAt === undefined && source.rejectUnparsable) {
      throw new TokenUnusableError(
        `The token obtained for "${name}" has no readable expiry (no JWT exp, no expires_in)`,
        name,
      );
    }
    if (source.verifyIssuer !== undefined) await this.verify(obtained.token, source.verifyIssuer, name);
    if (expiresAt === undefined) {
      this.warnWithoutExpiryOnce(name);
      return { token: obtained.token, expiresAt, cacheable: undefined };
    }
    const entry: CachedTokenEntry = { token: obtained.token, expiresAt, obtainedAt: clock.now() };
    // A token with less than `leeway` left is handed out to the waiting callers, not cached.
    const cacheable = freshnessOf(entry, source.window, entry.obtainedAt) === 'expired' ? undefined : entry;
    return { token: obtained.token, expiresAt, cacheable };
  }

  private async verify(token: string, issuer: string, name: string): Promise<void> {
    try {
      await this.jwksProvider.verify(token, { issuer });
    } catch (error) {
      // Only the stable code is kept: the original error could carry the token's claims.
      const code = error instanceof JwksCacheError ? ` (${error.code})` : '';
      throw new TokenUnusableError(
        `The token obtained for "${name}" failed verification against ${issuer}${code}`,
        name,
      );
    }
  }

  private async cache(slot: TokenSlot, entry: CachedTokenEntry): Promise<void> {
    setEntry(slot.state, entry);
    // Its source was replaced by `register()` meanwhile: the token goes to its callers only.
    if (!this.registry.isCurrent(slot)) return;
    // The store never keeps a token past the point where it stops being handed out.
    const ttl = entry.expiresAt - slot.source.window.leeway - clock.now();
    if (ttl > 0 && slot.resolved.shared) await this.store.set(slot.resolved.storeKey, entry, ttl);
  }

  private recordFailure(slot: TokenSlot, error: TokenRequestError, background: boolean): TokenRequestError {
    slot.state.backoff.recordFailure(error, clock.now());
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

  async drop(slot: TokenSlot): Promise<void> {
    setEntry(slot.state, undefined);
    slot.stats.invalidations += 1;
    if (slot.resolved.shared) await this.store.delete(slot.resolved.storeKey);
  }
}

/**
 * How long one instance may hold the fleet-wide lock of a token, and the others wait for it:
 * twice what one request may take (a client-credentials request may be sent twice, on a DPoP
 * nonce challenge). A fixed TTL would expire under a slow, still-running request, and every peer
 * would then request too.
 */
function fleetLockTtl(slot: TokenSlot): number {
  const { resolved } = slot;
  return 2 * (resolved.kind === 'tokenFunction' ? resolved.timeout : tokenRequestTimeout(resolved.credentials));
}

function obtainedFromFunction(result: TokenFunctionResult, name: string): ObtainedToken {
  if (typeof result === 'string' && result.length > 0) return { token: result };
  if (
    result !== null &&
    typeof result === 'object' &&
    typeof result.access_token === 'string' &&
    result.access_token.length > 0
  ) {
    return { token: result.access_token, expiresIn: readExpiresIn(result.expires_in) };
  }
  throw new TokenUnusableError(
    `The token function of "${name}" returned no token (a string or { access_token })`,
    name,
  );
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
