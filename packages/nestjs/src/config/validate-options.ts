import {
  ASYMMETRIC_ALGORITHMS,
  SYMMETRIC_ALGORITHMS,
  type IssuerOptions,
  type JwksCacheModuleOptions,
  type JwksOptions,
  type TokenTimingOptions,
  type TokenSourceOptions,
  type VerifyOptions,
} from './options.js';
import { closestName } from './closest-name.js';
import {
  CLIENT_CREDENTIALS_KEYS,
  DPOP_CLIENT_KEYS,
  DPOP_NONCE_KEYS,
  DPOP_OPTION_KEYS,
  GUARD_OPTION_KEYS,
  ISSUER_OPTION_KEYS,
  ISSUER_VERIFY_OPTION_KEYS,
  JWKS_OPTION_KEYS,
  MAX_AGE_BOUNDS_KEYS,
  MODULE_OPTION_KEYS,
  RETRY_BACKOFF_KEYS,
  STORE_OPTION_KEYS,
  TOKEN_SOURCE_KEYS,
  TOKEN_TIMING_KEYS,
  VERIFY_OPTION_KEYS,
} from './known-option-keys.js';
import { parseSecretKey } from '../store/secret-key.js';
import { validateTemplateOptions } from './validate-template-options.js';
import { isIssuerTemplate } from '../jwks/issuer-template.js';
import { DpopProofSigner } from '../dpop/dpop-proof-signer.js';

const KNOWN_ALGORITHMS = new Set<string>([...ASYMMETRIC_ALGORITHMS, ...SYMMETRIC_ALGORITHMS]);
const SYMMETRIC = new Set<string>(SYMMETRIC_ALGORITHMS);

/**
 * The longest a timer can wait: Node keeps timer delays (`setTimeout`, `AbortSignal.timeout`) in
 * 31 bits, and a longer one fires after 1 ms with a `TimeoutOverflowWarning`.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** The cap on inbound tokens; `verify.maxTokenBytes` may lower it, never raise it. */
export const MAX_TOKEN_BYTES = 16_384;

/** Durations compared with the clock only (never a timer): any whole, non-negative ms. */
const JWKS_DURATIONS = ['ttl', 'refreshAhead', 'cooldown', 'staleIfError'] as const;
const VERIFY_DURATIONS = ['clockTolerance', 'maxTokenAge'] as const;

/**
 * Checks the module options once, at start-up, and throws a `TypeError` naming the first
 * option that is wrong. Secrets are never echoed: only the option's path is named.
 */
export function validateOptions(options: JwksCacheModuleOptions): void {
  checkObject(options, 'options');
  checkKeys(options, MODULE_OPTION_KEYS, '');
  const issuers = options.issuers ?? [];
  if (!Array.isArray(issuers)) fail('issuers', 'must be an array');
  const seen = new Set<string>();
  issuers.forEach((issuer, i) => {
    validateIssuer(issuer, `issuers[${i}]`);
    if (seen.has(issuer.issuer)) fail(`issuers[${i}].issuer`, `duplicates another issuer (${issuer.issuer})`);
    seen.add(issuer.issuer);
  });
  if (options.jwks !== undefined) validateJwks(options.jwks, 'jwks');
  if (options.verify !== undefined) validateVerify(options.verify, 'verify', VERIFY_OPTION_KEYS);
  if (options.tokenDefaults !== undefined) {
    checkObject(options.tokenDefaults, 'tokenDefaults');
    checkKeys(options.tokenDefaults, TOKEN_TIMING_KEYS, 'tokenDefaults');
    validateTokenTiming(options.tokenDefaults, 'tokenDefaults');
  }
  validateCount(options.maxTenantsPerToken, 'maxTenantsPerToken', 1);
  if (options.tokens !== undefined) checkObject(options.tokens, 'tokens');
  for (const [name, source] of Object.entries(options.tokens ?? {})) {
    // A token source verifies against one exact issuer: a template names none.
    validateTokenSource(source, `tokens.${name}`, new Set([...seen].filter((issuer) => !isIssuerTemplate(issuer))));
  }
  validateSecretKeys(options);
  if (options.storeOptions !== undefined) validateStoreOptions(options.storeOptions);
  if (options.guard !== undefined) {
    checkObject(options.guard, 'guard');
    checkKeys(options.guard, GUARD_OPTION_KEYS, 'guard');
    validateGuard(options);
    if (options.guard.publicUrl !== undefined) validateOrigin(options.guard.publicUrl, 'guard.publicUrl');
  }
  // Last, so that a wrong option is named before the module is called empty.
  if (issuers.length === 0 && options.tokens === undefined) {
    fail(
      'issuers',
      'is empty and no tokens are configured: the module would refuse every token. ' +
        'List at least one issuer; a module that only obtains outbound tokens sets tokens instead (an empty tokens: {} when every source is added with register())',
    );
  }
}

