import type {
  ClientCredentialsOptions,
  DpopClientOptions,
  DpopOptions,
  GuardOptions,
  IssuerOptions,
  JwksCacheModuleOptions,
  JwksOptions,
  StoreOptions,
  TokenSourceOptions,
  VerifyOptions,
} from './options.js';

/** Every key of every member of a union (`keyof` of a union gives only the shared ones). */
type AllKeys<T> = T extends unknown ? keyof T : never;

/**
 * The names of an options block, in the order its interface lists them. Typed so that it must
 * name every key of `T` and nothing else: an option added to an interface fails the typecheck
 * here until it is listed, so validation never refuses a real option.
 */
export function keysOf<T>(keys: { readonly [K in AllKeys<Required<T>>]: true }): readonly string[] {
  return Object.keys(keys);
}

export const MODULE_OPTION_KEYS = keysOf<JwksCacheModuleOptions>({
  issuers: true,
  jwks: true,
  verify: true,
  tokenDefaults: true,
  tokens: true,
  maxTenantsPerToken: true,
  stores: true,
  integrityKey: true,
  encryptionKey: true,
  storeOptions: true,
  guard: true,
});

export const ISSUER_OPTION_KEYS = keysOf<IssuerOptions>({
  issuer: true,
  jwksUri: true,
  audience: true,
  algorithms: true,
  allowSymmetricAlgorithms: true,
  jwks: true,
  verify: true,
  seed: true,
  dpop: true,
  tenants: true,
  claimsMatch: true,
  maxIssuers: true,
  newIssuersPerSecond: true,
});

export const DPOP_OPTION_KEYS = keysOf<DpopOptions>({ mode: true, algorithms: true, maxProofAge: true, nonce: true });

export const DPOP_CLIENT_KEYS = keysOf<DpopClientOptions>({ privateKey: true, alg: true });

export const DPOP_NONCE_KEYS = keysOf<Exclude<NonNullable<DpopOptions['nonce']>, boolean>>({ rotation: true });

export const JWKS_OPTION_KEYS = keysOf<JwksOptions>({
  ttl: true,
  maxAgeBounds: true,
  refreshAhead: true,
  cooldown: true,
  staleIfError: true,
  timeout: true,
  maxResponseBytes: true,
  failOnStartup: true,
  warmUp: true,
  importedKeyCacheSize: true,
  importedKeyCache: true,
  retryBackoff: true,
});

export const MAX_AGE_BOUNDS_KEYS = keysOf<JwksOptions['maxAgeBounds']>({ min: true, max: true });

export const RETRY_BACKOFF_KEYS = keysOf<JwksOptions['retryBackoff']>({ initial: true, max: true, jitter: true });

export const VERIFY_OPTION_KEYS = keysOf<VerifyOptions>({
  clockTolerance: true,
  maxTokenBytes: true,
  verifiedTokenCacheSize: true,
  typ: true,
  requiredClaims: true,
  maxTokenAge: true,
});

/** An issuer's `verify`: every key of the top-level one but the shared cache's size. */
export const ISSUER_VERIFY_OPTION_KEYS = keysOf<NonNullable<IssuerOptions['verify']>>({
  clockTolerance: true,
  maxTokenBytes: true,
  typ: true,
  requiredClaims: true,
  maxTokenAge: true,
});

export const TOKEN_TIMING_KEYS = keysOf<NonNullable<JwksCacheModuleOptions['tokenDefaults']>>({
  leeway: true,
  refreshAhead: true,
  rejectUnparsable: true,
  retryBackoff: true,
  maxTokenLifetime: true,
  tenantFrom: true,
});

export const TOKEN_SOURCE_KEYS = keysOf<TokenSourceOptions>({
  leeway: true,
  refreshAhead: true,
  rejectUnparsable: true,
  retryBackoff: true,
  maxTokenLifetime: true,
  tenantFrom: true,
  verify: true,
  clientCredentials: true,
  tokenFunction: true,
  timeout: true,
  shareKey: true,
  dpop: true,
});

export const CLIENT_CREDENTIALS_KEYS = keysOf<ClientCredentialsOptions>({
  tokenEndpoint: true,
  issuer: true,
  clientId: true,
  clientSecret: true,
  authMethod: true,
  scope: true,
  audience: true,
  resource: true,
  extraParams: true,
  timeout: true,
});

export const STORE_OPTION_KEYS = keysOf<StoreOptions>({
  l1Ttl: true,
  l1MaxEntries: true,
  timeout: true,
  logInterval: true,
});

export const GUARD_OPTION_KEYS = keysOf<GuardOptions>({
  realm: true,
  cookie: true,
  header: true,
  mapUser: true,
  rolesClaim: true,
  tenantFrom: true,
  context: true,
  publicUrl: true,
});
