import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { TokenCacheService } from '@jwks-cache/nestjs';
import { INVENTORY_TOKEN } from '../src/api-options.js';
import { startQuietStack } from './sample-stack.helpers.js';

type Stack = Awaited<ReturnType<typeof startQuietStack>>;

describe('the sample calls its downstream with a DPoP-bound token from oidc-provider (RFC 9449)', () => {
  let stack: Stack;
  let tokens: TokenCacheService;
  let inventoryUrl: string;

  beforeAll(async () => {
    stack = await startQuietStack();
    tokens = stack.api.get(TokenCacheService);
    inventoryUrl = new URL('/inventory', stack.downstreamUrl).toString();
  });

  afterAll(async () => {
    await stack?.close();
  });

  it('gets a token bound to its key (cnf.jkt) and uses it through fetch(), with a fresh proof each call', async () => {
    for (let i = 0; i < 3; i += 1) {
      const response = await tokens.fetch(inventoryUrl, undefined, { token: INVENTORY_TOKEN });
      expect(response.status).toBe(200);
    }
    const token = await tokens.ensureToken(INVENTORY_TOKEN);
    expect(decodeJwt(token).cnf).toEqual({ jkt: expect.any(String) });
  });

  it('the downstream refuses that token as Bearer, and a replayed proof', async () => {
    const token = await tokens.ensureToken(INVENTORY_TOKEN);
    expect((await fetch(inventoryUrl, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
    const proof = await tokens.dpopProof(INVENTORY_TOKEN, { method: 'GET', url: inventoryUrl });
    const headers = { authorization: `DPoP ${token}`, dpop: proof };
    expect((await fetch(inventoryUrl, { headers })).status).toBe(200);
    const replayed = await fetch(inventoryUrl, { headers });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get('www-authenticate')).toContain('DPoP error="invalid_dpop_proof"');
  });
});