function validateIssuer(issuer: IssuerOptions, path: string): void {
  checkObject(issuer, path);
  checkKeys(issuer, ISSUER_OPTION_KEYS, path);
  if (typeof issuer.issuer !== 'string' || issuer.issuer.length === 0)
    fail(`${path}.issuer`, 'is required (a non-empty string)');
  // A template's issuer and jwksUri are checked with their placeholders.
  const isTemplate = validateTemplateOptions(issuer, path);
  if (!isTemplate && issuer.jwksUri === undefined)
    validateUrl(issuer.issuer, `${path}.issuer`, '(it is used for OIDC discovery, as jwksUri is absent)');
  else if (!isTemplate) validateUrl(issuer.jwksUri, `${path}.jwksUri`);
  if (issuer.audience !== undefined && !isStringOrStrings(issuer.audience))
    fail(`${path}.audience`, 'must be a string or an array of strings');
  if (issuer.algorithms !== undefined) validateAlgorithms(issuer, path);
  if (issuer.jwks !== undefined) validateJwks(issuer.jwks, `${path}.jwks`);
  if (issuer.verify !== undefined) {
    checkObject(issuer.verify, `${path}.verify`);
    if (Object.hasOwn(issuer.verify, 'verifiedTokenCacheSize')) {
      fail(
        `${path}.verify.verifiedTokenCacheSize`,
        'is an option of the top-level verify only (one cache serves every issuer)',
      );
    }
    validateVerify(issuer.verify, `${path}.verify`, ISSUER_VERIFY_OPTION_KEYS);
  }
  if (issuer.dpop !== undefined) validateDpop(issuer.dpop, `${path}.dpop`);
}

const DPOP_MODES: readonly unknown[] = ['off', 'allowed', 'required'];
const ASYMMETRIC = new Set<string>(ASYMMETRIC_ALGORITHMS);

/** `'off' | 'allowed' | 'required'`, or `{ mode, algorithms (asymmetric only), maxProofAge, nonce }`. */
function validateDpop(dpop: unknown, path: string): void {
  if (typeof dpop === 'string') {
    if (!DPOP_MODES.includes(dpop))
      fail(
        path,
        `must be 'off', 'allowed', 'required' or { mode, algorithms, maxProofAge, nonce } (got '${dpop.slice(0, 40)}')`,
      );
    return;
  }
  checkObject(dpop, path);
  const options = dpop as Record<string, unknown>;
  checkKeys(options, DPOP_OPTION_KEYS, path);
  if (options.mode !== undefined && !DPOP_MODES.includes(options.mode))
    fail(`${path}.mode`, "must be 'off', 'allowed' or 'required'");
  const algorithms = options.algorithms;
  if (algorithms !== undefined) {
    if (!Array.isArray(algorithms) || algorithms.length === 0) fail(`${path}.algorithms`, 'must be a non-empty array');
    for (const alg of algorithms) {
      if (typeof alg !== 'string' || !ASYMMETRIC.has(alg)) {
        fail(
          `${path}.algorithms`,
          `contains ${typeof alg === 'string' ? alg : 'a non-string'}: a DPoP proof is signed with an asymmetric algorithm (known: ${ASYMMETRIC_ALGORITHMS.join(', ')})`,
        );
      }
    }
  }
  validateDuration(options.maxProofAge, `${path}.maxProofAge`, 1_000);
  const nonce = options.nonce;
  if (nonce === undefined || typeof nonce === 'boolean') return;
  checkObject(nonce, `${path}.nonce`);
  checkKeys(nonce as object, DPOP_NONCE_KEYS, `${path}.nonce`);
  validateDuration((nonce as { rotation?: unknown }).rotation, `${path}.nonce.rotation`, 1_000);
}

