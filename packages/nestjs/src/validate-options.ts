import {
  ASYMMETRIC_ALGORITHMS,
  SYMMETRIC_ALGORITHMS,
  type IssuerOptions,
  type JwksCacheModuleOptions,
  type JwksOptions,
  type RetryBackoffOptions,
  type TokenTimingOptions,
  type TokenSourceOptions,
  type VerifyOptions,
} from './options.js';

const KNOWN_ALGORITHMS = new Set<string>([...ASYMMETRIC_ALGORITHMS, ...SYMMETRIC_ALGORITHMS]);
const SYMMETRIC = new Set<string>(SYMMETRIC_ALGORITHMS);

const JWKS_DURATIONS = ['ttl', 'refreshAhead', 'cooldown', 'staleIfError', 'timeout'] as const;
const VERIFY_NUMBERS = ['clockTolerance', 'maxTokenBytes', 'verifiedTokenCacheSize', 'maxTokenAge'] as const;

/**
 * Checks the module options once, at start-up, and throws a `TypeError` naming the first
 * option that is wrong. Secrets are never echoed: only the option's path is named.
 */
export function validateOptions(options: JwksCacheModuleOptions): void {
  if (options === null || typeof options !== 'object') fail('options', 'must be an object');
  const issuers = options.issuers ?? [];
  if (!Array.isArray(issuers)) fail('issuers', 'must be an array');
  const seen = new Set<string>();
  issuers.forEach((issuer, i) => {
    validateIssuer(issuer, `issuers[${i}]`);
    if (seen.has(issuer.issuer)) fail(`issuers[${i}].issuer`, `duplicates another issuer (${issuer.issuer})`);
    seen.add(issuer.issuer);
  });
  if (options.jwks !== undefined) validateJwks(options.jwks, 'jwks');
  if (options.verify !== undefined) validateVerify(options.verify, 'verify');
  if (options.tokenDefaults !== undefined) validateTokenTiming(options.tokenDefaults, 'tokenDefaults');
  const { maxTenantsPerToken } = options;
  if (maxTenantsPerToken !== undefined && (!Number.isInteger(maxTenantsPerToken) || maxTenantsPerToken < 1)) {
    fail('maxTenantsPerToken', 'must be an integer ≥ 1');
  }
  for (const [name, source] of Object.entries(options.tokens ?? {})) {
    validateTokenSource(source, `tokens.${name}`, seen);
  }
  if (options.integrityKey !== undefined) validateSecretLength(options.integrityKey, 'integrityKey', 32, 'at least');
  if (options.encryptionKey !== undefined) validateEncryptionKey(options.encryptionKey);
  if (options.storeOptions !== undefined) validateStoreOptions(options.storeOptions);
}

function validateIssuer(issuer: IssuerOptions, path: string): void {
  if (issuer === null || typeof issuer !== 'object') fail(path, 'must be an object');
  if (typeof issuer.issuer !== 'string' || issuer.issuer.length === 0) fail(`${path}.issuer`, 'is required (a non-empty string)');
  if (issuer.jwksUri === undefined) validateUrl(issuer.issuer, `${path}.issuer`, '(it is used for OIDC discovery, as jwksUri is absent)');
  else validateUrl(issuer.jwksUri, `${path}.jwksUri`);
  if (issuer.audience !== undefined && !isStringOrStrings(issuer.audience)) fail(`${path}.audience`, 'must be a string or an array of strings');
  if (issuer.algorithms !== undefined) validateAlgorithms(issuer, path);
  if (issuer.jwks !== undefined) validateJwks(issuer.jwks, `${path}.jwks`);
  if (issuer.verify !== undefined) validateVerify(issuer.verify, `${path}.verify`);
}

function validateAlgorithms(issuer: IssuerOptions, path: string): void {
  const algorithms: unknown = issuer.algorithms;
  if (!Array.isArray(algorithms) || algorithms.length === 0) fail(`${path}.algorithms`, 'must be a non-empty array');
  for (const alg of algorithms) {
    if (typeof alg !== 'string' || !KNOWN_ALGORITHMS.has(alg)) {
      fail(`${path}.algorithms`, `contains an unknown or unsupported algorithm (${String(alg)}); known: ${[...KNOWN_ALGORITHMS].join(', ')}`);
    }
    if (SYMMETRIC.has(alg) && issuer.allowSymmetricAlgorithms !== true) {
      fail(`${path}.algorithms`, `contains the symmetric algorithm ${alg}; set ${path}.allowSymmetricAlgorithms to true to opt in`);
    }
  }
}

