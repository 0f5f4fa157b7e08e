import type { UsableKey } from './key-set.js';

/** What a token's header asks for. */
export interface KeyQuery {
  kid: string | undefined;
  alg: string;
}

/** Without a `kid`, at most this many matching keys are tried (jose's multiple-matching-keys rule). */
export const MAX_CANDIDATES = 5;

/** The key type (and curve) each signature algorithm needs. */
const ALGORITHM_KEY_TYPES: Record<string, { kty: string; crv?: string }> = {
  RS256: { kty: 'RSA' }, RS384: { kty: 'RSA' }, RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA' }, PS384: { kty: 'RSA' }, PS512: { kty: 'RSA' },
  ES256: { kty: 'EC', crv: 'P-256' }, ES384: { kty: 'EC', crv: 'P-384' }, ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' }, Ed25519: { kty: 'OKP', crv: 'Ed25519' },
  HS256: { kty: 'oct' }, HS384: { kty: 'oct' }, HS512: { kty: 'oct' },
};

/** The key type an algorithm needs, or `undefined` for an algorithm this library does not know. */
export function keyTypeOf(alg: string): string | undefined {
  return ALGORITHM_KEY_TYPES[alg]?.kty;
}

/**
 * Selects the keys that may verify a token, after jose's rules: the key type (and curve) must fit
 * `alg`, `kid` must match when the token has one, a key's own `alg` must equal the token's.
 * (`use` and `key_ops` were already enforced when the set was parsed.) An HMAC algorithm only
 * ever selects `oct` keys, so a public key is never used as an HMAC secret.
 */
export function selectKeys(keys: readonly UsableKey[], query: KeyQuery): UsableKey[] {
  const needed = ALGORITHM_KEY_TYPES[query.alg];
  if (needed === undefined) return [];
  const candidates: UsableKey[] = [];
  for (const key of keys) {
    if (key.kty !== needed.kty) continue;
    if (query.kid !== undefined && key.kid !== query.kid) continue;
    if (key.alg !== undefined && key.alg !== query.alg) continue;
    if (needed.crv !== undefined && key.crv !== needed.crv) continue;
    candidates.push(key);
    if (candidates.length === MAX_CANDIDATES) break;
  }
  return candidates;
}
