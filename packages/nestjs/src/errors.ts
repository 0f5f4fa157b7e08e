/**
 * Typed errors with stable `code`s, after jose's error model: catch {@link JwksCacheError} for all
 * of them, switch on `code` (stable across versions) rather than on messages (which may change).
 *
 * Messages never contain a token, a client secret or a key: they name the issuer, the option or
 * the HTTP status, and nothing a log reader should not see.
 *
 * Configuration mistakes are not among these: they are plain `TypeError`s thrown at start-up.
 */

/**
 * Every `code` a {@link JwksCacheError} can carry, as jose's `JOSEErrorCode`: each class has its
 * own, stable across versions; switch on it rather than on messages.
 */
export type JwksCacheErrorCode =
  | 'ERR_JWKS_CACHE'
  | 'ERR_TOKEN_REJECTED'
  | 'ERR_TOKEN_MALFORMED'
  | 'ERR_TOKEN_TOO_LARGE'
  | 'ERR_UNKNOWN_ISSUER'
  | 'ERR_ALGORITHM_NOT_ALLOWED'
  | 'ERR_HEADER_NOT_ALLOWED'
  | 'ERR_JWKS_NO_MATCHING_KEY'
  | 'ERR_JWKS_MULTIPLE_MATCHING_KEYS'
  | 'ERR_JWS_SIGNATURE_INVALID'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_CLAIM_INVALID'
  | 'ERR_JWKS_UNAVAILABLE'
  | 'ERR_TOKEN_MISSING'
  | 'ERR_AUTHORIZATION_MALFORMED'
  | 'ERR_INSUFFICIENT_SCOPE'
  | 'ERR_DPOP_PROOF_INVALID'
  | 'ERR_DPOP_PROOF_REPLAYED'
  | 'ERR_DPOP_NONCE_REQUIRED'
  | 'ERR_DPOP_SCHEME'
  | 'ERR_FETCH_FAILED'
  | 'ERR_FETCH_TIMEOUT'
  | 'ERR_FETCH_RESPONSE_TOO_LARGE'
  | 'ERR_FETCH_INVALID_RESPONSE'
  | 'ERR_DISCOVERY_ISSUER_MISMATCH'
  | 'ERR_TOKEN_SOURCE_UNKNOWN'
  | 'ERR_TOKEN_REQUEST_FAILED'
  | 'ERR_TOKEN_UNUSABLE'
  | 'ERR_STORE'
  | 'ERR_STORE_TIMEOUT'
  | 'ERR_STORE_ENTRY_REJECTED'
  | 'ERR_USER_REJECTED'
  | 'ERR_INSUFFICIENT_ROLE'
  | 'ERR_JWT_CONTEXT_MISSING';

/** Base class of every error this library throws at run time. */
export class JwksCacheError extends Error {
  /** A stable, machine-readable code, e.g. `ERR_JWKS_NO_MATCHING_KEY`. */
  static readonly code: JwksCacheErrorCode = 'ERR_JWKS_CACHE';
  /** A stable, machine-readable code, e.g. `ERR_JWKS_NO_MATCHING_KEY`. */
  readonly code: JwksCacheErrorCode = JwksCacheError.code;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = new.target.code;
  }
}

// ---------------------------------------------------------------------------------------------
// Inbound: verifying tokens
// ---------------------------------------------------------------------------------------------

/**
 * The token could not be accepted. Every inbound rejection is one of its subclasses, so a guard
 * can map `instanceof TokenRejectedError` to a 401 and anything else to a 5xx-free fallback.
 */
export class TokenRejectedError extends JwksCacheError {
  static override readonly code: JwksCacheErrorCode = 'ERR_TOKEN_REJECTED';
}

/** The token is not a well-formed compact JWS (parts, base64url, JSON header/payload, size). */
export class TokenMalformedError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_TOKEN_MALFORMED';
}

/** The token exceeds `verify.maxTokenBytes`; it was rejected before any parsing. */
export class TokenTooLargeError extends TokenMalformedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_TOKEN_TOO_LARGE';
}

/** The token's `iss` is not a configured issuer. No network request was made for it. */
export class UnknownIssuerError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_UNKNOWN_ISSUER';
}

/**
 * The header's `alg` is `none`, not in the issuer's allow-list, not a signature algorithm, or
 * does not fit the key type.
 */
export class AlgorithmNotAllowedError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_ALGORITHM_NOT_ALLOWED';
}