function validateJwks(jwks: JwksOptions, path: string): void {
  if (jwks === null || typeof jwks !== 'object') fail(path, 'must be an object');
  for (const name of JWKS_DURATIONS) validateNonNegative(jwks[name], `${path}.${name}`);
  validatePositive(jwks.maxResponseBytes, `${path}.maxResponseBytes`);
  validatePositive(jwks.importedKeyCacheSize, `${path}.importedKeyCacheSize`);
  if (jwks.timeout === 0) fail(`${path}.timeout`, 'must be greater than 0');
  if (jwks.maxAgeBounds !== undefined) {
    validateNonNegative(jwks.maxAgeBounds.min, `${path}.maxAgeBounds.min`);
    validateNonNegative(jwks.maxAgeBounds.max, `${path}.maxAgeBounds.max`);
    if (jwks.maxAgeBounds.min > jwks.maxAgeBounds.max) fail(`${path}.maxAgeBounds`, 'min must not exceed max');
  }
  if (jwks.retryBackoff !== undefined) validateBackoff(jwks.retryBackoff, `${path}.retryBackoff`);
}

function validateVerify(verify: VerifyOptions, path: string): void {
  if (verify === null || typeof verify !== 'object') fail(path, 'must be an object');
  for (const name of VERIFY_NUMBERS) validateNonNegative(verify[name], `${path}.${name}`);
  if (verify.maxTokenBytes === 0) fail(`${path}.maxTokenBytes`, 'must be greater than 0');
  if (verify.typ !== undefined && (typeof verify.typ !== 'string' || verify.typ.length === 0)) fail(`${path}.typ`, 'must be a non-empty string');
  if (verify.requiredClaims !== undefined && !isStrings(verify.requiredClaims)) fail(`${path}.requiredClaims`, 'must be an array of strings');
}

function validateTokenTiming(timing: TokenTimingOptions, path: string): void {
  validateNonNegative(timing.leeway, `${path}.leeway`);
  validateNonNegative(timing.refreshAhead, `${path}.refreshAhead`);
  validatePositive(timing.maxTokenLifetime, `${path}.maxTokenLifetime`);
  const { retryBackoff } = timing;
  if (retryBackoff === undefined || retryBackoff === false) return;
  if (retryBackoff === null || typeof retryBackoff !== 'object') fail(`${path}.retryBackoff`, 'must be false or { initial, max, jitter }');
  validateBackoff(retryBackoff, `${path}.retryBackoff`);
}

function validateBackoff(backoff: RetryBackoffOptions, path: string): void {
  if (backoff === null || typeof backoff !== 'object') fail(path, 'must be { initial, max, jitter }');
  if (backoff.initial === undefined) fail(`${path}.initial`, 'is required');
  validatePositive(backoff.initial, `${path}.initial`);
  validatePositive(backoff.max, `${path}.max`);
  if (!(backoff.max >= backoff.initial)) fail(`${path}.max`, 'must be at least initial');
  const { jitter } = backoff;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1)) fail(`${path}.jitter`, 'must be a number from 0 to 1');
}

/** Also used by `TokenCacheService.register()` for sources added at run time. */
export function validateTokenSource(source: TokenSourceOptions, path: string, issuers: ReadonlySet<string>): void {
  if (source === null || typeof source !== 'object') fail(path, 'must be an object');
  const hasCredentials = source.clientCredentials !== undefined;
  const hasFunction = source.tokenFunction !== undefined;
  if (hasCredentials === hasFunction) fail(path, 'needs exactly one of clientCredentials or tokenFunction');
  if (hasFunction && typeof source.tokenFunction !== 'function') fail(`${path}.tokenFunction`, 'must be a function');
  if (hasCredentials && source.timeout !== undefined) fail(`${path}.timeout`, 'applies to a tokenFunction; set clientCredentials.timeout instead');
  validatePositive(source.timeout, `${path}.timeout`);
  if (hasCredentials && source.shareKey !== undefined) fail(`${path}.shareKey`, 'applies to a tokenFunction (client-credentials tokens are shared under their settings)');
  if (source.shareKey !== undefined && (typeof source.shareKey !== 'string' || source.shareKey.length === 0)) fail(`${path}.shareKey`, 'must be a non-empty string');
  const credentials = source.clientCredentials;
  if (credentials !== undefined && typeof credentials !== 'function') {
    validateClientCredentials(credentials, `${path}.clientCredentials`);
  }
  validateTokenTiming(source, path);
  if (source.verify !== undefined && !issuers.has(source.verify)) fail(`${path}.verify`, `names an issuer that is not configured (${source.verify})`);
}

