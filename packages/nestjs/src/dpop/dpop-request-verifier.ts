import { Inject, Injectable } from '@nestjs/common';
import { AuthorizationMalformedError, DpopProofInvalidError, DpopSchemeError, TokenMissingError } from '../errors.js';
import { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import { JwksProvider } from '../jwks/jwks-provider.js';
import type {
  HttpRequestToVerify,
  RequestHeaders,
  RequestVerifier,
  VerifiedRequest,
} from '../jwks/request-verifier.js';
import type { VerifiedToken } from '../jwks/verified-token.js';
import { JWKS_CACHE_CONFIG } from '../jwks-cache.module-definition.js';
import type { JwksCacheModuleOptions, VerifyOverrides } from '../config/options.js';
import { resolveConfig, type ResolvedDpopSettings } from '../config/resolve-config.js';
import { clock } from '../internal/clock.js';
import { CacheStore } from '../store/cache-store.js';
import { BearerPolicy } from './bearer-policy.js';
import { DpopNonces } from './dpop-nonces.js';
import { DpopReplayCache, type DpopReplayStats } from './dpop-replay-cache.js';
import { DEFAULT_PROOF_KEY_CACHE_SIZE, verifyDpopProof } from './verify-dpop-proof.js';
import { ImportedKeyCache } from '../jwks/imported-key-cache.js';
import { IssuerTemplate, isIssuerTemplate } from '../jwks/issuer-template.js';

export type { HttpRequestToVerify, RequestHeaders, VerifiedRequest } from '../jwks/request-verifier.js';

/** Which schemes the module's issuers accept, for the `WWW-Authenticate` challenges. */
export interface AcceptedSchemes {
  /** Some issuer accepts Bearer tokens (its `dpop` is not `'required'`). */
  bearer: boolean;
  /** Some issuer accepts DPoP (its `dpop` is not `'off'`). */
  dpop: boolean;
  /** Some issuer configures `dpop` explicitly: answers without a token advertise the DPoP scheme too. */
  advertiseDpop: boolean;
  /** Every algorithm a proof may use with some issuer (the challenge's `algs`). */
  algorithms: readonly string[];
}

interface IssuerDpop {
  settings: ResolvedDpopSettings;
  algorithmSet: ReadonlySet<string>;
  nonces: DpopNonces | undefined;
}

const AUTHORIZATION = /^(bearer|dpop) ([A-Za-z0-9\-._~+/]+=*)$/i;
const SCHEME_ONLY = /^(bearer|dpop)(?: |$)/i;

/**
 * The request-level checks of RFC 9449 around {@link verifyDpopProof}: which scheme carries the
 * token and whether the token's issuer accepts it, the proof header (exactly one), the token
 * (through `JwksProvider.verify` and its verified-token cache: only the token's own signature
 * check may be skipped, never the proof's), the binding (`ath`, `cnf.jkt`), then the `jti`
 * replay cache, last, so a refused proof never uses up its `jti`.
 *
 * A provider of `JwksCacheModule`: it attaches itself to `JwksProvider` at start, so that
 * `JwksProvider.verifyRequest` (the public API) delegates here while `jwks/` never imports
 * `dpop/`. `JwtGuard` and the passport strategy use it for the scheme rules; inject it for the
 * replay cache's counters ({@link replayStats}).
 */
@Injectable()
export class DpopRequestVerifier implements RequestVerifier {
  private readonly issuers = new Map<string, IssuerDpop>();
  /** The templates' settings: an issuer a template makes at run time has its template's `dpop`. */
  private readonly templates: { template: IssuerTemplate; dpop: IssuerDpop }[] = [];
  private readonly replays: DpopReplayCache;
  private readonly bearer: BearerPolicy;
  private readonly fallback: IssuerDpop;
  /** Proof keys, imported once per client key (a cache of its own: clients choose these keys). */
  private readonly proofKeys = new ImportedKeyCache(DEFAULT_PROOF_KEY_CACHE_SIZE);
  /** What the challenges offer, computed once. */
  readonly accepted: AcceptedSchemes;

  constructor(
    @Inject(JWKS_CACHE_CONFIG) options: JwksCacheModuleOptions,
    store: CacheStore,
    events: JwksCacheEvents,
    private readonly provider: JwksProvider,
  ) {
    const { dpop: resolved } = resolveConfig(options);
    this.replays = new DpopReplayCache(store, events);
    this.bearer = new BearerPolicy(options);
    this.fallback = {
      settings: resolved.fallback,
      algorithmSet: new Set(resolved.fallback.algorithms),
      nonces: undefined,
    };
    const algorithms = new Set<string>();
    let bearer = false;
    let dpop = false;
    let advertiseDpop = false;
    for (const [issuer, settings] of Object.entries(resolved.issuers)) {
      const nonces =
        settings.nonceRotation === undefined ? undefined : new DpopNonces(store, issuer, settings.nonceRotation);
      const entry: IssuerDpop = { settings, algorithmSet: new Set(settings.algorithms), nonces };
      // Templates were checked at start (validate-template-options.ts): parse() does not throw here.
      if (isIssuerTemplate(issuer))
        this.templates.push({ template: IssuerTemplate.parse(issuer, 'issuers[].issuer'), dpop: entry });
      else this.issuers.set(issuer, entry);
      bearer ||= settings.mode !== 'required';
      if (settings.mode === 'off') continue;
      dpop = true;
      advertiseDpop ||= settings.configured;
      for (const alg of settings.algorithms) algorithms.add(alg);
    }
    this.accepted = Object.freeze({ bearer, dpop, advertiseDpop, algorithms: Object.freeze([...algorithms]) });
    provider.attachRequestVerifier(this);
  }

  /** The verifier attached to `provider` (by the module), if any: for a guard or strategy subclass that does not inject it. */
  static attachedTo(provider: JwksProvider): DpopRequestVerifier | undefined {
    const verifier = provider.attachedRequestVerifier();
    return verifier instanceof DpopRequestVerifier ? verifier : undefined;
  }

  /**
   * Checks the token of `request` as its scheme requires: `Authorization: Bearer` as a bearer
   * token ({@link assertBearer}); `Authorization: DPoP` with exactly one `DPoP` header proving
   * possession of the key the token is bound to.
   * @throws {TokenMissingError} no `Authorization` with either scheme.
   * @throws {AuthorizationMalformedError} a Bearer or DPoP `Authorization` of a bad shape.
   * @throws {DpopProofInvalidError} (or a subclass) the proof failed a check; {@link DpopSchemeError}; any token rejection.
   * @param overrides narrow the token's verification, as `JwksProvider.verify`'s.
   */
  async verifyRequest(request: HttpRequestToVerify, overrides?: VerifyOverrides): Promise<VerifiedRequest> {
    const authorization = headerValues(request.headers, 'authorization');
    if (authorization.length === 0 || !SCHEME_ONLY.test(authorization[0]))
      throw new TokenMissingError('The request carries no Bearer or DPoP token');
    const match = authorization.length === 1 ? AUTHORIZATION.exec(authorization[0]) : null;
    if (match === null)
      throw new AuthorizationMalformedError('The Authorization header is not "Bearer <token>" or "DPoP <token>"');
    const token = match[2];
    if (match[1].toLowerCase() === 'bearer') {
      const verified = await this.provider.verify(token, overrides);
      this.assertBearer(verified);
      return Object.freeze({ ...verified, scheme: 'bearer' as const });
    }
    return this.verifyDpop(request, token, overrides);
  }

  /**
   * Refuses a token presented as a bearer token when it is bound to a key (`cnf.jkt`), or when
   * its issuer's `dpop` is `'required'` ({@link BearerPolicy}).
   * @throws {DpopSchemeError}
   */
  assertBearer(verified: VerifiedToken): void {
    this.bearer.assert(verified);
  }

  /** {@link assertBearer} as a test, for the verified-token cache's fast path. */
  acceptsBearer(verified: VerifiedToken): boolean {
    return this.bearer.accepts(verified);
  }

  /** A nonce to send in `DPoP-Nonce` for tokens of `issuer`, when it uses server nonces. */
  nonceFor(issuer: string): Promise<string> | undefined {
    return this.dpopOf(issuer).nonces?.current();
  }

  /**
   * The DPoP settings of `issuer`: a configured issuer's own, else those of the template that made
   * it (an issuer a token names is one of the two: `verify()` refuses any other).
   */
  private dpopOf(issuer: string): IssuerDpop {
    const configured = this.issuers.get(issuer);
    if (configured !== undefined) return configured;
    for (const { template, dpop } of this.templates) if (template.match(issuer) !== undefined) return dpop;
    return this.fallback;
  }

  /** Counters of the `jti` replay cache. */
  replayStats(): DpopReplayStats {
    return this.replays.stats();
  }

  private async verifyDpop(
    request: HttpRequestToVerify,
    token: string,
    overrides: VerifyOverrides | undefined,
  ): Promise<VerifiedRequest> {
    const proofs = headerValues(request.headers, 'dpop');
    // Node joins repeated headers with ", "; a JWT has no comma, so a comma means several proofs.
    if (proofs.length !== 1 || proofs[0].includes(','))
      throw new DpopProofInvalidError('DPoP proof refused: the request needs exactly one DPoP header', 'header');
    const verified = await this.provider.verify(token, overrides);
    const { settings, algorithmSet, nonces } = this.dpopOf(verified.issuer);
    const { clockTolerance } = settings;
    if (settings.mode === 'off')
      throw new DpopSchemeError('The issuer does not accept DPoP: present the token as Bearer');
    const jkt = boundThumbprint(verified);
    if (jkt === undefined)
      throw new DpopProofInvalidError('DPoP proof refused: the access token is not bound to a key (no cnf.jkt)', 'jkt');
    const proof = await verifyDpopProof(proofs[0], {
      method: request.method,
      url: request.url,
      accessToken: token,
      jkt,
      algorithms: algorithmSet,
      maxProofAge: settings.maxProofAge,
      clockTolerance,
      checkNonce: nonces === undefined ? undefined : (nonce) => nonces.check(nonce),
      keys: this.proofKeys,
    });
    // Remembered while it could still pass the iat check (its window, plus the tolerance).
    await this.replays.accept(
      proof.jkt,
      proof.jti,
      proof.iat * 1000 + settings.maxProofAge + clockTolerance - clock.now(),
    );
    const nonce = nonces === undefined ? undefined : await nonces.current();
    return Object.freeze({ ...verified, scheme: 'dpop' as const, jkt, ...(nonce === undefined ? {} : { nonce }) });
  }
}

/** The token's `cnf.jkt`, or `undefined` when it has none (or not a string). */
function boundThumbprint(verified: VerifiedToken): string | undefined {
  const cnf = verified.payload.cnf as { jkt?: unknown } | undefined;
  return typeof cnf?.jkt === 'string' && cnf.jkt.length > 0 ? cnf.jkt : undefined;
}

/** Every value of a header: an array as given, a string as one value, none when absent or empty. */
function headerValues(headers: RequestHeaders, name: string): string[] {
  const value =
    typeof (headers as { get?: unknown }).get === 'function'
      ? ((headers as { get(name: string): string | null }).get(name) ?? undefined)
      : (headers as Record<string, string | string[] | undefined>)[name];
  if (value === undefined || value === '') return [];
  return Array.isArray(value) ? value.filter((item) => item !== '') : [value];
}