/** The header carries an unsupported `crit` extension, or a header this library never honours. */
export class HeaderNotAllowedError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_HEADER_NOT_ALLOWED';
}

/**
 * No key of the issuer's key set matches the token's `kid` / `alg`. When the kid was unknown and
 * the `cooldown` prevented a refetch, `cooldown` is `true`.
 */
export class NoMatchingKeyError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_JWKS_NO_MATCHING_KEY';
  /** `true` when the kid was rejected from the negative cache, without a refetch. */
  readonly cooldown: boolean;

  constructor(message: string, options?: { cause?: unknown; cooldown?: boolean }) {
    super(message, options);
    this.cooldown = options?.cooldown ?? false;
  }
}

/**
 * Several keys of the issuer fit a header without `kid` and nothing tells them apart: `getKey`
 * was called without the token (pass it, and the key whose signature verifies is returned).
 * Named after jose's `ERR_JWKS_MULTIPLE_MATCHING_KEYS`.
 */
export class MultipleMatchingKeysError extends NoMatchingKeyError {
  static override readonly code: JwksCacheErrorCode = 'ERR_JWKS_MULTIPLE_MATCHING_KEYS';
}

/** The signature did not verify with any candidate key. */
export class SignatureInvalidError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_JWS_SIGNATURE_INVALID';
}

/** `exp` has passed (beyond the clock tolerance). */
export class TokenExpiredError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_JWT_EXPIRED';
}

/**
 * A claim check failed: `nbf` / `iat` in the future, `aud`, `typ`, a required claim missing,
 * `maxTokenAge`, or a claim of the wrong type. `claim` names it.
 */
export class ClaimValidationError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_JWT_CLAIM_INVALID';
  /** The claim (or header parameter, for `typ`) that failed. */
  readonly claim: string;
  /** Why it failed, e.g. `check_failed` or `missing`. */
  readonly reason: string;

  constructor(message: string, claim: string, reason = 'check_failed', options?: { cause?: unknown }) {
    super(message, options);
    this.claim = claim;
    this.reason = reason;
  }
}

/**
 * The issuer's keys could not be obtained (no cached set, and the fetch failed) — an outage, not
 * the caller's fault. A guard maps it to 401 like every rejection, but it is logged as a warning.
 */
/**
 * An outage, not a verdict on the token: no usable key set (the issuer failed and no last good
 * set is within `staleIfError`). Hence not a {@link TokenRejectedError}; the guard still answers
 * it 401 `invalid_token` (the token could not be verified) and logs it as a warning.
 */
export class KeySetUnavailableError extends JwksCacheError {
  static override readonly code: JwksCacheErrorCode = 'ERR_JWKS_UNAVAILABLE';
}

/** The request carries no bearer token (no `Authorization: Bearer`, nor the configured header or cookie). */
export class TokenMissingError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_TOKEN_MISSING';
}

/**
 * The `Authorization` header uses the Bearer scheme but is not `Bearer <one b64token>` (RFC 6750
 * §2.1): no token, several, or characters a token cannot contain. `JwtGuard` answers 400
 * `invalid_request`.
 */
export class AuthorizationMalformedError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_AUTHORIZATION_MALFORMED';
}

/** The token is valid but lacks a scope the route requires (`@Scopes`). `JwtGuard` answers 403. */
export class InsufficientScopeError extends JwksCacheError {
  static override readonly code: JwksCacheErrorCode = 'ERR_INSUFFICIENT_SCOPE';
  /** The scopes the route requires: all of them for `@Scopes`; for `@AnyScope`, the ones it accepts (any one is enough). */
  readonly required: readonly string[];
  /** The required scopes the token does not grant. */
  readonly missing: readonly string[];

  constructor(message: string, required: readonly string[], missing: readonly string[]) {
    super(message);
    this.required = required;
    this.missing = missing;
  }
}

/** `guard.mapUser` (or an overridden `JwtGuard.mapUser`) gave no user (`null`, `undefined` or `false`): 401. */
export class UserRejectedError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_USER_REJECTED';
}

/** The token has none of the roles a route requires (`@Roles`): 403, without a Bearer challenge. */
export class InsufficientRoleError extends JwksCacheError {
  static override readonly code: JwksCacheErrorCode = 'ERR_INSUFFICIENT_ROLE';
  /** The roles the route accepts (any one of them is enough). */
  readonly required: readonly string[];

  constructor(message: string, required: readonly string[]) {
    super(message);
    this.required = required;
  }
}