function validateAlgorithms(issuer: IssuerOptions, path: string): void {
  const algorithms: unknown = issuer.algorithms;
  if (!Array.isArray(algorithms) || algorithms.length === 0) fail(`${path}.algorithms`, 'must be a non-empty array');
  for (const alg of algorithms) {
    if (typeof alg !== 'string' || !KNOWN_ALGORITHMS.has(alg)) {
      fail(
        `${path}.algorithms`,
        `contains an unknown or unsupported algorithm (${String(alg)}); known: ${[...KNOWN_ALGORITHMS].join(', ')}`,
      );
    }
    if (SYMMETRIC.has(alg) && issuer.allowSymmetricAlgorithms !== true) {
      fail(
        `${path}.algorithms`,
        `contains the symmetric algorithm ${alg}; set ${path}.allowSymmetricAlgorithms to true to opt in`,
      );
    }
  }
}

function validateJwks(jwks: JwksOptions, path: string): void {
  checkObject(jwks, path);
  checkKeys(jwks, JWKS_OPTION_KEYS, path);
  for (const name of JWKS_DURATIONS) validateDuration(jwks[name], `${path}.${name}`);
  validateDuration(jwks.timeout, `${path}.timeout`, 1, MAX_TIMER_MS);
  validateCount(jwks.maxResponseBytes, `${path}.maxResponseBytes`, 1);
  validateCount(jwks.importedKeyCacheSize, `${path}.importedKeyCacheSize`, 1);
  if (jwks.importedKeyCache !== undefined) validateImportedKeyCache(jwks.importedKeyCache, path);
  if (jwks.maxAgeBounds !== undefined) {
    checkObject(jwks.maxAgeBounds, `${path}.maxAgeBounds`);
    checkKeys(jwks.maxAgeBounds, MAX_AGE_BOUNDS_KEYS, `${path}.maxAgeBounds`);
    validateDuration(jwks.maxAgeBounds.min, `${path}.maxAgeBounds.min`);
    validateDuration(jwks.maxAgeBounds.max, `${path}.maxAgeBounds.max`);
    if (jwks.maxAgeBounds.min > jwks.maxAgeBounds.max) fail(`${path}.maxAgeBounds`, 'min must not exceed max');
  }
  if (jwks.retryBackoff !== undefined) validateRetryBackoff(jwks.retryBackoff, `${path}.retryBackoff`);
}

/** A backoff's delays go to a timer: each, with its jitter, must fit in one. */
function validateRetryBackoff(backoff: NonNullable<JwksOptions['retryBackoff']>, path: string): void {
  checkObject(backoff, path);
  checkKeys(backoff, RETRY_BACKOFF_KEYS, path);
  validateDuration(backoff.initial, `${path}.initial`, 1, MAX_TIMER_MS, true);
  validateDuration(backoff.max, `${path}.max`, 1, MAX_TIMER_MS, true);
  const { jitter } = backoff;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1))
    fail(`${path}.jitter`, 'must be a number from 0 to 1');
  if (backoff.initial > backoff.max) fail(`${path}.initial`, `must not exceed ${path}.max`);
  const longest = Math.ceil(backoff.max * (1 + jitter));
  if (longest > MAX_TIMER_MS) {
    fail(
      `${path}.max`,
      `with its jitter (±${Math.round(jitter * 100)} %) reaches ${longest} ms, more than a timer can wait (${MAX_TIMER_MS})`,
    );
  }
}

