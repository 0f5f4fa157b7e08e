/**
 * The options of `JwksCacheModule`, with their defaults. Every duration is in **milliseconds**,
 * every size in bytes or entries as named.
 */
import type { Keyv } from 'keyv';
import type { Cache } from 'cache-manager';
import type { JWTPayload } from 'jose';
import type { ImportedKeyCacheAdapter } from '../jwks/imported-key-cache.js';
import type { ExportedKeySet } from '../jwks/stored-key-set.js';
import { deepFreeze } from '../internal/deep-freeze.js';
import { ASYMMETRIC_ALGORITHMS, SYMMETRIC_ALGORITHMS } from '../jwks/algorithms.js';

// The algorithm tables belong to the key layer (jwks/); config re-exports them for its options.
export { ASYMMETRIC_ALGORITHMS, SYMMETRIC_ALGORITHMS };

export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];
export type SymmetricAlgorithm = (typeof SYMMETRIC_ALGORITHMS)[number];
export type SignatureAlgorithm = AsymmetricAlgorithm | SymmetricAlgorithm;

/** How key sets are fetched and cached, for every issuer or (under `issuers[i].jwks`) one. */
export interface JwksOptions {
  /**
   * How long a fetched key set is fresh when the response has no `Cache-Control: max-age`.
   * A configured value is used as given (not clamped).
   * @default 600_000 (10 min)
   */
  ttl?: number;
  /**
   * Bounds applied to a `Cache-Control: max-age` from the issuer, which wins over `ttl`.
   * @default { min: 60_000, max: 86_400_000 } (1 min – 24 h)
   */
  maxAgeBounds?: { min: number; max: number };
  /**
   * In the last `refreshAhead` ms of freshness, a request is served from cache and starts one
   * background refresh. The window is never more than the last half of the set's freshness, so
   * a `ttl` or `max-age` shorter than twice this still refreshes ahead. `0` disables
   * refresh-ahead (a set past freshness is then refreshed while it keeps serving, see `timeout`).
   * @default 30_000
   */
  refreshAhead?: number;
  /**
   * An unknown `kid` triggers at most one refetch per `cooldown` per issuer; between refetches
   * unknown kids are rejected at once. Every fetch attempt counts, failed ones too.
   * @default 30_000
   */
  cooldown?: number;
  /**
   * When the issuer fails, the last good key set keeps being used for up to this long after it
   * went stale, while fetches are retried in the background with backoff. `0` disables it.
   * @default 86_400_000 (24 h)
   */
  staleIfError?: number;
  /**
   * Timeout of one JWKS or discovery request, in ms. It also bounds stale-while-revalidate: past
   * freshness, the previous set keeps serving while a refresh is in flight for at most this long,
   * so no request waits on the issuer for a key it already holds.
   * @default 5_000
   */
  timeout?: number;
  /**
   * Largest accepted response body (JWKS or discovery document).
   * @default 524_288 (512 KiB)
   */
  maxResponseBytes?: number;
  /**
   * Whether a failed warm-up fetch at module start fails the application start.
   * @default false
   */
  failOnStartup?: boolean;
  /**
   * Whether keys are fetched for every issuer when the module starts.
   * @default true
   */
  warmUp?: boolean;
  /**
   * Bound on the number of imported keys (`CryptoKey`) cached by thumbprint + alg, across issuers.
   * @default 1_000
   */
  importedKeyCacheSize?: number;
  /**
   * Replaces the cache of imported keys: an adapter `{ get(key, alg), set(key, alg, imported) }`
   * (`key` = `{ jwk, thumbprint }`, `delete` / `clear` optional, `get` synchronous), e.g. to share
   * one pool between several providers in a process or to bound it your way with many issuers
   * and keys; or `false` to import the JWK on every verification the verified-token cache misses
   * (tests, or a process that verifies too rarely for a cache to pay). Only read at the top level.
   * @default undefined (a bounded LRU by thumbprint + alg, of `importedKeyCacheSize` entries)
   */
  importedKeyCache?: ImportedKeyCacheAdapter | false;
  /**
   * Backoff of the background retries while the issuer fails: the first delay, doubled per
   * failure up to `max`, each with ±`jitter` (a fraction) of randomness.
   * @default { initial: 1_000, max: 60_000, jitter: 0.2 }
   */
  retryBackoff?: { initial: number; max: number; jitter: number };
}

