import type { LocalIssuer } from '@jwks-cache/testing';
import type { BenchAlgorithm } from './mode.js';
import { startOurs } from './ours.js';
import {
  floorVerifier,
  joseRemoteVerifier,
  jwksRsaVerifier,
  type VerifyFunction,
  type VerifyTarget,
} from './references.js';
import { AUDIENCE } from './tokens.js';

/** The verifiers compared in process. */
export type ContenderId = 'jwks-cache' | 'jwks-cache-uncached' | 'jose-remote' | 'jwks-rsa' | 'floor';

export const CONTENDER_LABELS: Record<ContenderId, string> = {
  'jwks-cache': 'jwks-cache `JwksProvider.verify`',
  'jwks-cache-uncached': 'jwks-cache, verified-token cache off (`verifiedTokenCacheSize: 0`)',
  'jose-remote': 'jose `createRemoteJWKSet` + `jwtVerify`',
  'jwks-rsa': 'jwks-rsa `passportJwtSecret` + jsonwebtoken',
  floor: 'floor: jose `jwtVerify`, key imported once',
};

/** A ready verifier and how to release it. */
export interface Contender {
  verify: VerifyFunction;
  close(): Promise<void>;
}

/** What every contender trusts for the issuer `idp`. */
export function targetOf(idp: LocalIssuer, algorithms: BenchAlgorithm[]): VerifyTarget {
  return { issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE, algorithms };
}

/** Sets up one contender against `idp` with its defaults; the floor gets the `alg` key imported up front. */
export async function createContender(id: ContenderId, idp: LocalIssuer, alg: BenchAlgorithm): Promise<Contender> {
  const target = targetOf(idp, [alg]);
  const noop = async (): Promise<void> => {};
  switch (id) {
    case 'jwks-cache':
    case 'jwks-cache-uncached': {
      const ours = await startOurs({
        issuers: [{ issuer: target.issuer, jwksUri: target.jwksUri, audience: AUDIENCE, algorithms: [alg] }],
        ...(id === 'jwks-cache-uncached' ? { verify: { verifiedTokenCacheSize: 0 } } : {}),
      });
      return { verify: (token) => ours.provider.verify(token), close: () => ours.close() };
    }
    case 'jose-remote':
      return { verify: joseRemoteVerifier(target), close: noop };
    case 'jwks-rsa':
      return { verify: jwksRsaVerifier(target), close: noop };
    case 'floor': {
      const jwk = idp.jwks().keys.find((key) => key.alg === alg);
      if (!jwk) throw new Error(`the issuer publishes no ${alg} key`);
      return { verify: await floorVerifier(target, jwk, alg), close: noop };
    }
  }
}

/** The message of an error, shortened for a table cell (never a token: none of these messages carries one). */
export function shortReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 80 ? `${message.slice(0, 77)}...` : message;
}