/** `false`, or an adapter with `get` / `set` functions (`delete` / `clear` functions when present); top level only. */
function validateImportedKeyCache(cache: unknown, path: string): void {
  const name = `${path}.importedKeyCache`;
  if (path !== 'jwks')
    fail(name, 'is only read at the top level (jwks.importedKeyCache): the imported keys are shared by all issuers');
  if (cache === false) return;
  if (cache === null || typeof cache !== 'object')
    fail(name, 'must be false or an adapter { get(key, alg), set(key, alg, imported) }');
  const adapter = cache as Record<string, unknown>;
  for (const method of ['get', 'set'])
    if (typeof adapter[method] !== 'function') fail(`${name}.${method}`, 'must be a function');
  for (const method of ['delete', 'clear']) {
    if (adapter[method] !== undefined && typeof adapter[method] !== 'function')
      fail(`${name}.${method}`, 'must be a function when present');
  }
}

function validateVerify(verify: VerifyOptions, path: string, known: readonly string[]): void {
  checkObject(verify, path);
  checkKeys(verify, known, path);
  for (const name of VERIFY_DURATIONS) validateDuration(verify[name], `${path}.${name}`);
  validateCount(verify.verifiedTokenCacheSize, `${path}.verifiedTokenCacheSize`, 0);
  const bytes: unknown = verify.maxTokenBytes;
  if (
    bytes !== undefined &&
    !(Number.isInteger(bytes) && (bytes as number) >= 1 && (bytes as number) <= MAX_TOKEN_BYTES)
  ) {
    fail(
      `${path}.maxTokenBytes`,
      `must be a whole number of bytes from 1 to ${MAX_TOKEN_BYTES}: it may lower the 16 KiB cap on tokens, never raise it (got ${describe(bytes)})`,
    );
  }
  if (verify.typ !== undefined && (typeof verify.typ !== 'string' || verify.typ.length === 0))
    fail(`${path}.typ`, 'must be a non-empty string');
  if (verify.requiredClaims !== undefined && !isStrings(verify.requiredClaims))
    fail(`${path}.requiredClaims`, 'must be an array of strings');
}

/** The guard's user mapping, roles and request context; `tenantFrom` of token sources needs the context. */
function validateGuard(options: JwksCacheModuleOptions): void {
  const guard = options.guard!;
  checkFunction(guard.mapUser, 'guard.mapUser');
  checkFunction(guard.tenantFrom, 'guard.tenantFrom');
  if (guard.rolesClaim !== undefined && (typeof guard.rolesClaim !== 'string' || guard.rolesClaim.length === 0))
    fail('guard.rolesClaim', 'must be a non-empty claim name or dot path');
  if (guard.context !== undefined && typeof guard.context !== 'boolean')
    fail('guard.context', `must be a boolean, not ${describe(guard.context)}`);
  if (guard.context !== false) return;
  if (options.tokenDefaults?.tenantFrom !== undefined)
    fail('tokenDefaults.tenantFrom', 'needs the request context, which guard.context: false turns off');
  for (const [name, source] of Object.entries(options.tokens ?? {})) {
    if (source.tenantFrom !== undefined)
      fail(`tokens.${name}.tenantFrom`, 'needs the request context, which guard.context: false turns off');
  }
}

function checkFunction(value: unknown, path: string): void {
  if (value !== undefined && typeof value !== 'function') fail(path, `must be a function, not ${describe(value)}`);
}

function validateTokenTiming(timing: TokenTimingOptions, path: string): void {
  checkFunction(timing.tenantFrom, `${path}.tenantFrom`);
  validateDuration(timing.leeway, `${path}.leeway`);
  validateDuration(timing.refreshAhead, `${path}.refreshAhead`);
  validateDuration(timing.maxTokenLifetime, `${path}.maxTokenLifetime`, 1);
  const { retryBackoff } = timing;
  if (retryBackoff === undefined || retryBackoff === false) return;
  if (retryBackoff === null || typeof retryBackoff !== 'object')
    fail(`${path}.retryBackoff`, 'must be false or { initial, max, jitter }');
  validateRetryBackoff(retryBackoff, `${path}.retryBackoff`);
}