/** How tokens are verified, for every issuer or (under `issuers[i].verify`) one. */
export interface VerifyOptions {
  /**
   * Tolerance applied to `exp`, `nbf` and `iat`.
   * @default 5_000
   */
  clockTolerance?: number;
  /**
   * Tokens larger than this are rejected before parsing.
   * @default 16_384 (16 KiB)
   */
  maxTokenBytes?: number;
  /**
   * Bound on the verified-token cache (SHA-256 of the token → claims). `0` disables it.
   * Only meaningful at the top level (the cache is shared by all issuers).
   * @default 10_000
   */
  verifiedTokenCacheSize?: number;
  /**
   * Expected `typ` header, e.g. `'at+jwt'` for RFC 9068 access tokens. Compared as jose does
   * (case-insensitive, `application/` prefix optional).
   * @default undefined (not checked)
   */
  typ?: string;
  /**
   * Claims that must be present, e.g. `['sub', 'exp']`.
   * @default []
   */
  requiredClaims?: string[];
  /**
   * Maximum age of the token from its `iat`, in ms.
   * @default undefined (not checked)
   */
  maxTokenAge?: number;
}

/** One trusted identity provider. */
export interface IssuerOptions {
  /**
   * The issuer identifier, compared exactly with the token's `iss`. Required. With `{name}`
   * placeholders it is a **template** (`https://login.microsoftonline.com/{tenant}/v2.0`): each
   * placeholder is a whole path segment and matches one segment of `[A-Za-z0-9._~-]{1,128}`,
   * never `.` or `..`; a matching `iss` makes an issuer lazily, with this entry's settings.
   */
  issuer: string;
  /**
   * The JWKS URL. When absent, it is discovered from `issuer` through
   * `/.well-known/openid-configuration`, then RFC 8414 `/.well-known/oauth-authorization-server`.
   * A template's may use the issuer's placeholders (whole path segments); issuers that resolve
   * to one URL share one key set, one fetch and one cooldown.
   */
  jwksUri?: string;
  /** Expected `aud` (any of them, when an array). @default undefined (not checked) */
  audience?: string | string[];
  /**
   * Allow-list of signature algorithms. HS* must be listed explicitly (and then the issuer's
   * JWKS must publish `oct` keys). `none` is never allowed.
   * @default every asymmetric algorithm ({@link ASYMMETRIC_ALGORITHMS})
   */
  algorithms?: SignatureAlgorithm[];
  /**
   * Opt-in to HMAC (`HS*`) algorithms for this issuer. Without it, listing one in `algorithms`
   * is a configuration error: a shared secret in a JWKS is rarely what a resource server wants.
   * @default false
   */
  allowSymmetricAlgorithms?: boolean;
  /**
   * A key set exported earlier by `JwksProvider.exportKeySet(issuer)` (e.g. read from a
   * serverless platform's key-value store), installed when the provider is built. It is checked
   * like a shared-store entry: public signing keys only, a `fetchedAt` in the future refused,
   * freshness capped by this process's `ttl` / `maxAgeBounds`. A seed that fails is logged (never
   * its content) and ignored — the keys are fetched as without one; it never fails the start.
   * @default undefined
   */
  seed?: ExportedKeySet;
  /** Per-issuer overrides of the top-level `jwks` options (`importedKeyCache` excepted). */
  jwks?: JwksOptions;
  /** Per-issuer overrides of the top-level `verify` options. */
  verify?: Omit<VerifyOptions, 'verifiedTokenCacheSize'>;
  /**
   * DPoP (RFC 9449) for this issuer's tokens: `'off'` (the `DPoP` scheme is refused),
   * `'allowed'` (Bearer and DPoP), `'required'` (Bearer refused), or the object form for
   * algorithms, proof age and server nonces. A token bound to a key (`cnf.jkt`) is refused as
   * Bearer whatever the mode. See `docs/dpop.md`.
   * @default 'allowed'
   */
  dpop?: DpopMode | DpopOptions;
  /**
   * Template only (an `issuer` with `{name}` placeholders): the allow-list of tenants. Called
   * with the placeholder values of a new issuer, once (its answer lasts as long as the issuer
   * stays live); `false` (or a throw) refuses it with `UnknownIssuerError`, remembered for
   * `jwks.cooldown`. Runs after the `newIssuersPerSecond` bound, before any network request.
   * @default undefined (every issuer the template matches is admitted, within the bounds)
   */
  tenants?: (params: TenantParams) => boolean | Promise<boolean>;
  /**
   * Template only: claims that must equal a placeholder's value, `{ claim: placeholder }`, e.g.
   * `{ tid: 'tenant' }` (Entra ID) — a token whose `tid` differs from the `{tenant}` of its `iss`
   * is rejected (`ClaimValidationError`) before any network request.
   * @default undefined (no claim is compared)
   */
  claimsMatch?: Record<string, string>;
  /**
   * Template only: dynamic issuers of this template kept live at most (least recently used
   * dropped; a dropped one is made again on demand, its keys read from the store if there is one).
   * @default 1_000
   */
  maxIssuers?: number;
  /**
   * Template only: new issuers admitted per second at most (any 1-second window); beyond, a new
   * issuer is refused with `UnknownIssuerError` and no network request, and counted in `stats()`.
   * @default 10
   */
  newIssuersPerSecond?: number;
}

