/**
 * A small OAuth token endpoint for DPoP tests (RFC 9449 §5, §8): client credentials with a DPoP
 * proof, checked with this library's own proof verification, answered with a token bound to the
 * proof's key (`cnf.jkt`, `token_type: DPoP`) minted by a LocalIssuer. With `requireNonce`, a
 * proof without the endpoint's nonce gets 400 `use_dpop_nonce` and a `DPoP-Nonce` header.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalIssuer } from '@jwks-cache/testing';
import { verifyDpopProof } from '../../src/dpop/verify-dpop-proof.js';

export interface DpopTokenEndpoint {
  readonly url: string;
  /** Token requests received, and how many were answered with a token. */
  readonly counts: { requests: number; issued: number; nonceChallenges: number };
  /** The `cnf.jkt` of each token issued, in order. */
  readonly boundTo: string[];
  close(): Promise<void>;
}

export async function startDpopTokenEndpoint(
  issuer: LocalIssuer,
  options: { requireNonce?: boolean; audience?: string } = {},
): Promise<DpopTokenEndpoint> {
  const nonce = 'token-endpoint-nonce-1';
  const counts = { requests: 0, issued: 0, nonceChallenges: 0 };
  const boundTo: string[] = [];
  let url = '';
  const server: Server = createServer((request, response) => {
    void (async () => {
      counts.requests += 1;
      await readBody(request);
      const answer = (status: number, body: object, headers: Record<string, string> = {}) =>
        response
          .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers })
          .end(JSON.stringify(body));
      const proof = request.headers.dpop;
      if (typeof proof !== 'string') return answer(400, { error: 'invalid_dpop_proof' });
      if (options.requireNonce === true) {
        const claims = JSON.parse(Buffer.from(proof.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
          nonce?: unknown;
        };
        if (claims.nonce !== nonce) {
          counts.nonceChallenges += 1;
          return answer(
            400,
            { error: 'use_dpop_nonce', error_description: 'Authorization server requires nonce in DPoP proof' },
            { 'dpop-nonce': nonce },
          );
        }
      }
      try {
        const verified = await verifyDpopProof(proof, {
          method: 'POST',
          url,
          algorithms: new Set(['ES256', 'RS256', 'EdDSA']),
          maxProofAge: 60_000,
          clockTolerance: 5_000,
        });
        const token = await issuer.mint(
          { aud: options.audience, sub: 'orders-service', cnf: { jkt: verified.jkt } },
          { expiresIn: 3600 },
        );
        counts.issued += 1;
        boundTo.push(verified.jkt);
        answer(200, { access_token: token, token_type: 'DPoP', expires_in: 3600 });
      } catch {
        answer(400, { error: 'invalid_dpop_proof' });
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return {
    url,
    counts,
    boundTo,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