/** Also used by `TokenCacheService.register()` for sources added at run time. */
export function validateTokenSource(source: TokenSourceOptions, path: string, issuers: ReadonlySet<string>): void {
  checkObject(source, path);
  checkKeys(source, TOKEN_SOURCE_KEYS, path);
  const hasCredentials = source.clientCredentials !== undefined;
  const hasFunction = source.tokenFunction !== undefined;
  if (hasCredentials === hasFunction) fail(path, 'needs exactly one of clientCredentials or tokenFunction');
  if (hasFunction && typeof source.tokenFunction !== 'function') fail(`${path}.tokenFunction`, 'must be a function');
  if (hasCredentials && source.timeout !== undefined)
    fail(`${path}.timeout`, 'applies to a tokenFunction; set clientCredentials.timeout instead');
  validateDuration(source.timeout, `${path}.timeout`, 1, MAX_TIMER_MS);
  if (hasCredentials && source.shareKey !== undefined)
    fail(`${path}.shareKey`, 'applies to a tokenFunction (client-credentials tokens are shared under their settings)');
  if (source.shareKey !== undefined && (typeof source.shareKey !== 'string' || source.shareKey.length === 0))
    fail(`${path}.shareKey`, 'must be a non-empty string');
  const credentials = source.clientCredentials;
  if (credentials !== undefined && typeof credentials !== 'function') {
    validateClientCredentials(credentials, `${path}.clientCredentials`);
  }
  validateTokenTiming(source, path);
  if (source.dpop !== undefined) validateDpopClient(source.dpop, `${path}.dpop`, hasCredentials);
  if (source.verify !== undefined && !issuers.has(source.verify))
    fail(`${path}.verify`, `names an issuer that is not configured (${source.verify})`);
}

/** `true`, or `{ privateKey, alg }` with a private key that signs with `alg` (checked by making one proof key now). */
function validateDpopClient(dpop: unknown, path: string, hasCredentials: boolean): void {
  if (!hasCredentials) fail(path, 'applies to clientCredentials sources (a token function obtains its tokens itself)');
  if (dpop === true) return;
  checkObject(dpop, path);
  checkKeys(dpop as object, DPOP_CLIENT_KEYS, path);
  const { privateKey, alg } = dpop as { privateKey?: unknown; alg?: unknown };
  if (typeof alg !== 'string' || !ASYMMETRIC.has(alg))
    fail(`${path}.alg`, `must be an asymmetric algorithm (${ASYMMETRIC_ALGORITHMS.join(', ')})`);
  if (privateKey === undefined || privateKey === null)
    fail(`${path}.privateKey`, 'is required (a KeyObject, CryptoKey, private JWK or PKCS#8 PEM)');
  let problem: string | undefined;
  try {
    const signer = DpopProofSigner.fromOption({ privateKey, alg } as never);
    problem = keyFitsAlgorithm(signer.publicKeyType, alg)
      ? undefined
      : `is a ${signer.publicKeyType} key, which cannot sign ${alg}`;
  } catch {
    problem = 'is not a private key (a KeyObject, CryptoKey, private JWK or PKCS#8 PEM)';
  }
  if (problem !== undefined) fail(`${path}.privateKey`, problem);
}

function keyFitsAlgorithm(kty: string, alg: string): boolean {
  if (alg.startsWith('RS') || alg.startsWith('PS')) return kty === 'RSA';
  if (alg.startsWith('ES')) return kty === 'EC';
  return kty === 'OKP';
}

/** Also used at run time for per-tenant settings returned by a function. */
export function validateClientCredentials(credentials: unknown, path: string): void {
  if (credentials === null || typeof credentials !== 'object')
    fail(path, 'must be an object or a function of the tenant');
  checkKeys(credentials, CLIENT_CREDENTIALS_KEYS, path);
  const c = credentials as Record<string, unknown>;
  if (typeof c.clientId !== 'string' || c.clientId.length === 0)
    fail(`${path}.clientId`, 'is required (a non-empty string)');
  if (typeof c.clientSecret !== 'string' || c.clientSecret.length === 0)
    fail(`${path}.clientSecret`, 'is required (a non-empty string)');
  if (c.tokenEndpoint === undefined && c.issuer === undefined)
    fail(path, 'needs tokenEndpoint, or issuer to discover it from');
  if (c.tokenEndpoint !== undefined) validateUrl(c.tokenEndpoint, `${path}.tokenEndpoint`);
  if (c.issuer !== undefined) validateUrl(c.issuer, `${path}.issuer`);
  if (c.authMethod !== undefined && c.authMethod !== 'client_secret_basic' && c.authMethod !== 'client_secret_post') {
    fail(`${path}.authMethod`, "must be 'client_secret_basic' or 'client_secret_post'");
  }
  if (c.scope !== undefined && !isStringOrStrings(c.scope))
    fail(`${path}.scope`, 'must be a string or an array of strings');
  if (c.resource !== undefined && !isStringOrStrings(c.resource))
    fail(`${path}.resource`, 'must be a string or an array of strings');
  validateDuration(c.timeout, `${path}.timeout`, 1, MAX_TIMER_MS);
}