/** The placeholder values of a template's issuer, e.g. `{ tenant: 'acme' }`. */
export type TenantParams = Readonly<Record<string, string>>;

/** The bounds of an issuer template when it sets none (owned by `jwks/`, re-exported here). */
export { DEFAULT_TEMPLATE_BOUNDS } from '../jwks/template-bounds.js';

/** How an issuer's tokens may be presented: Bearer only, both, or DPoP only. */
export type DpopMode = 'off' | 'allowed' | 'required';

/** DPoP settings of one issuer (`issuers[i].dpop`). */
export interface DpopOptions {
  /** @default 'allowed' */
  mode?: DpopMode;
  /**
   * Algorithms a proof may be signed with; asymmetric only (HS* and `none` are refused at start).
   * Sent in the challenge's `algs`.
   * @default every asymmetric algorithm ({@link ASYMMETRIC_ALGORITHMS})
   */
  algorithms?: AsymmetricAlgorithm[];
  /**
   * Oldest accepted proof, from its `iat`, in ms; `verify.clockTolerance` is added on both sides.
   * Also how long a proof's `jti` is remembered.
   * @default 300_000
   */
  maxProofAge?: number;
  /**
   * Server nonces (RFC 9449 §9): every answer carries `DPoP-Nonce`, and a proof without the
   * current (or the previous) nonce is answered `use_dpop_nonce`. `true` rotates every
   * 300 000 ms; `{ rotation }` sets that period (ms). With a shared store the fleet shares them.
   * @default false
   */
  nonce?: boolean | { rotation?: number };
}

/** A token source's configured DPoP key (`tokens.<name>.dpop`). */
export interface DpopClientOptions {
  /** The private key: a `KeyObject`, a WebCrypto `CryptoKey`, a private JWK, or a PKCS#8 PEM string. Never stored or logged. */
  privateKey:
    | import('node:crypto').KeyObject
    | import('node:crypto').webcrypto.CryptoKey
    | import('node:crypto').JsonWebKey
    | string;
  /** The proof's signature algorithm; it must fit the key. */
  alg: AsymmetricAlgorithm;
}

/** The defaults of {@link DpopOptions} (`algorithms`: every asymmetric one). */
export const DEFAULT_DPOP_OPTIONS = {
  mode: 'allowed' as DpopMode,
  maxProofAge: 300_000,
  nonceRotation: 300_000,
};

/** Per-call narrowing of an issuer's verification settings (jose's verify options). */
export interface VerifyOverrides {
  /** Expected audience for this call, replacing the issuer's. */
  audience?: string | string[];
  /** Expected `typ` header for this call. */
  typ?: string;
  /** Claims that must be present, added to the issuer's. */
  requiredClaims?: string[];
  /** Clock tolerance for this call, in ms. */
  clockTolerance?: number;
  /** Maximum age from `iat`, in ms. */
  maxTokenAge?: number;
  /** Algorithms for this call; intersected with the issuer's allow-list. */
  algorithms?: SignatureAlgorithm[];
  /** Restrict to one configured issuer. */
  issuer?: string;
}

/** Client-credentials settings of one token source (RFC 6749 §4.4). */
export interface ClientCredentialsOptions {
  /** The token endpoint. Discovered from `issuer` when absent. */
  tokenEndpoint?: string;
  /** Issuer to discover the token endpoint from, when `tokenEndpoint` is absent. */
  issuer?: string;
  clientId: string;
  /** Never logged, never stored, never part of an error. */
  clientSecret: string;
  /** @default 'client_secret_basic' */
  authMethod?: 'client_secret_basic' | 'client_secret_post';
  /** Space-delimited scopes, or an array of them. */
  scope?: string | string[];
  /** `audience` parameter (Auth0 and others). */
  audience?: string;
  /** RFC 8707 resource indicator(s). */
  resource?: string | string[];
  /** Extra form parameters of the token request. */
  extraParams?: Record<string, string>;
  /** Timeout of one token request. @default 5_000 */
  timeout?: number;
}

