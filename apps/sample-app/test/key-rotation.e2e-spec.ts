import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { decodeProtectedHeader } from 'jose';
import type { EmbeddedIdentityProvider } from '../src/identity-provider/embedded-identity-provider.js';
import { DEMO_CLIENT_ID, ORDERS_API } from '../src/identity-provider/resource-servers.js';
import type { SampleStack } from '../src/bootstrap.js';
import { get, moveClockForward, restoreClock, startQuietStack } from './sample-stack.helpers.js';

/** The API's key sets are fresh for 1 min here (10 min by default), its unknown-kid cooldown 30 s. */
const JWKS_TTL_MS = 60_000;
const COOLDOWN_MS = 30_000;

async function statusesOf(stack: SampleStack, tokens: string[]): Promise<number[]> {
  return Promise.all(tokens.map(async (token) => (await get(stack, '/orders', token)).status));
}

describe('key rotation at the provider', () => {
  let stack: SampleStack & { idp: EmbeddedIdentityProvider };

  beforeEach(async () => {
    stack = await startQuietStack({ JWKS_TTL_MS: String(JWKS_TTL_MS) });
  });

  afterEach(async () => {
    restoreClock();
    await stack.close();
  });

  function ordersToken(): Promise<string> {
    return stack.idp.requestToken(DEMO_CLIENT_ID, { scope: ORDERS_API.scope });
  }

  it('published first and activated after the API refreshed: no failed request, no extra fetch for the new kid', async () => {
    const oldToken = await ordersToken();
    expect(await statusesOf(stack, [oldToken])).toEqual([200]);
    const fetchesAtStart = stack.idp.stats().jwksRequests;

    const newKid = await stack.idp.publishNextKey();
    moveClockForward(JWKS_TTL_MS + 1_000);
    expect(await statusesOf(stack, [oldToken, await ordersToken()])).toEqual([200, 200]);
    const fetchesAfterRefresh = stack.idp.stats().jwksRequests;
    expect(fetchesAfterRefresh).toBe(fetchesAtStart + 1); // the API fetched its expired key set again, new key included

    await stack.idp.activateNextKey();
    const newToken = await ordersToken();
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    expect(await statusesOf(stack, [newToken, oldToken, newToken, oldToken])).toEqual([200, 200, 200, 200]);
    expect(stack.idp.stats().jwksRequests).toBe(fetchesAfterRefresh);
  });

  it('signing with a new key at once: the first new-kid token triggers one refetch, and old tokens keep working', async () => {
    const oldToken = await ordersToken();
    expect(await statusesOf(stack, [oldToken])).toEqual([200]);
    const fetchesBefore = stack.idp.stats().jwksRequests;

    const newKid = await stack.idp.rotateSigningKey();
    moveClockForward(COOLDOWN_MS + 1_000);
    const newToken = await ordersToken();
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    const concurrent = await statusesOf(stack, [
      ...new Array<string>(10).fill(newToken),
      ...new Array<string>(10).fill(oldToken),
    ]);
    expect(concurrent).toEqual(Array(20).fill(200));
    expect(stack.idp.stats().jwksRequests - fetchesBefore).toBe(1);
  });
});
