import { clock } from '../internal/clock.js';
import { createHash } from 'node:crypto';
import { compactVerify, type JWK } from 'jose';
import { ImportedKeyCache } from '../jwks/imported-key-cache.js';
import type { UsableKey } from '../jwks/key-set.js';
import { DpopProofInvalidError, type DpopCheck } from '../errors.js';
import { publicKeyProblem } from '../jwks/public-key-checks.js';
import { ALGORITHM_KEY_TYPES } from '../jwks/key-selection.js';
import { normalizeHtu } from './htu.js';

/** What a proof must match: the request it came with and the issuer's DPoP settings. */
export interface DpopProofExpectations {
  /** The request's HTTP method, e.g. `GET`. */
  method: string;
  /** The request's absolute URL (its query and fragment are ignored). */
  url: string;
  /** The access token sent with the proof: its hash must be the proof's `ath`. */
  accessToken?: string;
  /** The thumbprint the access token is bound to (`cnf.jkt`): the proof's key must have it. */
  jkt?: string;
  /** Algorithms the proof may be signed with (asymmetric only). */
  algorithms: ReadonlySet<string>;
  /** Oldest accepted proof from its `iat`, in ms. */
  maxProofAge: number;
  /** Allowed clock difference on both sides of the window, in ms. */
  clockTolerance: number;
  /** When server nonces are on: throws `DpopNonceRequiredError` unless the proof's `nonce` is current. */
  checkNonce?: (nonce: unknown) => Promise<void> | void;
  /**
   * Where proof keys are kept once imported (by thumbprint), so a client's next proofs skip the
   * import and the key checks. Its own cache, never the issuers' (proof keys are the client's choice).
   * @default a cache of this module, of {@link DEFAULT_PROOF_KEY_CACHE_SIZE} keys
   */
  keys?: ImportedKeyCache;
}

/** Proof keys kept imported by default (each client has one key). */
export const DEFAULT_PROOF_KEY_CACHE_SIZE = 1_000;
const DEFAULT_PROOF_KEYS = new ImportedKeyCache(DEFAULT_PROOF_KEY_CACHE_SIZE);

/** A proof that passed every check. */
export interface VerifiedDpopProof {
  /** The RFC 7638 SHA-256 thumbprint of the proof's key (what `cnf.jkt` names). */
  jkt: string;
  jti: string;
  /** `iat`, in seconds. */
  iat: number;
  /** The proof's public key. */
  jwk: JWK;
}

/** Proofs are small: an RSA-4096 key plus claims is under 2 KiB. */
export const MAX_PROOF_BYTES = 8_192;
const MAX_JTI_LENGTH = 256;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Members a public JWK never has: private RSA/EC/OKP parts, and symmetric key bytes. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** The key type (and curve) an asymmetric algorithm needs (the one table, `jwks/key-selection.ts`); symmetric ones have none here. */
function asymmetricKeyType(alg: string): { readonly kty: string; readonly crv?: string } | undefined {
  const type = ALGORITHM_KEY_TYPES[alg];
  return type === undefined || type.kty === 'oct' ? undefined : type;
}

function refuse(check: DpopCheck, message: string): never {
  throw new DpopProofInvalidError(`DPoP proof refused: ${message}`, check);
}

/** base64url(SHA-256(token)), the `ath` of a proof sent with `token` (RFC 9449 §4.2). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/**
 * Verifies a DPoP proof against its request, as RFC 9449 §4.3 lists the checks and in that
 * order: one well-formed JWT; `typ` = `dpop+jwt`; `alg` asymmetric and allowed; `jwk` a public
 * key fit for `alg`; the signature, with that key; `jti`, `htm`, `htu` and `iat` present;
 * `htm`; `htu` (normalized, no query or fragment); the server nonce; `iat` within
 * `maxProofAge` ± `clockTolerance`; `ath`; the key's thumbprint = `jkt`. The `jti` replay check
 * is the caller's (it must run last, once every other check passed).
 * @throws {DpopProofInvalidError} with `check` naming the failed check; the message never holds
 *   the proof, the token or a claim's value.
 */
export async function verifyDpopProof(proof: unknown, expected: DpopProofExpectations): Promise<VerifiedDpopProof> {
  const header = decodeProofHeader(proof);
  if (header.typ !== 'dpop+jwt') refuse('typ', 'typ is not dpop+jwt');
  const alg = header.alg;
  if (typeof alg !== 'string' || !expected.algorithms.has(alg) || asymmetricKeyType(alg) === undefined)
    refuse('alg', 'alg is not an allowed asymmetric algorithm');
  const key = checkPublicJwk(header.jwk, alg, expected.keys ?? DEFAULT_PROOF_KEYS);
  const jwk = key.jwk as JWK;
  const payload = await checkSignature(proof as string, key, alg, expected.keys ?? DEFAULT_PROOF_KEYS);
  const claims = checkClaimTypes(payload);
  if (claims.htm !== expected.method) refuse('htm', 'htm is not the request method');
  const requestHtu = normalizeHtu(expected.url);
  if (requestHtu === undefined || normalizeHtu(claims.htu) !== requestHtu) refuse('htu', 'htu is not the request URL');
  if (expected.checkNonce !== undefined) await expected.checkNonce(payload.nonce);
  checkIssuedAt(claims.iat, expected);
  if (expected.accessToken !== undefined && payload.ath !== accessTokenHash(expected.accessToken))
    refuse('ath', 'ath is not the hash of the access token');
  const jkt = key.thumbprint;
  if (expected.jkt !== undefined && jkt !== expected.jkt)
    refuse('jkt', "the proof's key is not the one the access token is bound to");
  return { jkt, jti: claims.jti, iat: claims.iat, jwk };
}

