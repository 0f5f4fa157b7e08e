import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { jwtVerify, type FlattenedJWSInput, type JWK, type JWTHeaderParameters, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import {
  HeaderNotAllowedError,
  InvalidResponseError,
  JwksCacheError,
  TokenMalformedError,
  TokenTooLargeError,
  UnknownIssuerError,
} from '../errors.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import { JWKS_CACHE_CONFIG } from '../jwks-cache.module-definition.js';
import { resolveConfig } from '../config/resolve-config.js';
import { type JwksCacheModuleOptions, type JwtClaimsPayload, type TenantParams, type VerifyOverrides } from '../config/options.js';
import { CacheStore } from '../store/cache-store.js';
import { ImportedKeyCache, type VerificationKey } from './imported-key-cache.js';
import { IssuerKeyState, type IssuerHealth, type IssuerKeyStats, type SeedOutcome } from './issuer-key-state.js';
import type { IssuerSettings } from './issuer-settings.js';
import { decodeCompactJws } from './compact-jws.js';
import { DynamicIssuers, type DynamicIssuer, type DynamicIssuerStats, type IssuerTemplateStats } from './dynamic-issuers.js';
import { isIssuerTemplate } from './issuer-template.js';
import { KeySetsByUri, type KeySetStats } from './key-sets-by-uri.js';
import { freezeResult } from './frozen-result.js';
import { buildVerifyOptions, effectiveVerifySettings, profileOf } from './jose-verify-options.js';
import { checkAlgorithm, checkNumericDates } from './token-checks.js';
import { toTokenError } from './jose-error-mapping.js';
import { firstVerifyingCandidate, keyForToken, keyTypeOf, selectKeys, type CandidateImporter, type KeyQuery } from './key-selection.js';
import type { UsableKey } from './key-set.js';
import { OidcDiscovery } from '../discovery/oidc-discovery.js';
import { assertNarrowing, InvalidVerifyOverridesError } from './verify-overrides.js';
import type { ExportedKeySet } from './stored-key-set.js';
import type { VerifiedToken } from './verified-token.js';

export type { VerifiedToken } from './verified-token.js';
export type { IssuerHealth, IssuerKeyStats, SeedOutcome } from './issuer-key-state.js';
export type { DynamicIssuerStats, IssuerTemplateStats } from './dynamic-issuers.js';
export type { KeySetStats } from './key-sets-by-uri.js';

/** What `JwksProvider.stats()` reports. */
export interface JwksProviderStats {
  /**
   * Per configured issuer, and per live issuer of an issuer template (with its `template`,
   * `params` and `jwksUri`; its counters are those of its key set, shared by JWKS URI).
   */
  issuers: Record<string, IssuerKeyStats | DynamicIssuerStats>;
  /** The issuer templates' key sets, by JWKS URI, with the live issuers using each. */
  keySets: Record<string, KeySetStats>;
  /** Per issuer template (as configured): live issuers and the counters of its bounds. */
  templates: Record<string, IssuerTemplateStats>;
  verifiedTokens: { size: number; hits: number; misses: number };
  /** Entries of the imported-key cache (`0` with `importedKeyCache: false`, an adapter's own `size` else `0`). */
  importedKeys: { size: number };
}

/** A token decoded (not verified) far enough to pick its issuer and key. */
interface DecodedToken {
  /** A configured issuer's settings, or the issuer template's that matched. */
  settings: IssuerSettings;
  alg: string;
  query: KeyQuery;
  /** Set when an issuer template matched `iss`: the issuer is made (or found) only after every check of `decode`. */
  dynamic?: { template: DynamicIssuers; iss: string; params: TenantParams };
}

/** An issuer found by its `iss`: a configured one (no params), or a live one of a template. */
interface FoundIssuer {
  settings: IssuerSettings;
  state: IssuerKeyState;
  dynamic?: DynamicIssuer;
}

const NO_KEYS: readonly UsableKey[] = [];
const NO_PARAMS: TenantParams = Object.freeze({});

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
  private readonly issuers = new Map<string, IssuerSettings>();
  private readonly states = new Map<string, IssuerKeyState>();
  /** The issuer templates, in configuration order (tried after the configured issuers). */
  private readonly templates: DynamicIssuers[] = [];
  /** The templates' key sets, shared by JWKS URI. */
  private readonly keySets: KeySetsByUri;
  /** jose options per issuer and alg, for calls without overrides: built once, not per token. */
  private readonly verifyOptions = new Map<string, Map<string, JWTVerifyOptions>>();
  private readonly importedKeys: ImportedKeyCache;
  /** One importer per alg, made once rather than per token. */
  private readonly importers = new Map<string, CandidateImporter>();
  private readonly verifiedTokens: VerifiedTokenCache;
  /** The size check before parsing: the largest limit of any issuer (each is applied after `iss` is known). */
  private readonly maxTokenBytes: number;
  /** Overrides objects already checked against an issuer (a route's are the same object on every request). */
  private readonly narrowingChecked = new WeakMap<VerifyOverrides, Set<string>>();
  /** The verified-token cache's trust check: a query of the key set (a configured issuer's, or a live template issuer's), with no effect on it. */
  private readonly isTrusted = (issuer: string, thumbprint: string): boolean =>
    this.keyStateOf(issuer)?.trusts(thumbprint) === true;

  constructor(
    @Inject(JWKS_CACHE_CONFIG) options: JwksCacheModuleOptions,
    store: CacheStore,
    events: JwksCacheEvents,
    private readonly discovery: OidcDiscovery,
  ) {
    const config = resolveConfig(options);
    this.importedKeys = new ImportedKeyCache(config.jwks.importedKeyCacheSize, options.jwks?.importedKeyCache);
    this.verifiedTokens = new VerifiedTokenCache(config.verify.verifiedTokenCacheSize);
    this.keySets = new KeySetsByUri(store, events);
    const templateDependencies = {
      keySets: this.keySets,
      events,
      discoverJwksUri: (settings: IssuerSettings) => this.jwksUriOf(settings),
      forgetDiscovery: (issuer: string) => this.discovery.forget(issuer),
    };
    config.issuers.forEach((settings, i) => {
      const configured = options.issuers![i]!;
      if (isIssuerTemplate(settings.issuer)) {
        this.templates.push(new DynamicIssuers(configured, settings, templateDependencies));
        return;
      }
      this.issuers.set(settings.issuer, settings);
      const state = new IssuerKeyState(settings, { store, events, jwksUri: () => this.jwksUriOf(settings) });
      this.states.set(settings.issuer, state);
      const seed = configured.seed;
      if (seed !== undefined) this.applyConfiguredSeed(state, settings.issuer, seed);
    });
    const topLevelLimit = config.verify.maxTokenBytes;
    const allSettings = [...this.issuers.values(), ...this.templates.map((template) => template.settings)];
    this.maxTokenBytes = Math.max(topLevelLimit, ...allSettings.map((settings) => settings.verify.maxTokenBytes));
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
    // Not async: the synchronous checks and a verified-token cache hit cost no extra promise hop.
    try {
      this.checkSize(token, this.maxTokenBytes);
      const cacheKey = this.verifiedTokens.enabled ? this.verifiedTokens.keyOf(token, profileOf(overrides)) : undefined;
      return this.verifyKeyed(token, overrides, cacheKey);
    } catch (error) {
      return Promise.reject(error instanceof InvalidVerifyOverridesError ? error : toTokenError(error));
    }
  }

  /**
   * Throws a `TypeError` (`InvalidVerifyOverridesError`) unless `overrides` only narrow every
   * issuer they can apply to (the one they name, else every configured issuer): an audience
   * within the issuer's, a `typ` only where the issuer sets none, a smaller clock tolerance, a
   * shorter `maxTokenAge`, a subset of the algorithms. `@JwtVerify`'s are checked at start.
   * @param where who gave them, for the message (e.g. `@JwtVerify() on OrdersController.list`).
   */
  checkOverrides(overrides: VerifyOverrides, where = 'verify() overrides'): void {
    const named = overrides?.issuer;
    const template = named === undefined || this.issuers.has(named) ? undefined : this.templates.find((candidate) => typeof named === 'string' && candidate.match(named) !== undefined);
    if (named !== undefined && !this.issuers.has(named) && template === undefined) throw new InvalidVerifyOverridesError(`${where}: issuer ${String(named)} is not configured`);
    const applicable = named === undefined
      ? [...this.issuers.values(), ...this.templates.map((candidate) => candidate.settings)]
      : [template?.settings ?? this.issuers.get(named)!];
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
    if (!this.verifiedTokens.enabled || typeof token !== 'string' || token.length > this.maxTokenBytes) return undefined;
    const cacheKey = this.verifiedTokens.keyOf(token, profileOf(overrides));
    const cached = this.verifiedTokens.lookup(cacheKey, this.isTrusted, false);
    if (cached === undefined) return cacheKey;
    this.keyStateOf(cached.issuer)?.servedFromCache();
    return cached;
  }

  /**
   * {@link verify}, for a token {@link lookupVerified} has just missed: `cacheKey` is the key it
   * returned for this very token and these overrides (it is looked up again, not trusted blindly:
   * a wrong key could only cost a miss, and a hit under it needs the same digest).
   */
  verifyMissed(token: string, overrides: VerifyOverrides | undefined, cacheKey: string): Promise<VerifiedToken> {
    try {
      this.checkSize(token, this.maxTokenBytes);
      return this.verifyKeyed(token, overrides, cacheKey);
    } catch (error) {
      return Promise.reject(error instanceof InvalidVerifyOverridesError ? error : toTokenError(error));
    }
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
  async getKey(issuer: string, header: { kid?: string; alg: string }, token?: string | FlattenedJWSInput): Promise<VerificationKey> {
    const { settings, state } = this.found(issuer);
    checkAlgorithm(header.alg, settings, undefined);
    const query = { kid: header.kid, alg: header.alg };
    const candidates = await state.keysFor(query);
    return keyForToken(candidates, this.importerFor(header.alg), query, token, issuer);
  }

  /**
   * A jose `JWTVerifyGetKey` backed by this cache, for `jwtVerify(token, provider.keyResolver(iss))`.
   * Without a `kid` it resolves the key that verifies the token (see {@link getKey}).
   */
  keyResolver(issuer: string): JWTVerifyGetKey {
    this.found(issuer);
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
    const current: { key: UsableKey; algs: string[] }[] = [];
    const held = [...this.issuers.values()].map((settings) => ({ settings, state: this.states.get(settings.issuer)! }));
    for (const template of this.templates) for (const { settings, keys } of template.issuers()) held.push({ settings, state: keys! });
    for (const { settings, state } of held) {
      for (const key of state.heldKeys()) {
        current.push({ key, algs: [...settings.algorithms].filter((alg) => keyTypeOf(alg) === key.kty) });
      }
    }
    this.importedKeys.clear(current);
  }

  /**
   * Counters and state per issuer (configured ones, then the live issuers of the templates), per
   * template key set (by JWKS URI) and per template, of the verified-token cache and of the
   * imported keys. No network call.
   */
  stats(): JwksProviderStats {
    const issuers: Record<string, IssuerKeyStats | DynamicIssuerStats> = {};
    for (const [issuer, state] of this.states) issuers[issuer] = state.stats();
    const templates: Record<string, IssuerTemplateStats> = {};
    for (const template of this.templates) {
      for (const [issuer, stats] of Object.entries(template.issuerStats())) issuers[issuer] ??= stats;
      templates[template.source] = template.stats();
    }
    return { issuers, keySets: this.keySets.stats(), templates, verifiedTokens: this.verifiedTokens.stats(), importedKeys: { size: this.importedKeys.size } };
  }

  /** Whether the issuer's keys are fresh, stale but still servable, or missing. No network call. */
  issuerState(issuer: string): IssuerHealth {
    return this.stateOf(issuer).health();
  }

  /** The configured issuers, in configuration order. */
  issuerIds(): string[] {
    return [...this.issuers.keys()];
  }

  /** Warm-up: fetches every issuer's keys at start; a failure is logged, fatal only with `failOnStartup`. */
  async onApplicationBootstrap(): Promise<void> {
    const warming = [...this.issuers.values()].filter((settings) => settings.jwks.warmUp);
    const outcomes = await Promise.allSettled(warming.map((settings) => this.stateOf(settings.issuer).warmUp(!settings.jwks.failOnStartup)));
    let fatal: unknown;
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'fulfilled') return;
      const settings = warming[index]!;
      const error = outcome.reason as JwksCacheError;
      this.logger.warn(`Fetching the keys of issuer ${settings.issuer} at start-up failed: ${error.code} ${error.message}`);
      if (settings.jwks.failOnStartup) fatal ??= error;
    });
    if (fatal !== undefined) throw fatal;
  }

  /** Stops background retries (and drops the templates' issuers). */
  onModuleDestroy(): void {
    for (const state of this.states.values()) state.close();
    for (const template of this.templates) template.close();
    this.keySets.close();
  }

  /** The cache lookup, then (on a miss) the checks before any network request and the signature check. Throws synchronously. */
  private verifyKeyed(token: string, overrides: VerifyOverrides | undefined, cacheKey: string | undefined): Promise<VerifiedToken> {
    const cached = cacheKey === undefined ? undefined : this.verifiedTokens.lookup(cacheKey, this.isTrusted);
    if (cached !== undefined) {
      this.keyStateOf(cached.issuer)?.servedFromCache();
      return Promise.resolve(cached);
    }
    return this.verifyWithIssuerKeys(token, this.decode(token, overrides), overrides, cacheKey);
  }

  private checkSize(token: unknown, limit: number): asserts token is string {
    if (typeof token !== 'string' || token.length === 0) throw new TokenMalformedError('The token is not a non-empty string');
    // length counts UTF-16 units; only a token that may hold multi-byte characters is measured in bytes.
    if (token.length > limit || (token.length * 3 > limit && Buffer.byteLength(token) > limit)) {
      throw new TokenTooLargeError(`The token exceeds ${limit} bytes`);
    }
  }

  /** Structure, issuer, alg and header checks; no network request happens before they pass. */
  private decode(token: string, overrides: VerifyOverrides | undefined): DecodedToken {
    const { header, claims } = decodeCompactJws(token);
    const { settings, dynamic } = this.issuerOfClaims(claims, overrides);
    if (overrides !== undefined) this.assertNarrows(settings, overrides);
    checkNumericDates(claims);
    if (settings.verify.maxTokenBytes < this.maxTokenBytes) this.checkSize(token, settings.verify.maxTokenBytes);
    const alg = checkAlgorithm(header.alg, settings, overrides);
    if (header.crit !== undefined) throw new HeaderNotAllowedError('The token has a "crit" header');
    const kid = header.kid;
    if (kid !== undefined && typeof kid !== 'string') throw new TokenMalformedError('The token "kid" is not a string');
    return dynamic === undefined ? { settings, alg, query: { kid, alg } } : { settings, alg, query: { kid, alg }, dynamic };
  }

  /**
   * A configured issuer equal to `iss`, else the first issuer template matching it (and its
   * `claimsMatch`). Only string work: the template's issuer is made (or refused) later, after the
   * remaining checks, so a token failing any of them costs no admission and no request.
   */
  private issuerOfClaims(claims: Record<string, unknown>, overrides: VerifyOverrides | undefined): Pick<DecodedToken, 'settings' | 'dynamic'> {
    const iss = claims.iss;
    const settings = typeof iss === 'string' ? this.issuers.get(iss) : undefined;
    if (settings !== undefined) {
      if (overrides?.issuer !== undefined && overrides.issuer !== settings.issuer) throw new UnknownIssuerError('The token issuer is not the expected one');
      return { settings };
    }
    if (typeof iss === 'string') {
      for (const template of this.templates) {
        const params = template.match(iss);
        if (params === undefined) continue;
        if (overrides?.issuer !== undefined && overrides.issuer !== iss) throw new UnknownIssuerError('The token issuer is not the expected one');
        template.checkClaims(params, claims);
        return { settings: template.settings, dynamic: { template, iss, params } };
      }
    }
    // The token's iss is attacker-controlled: it is never echoed into the message.
    throw new UnknownIssuerError('The token issuer is not configured');
  }

  /** {@link assertNarrowing} once per overrides object and issuer. */
  private assertNarrows(settings: IssuerSettings, overrides: VerifyOverrides): void {
    const checked = typeof overrides === 'object' && overrides !== null ? this.narrowingChecked.get(overrides) : undefined;
    if (checked?.has(settings.issuer) === true) return;
    assertNarrowing(settings, overrides, 'verify() overrides');
    // A caller may mutate its own object later; only frozen ones (as @JwtVerify makes) are remembered.
    if (!Object.isFrozen(overrides)) return;
    if (checked === undefined) this.narrowingChecked.set(overrides, new Set([settings.issuer]));
    else checked.add(settings.issuer);
  }

  /**
   * Tries the candidate keys by the one rule of `key-selection.ts` (only a bad signature moves
   * on), then remembers the result in the verified-token cache. One async function here: each
   * layer costs a promise and microtask turns on every token the cache does not hold.
   */
  private async verifyWithIssuerKeys(token: string, decoded: DecodedToken, overrides: VerifyOverrides | undefined, cacheKey: string | undefined): Promise<VerifiedToken> {
    const { alg, query } = decoded;
    try {
      const { settings, state, dynamic } = decoded.dynamic === undefined ? this.found(decoded.settings.issuer) : await this.madeIssuer(decoded.dynamic);
      const usable = state.usableNow();
      let candidates = usable === undefined ? NO_KEYS : selectKeys(usable.keys, query);
      // One lookup per token: with a usable set that lacks the key, only the refetch part runs.
      if (candidates.length === 0) candidates = await (usable === undefined ? state.keysFor(query) : state.keysForUnknown(query));
      const options = overrides === undefined ? this.issuerVerifyOptions(settings, alg, dynamic?.verifyOptions) : buildVerifyOptions(settings, alg, overrides);
      const { key, result: verified } = await firstVerifyingCandidate(candidates, this.importerFor(alg), (verificationKey) => jwtVerify(token, verificationKey, options), settings.issuer);
      const result = freezeResult(verified.payload as JwtClaimsPayload, verified.protectedHeader, settings.issuer, dynamic?.params ?? NO_PARAMS);
      if (cacheKey !== undefined) {
        const { clockTolerance, maxTokenAge } = effectiveVerifySettings(settings, overrides);
        this.verifiedTokens.remember(cacheKey, { result, thumbprint: key.thumbprint, clockTolerance, maxTokenAge });
      }
      return result;
    } catch (error) {
      throw toTokenError(error);
    }
  }

  /** Imports for `alg` through the imported-key cache: synchronously on a hit, `undefined` when the JWK cannot be imported. */
  private importerFor(alg: string): CandidateImporter {
    let importer = this.importers.get(alg);
    if (importer === undefined) {
      importer = (key) => this.importedKeys.peek(key, alg) ?? this.importedKeys.get(key, alg).catch(() => undefined);
      this.importers.set(alg, importer);
    }
    return importer;
  }

  /** `issuers[i].seed`: a bad one is logged (never its content) and ignored, not fatal. */
  private applyConfiguredSeed(state: IssuerKeyState, issuer: string, seed: unknown): void {
    state.seed(seed).then(
      (outcome) => {
        if (outcome === 'refused') this.logger.warn(`The configured key-set seed of issuer ${issuer} was refused (no usable public key, or fetchedAt in the future); fetching instead`);
      },
      () => this.logger.warn(`The configured key-set seed of issuer ${issuer} is not { jwks, fetchedAt, freshUntil }; ignored`),
    );
  }

  /** @param ofDynamic a template issuer's own map (dropped with it), else the configured issuers' is used. */
  private issuerVerifyOptions(settings: IssuerSettings, alg: string, ofDynamic?: Map<string, JWTVerifyOptions>): JWTVerifyOptions {
    let byAlg = ofDynamic ?? this.verifyOptions.get(settings.issuer);
    if (byAlg === undefined) this.verifyOptions.set(settings.issuer, (byAlg = new Map()));
    let options = byAlg.get(alg);
    if (options === undefined) byAlg.set(alg, (options = buildVerifyOptions(settings, alg, undefined)));
    return options;
  }

  private async jwksUriOf(settings: IssuerSettings): Promise<string> {
    if (settings.jwksUri !== undefined) return settings.jwksUri;
    const document = await this.discovery.discover(settings.issuer, settings.jwks);
    if (document.jwks_uri === undefined) {
      throw new InvalidResponseError(`The metadata of issuer ${settings.issuer} has no jwks_uri`, settings.issuer);
    }
    return document.jwks_uri;
  }

  /** A configured issuer, or a live (ready) issuer of a template; never makes one. */
  private found(issuer: string): FoundIssuer {
    const settings = this.issuers.get(issuer);
    if (settings !== undefined) return { settings, state: this.states.get(issuer)! };
    const live = this.liveIssuer(issuer);
    if (live === undefined) throw new UnknownIssuerError(`Issuer ${issuer} is not configured (nor a live issuer of an issuer template)`);
    return live;
  }

  /** The key state of a configured issuer, or of a live template issuer (its shared set); never makes one. */
  private keyStateOf(issuer: string): IssuerKeyState | undefined {
    return this.states.get(issuer) ?? this.liveIssuer(issuer)?.state;
  }

  /** The live, ready issuer of a template for `issuer`, if any. */
  private liveIssuer(issuer: string): FoundIssuer | undefined {
    for (const template of this.templates) {
      const dynamic = template.peek(issuer);
      if (dynamic !== undefined) return { settings: dynamic.settings, state: dynamic.keys!, dynamic };
    }
    return undefined;
  }

  /** The template's issuer for the token: live, or made now within the template's bounds (see `DynamicIssuers.resolve`). */
  private async madeIssuer({ template, iss, params }: NonNullable<DecodedToken['dynamic']>): Promise<FoundIssuer> {
    const dynamic = template.resolve(iss, params);
    const state = dynamic.keys ?? (await dynamic.ready);
    return { settings: dynamic.settings, state, dynamic };
  }

  private stateOf(issuer: string): IssuerKeyState {
    return this.found(issuer).state;
  }
}
