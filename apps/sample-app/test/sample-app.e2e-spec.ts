import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { LocalIssuer } from '@jwks-cache/testing';
import { EmbeddedIdentityProvider } from '../src/identity-provider/embedded-identity-provider.js';
import { DEMO_CLIENT_ID, ORDERS_API, SAMPLE_APP_CLIENT_ID } from '../src/identity-provider/resource-servers.js';
import type { SampleStack } from '../src/bootstrap.js';
import { RESERVE_PATTERN } from '../src/downstream/inventory-messages.controller.js';
import { ClientTCP } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { get, moveClockForward, restoreClock, startQuietStack } from './sample-stack.helpers.js';

describe('sample app against the embedded OpenID provider', () => {
  let stack: SampleStack & { idp: EmbeddedIdentityProvider };
  let ordersReader: string;

  beforeAll(async () => {
    stack = await startQuietStack();
    ordersReader = await stack.idp.requestToken(DEMO_CLIENT_ID, { scope: ORDERS_API.scope });
  });

  afterAll(async () => {
    await stack.close();
  });

  it('serves /health without a token', async () => {
    const response = await get(stack, '/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers 401 with a Bearer challenge when the token is missing', async () => {
    const response = await get(stack, '/me');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it("accepts the provider's tokens and gives their verified claims on /me", async () => {
    const response = await get(stack, '/me', ordersReader);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      iss: stack.idp.issuer,
      aud: ORDERS_API.audience,
      sub: DEMO_CLIENT_ID,
      scope: 'orders:read',
    });
  });

  it('answers /orders 403 insufficient_scope without orders:read, 200 with it', async () => {
    const withoutScope = await get(stack, '/orders', await stack.idp.requestToken(DEMO_CLIENT_ID));
    expect(withoutScope.status).toBe(403);
    expect(withoutScope.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    const withScope = await get(stack, '/orders', ordersReader);
    expect(withScope.status).toBe(200);
    expect(await withScope.json()).toMatchObject({ customer: DEMO_CLIENT_ID });
  });

  it('guards the GraphQL resolver with the same JwtGuard: FORBIDDEN without orders:read, the orders with it', async () => {
    const graphql = (token: string) =>
      fetch(new URL('/graphql', stack.apiUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ myOrders { customer orders { id } } }' }),
      }).then(async (response) => ({
        challenge: response.headers.get('www-authenticate'),
        body: await response.json(),
      }));
    const refused = await graphql(await stack.idp.requestToken(DEMO_CLIENT_ID));
    expect(refused.body).toMatchObject({ data: null, errors: [{ extensions: { code: 'FORBIDDEN' } }] });
    expect(refused.challenge).toContain('error="insufficient_scope"');
    const granted = await graphql(ordersReader);
    expect(granted.body).toEqual({
      data: { myOrders: { customer: DEMO_CLIENT_ID, orders: [{ id: 'order-1001' }, { id: 'order-1002' }] } },
    });
  });

  it('rejects a token for another audience (the inventory service) with 401', async () => {
    const inventoryToken = await stack.idp.requestToken(SAMPLE_APP_CLIENT_ID);
    const response = await get(stack, '/me', inventoryToken);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('rejects tokens of another OpenID provider with 401', async () => {
    const other = await EmbeddedIdentityProvider.start();
    try {
      const response = await get(stack, '/me', await other.requestToken(DEMO_CLIENT_ID, { scope: ORDERS_API.scope }));
      expect(response.status).toBe(401);
      expect(other.stats().jwksRequests).toBe(0);
    } finally {
      await other.close();
    }
  });

  it("rejects a token signed by another issuer's key that claims this issuer and its kid", async () => {
    const impostor = await LocalIssuer.start({ algorithms: ['ES256'] });
    try {
      const forged = await impostor.mint(
        { iss: stack.idp.issuer, aud: ORDERS_API.audience, sub: DEMO_CLIENT_ID, scope: 'orders:read' },
        { kid: stack.idp.keyState().signing, header: { typ: 'at+jwt' } },
      );
      const response = await get(stack, '/orders', forged);
      expect(response.status).toBe(401);
    } finally {
      await impostor.close();
    }
  });

  it('calls the downstream with one client-credentials token for many calls', async () => {
    const calls = 25;
    const issuedBefore = stack.idp.stats().tokensIssued[SAMPLE_APP_CLIENT_ID] ?? 0;
    const statuses = await Promise.all(
      Array.from({ length: calls }, () => get(stack, '/inventory', ordersReader).then((r) => r.status)),
    );
    expect(statuses).toEqual(Array(calls).fill(200));
    const issuedAfter = stack.idp.stats().tokensIssued[SAMPLE_APP_CLIENT_ID] ?? 0;
    expect(issuedAfter - issuedBefore).toBe(1);
    const body = (await (await get(stack, '/inventory', ordersReader)).json()) as { servedTo: string };
    expect(body.servedTo).toBe(SAMPLE_APP_CLIENT_ID);
  });

  it("calls the downstream's TCP message handler with a cached Bearer token (no DPoP on messages), which its JwtGuard verifies", async () => {
    expect((await get(stack, '/inventory/reserve', ordersReader)).status).toBe(200);
    const issuedBefore = stack.idp.stats().tokensIssued[SAMPLE_APP_CLIENT_ID] ?? 0;
    const response = await get(stack, '/inventory/reserve', ordersReader);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sku: 'widget', reservedFor: SAMPLE_APP_CLIENT_ID });
    expect((stack.idp.stats().tokensIssued[SAMPLE_APP_CLIENT_ID] ?? 0) - issuedBefore).toBe(0);
  });

  it('refuses a TCP message without a token as UNAUTHENTICATED', async () => {
    const { hostname, port } = new URL(stack.environment.DOWNSTREAM_TCP_URL!);
    const client = new ClientTCP({ host: hostname, port: Number(port) });
    try {
      await expect(lastValueFrom(client.send(RESERVE_PATTERN, { sku: 'widget' }))).rejects.toMatchObject({
        code: 16,
        statusCode: 401,
      });
    } finally {
      client.close();
    }
  });

  it('fetched the key set once per verifying service (API and downstream), for all the calls above', () => {
    expect(stack.idp.stats().jwksRequests).toBe(2);
  });

  it('reports the key-set and token caches on /auth/stats', async () => {
    const response = await get(stack, '/auth/stats', ordersReader);
    expect(response.status).toBe(200);
    const stats = (await response.json()) as {
      jwks: { issuers: Record<string, unknown> };
      tokens: Record<string, { fetched: number }>;
    };
    expect(Object.keys(stats.jwks.issuers)).toEqual([stack.idp.issuer]);
    expect(stats.tokens.inventory?.fetched).toBe(1);
  });

  // Last: moving the clock also ages the cached key sets.
  it('rejects an expired token with 401', async () => {
    const token = await stack.idp.requestToken(DEMO_CLIENT_ID, { scope: ORDERS_API.scope });
    expect((await get(stack, '/me', token)).status).toBe(200);
    moveClockForward(11 * 60_000); // the provider's tokens live 10 min; the verifier tolerates 5 s
    try {
      const response = await get(stack, '/me', token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error="invalid_token"');
    } finally {
      restoreClock();
    }
  });
});