/**
 * A token source with `tenantFrom` was asked for a token with no tenant given, outside a request
 * admitted by `JwtGuard` (or with `guard.context: false`): there are no claims to take the tenant
 * from. Pass the tenant explicitly there.
 */
export class JwtContextMissingError extends JwksCacheError {
  static override readonly code: JwksCacheErrorCode = 'ERR_JWT_CONTEXT_MISSING';
}

// ---------------------------------------------------------------------------------------------
// Sender-constrained tokens (DPoP, RFC 9449)
// ---------------------------------------------------------------------------------------------

/** The RFC 9449 §4.3 check a DPoP proof failed, in the order they run. */
export type DpopCheck =
  'header' | 'typ' | 'alg' | 'jwk' | 'signature' | 'claims' | 'htm' | 'htu' | 'nonce' | 'iat' | 'ath' | 'jkt' | 'jti';

/**
 * The request's DPoP proof was refused (RFC 9449 §4.3). `check` names the check that failed;
 * the message never holds the proof, the token or a claim value. `JwtGuard` answers 401
 * `WWW-Authenticate: DPoP error="invalid_dpop_proof"`.
 */
export class DpopProofInvalidError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_DPOP_PROOF_INVALID';
  /** The check that failed. */
  readonly check: DpopCheck;

  constructor(message: string, check: DpopCheck, options?: { cause?: unknown }) {
    super(message, options);
    this.check = check;
  }
}

/** The proof's `jti` was already used within its `iat` window (on this instance or, with a shared store, the fleet). */
export class DpopProofReplayedError extends DpopProofInvalidError {
  static override readonly code: JwksCacheErrorCode = 'ERR_DPOP_PROOF_REPLAYED';

  constructor(message: string) {
    super(message, 'jti');
  }
}

/**
 * Server nonces are on (`dpop.nonce`) and the proof has none, or a stale one: the client must
 * retry with `nonce` (the one in `nonce`). `JwtGuard` answers 401 `error="use_dpop_nonce"` with
 * a `DPoP-Nonce` header (RFC 9449 §9).
 */
export class DpopNonceRequiredError extends DpopProofInvalidError {
  static override readonly code: JwksCacheErrorCode = 'ERR_DPOP_NONCE_REQUIRED';
  /** The nonce the client should use (public: it is sent in `DPoP-Nonce`). */
  readonly nonce: string;

  constructor(message: string, nonce: string) {
    super(message, 'nonce');
    this.nonce = nonce;
  }
}

/**
 * The token came with the wrong scheme: a DPoP-bound token (`cnf.jkt`) as `Bearer`, a Bearer
 * token where the issuer's `dpop` is `'required'`, or `DPoP` where it is `'off'`.
 */
export class DpopSchemeError extends TokenRejectedError {
  static override readonly code: JwksCacheErrorCode = 'ERR_DPOP_SCHEME';
}

// ---------------------------------------------------------------------------------------------
// Fetching key sets and discovery documents
// ---------------------------------------------------------------------------------------------

/** A request to the issuer (JWKS or discovery) failed. `status` is set for HTTP errors. */
export class FetchError extends JwksCacheError {
  static override readonly code: JwksCacheErrorCode = 'ERR_FETCH_FAILED';
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  /** The URL that was requested (never carries credentials). */
  readonly url: string;

  constructor(message: string, url: string, options?: { cause?: unknown; status?: number }) {
    super(message, options);
    this.url = url;
    this.status = options?.status;
  }
}

/** The request took longer than `jwks.timeout`. */
export class FetchTimeoutError extends FetchError {
  static override readonly code: JwksCacheErrorCode = 'ERR_FETCH_TIMEOUT';
}

/** The response body exceeded `jwks.maxResponseBytes`. */
export class ResponseTooLargeError extends FetchError {
  static override readonly code: JwksCacheErrorCode = 'ERR_FETCH_RESPONSE_TOO_LARGE';
}

/** The response was not the expected JSON shape (a JWKS, or a discovery document). */
export class InvalidResponseError extends FetchError {
  static override readonly code: JwksCacheErrorCode = 'ERR_FETCH_INVALID_RESPONSE';
}

/** The discovered metadata names another issuer than the configured one. */
export class DiscoveryMismatchError extends InvalidResponseError {
  static override readonly code: JwksCacheErrorCode = 'ERR_DISCOVERY_ISSUER_MISMATCH';
}

// ---------------------------------------------------------------------------------------------
// Outbound tokens
// ---------------------------------------------------------------------------------------------