/** What a token function may return. */
export type TokenFunctionResult = string | { access_token: string; expires_in?: number; token_type?: string };

/** What a token function is called with. */
export interface TokenFunctionContext {
  /** The token name (its key in `tokens`). */
  name: string;
  /** The tenant, when the caller gave one. */
  tenant?: string;
  /** Aborted when the call outlives the source's `timeout`: pass it on to `fetch` and the like. */
  signal: AbortSignal;
}

/** A token function: obtains a token for a name and tenant however it likes. */
export type TokenFunction = (context: TokenFunctionContext) => Promise<TokenFunctionResult> | TokenFunctionResult;

/** Timing and checks shared by every token source; each source may override them. */
export interface TokenTimingOptions {
  /**
   * A cached token is handed out only while it has more than `leeway` left.
   * @default 60_000
   */
  leeway?: number;
  /**
   * In the last `refreshAhead` ms before `exp − leeway`, callers get the cached token and one
   * background refresh starts. `0` disables it.
   * @default 60_000
   */
  refreshAhead?: number;
  /**
   * Turn a token whose expiry cannot be read (not a JWT and no `expires_in`, or a non-finite or
   * negative one) into an error instead of handing it out uncached.
   * @default false
   */
  rejectUnparsable?: boolean;
  /**
   * Backoff after consecutive failures to obtain a token. A first failure never blocks: the next
   * call requests at once. After the second consecutive failure, callers with no usable token get
   * the last error at once for `initial` ms, doubled per further failure up to `max`, each
   * ±`jitter`. A success starts over. `false` turns it off (every call may request).
   * @default { initial: 1_000, max: 60_000, jitter: 0.2 }
   */
  retryBackoff?: RetryBackoffOptions | false;
  /**
   * The longest a token is taken to live, in ms: a JWT `exp` or an `expires_in` further away
   * counts only up to this much after the request started (a token endpoint answering
   * `expires_in: 1e12` would otherwise be cached for ever).
   * @default 86_400_000 (24 h)
   */
  maxTokenLifetime?: number;
  /**
   * Takes the tenant from the request being served, when `ensureToken()`, `invalidate()` or
   * `fetch()` is called without one: the function gets the claims `JwtGuard` verified
   * (`JwtContext.claims()`), e.g. `(claims) => claims.tid`, and gives the tenant (or `undefined`
   * for none). A tenant given explicitly wins. Outside a guarded request, a call without a tenant
   * fails with `JwtContextMissingError` rather than fall back to the no-tenant token.
   * @default undefined (no tenant unless one is given)
   */
  tenantFrom?: (claims: JwtClaimsPayload) => string | undefined;
}

/** Exponential backoff with jitter; durations in ms. */
export interface RetryBackoffOptions {
  /** The first delay, in ms. */
  initial: number;
  /** Upper bound of the delay, in ms. */
  max: number;
  /** Randomness applied to each delay, a fraction from 0 to 1 (0.2 = ±20 %). */
  jitter: number;
}

/** One outbound token source, under a name in `tokens`. Exactly one of the two kinds. */
export type TokenSourceOptions = TokenTimingOptions & {
  /**
   * Verify obtained tokens with `JwksProvider` against this configured issuer.
   * @default undefined (not verified)
   */
  verify?: string;
  /**
   * DPoP-bound tokens (RFC 9449), client credentials only: `true` makes an ES256 key at start
   * (its tokens stay in this process), `{ privateKey, alg }` uses a configured key, the same on
   * every instance (its tokens may be shared through the store, only with `encryptionKey`; the
   * key itself is never stored). Token requests and `fetch()` then carry a fresh proof each;
   * a `use_dpop_nonce` answer is retried once with the server's nonce.
   * @default undefined (Bearer tokens)
   */
  dpop?: true | DpopClientOptions;
} & (
    | {
        /** Settings, or a function of the tenant giving them. */
        clientCredentials: ClientCredentialsOptions | ((tenant: string | undefined) => ClientCredentialsOptions);
        tokenFunction?: never;
        /** Set `clientCredentials.timeout` instead. */
        timeout?: never;
        /** Client-credentials tokens are shared under their own settings already. */
        shareKey?: never;
      }
    | {
        tokenFunction: TokenFunction;
        /**
         * Shares this function's tokens through the module's `stores` (and so with every app
         * and instance using that store) under this key, plus the tenant. Give the same key
         * only to sources that hand out the same token. Without it, the function's tokens are
         * kept in process only: two apps that both name a token function `default` must never
         * be handed each other's tokens.
         * @default undefined (in process only)
         */
        shareKey?: string;
        /**
         * Time one call of the token function may take; past it, callers get a
         * `TokenRequestError` and the function's `signal` is aborted.
         * @default 10_000
         */
        timeout?: number;
        clientCredentials?: never;
      }
  );