function validateStoreOptions(store: NonNullable<JwksCacheModuleOptions['storeOptions']>): void {
  checkObject(store, 'storeOptions');
  checkKeys(store, STORE_OPTION_KEYS, 'storeOptions');
  validateDuration(store.l1Ttl, 'storeOptions.l1Ttl', 1);
  validateCount(store.l1MaxEntries, 'storeOptions.l1MaxEntries', 1);
  validateDuration(store.timeout, 'storeOptions.timeout', 1, MAX_TIMER_MS);
  validateDuration(store.logInterval, 'storeOptions.logInterval');
}

/** Each key is 32 random bytes, and no bytes serve both as HMAC and as encryption key. */
function validateSecretKeys(options: JwksCacheModuleOptions): void {
  const integrity =
    options.integrityKey === undefined ? undefined : parseSecretKey(options.integrityKey, 'integrityKey');
  if (options.encryptionKey === undefined) return;
  for (const [path, key] of encryptionKeys(options.encryptionKey)) {
    const bytes = parseSecretKey(key, path);
    if (integrity?.equals(bytes)) {
      fail(
        path,
        'must differ from integrityKey: one key must not serve both HMAC and encryption; make each with `openssl rand -base64 32`',
      );
    }
  }
}

function encryptionKeys(key: NonNullable<JwksCacheModuleOptions['encryptionKey']>): [string, unknown][] {
  if (typeof key === 'string' || key instanceof Uint8Array) return [['encryptionKey', key]];
  if (key === null || typeof key !== 'object' || Array.isArray(key) || Object.keys(key).length === 0) {
    fail('encryptionKey', 'must be a 32-byte key or a non-empty { kid: key } map');
  }
  return Object.entries(key).map(([kid, value]) => [`encryptionKey.${kid}`, value]);
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

/** An http(s) origin: scheme, host and optional port, nothing after (a trailing `/` is tolerated). */
function validateOrigin(value: unknown, path: string): void {
  validateUrl(value, path);
  const url = new URL(value as string);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    fail(
      path,
      `must be an origin (scheme, host, port) with no path, query or fragment, e.g. https://api.example.com (got ${url.origin}${url.pathname === '/' ? '' : ' with a path'})`,
    );
  }
}

/**
 * A duration: whole milliseconds from `min` to `max`. Fractions are refused because the timers
 * they reach refuse them (`AbortSignal.timeout(0.5)` throws on every fetch).
 */
function validateDuration(
  value: unknown,
  path: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
  required = false,
): void {
  if (value === undefined && !required) return;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return;
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  fail(path, `must be a whole number of milliseconds ${range} (got ${describe(value)})`);
}

function validateCount(value: unknown, path: string, min: number): void {
  if (value === undefined) return;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return;
  fail(path, `must be a whole number ≥ ${min} (got ${describe(value)})`);
}

/** A refused number as written; anything else by its type only (it might be a secret). */
function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : `a ${typeof value}`;
}

function checkObject(value: unknown, path: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be an object');
}

/**
 * Refuses a key no option has, which would otherwise be ignored in silence (`issuer` for
 * `issuers`, `ttlMs` for `ttl`), naming the closest known one.
 */
function checkKeys(value: object, known: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const suggestion = closestName(key, known);
    const where = path === '' ? key : `${path}.${key}`;
    fail(
      where,
      suggestion === undefined
        ? `is not a known option (known: ${known.join(', ')})`
        : `is not a known option; did you mean ${suggestion}?`,
    );
  }
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