function decodeProofHeader(proof: unknown): Record<string, unknown> {
  if (typeof proof !== 'string' || proof.length > MAX_PROOF_BYTES || !COMPACT_JWS.test(proof))
    refuse('header', 'the DPoP header is not one compact JWT');
  const header = decodeJson(proof.slice(0, proof.indexOf('.')));
  const payload = decodeJson(proof.slice(proof.indexOf('.') + 1, proof.lastIndexOf('.')));
  if (header === undefined || payload === undefined) refuse('header', 'the DPoP header is not a JWT of JSON objects');
  // Nothing this verifier understands may be critical; jose would also refuse it after the signature.
  if (header.crit !== undefined) refuse('header', 'the proof has a crit header');
  return header;
}

function decodeJson(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function checkPublicJwk(value: unknown, alg: string, keys: ImportedKeyCache): UsableKey {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) refuse('jwk', 'the jwk header is not a JWK');
  const jwk = value as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((member) => Object.hasOwn(jwk, member)))
    refuse('jwk', 'the jwk header holds private or symmetric key material');
  const type = asymmetricKeyType(alg)!;
  if (jwk.kty !== type.kty || (type.crv !== undefined && jwk.crv !== type.crv))
    refuse('jwk', 'the jwk key type does not fit alg');
  if (jwk.alg !== undefined && jwk.alg !== alg) refuse('jwk', 'the jwk alg is not the proof alg');
  const fields = type.kty === 'RSA' ? ['n', 'e'] : type.kty === 'EC' ? ['x', 'y'] : ['x'];
  if (fields.some((field) => typeof jwk[field] !== 'string')) refuse('jwk', 'the jwk lacks its public members');
  // Only the members that make the key (RFC 7638's, in its order): nothing else reaches the import or the thumbprint.
  const members =
    type.kty === 'RSA' ? ['e', 'kty', 'n'] : type.kty === 'EC' ? ['crv', 'kty', 'x', 'y'] : ['crv', 'kty', 'x'];
  const publicJwk: Record<string, string> = {};
  for (const member of members) publicJwk[member] = member === 'kty' ? type.kty : (jwk[member] as string);
  const thumbprint = createHash('sha256').update(JSON.stringify(publicJwk)).digest('base64url');
  const key: UsableKey = {
    jwk: publicJwk,
    kty: type.kty,
    kid: undefined,
    alg: undefined,
    crv: publicJwk.crv,
    thumbprint,
  };
  // A key imported before passed these checks already.
  if (keys.peek(key, alg) === undefined && publicKeyProblem(publicJwk) !== undefined)
    refuse('jwk', 'the jwk is not a usable public key');
  return key;
}

async function checkSignature(
  proof: string,
  usable: UsableKey,
  alg: string,
  keys: ImportedKeyCache,
): Promise<Record<string, unknown>> {
  try {
    const key = keys.peek(usable, alg) ?? (await keys.get(usable, alg));
    const { payload } = await compactVerify(proof, key, { algorithms: [alg] });
    return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
  } catch (error) {
    throw new DpopProofInvalidError(
      'DPoP proof refused: the signature does not verify with the jwk header',
      'signature',
      { cause: error },
    );
  }
}

function checkClaimTypes(payload: Record<string, unknown>): { jti: string; htm: string; htu: string; iat: number } {
  const { jti, htm, htu, iat } = payload;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH)
    refuse('claims', `jti is not a string of 1 to ${MAX_JTI_LENGTH} characters`);
  if (typeof htm !== 'string' || typeof htu !== 'string') refuse('claims', 'htm or htu is missing');
  if (typeof iat !== 'number' || !Number.isFinite(iat)) refuse('claims', 'iat is not a number');
  return { jti, htm, htu, iat };
}

function checkIssuedAt(iat: number, expected: DpopProofExpectations): void {
  const issuedAt = iat * 1000;
  const now = clock.now();
  if (issuedAt > now + expected.clockTolerance) refuse('iat', 'iat is in the future');
  if (issuedAt < now - expected.maxProofAge - expected.clockTolerance)
    refuse('iat', 'the proof is older than maxProofAge');
}
