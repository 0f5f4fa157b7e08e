import { constants, createHmac, createPrivateKey, KeyObject, sign } from 'node:crypto';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK } from 'jose';
import type { ForgeKey, TestAlgorithm } from './types.js';

/** A header or payload segment: an object (JSON-encoded), or a raw string / bytes for malformed shapes. */
export type TokenSegment = Record<string, unknown> | string | Uint8Array;

/** A key pair unknown to every issuer, for forged-signature tests. */
export interface AttackerKey {
  /** The private key; pass it to `mint({ key })` or {@link signWith}. */
  privateKey: CryptoKey;
  /** The public JWK with `alg` and `use: 'sig'` (no `kid`; add one to impersonate a key). */
  publicJwk: JWK;
}

const HASH_BY_SIZE: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' };

function encodeSegment(segment: TokenSegment): string {
  if (typeof segment === 'string') return Buffer.from(segment, 'utf8').toString('base64url');
  if (segment instanceof Uint8Array) return Buffer.from(segment).toString('base64url');
  return Buffer.from(JSON.stringify(segment), 'utf8').toString('base64url');
}

function hashOf(alg: string): string {
  const match = /^(?:HS|RS|PS|ES)(256|384|512)$/.exec(alg) ?? /^ES256(K)$/.exec(alg);
  if (!match) throw new TypeError(`signWith: unsupported alg "${alg}"`);
  return HASH_BY_SIZE[match[1]] ?? 'sha256';
}

function toKeyObject(key: ForgeKey): KeyObject {
  if (key instanceof KeyObject) return key;
  if (typeof key === 'string' || key instanceof Uint8Array) return createPrivateKey(Buffer.from(key));
  return KeyObject.from(key);
}

/** HMAC accepts any bytes as a secret, which is exactly what algorithm-confusion tests need. */
function hmacSecret(key: ForgeKey): Buffer | KeyObject {
  if (typeof key === 'string' || key instanceof Uint8Array) return Buffer.from(key);
  if (key instanceof KeyObject && key.type === 'secret') return key;
  throw new TypeError('signWith: HS* needs a secret (string, bytes or a secret KeyObject)');
}

function signature(alg: string, key: ForgeKey, data: Buffer): Buffer {
  if (alg.startsWith('HS')) return createHmac(hashOf(alg), hmacSecret(key)).update(data).digest();
  if (alg === 'EdDSA' || alg === 'Ed25519') return sign(null, data, toKeyObject(key));
  const hash = hashOf(alg);
  if (alg.startsWith('RS')) return sign(hash, data, toKeyObject(key));
  if (alg.startsWith('PS')) {
    return sign(hash, data, {
      key: toKeyObject(key),
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    });
  }
  return sign(hash, data, { key: toKeyObject(key), dsaEncoding: 'ieee-p1363' });
}

/**
 * Signs a compact JWS with any header and payload, without jose's checks, so tests can craft
 * tokens a real issuer would never produce (unknown `crit`, `jku`, HS256 keyed with a public PEM, ...).
 * The algorithm is the header's `alg`: HS/RS/PS/ES 256/384/512, ES256K, EdDSA, or `none` (empty signature).
 * @param key the private key, or for `HS*` the secret bytes/string.
 * @param header the protected header; must carry `alg` when it is an object.
 * @param payload the claims (JSON-encoded) or a raw string/bytes.
 */
export function signWith(key: ForgeKey, header: Record<string, unknown>, payload: TokenSegment): string {
  const alg = header.alg;
  if (typeof alg !== 'string') throw new TypeError('signWith: the header needs a string "alg"');
  const signingInput = `${encodeSegment(header)}.${encodeSegment(payload)}`;
  if (alg === 'none') return `${signingInput}.`;
  return `${signingInput}.${signature(alg, key, Buffer.from(signingInput, 'ascii')).toString('base64url')}`;
}

/**
 * An unsigned token `header.payload.` (empty signature), for `alg: none` and malformed-shape tests.
 * @param header default `{ alg: 'none' }`; a string or bytes are encoded as given.
 * @param payload the claims, or a raw string/bytes.
 */
export function unsignedToken(header: TokenSegment = { alg: 'none' }, payload: TokenSegment = {}): string {
  return `${encodeSegment(header)}.${encodeSegment(payload)}.`;
}

/** Generates a fresh key pair for `alg` that no issuer knows. */
export async function generateAttackerKey(alg: TestAlgorithm): Promise<AttackerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), alg, use: 'sig' };
  return { privateKey, publicJwk };
}