/** Options of `JwksCacheModule.forRoot()` (and of the factory of `forRootAsync()`). */
export interface JwksCacheModuleOptions {
  /** The trusted issuers. At least one is needed to verify tokens. @default [] */
  issuers?: IssuerOptions[];
  /** Key-set fetching and caching, for all issuers. */
  jwks?: JwksOptions;
  /** Token verification, for all issuers. */
  verify?: VerifyOptions;
  /** Defaults of every outbound token source. */
  tokenDefaults?: TokenTimingOptions;
  /** Outbound token sources by name (`'default'` is what `ensureToken()` uses). @default {} */
  tokens?: Record<string, TokenSourceOptions>;
  /**
   * Tenants whose token state `TokenCacheService` keeps in process, per token name. Past it, the
   * tenant seen first is dropped from process; its token stays in the cache store (while the store
   * keeps it), so when that tenant comes back its token is read from there, not requested again.
   * @default 10_000
   */
  maxTenantsPerToken?: number;
  /**
   * cache-manager 7 stores (Keyv instances), or an existing cache-manager `Cache` (e.g. the
   * app's `CACHE_MANAGER`). With a shared store, an in-memory L1 is put in front of it.
   * @default one in-memory store
   */
  stores?: Keyv[] | Cache;
  /**
   * Key of an HMAC-SHA-256 over every entry written to a shared store; entries that fail it are
   * ignored and overwritten. At least 32 bytes.
   * @default undefined (no HMAC)
   */
  integrityKey?: string | Uint8Array;
  /**
   * AES-256-GCM key(s) for outbound tokens in a shared store: 32 bytes, or `{ kid: key }` for
   * rotation (the first entry encrypts, all decrypt).
   * @default undefined (tokens stored in clear)
   */
  encryptionKey?: string | Uint8Array | Record<string, string | Uint8Array>;
  /** The in-memory L1 in front of shared stores, and the bounds on waiting for them. */
  storeOptions?: StoreOptions;
  /** Guard behaviour. */
  guard?: GuardOptions;
}

/** Where `JwtGuard` looks for the token, and how it answers. */
export interface GuardOptions {
  /** `realm` of the `WWW-Authenticate` challenge. @default undefined (no realm) */
  realm?: string;
  /** Also read the token from this cookie (opt-in). @default undefined */
  cookie?: string;
  /** Read the token from this header instead of `Authorization` (opt-in, value is the raw JWT). */
  header?: string;
  /**
   * The public origin of the app (`https://api.example.com`, scheme + host + optional port, no
   * path) when it sits behind a proxy: a DPoP proof's `htu` is compared with this origin plus
   * the request's path. Without it the URL is built from the request's own scheme and `Host`
   * (forwarded headers are never trusted).
   * @default undefined
   */
  publicUrl?: string;
  /**
   * Maps the verified claims to the app's user, as passport's `validate()`: what it returns (or
   * resolves to) becomes `request.user`, while `@JwtClaims()` and `JwtContext.claims()` keep giving
   * the claims. Called on every admitted request, after the scope and role checks.
   * - `null`, `undefined` or `false`: 401 `invalid_token` ("The access token subject is not accepted");
   * - a thrown `HttpException` (e.g. `ForbiddenException`) is answered as it is;
   * - any other error is logged (its message and stack; never the token) and answered 500.
   * A `JwtGuard` subclass may override its `mapUser()` method instead.
   * @default undefined (`request.user` is the claims)
   */
  mapUser?(this: void, claims: JwtClaimsPayload, request: unknown): unknown;
  /**
   * Where `@Roles()` reads the token's roles: a claim name, or a dot path into nested claims
   * (`realm_access.roles` for Keycloak). A claim whose name is the whole path (Auth0's
   * `https://example.com/roles`) wins over walking it. The value is an array of strings, or a
   * string holding one role.
   * @default 'roles' (Entra ID, and most IdPs' convention)
   */
  rolesClaim?: string;
  /**
   * The tenant of a request, for `JwtContext.tenant()`, from its verified claims, e.g.
   * `(claims) => claims.tid` (Entra ID). Must give a string or `undefined`.
   * @default undefined (`tenant()` is `undefined`)
   */
  tenantFrom?: (claims: JwtClaimsPayload) => string | undefined;
  /**
   * Whether `JwtGuard` opens a `JwtContext` (AsyncLocalStorage) around each admitted request.
   * It costs every route (a global interceptor, and AsyncLocalStorage's promise hooks on Node 20),
   * so it is on only where something reads it: set `true` to use `JwtContext.claims()`. When off,
   * `JwtContext.claims()` is always `undefined`, and `false` with a `tenantFrom` is refused at start.
   * @default on when `guard.tenantFrom`, `tokenDefaults.tenantFrom` or a token source's `tenantFrom` is set; otherwise off
   */
  context?: boolean;
}

