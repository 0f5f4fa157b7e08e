import { jwtVerify, type JWTVerifyOptions } from 'jose';
import { HeaderNotAllowedError, TokenMalformedError, TokenTooLargeError } from '../errors.js';
import type { TenantParams, VerifyOverrides } from '../config/options.js';
import { decodeCompactJws } from './compact-jws.js';
import { freezeResult } from './frozen-result.js';
import type { ImportedKeyCache } from './imported-key-cache.js';
import type { ClaimedIssuer, IssuerDirectory } from './issuer-directory.js';
import type { IssuerSettings } from './issuer-settings.js';
import { buildVerifyOptions, effectiveVerifySettings, profileOf } from './jose-verify-options.js';
import { toTokenError } from './jose-error-mapping.js';
import { firstVerifyingCandidate, selectKeys, type CandidateImporter, type KeyQuery } from './key-selection.js';
import type { UsableKey } from './key-set.js';
import { checkAlgorithm, checkNumericDates } from './token-checks.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';
import type { VerifiedToken } from './verified-token.js';
import { assertNarrowing, InvalidVerifyOverridesError } from './verify-overrides.js';

/** A token decoded (not verified) far enough to pick its issuer and key. */
interface DecodedToken extends ClaimedIssuer {
  alg: string;
  query: KeyQuery;
}

const NO_KEYS: readonly UsableKey[] = [];
const NO_PARAMS: TenantParams = Object.freeze({});

/**
 * Token verification, for `JwksProvider`: the verified-token cache first, then the cheapest
 * checks (size, structure, issuer, alg, header; no network request before they pass), then the
 * issuer's keys by the one rule of `key-selection.ts` and jose's signature and claim checks.
 */
export class TokenVerifier {
  /** jose options per configured issuer and alg, for calls without overrides: built once, not per token. */
  private readonly verifyOptions = new Map<string, Map<string, JWTVerifyOptions>>();
  /** One importer per alg, made once rather than per token. */
  private readonly importers = new Map<string, CandidateImporter>();
  /** Overrides objects already checked against an issuer (a route's are the same object on every request). */
  private readonly narrowingChecked = new WeakMap<VerifyOverrides, Set<string>>();
  /** The size check before parsing: the largest limit of any issuer (each is applied after `iss` is known). */
  private readonly maxTokenBytes: number;
  /** The verified-token cache's trust check: a query of the key set (a configured issuer's, or a live template issuer's), with no effect on it. */
  private readonly isTrusted = (issuer: string, thumbprint: string): boolean =>
    this.directory.keyStateOf(issuer)?.trusts(thumbprint) === true;

  /** @param topLevelMaxTokenBytes the top-level `verify.maxTokenBytes`. */
  constructor(
    private readonly directory: IssuerDirectory,
    private readonly verifiedTokens: VerifiedTokenCache,
    private readonly importedKeys: ImportedKeyCache,
    topLevelMaxTokenBytes: number,
  ) {
    this.maxTokenBytes = Math.max(
      topLevelMaxTokenBytes,
      ...directory.allSettings().map((settings) => settings.verify.maxTokenBytes),
    );
  }

  /** See `JwksProvider.verify`. Not async: the synchronous checks and a cache hit cost no extra promise hop. */
  verify(token: string, overrides?: VerifyOverrides): Promise<VerifiedToken> {
    try {
      this.checkSize(token, this.maxTokenBytes);
      const cacheKey = this.verifiedTokens.enabled ? this.verifiedTokens.keyOf(token, profileOf(overrides)) : undefined;
      return this.verifyKeyed(token, overrides, cacheKey);
    } catch (error) {
      return Promise.reject(error instanceof InvalidVerifyOverridesError ? error : toTokenError(error));
    }
  }

  /** See `JwksProvider.lookupVerified`: the cached result, or on a miss the token's cache key (a digest). */
  lookupVerified(token: string, overrides?: VerifyOverrides): VerifiedToken | string | undefined {
    if (!this.verifiedTokens.enabled || typeof token !== 'string' || token.length > this.maxTokenBytes)
      return undefined;
    const cacheKey = this.verifiedTokens.keyOf(token, profileOf(overrides));
    const cached = this.verifiedTokens.lookup(cacheKey, this.isTrusted, false);
    if (cached === undefined) return cacheKey;
    this.directory.keyStateOf(cached.issuer)?.servedFromCache();
    return cached;
  }

  /** See `JwksProvider.verifyMissed`: {@link verify} with the key {@link lookupVerified} returned. */
  verifyMissed(token: string, overrides: VerifyOverrides | undefined, cacheKey: string): Promise<VerifiedToken> {
    try {
      this.checkSize(token, this.maxTokenBytes);
      return this.verifyKeyed(token, overrides, cacheKey);
    } catch (error) {
      return Promise.reject(error instanceof InvalidVerifyOverridesError ? error : toTokenError(error));
    }
  }

  /** Imports for `alg` through the imported-key cache: synchronously on a hit, `undefined` when the JWK cannot be imported. */
  importerFor(alg: string): CandidateImporter {
    let importer = this.importers.get(alg);
    if (importer === undefined) {
      importer = (key) => this.importedKeys.peek(key, alg) ?? this.importedKeys.get(key, alg).catch(() => undefined);
      this.importers.set(alg, importer);
    }
    return importer;
  }

