import { calculateJwkThumbprint, type JWK } from 'jose';
import { KeySetShapeError } from '../errors.js';
import { publicKeyProblem } from './public-key-checks.js';

/** A JWKS member that may verify signatures, reduced to its public members. */
export interface UsableKey {
  /** The public JWK (no private or unknown members). */
  readonly jwk: Readonly<JWK>;
  readonly kty: string;
  readonly kid: string | undefined;
  readonly alg: string | undefined;
  readonly crv: string | undefined;
  /** RFC 7638 SHA-256 thumbprint, computed once, at parse time. */
  readonly thumbprint: string;
}

/** A validated key set: the usable signing keys and how many members were skipped. */
export interface KeySet {
  readonly keys: readonly UsableKey[];
  /**
   * Members that were not usable: encryption keys, unknown `kty`, private parts, malformed
   * `key_ops`, weak or malformed key material (see `public-key-checks.ts`), …
   */
  readonly skipped: number;
}

/** How a key set is validated. */
export interface KeySetRules {
  /** Whether `oct` keys are usable (the issuer allows HS*). */
  allowSymmetric: boolean;
  /** Beyond this many members the whole set is invalid. */
  maxKeys: number;
}

/** Default bound on the members of a key set; real issuers publish a handful. */
export const MAX_KEYS_PER_SET = 100;

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'priv'] as const;
const CURVES: Record<string, ReadonlySet<string>> = {
  EC: new Set(['P-256', 'P-384', 'P-521']),
  OKP: new Set(['Ed25519']),
};
/** The public members kept, per key type: enough to import it and select it. */
const PUBLIC_MEMBERS: Record<string, readonly string[]> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
  oct: ['k'],
};
const COMMON_MEMBERS = ['kty', 'kid', 'alg', 'use', 'key_ops'] as const;

/**
 * Validates a JWKS body and keeps its usable signing keys. Throws {@link KeySetShapeError} when
 * the body is not `{ keys: [...] }`, has too many members, or has no usable signing key: such a
 * set is never cached.
 */
export async function parseKeySet(body: unknown, rules: KeySetRules): Promise<KeySet> {
  if (body === null || typeof body !== 'object' || !Array.isArray((body as { keys?: unknown }).keys)) {
    throw new KeySetShapeError('not a JSON Web Key Set (an object with a "keys" array)');
  }
  const members = (body as { keys: unknown[] }).keys;
  if (members.length > rules.maxKeys) throw new KeySetShapeError(`more than ${rules.maxKeys} keys`);
  const publicJwks = members.map((member) => toUsablePublicJwk(member, rules)).filter((jwk) => jwk !== undefined);
  if (publicJwks.length === 0) throw new KeySetShapeError('no usable signing key');
  const keys = await Promise.all(publicJwks.map(toUsableKey));
  return { keys, skipped: members.length - keys.length };
}

async function toUsableKey(jwk: JWK): Promise<UsableKey> {
  const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
  return Object.freeze({
    jwk: Object.freeze(jwk),
    kty: jwk.kty!,
    kid: jwk.kid,
    alg: jwk.alg,
    crv: jwk.crv,
    thumbprint,
  });
}

/** The public JWK of a usable signing key, or `undefined` when the member must be skipped. */
function toUsablePublicJwk(member: unknown, rules: KeySetRules): JWK | undefined {
  if (member === null || typeof member !== 'object' || Array.isArray(member)) return undefined;
  const jwk = member as Record<string, unknown>;
  const kty = jwk.kty;
  if (typeof kty !== 'string' || !(kty in PUBLIC_MEMBERS)) return undefined;
  if (kty === 'oct' ? !rules.allowSymmetric : PRIVATE_MEMBERS.some((name) => name in jwk)) return undefined;
  if (!hasValidMetadata(jwk)) return undefined;
  if (!PUBLIC_MEMBERS[kty].every((name) => typeof jwk[name] === 'string' && jwk[name] !== '')) return undefined;
  if (kty in CURVES && !CURVES[kty].has(jwk.crv as string)) return undefined;
  if (publicKeyProblem(jwk) !== undefined) return undefined;
  return pick(jwk, [...COMMON_MEMBERS, ...PUBLIC_MEMBERS[kty]]);
}

/**
 * `use` must be `sig` when present; `key_ops`, when present, an array of unique strings (RFC 7517
 * §4.3) that contains `verify`; `kid` / `alg` must be strings.
 */
function hasValidMetadata(jwk: Record<string, unknown>): boolean {
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.key_ops !== undefined && !isVerifyKeyOps(jwk.key_ops)) return false;
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return false;
  return jwk.alg === undefined || typeof jwk.alg === 'string';
}

function isVerifyKeyOps(keyOps: unknown): boolean {
  if (!Array.isArray(keyOps) || !keyOps.every((operation) => typeof operation === 'string')) return false;
  return new Set(keyOps).size === keyOps.length && keyOps.includes('verify');
}

function pick(jwk: Record<string, unknown>, names: readonly string[]): JWK {
  const picked: Record<string, unknown> = {};
  for (const name of names) {
    const value = jwk[name];
    if (value !== undefined) picked[name] = Array.isArray(value) ? Object.freeze([...(value as unknown[])]) : value;
  }
  return picked;
}