/** The default claim `@Roles()` reads (`guard.rolesClaim`). */
export const DEFAULT_ROLES_CLAIM = 'roles';

/** Token claims as verified, as put on `request.user`. */
export type JwtClaimsPayload = JWTPayload & Record<string, unknown>;

/** The per-issuer `jwks` options once defaults are filled in (`importedKeyCache` is provider-wide). */
export type ResolvedJwksOptions = Required<Omit<JwksOptions, 'importedKeyCache'>>;

export const DEFAULT_JWKS_OPTIONS: ResolvedJwksOptions = deepFreeze({
  ttl: 600_000,
  maxAgeBounds: { min: 60_000, max: 86_400_000 },
  refreshAhead: 30_000,
  cooldown: 30_000,
  staleIfError: 86_400_000,
  timeout: 5_000,
  maxResponseBytes: 524_288,
  failOnStartup: false,
  warmUp: true,
  importedKeyCacheSize: 1_000,
  retryBackoff: { initial: 1_000, max: 60_000, jitter: 0.2 },
});

export const DEFAULT_VERIFY_OPTIONS = deepFreeze({
  clockTolerance: 5_000,
  maxTokenBytes: 16_384,
  verifiedTokenCacheSize: 10_000,
  typ: undefined as string | undefined,
  requiredClaims: [] as string[],
  maxTokenAge: undefined as number | undefined,
});

/** Tuning of the store layer (`storeOptions`). */
export interface StoreOptions {
  /**
   * How long an entry read from (or written to) a shared store stays in the in-process L1, at
   * most; an entry's own ttl is used when it is lower. Without a shared store the L1 is the only
   * tier and entries keep their own ttl.
   * @default 5_000
   */
  l1Ttl?: number;
  /**
   * Bound on the number of entries in the in-process L1 (least recently used are evicted).
   * @default 10_000
   */
  l1MaxEntries?: number;
  /**
   * Longest wait for one shared-store operation; past it the operation counts as a miss (`get`)
   * or is abandoned (`set`, `delete`), and the caller goes on.
   * @default 100
   */
  timeout?: number;
  /**
   * Store faults are logged at most once per `logInterval` per operation (the others are counted).
   * @default 10_000
   */
  logInterval?: number;
}

export const DEFAULT_STORE_OPTIONS: Required<StoreOptions> = deepFreeze({
  l1Ttl: 5_000,
  l1MaxEntries: 10_000,
  timeout: 100,
  logInterval: 10_000,
});

/** Tenants per token name kept in process when `maxTenantsPerToken` is not set. */
export const DEFAULT_MAX_TENANTS_PER_TOKEN = 10_000;

/** Time one call of a token function may take when its source sets no `timeout`, in ms. */
export const DEFAULT_TOKEN_FUNCTION_TIMEOUT = 10_000;

/** `tenantFrom` has no default value: without it a call without a tenant means no tenant. */
export const DEFAULT_TOKEN_TIMING: Required<Omit<TokenTimingOptions, 'tenantFrom'>> = deepFreeze({
  leeway: 60_000,
  refreshAhead: 60_000,
  rejectUnparsable: false,
  retryBackoff: { initial: 1_000, max: 60_000, jitter: 0.2 },
  maxTokenLifetime: 86_400_000,
});