  /** The cache lookup, then (on a miss) the checks before any network request and the signature check. Throws synchronously. */
  private verifyKeyed(
    token: string,
    overrides: VerifyOverrides | undefined,
    cacheKey: string | undefined,
  ): Promise<VerifiedToken> {
    const cached = cacheKey === undefined ? undefined : this.verifiedTokens.lookup(cacheKey, this.isTrusted);
    if (cached !== undefined) {
      this.directory.keyStateOf(cached.issuer)?.servedFromCache();
      return Promise.resolve(cached);
    }
    return this.verifyWithIssuerKeys(token, this.decode(token, overrides), overrides, cacheKey);
  }

  private checkSize(token: unknown, limit: number): asserts token is string {
    if (typeof token !== 'string' || token.length === 0)
      throw new TokenMalformedError('The token is not a non-empty string');
    // length counts UTF-16 units; only a token that may hold multi-byte characters is measured in bytes.
    if (token.length > limit || (token.length * 3 > limit && Buffer.byteLength(token) > limit)) {
      throw new TokenTooLargeError(`The token exceeds ${limit} bytes`);
    }
  }

  /** Structure, issuer, alg and header checks; no network request happens before they pass. */
  private decode(token: string, overrides: VerifyOverrides | undefined): DecodedToken {
    const { header, claims } = decodeCompactJws(token);
    const { settings, dynamic } = this.directory.issuerOfClaims(claims, overrides);
    if (overrides !== undefined) this.assertNarrows(settings, overrides);
    checkNumericDates(claims);
    if (settings.verify.maxTokenBytes < this.maxTokenBytes) this.checkSize(token, settings.verify.maxTokenBytes);
    const alg = checkAlgorithm(header.alg, settings, overrides);
    if (header.crit !== undefined) throw new HeaderNotAllowedError('The token has a "crit" header');
    const kid = header.kid;
    if (kid !== undefined && typeof kid !== 'string') throw new TokenMalformedError('The token "kid" is not a string');
    return dynamic === undefined
      ? { settings, alg, query: { kid, alg } }
      : { settings, alg, query: { kid, alg }, dynamic };
  }

  /** {@link assertNarrowing} once per overrides object and issuer. */
  private assertNarrows(settings: IssuerSettings, overrides: VerifyOverrides): void {
    const checked =
      typeof overrides === 'object' && overrides !== null ? this.narrowingChecked.get(overrides) : undefined;
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
  private async verifyWithIssuerKeys(
    token: string,
    decoded: DecodedToken,
    overrides: VerifyOverrides | undefined,
    cacheKey: string | undefined,
  ): Promise<VerifiedToken> {
    const { alg, query } = decoded;
    try {
      const { settings, state, dynamic } =
        decoded.dynamic === undefined
          ? this.directory.found(decoded.settings.issuer)
          : await this.directory.madeIssuer(decoded.dynamic);
      const usable = state.usableNow();
      let candidates = usable === undefined ? NO_KEYS : selectKeys(usable.keys, query);
      // One lookup per token: with a usable set that lacks the key, only the refetch part runs.
      if (candidates.length === 0)
        candidates = await (usable === undefined ? state.keysFor(query) : state.keysForUnknown(query));
      const options =
        overrides === undefined
          ? this.issuerVerifyOptions(settings, alg, dynamic?.verifyOptions)
          : buildVerifyOptions(settings, alg, overrides);
      const importer = this.importerFor(alg);
      // The common case, one candidate (the token's kid) already imported: jwtVerify directly, without
      // the candidate loop's async layer. A bad signature gives the same SignatureInvalidError (toTokenError).
      const sole = candidates.length === 1 ? importer(candidates[0]) : undefined;
      const { key, result: verified } =
        sole !== undefined && !(sole instanceof Promise)
          ? { key: candidates[0], result: await jwtVerify(token, sole, options) }
          : // An import already started for the sole candidate is handed over, not started again.
            await firstVerifyingCandidate(
              candidates,
              sole === undefined ? importer : () => sole,
              (verificationKey) => jwtVerify(token, verificationKey, options),
              settings.issuer,
            );
      const result = freezeResult(
        verified.payload,
        verified.protectedHeader,
        settings.issuer,
        dynamic?.params ?? NO_PARAMS,
      );
      if (cacheKey !== undefined) {
        const { clockTolerance, maxTokenAge } = effectiveVerifySettings(settings, overrides);
        this.verifiedTokens.remember(cacheKey, { result, thumbprint: key.thumbprint, clockTolerance, maxTokenAge });
      }
      return result;
    } catch (error) {
      throw toTokenError(error);
    }
  }

  /** @param ofDynamic a template issuer's own map (dropped with it), else the configured issuers' is used. */
  private issuerVerifyOptions(
    settings: IssuerSettings,
    alg: string,
    ofDynamic?: Map<string, JWTVerifyOptions>,
  ): JWTVerifyOptions {
    let byAlg = ofDynamic ?? this.verifyOptions.get(settings.issuer);
    if (byAlg === undefined) this.verifyOptions.set(settings.issuer, (byAlg = new Map<string, JWTVerifyOptions>()));
    let options = byAlg.get(alg);
    if (options === undefined) byAlg.set(alg, (options = buildVerifyOptions(settings, alg, undefined)));
    return options;
  }
}