/** `ensureToken` was asked for a name that no source is registered under. */
export class UnknownTokenSourceError extends JwksCacheError {
  static override readonly code: JwksCacheErrorCode = 'ERR_TOKEN_SOURCE_UNKNOWN';
}

/**
 * Obtaining an outbound token failed. Carries the token endpoint's HTTP `status` and OAuth
 * `error` / `errorDescription` when there were any; never the client secret or a token.
 */
export class TokenRequestError extends JwksCacheError {
  static override readonly code: JwksCacheErrorCode = 'ERR_TOKEN_REQUEST_FAILED';
  /** The token name (`'default'` when none was given). */
  readonly tokenName: string;
  /** The HTTP status of the token endpoint's answer, if it answered. */
  readonly status: number | undefined;
  /** The OAuth 2.0 `error` code (RFC 6749 §5.2), e.g. `invalid_client`. */
  readonly error: string | undefined;
  /** The OAuth 2.0 `error_description`, truncated to 200 characters. */
  readonly errorDescription: string | undefined;

  constructor(
    message: string,
    tokenName: string,
    options?: { cause?: unknown; status?: number; error?: string; errorDescription?: string },
  ) {
    super(message, options);
    this.tokenName = tokenName;
    this.status = options?.status;
    this.error = options?.error;
    this.errorDescription = options?.errorDescription;
  }
}

/** The obtained token could not be parsed (with `rejectUnparsable`) or failed `verify`. */
export class TokenUnusableError extends TokenRequestError {
  static override readonly code: JwksCacheErrorCode = 'ERR_TOKEN_UNUSABLE';
}

// ---------------------------------------------------------------------------------------------
// Stores
// ---------------------------------------------------------------------------------------------

/**
 * A cache store failed or was too slow. Never surfaces to a request: the library treats it as a
 * miss. It is what `store.error` events carry.
 */
export class StoreError extends JwksCacheError {
  static override readonly code: JwksCacheErrorCode = 'ERR_STORE';
}

/** A cache store did not answer within `storeOptions.timeout`; treated as a miss. */
export class StoreTimeoutError extends StoreError {
  static override readonly code: JwksCacheErrorCode = 'ERR_STORE_TIMEOUT';
}

/**
 * An entry read from a shared store failed validation (envelope shape, kind, HMAC or
 * decryption); it was ignored as a miss, and the next write overwrites it.
 */
export class StoreEntryRejectedError extends StoreError {
  static override readonly code: JwksCacheErrorCode = 'ERR_STORE_ENTRY_REJECTED';
}

// ---------------------------------------------------------------------------------------------
// Not run-time JwksCacheErrors: a programming error, and signals that stay inside the library
// ---------------------------------------------------------------------------------------------

/**
 * Overrides (`verify(token, overrides)`, `@JwtVerify`) that would widen what an issuer allows, or
 * that are not of the right shape: a programming error, so a `TypeError`, never a token
 * rejection. `where` says whose overrides they are.
 */
export class InvalidVerifyOverridesError extends TypeError {
  override readonly name = 'InvalidVerifyOverridesError';
}

/** A JWKS that cannot be used at all; the caller maps it to a typed error with the URL. */
export class KeySetShapeError extends Error {}

/** A response body went past its byte limit (from `content-length` up front, or while streaming). */
export class BodyTooLargeError extends Error {
  constructor(readonly limit: number) {
    super(`The response body exceeds ${limit} bytes`);
    this.name = 'BodyTooLargeError';
  }
}

/** A redirect the caller does not follow: more than allowed, to another origin, or without `Location`. */
export class RedirectRefusedError extends Error {
  constructor(
    readonly reason: 'no-location' | 'too-many' | 'other-origin',
    readonly status: number,
  ) {
    super(`Redirect refused (${reason})`);
    this.name = 'RedirectRefusedError';
  }
}

/**
 * Thrown when a transport is used without the optional peer package it needs: the message names
 * the package and the feature, and says how to install it.
 */
export class MissingPeerDependencyError extends Error {
  /** The npm package that could not be loaded, e.g. `graphql`. */
  readonly packageName: string;

  constructor(packageName: string, feature: string, options?: { cause?: unknown }) {
    super(
      `${feature} needs the optional package "${packageName}", which is not installed: npm install ${packageName}`,
      options,
    );
    this.name = 'MissingPeerDependencyError';
    this.packageName = packageName;
  }
}
