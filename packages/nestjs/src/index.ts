export {
  JwksCacheError,
  TokenRejectedError,
  TokenMalformedError,
  TokenTooLargeError,
  UnknownIssuerError,
  AlgorithmNotAllowedError,
  HeaderNotAllowedError,
  NoMatchingKeyError,
  MultipleMatchingKeysError,
  SignatureInvalidError,
  TokenExpiredError,
  ClaimValidationError,
  KeySetUnavailableError,
  TokenMissingError,
  AuthorizationMalformedError,
  InsufficientScopeError,
  UserRejectedError,
  InsufficientRoleError,
  JwtContextMissingError,
  FetchError,
  FetchTimeoutError,
  ResponseTooLargeError,
  InvalidResponseError,
  DiscoveryMismatchError,
  UnknownTokenSourceError,
  TokenRequestError,
  TokenUnusableError,
  StoreError,
  StoreTimeoutError,
  StoreEntryRejectedError,
  type JwksCacheErrorCode,
} from './errors.js';
export * from './config/options.js';
export { JwksCacheModule } from './jwks-cache.module.js';
export { JWKS_CACHE_CONFIG, JWKS_CACHE_OPTIONS } from './jwks-cache.module-definition.js';
export {
  JwksProvider,
  type JwksProviderStats,
  type VerifiedToken,
  type IssuerHealth,
  type IssuerKeyStats,
  type SeedOutcome,
  type DynamicIssuerStats,
  type IssuerTemplateStats,
  type KeySetStats,
} from './jwks/jwks-provider.js';
export { DpopRequestVerifier, type AcceptedSchemes } from './dpop/dpop-request-verifier.js';
export type { HttpRequestToVerify, VerifiedRequest, RequestHeaders, RequestVerifier } from './jwks/request-verifier.js';
export {
  verifyDpopProof,
  accessTokenHash,
  type DpopProofExpectations,
  type VerifiedDpopProof,
} from './dpop/verify-dpop-proof.js';
export { normalizeHtu } from './dpop/htu.js';
export type { DpopReplayStats } from './dpop/dpop-replay-cache.js';
export { DPOP_NONCE_HEADER, formatDpopChallenge } from './guard/dpop-rejection.js';
export type { ImportedKeyCacheAdapter, ImportedKeyCacheKey, VerificationKey } from './jwks/imported-key-cache.js';
export type { ExportedKeySet } from './jwks/stored-key-set.js';
export { JwtGuard, type JwtGuardRequest } from './guard/jwt-guard.js';
export { Public, PUBLIC_ROUTE_KEY } from './guard/public.js';
export { Scopes, REQUIRED_SCOPES_KEY } from './guard/scopes.js';
export { AnyScope, ANY_SCOPE_KEY } from './guard/any-scope.js';
export { Roles, REQUIRED_ROLES_KEY } from './guard/roles.js';
export { JwtContext } from './guard/jwt-context.js';
export { JwtContextInterceptor } from './guard/jwt-context-interceptor.js';
export { tokenRoles, rolesClaimPath, type RolesClaimPath } from './guard/token-roles.js';
export { JwtVerify, JWT_VERIFY_OVERRIDES_KEY } from './guard/jwt-verify.js';
export { JwtClaims } from './guard/jwt-claims.js';
export { JwtIssuer, type JwtIssuerInfo } from './guard/jwt-issuer.js';
export {
  BearerChallengeException,
  formatBearerChallenge,
  type BearerChallengeParams,
} from './guard/bearer-challenge-exception.js';
export { extractBearerToken } from './guard/extract-bearer-token.js';
export { MissingPeerDependencyError } from './errors.js';
export { grantedScopes } from './guard/granted-scopes.js';
export { TokenCacheService, type TokenStats, type TokenFetchOptions } from './token-cache/token-cache-service.js';
export type { CachedTokenEntry } from './token-cache/cached-token.js';
export {
  JwksCacheEvents,
  type JwksCacheEventMap,
  type JwksCacheEventName,
  type KeySetOfTemplate,
} from './observability/jwks-cache-events.js';
