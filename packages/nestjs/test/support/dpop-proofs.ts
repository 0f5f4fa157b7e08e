/**
 * DPoP proofs for tests (RFC 9449 §4.2), minted with jose directly: a key pair, and a proof for a
 * request whose every part a test can bend (typ, alg, jwk, claims, signing key) to fail one check.
 */
import { randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { accessTokenHash } from '../../src/dpop/verify-dpop-proof.js';

/** A client's DPoP key: the private key signs, the public JWK goes in the proof header. */
export interface DpopTestKey {
  alg: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** The full private JWK (to plant private parts in a header). */
  privateJwk: JWK;
  /** RFC 7638 thumbprint: the `cnf.jkt` of tokens bound to this key. */
  jkt: string;
}

export async function dpopTestKey(alg = 'ES256'): Promise<DpopTestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  return {
    alg,
    privateKey,
    publicJwk,
    privateJwk: await exportJWK(privateKey),
    jkt: await calculateJwkThumbprint(publicJwk, 'sha256'),
  };
}

/** What a proof says; everything has a valid default but `htm` and `htu`. */
export interface ProofParts {
  htm: string;
  htu: string;
  /** The access token: its hash becomes `ath` (unless `ath` is given). */
  accessToken?: string;
  ath?: string;
  /** Seconds. @default now */
  iat?: number;
  /** @default a random UUID */
  jti?: string;
  nonce?: string;
  /** Header overrides (`typ`, `alg`, `jwk`, `crit`, …); `undefined` values remove the member. */
  header?: Record<string, unknown>;
  /** Claims removed from the payload. */
  omit?: string[];
  /** Sign with this key instead of the proof key (a signature that does not match `jwk`). */
  signingKey?: CryptoKey;
  /** The alg jose signs with (defaults to the key's); the header's `alg` may still be overridden. */
  signingAlg?: string;
}

export async function mintProof(key: DpopTestKey, parts: ProofParts): Promise<string> {
  const claims: Record<string, unknown> = {
    jti: parts.jti ?? randomUUID(),
    htm: parts.htm,
    htu: parts.htu,
    iat: parts.iat ?? Math.floor(Date.now() / 1000),
  };
  const ath = parts.ath ?? (parts.accessToken === undefined ? undefined : accessTokenHash(parts.accessToken));
  if (ath !== undefined) claims.ath = ath;
  if (parts.nonce !== undefined) claims.nonce = parts.nonce;
  for (const name of parts.omit ?? []) delete claims[name];
  const header: Record<string, unknown> = { typ: 'dpop+jwt', alg: key.alg, jwk: key.publicJwk, ...parts.header };
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
  const signingAlg = parts.signingAlg ?? key.alg;
  // jose signs with the header's alg: sign with the real one, then swap the header when it differs.
  const signed = await new SignJWT(claims)
    .setProtectedHeader({ ...header, alg: signingAlg })
    .sign(parts.signingKey ?? key.privateKey);
  if (header.alg === signingAlg) return signed;
  const [, payload, signature] = signed.split('.');
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${payload}.${signature}`;
}