/** Also used at run time for per-tenant settings returned by a function. */
export function validateClientCredentials(credentials: unknown, path: string): void {
  if (credentials === null || typeof credentials !== 'object') fail(path, 'must be an object or a function of the tenant');
  const c = credentials as Record<string, unknown>;
  if (typeof c.clientId !== 'string' || c.clientId.length === 0) fail(`${path}.clientId`, 'is required (a non-empty string)');
  if (typeof c.clientSecret !== 'string' || c.clientSecret.length === 0) fail(`${path}.clientSecret`, 'is required (a non-empty string)');
  if (c.tokenEndpoint === undefined && c.issuer === undefined) fail(path, 'needs tokenEndpoint, or issuer to discover it from');
  if (c.tokenEndpoint !== undefined) validateUrl(c.tokenEndpoint, `${path}.tokenEndpoint`);
  if (c.issuer !== undefined) validateUrl(c.issuer, `${path}.issuer`);
  if (c.authMethod !== undefined && c.authMethod !== 'client_secret_basic' && c.authMethod !== 'client_secret_post') {
    fail(`${path}.authMethod`, "must be 'client_secret_basic' or 'client_secret_post'");
  }
  if (c.scope !== undefined && !isStringOrStrings(c.scope)) fail(`${path}.scope`, 'must be a string or an array of strings');
  if (c.resource !== undefined && !isStringOrStrings(c.resource)) fail(`${path}.resource`, 'must be a string or an array of strings');
  validatePositive(c.timeout, `${path}.timeout`);
}

function validateStoreOptions(store: NonNullable<JwksCacheModuleOptions['storeOptions']>): void {
  if (store === null || typeof store !== 'object') fail('storeOptions', 'must be an object');
  validatePositive(store.l1Ttl, 'storeOptions.l1Ttl');
  validatePositive(store.l1MaxEntries, 'storeOptions.l1MaxEntries');
  validatePositive(store.timeout, 'storeOptions.timeout');
  validateNonNegative(store.logInterval, 'storeOptions.logInterval');
}

function validateEncryptionKey(key: NonNullable<JwksCacheModuleOptions['encryptionKey']>): void {
  if (typeof key === 'string' || key instanceof Uint8Array) {
    validateSecretLength(key, 'encryptionKey', 32, 'exactly');
    return;
  }
  if (key === null || typeof key !== 'object' || Object.keys(key).length === 0) fail('encryptionKey', 'must be a 32-byte key or a non-empty { kid: key } map');
  for (const [kid, value] of Object.entries(key)) validateSecretLength(value, `encryptionKey.${kid}`, 32, 'exactly');
}

function validateSecretLength(value: unknown, path: string, bytes: number, rule: 'at least' | 'exactly'): void {
  const length = typeof value === 'string' ? Buffer.byteLength(value) : value instanceof Uint8Array ? value.byteLength : -1;
  if (length < 0) fail(path, 'must be a string or a Uint8Array');
  if (rule === 'at least' ? length < bytes : length !== bytes) fail(path, `must be ${rule} ${bytes} bytes long`);
}

function validateUrl(value: unknown, path: string, note = ''): void {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    fail(path, `must be an absolute http(s) URL ${note}`.trim());
  }
  if (url.username !== '' || url.password !== '') fail(path, 'must not carry credentials');
}

function validateNonNegative(value: unknown, path: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) fail(path, 'must be a finite number ≥ 0 (milliseconds or a count)');
}

function validatePositive(value: unknown, path: string): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) fail(path, 'must be a finite number > 0');
}

function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function isStringOrStrings(value: unknown): boolean {
  return typeof value === 'string' || (isStrings(value) && value.length > 0);
}

function fail(path: string, problem: string): never {
  throw new TypeError(`JwksCacheModule: option ${path} ${problem}`);
}
