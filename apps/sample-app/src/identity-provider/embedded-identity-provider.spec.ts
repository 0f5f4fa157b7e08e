import { jest, describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { EmbeddedIdentityProvider } from './embedded-identity-provider.js';
import { DEMO_CLIENT_ID, INVENTORY_API, ORDERS_API, SAMPLE_APP_CLIENT_ID } from './resource-servers.js';

async function publishedJwks(idp: EmbeddedIdentityProvider): Promise<JSONWebKeySet> {
  return (await (await fetch(idp.jwksUri)).json()) as JSONWebKeySet;
}

async function verifyAgainstPublishedKeys(idp: EmbeddedIdentityProvider, token: string) {
  return jwtVerify(token, createLocalJWKSet(await publishedJwks(idp)), { issuer: idp.issuer, typ: 'at+jwt' });
}

describe('EmbeddedIdentityProvider', () => {
  let idp: EmbeddedIdentityProvider;
  const warnings: unknown[][] = [];

  beforeAll(async () => {
    const warn = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args));
    try {
      idp = await EmbeddedIdentityProvider.start();
    } finally {
      warn.mockRestore();
    }
  });

  afterAll(async () => {
    await idp.close();
  });

  it('starts on 127.0.0.1 without printing its known development notices', () => {
    expect(idp.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(warnings).toEqual([]);
  });

  it('serves discovery pointing at its JWKS and token endpoints', async () => {
    const discovery = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(discovery).toMatchObject({ issuer: idp.issuer, jwks_uri: idp.jwksUri, token_endpoint: idp.tokenEndpoint });
    expect(discovery.grant_types_supported).toContain('client_credentials');
  });

  it('issues RFC 9068 JWT access tokens for the orders API, with the requested scope', async () => {
    const token = await idp.requestToken(DEMO_CLIENT_ID, { scope: ORDERS_API.scope });
    const { payload, protectedHeader } = await verifyAgainstPublishedKeys(idp, token);
    expect(protectedHeader).toMatchObject({ alg: 'ES256', typ: 'at+jwt', kid: idp.keyState().signing });
    expect(payload).toMatchObject({
      iss: idp.issuer,
      aud: ORDERS_API.audience,
      scope: 'orders:read',
      client_id: DEMO_CLIENT_ID,
      sub: DEMO_CLIENT_ID,
    });
    expect(payload.exp! - payload.iat!).toBe(600);
  });

  it('leaves the scope out when none is requested', async () => {
    const { payload } = await verifyAgainstPublishedKeys(idp, await idp.requestToken(DEMO_CLIENT_ID));
    expect(payload.scope).toBeUndefined();
  });

  it("issues the sample app's tokens for the inventory API, and only to it", async () => {
    const { payload } = await verifyAgainstPublishedKeys(
      idp,
      await idp.requestToken(SAMPLE_APP_CLIENT_ID, { scope: INVENTORY_API.scope }),
    );
    expect(payload).toMatchObject({ aud: INVENTORY_API.audience, scope: 'inventory:read' });
    await expect(idp.requestToken(DEMO_CLIENT_ID, { resource: INVENTORY_API.resource })).rejects.toThrow(
      /400 invalid_target/,
    );
  });

  it('rejects a wrong client secret', async () => {
    const response = await fetch(idp.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${DEMO_CLIENT_ID}:wrong`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });
  });

  it('counts requests per endpoint and issued tokens per client', async () => {
    const before = idp.stats();
    await idp.requestToken(DEMO_CLIENT_ID);
    await idp.requestToken(SAMPLE_APP_CLIENT_ID);
    await publishedJwks(idp);
    await fetch(`${idp.issuer}/.well-known/openid-configuration`);
    const after = idp.stats();
    expect(after.tokenRequests - before.tokenRequests).toBe(2);
    expect(after.jwksRequests - before.jwksRequests).toBe(1);
    expect(after.discoveryRequests - before.discoveryRequests).toBe(1);
    expect(after.tokensIssued[DEMO_CLIENT_ID] - (before.tokensIssued[DEMO_CLIENT_ID] ?? 0)).toBe(1);
    expect(after.tokensIssued[SAMPLE_APP_CLIENT_ID] - (before.tokensIssued[SAMPLE_APP_CLIENT_ID] ?? 0)).toBe(1);
  });
});

describe('EmbeddedIdentityProvider key rotation', () => {
  let idp: EmbeddedIdentityProvider;

  beforeAll(async () => {
    idp = await EmbeddedIdentityProvider.start();
  });

  afterAll(async () => {
    await idp.close();
  });

  it('publishes the next key first, signs with it later, and keeps the old one published until retired', async () => {
    const oldKid = idp.keyState().signing;
    const oldToken = await idp.requestToken(DEMO_CLIENT_ID);
    const issuerBefore = idp.issuer;

    const newKid = await idp.publishNextKey();
    expect(idp.keyState()).toEqual({ published: [oldKid, newKid], signing: oldKid });
    expect((await publishedJwks(idp)).keys.map((key) => key.kid)).toEqual([oldKid, newKid]);
    expect(decodeProtectedHeader(await idp.requestToken(DEMO_CLIENT_ID)).kid).toBe(oldKid);

    await idp.activateNextKey();
    const newToken = await idp.requestToken(DEMO_CLIENT_ID);
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);
    await expect(verifyAgainstPublishedKeys(idp, oldToken)).resolves.toBeDefined();
    await expect(verifyAgainstPublishedKeys(idp, newToken)).resolves.toBeDefined();

    await idp.retireOldKeys();
    expect(idp.keyState()).toEqual({ published: [newKid], signing: newKid });
    await expect(verifyAgainstPublishedKeys(idp, oldToken)).rejects.toThrow();
    expect(idp.issuer).toBe(issuerBefore);
  });

  it('never publishes private key material', async () => {
    await idp.rotateSigningKey();
    for (const key of (await publishedJwks(idp)).keys) expect(key.d).toBeUndefined();
  });
});

describe('EmbeddedIdentityProvider start-up notices', () => {
  it('restores console.warn after overlapping starts', async () => {
    const warn = console.warn;
    const started = await Promise.all([EmbeddedIdentityProvider.start(), EmbeddedIdentityProvider.start()]);
    await Promise.all(started.map((idp) => idp.close()));
    expect(console.warn).toBe(warn);
  });
});
