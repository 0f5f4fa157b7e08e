import {
  ASYMMETRIC_ALGORITHMS,
  SYMMETRIC_ALGORITHMS,
  type IssuerOptions,
  type JwksOptions,
  type VerifyOptions,
} from './options.js';
import {
  DPOP_NONCE_KEYS,
  DPOP_OPTION_KEYS,
  ISSUER_OPTION_KEYS,
  ISSUER_VERIFY_OPTION_KEYS,
  JWKS_OPTION_KEYS,
  MAX_AGE_BOUNDS_KEYS,
} from './known-option-keys.js';
import {
  checkKeys,
  checkObject,
  describe,
  fail,
  isStringOrStrings,
  isStrings,
  MAX_TIMER_MS,
  validateCount,
  validateDuration,
  validateRetryBackoff,
  validateUrl,
} from './option-checks.js';
import { validateTemplateOptions } from './validate-template-options.js';

const KNOWN_ALGORITHMS = new Set<string>([...ASYMMETRIC_ALGORITHMS, ...SYMMETRIC_ALGORITHMS]);
const SYMMETRIC = new Set<string>(SYMMETRIC_ALGORITHMS);

/** The cap on inbound tokens; `verify.maxTokenBytes` may lower it, never raise it. */
export const MAX_TOKEN_BYTES = 16_384;

/** Durations compared with the clock only (never a timer): any whole, non-negative ms. */
const JWKS_DURATIONS = ['ttl', 'refreshAhead', 'cooldown', 'staleIfError'] as const;
const VERIFY_DURATIONS = ['clockTolerance', 'maxTokenAge'] as const;

/** One entry of `issuers`: its URLs, audience, algorithms and its own `jwks`, `verify` and `dpop`. */
export function validateIssuer(issuer: IssuerOptions, path: string): void {
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

export function validateJwks(jwks: JwksOptions, path: string): void {
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

export function validateVerify(verify: VerifyOptions, path: string, known: readonly string[]): void {
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
