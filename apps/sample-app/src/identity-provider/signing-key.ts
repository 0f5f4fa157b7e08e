import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';

/** The signature algorithm of the embedded provider's keys (compact keys, fast to generate). */
export const SIGNING_ALGORITHM = 'ES256';

/** One signing key of the embedded provider, held in memory only. */
export interface SigningKey {
  /** Key id: the RFC 7638 thumbprint of the public key. */
  readonly kid: string;
  /** The private JWK (with `kid`, `alg`, `use`), as `oidc-provider` takes it in `jwks`. */
  readonly privateJwk: JWK;
}

/** Generates a fresh ES256 key pair; nothing is written to disk. */
export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM, { extractable: true });
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: SIGNING_ALGORITHM, use: 'sig' };
  return { kid, privateJwk };
}
