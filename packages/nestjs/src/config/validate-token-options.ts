import { ASYMMETRIC_ALGORITHMS, type TokenSourceOptions, type TokenTimingOptions } from './options.js';
import { CLIENT_CREDENTIALS_KEYS, DPOP_CLIENT_KEYS, TOKEN_SOURCE_KEYS } from './known-option-keys.js';
import {
  checkFunction,
  checkKeys,
  checkObject,
  fail,
  isStringOrStrings,
  MAX_TIMER_MS,
  validateDuration,
  validateRetryBackoff,
  validateUrl,
} from './option-checks.js';
import { DpopProofSigner } from '../dpop/dpop-proof-signer.js';

const ASYMMETRIC = new Set<string>(ASYMMETRIC_ALGORITHMS);

/** The timing of outbound tokens: of `tokenDefaults`, and of each token source. */
export function validateTokenTiming(timing: TokenTimingOptions, path: string): void {
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
