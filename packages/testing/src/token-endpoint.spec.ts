import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { LocalIssuer } from './index.js';
import { settlesWithin, waitUntil } from '../../../test/support/wait-until.js';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString('base64')}`;

interface TokenAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

describe('LocalIssuer token endpoint', () => {
  let idp: LocalIssuer;

  beforeAll(async () => {
    idp = await LocalIssuer.start({
      algorithms: ['ES256', 'RS256'],
      tokenLifetime: 300,
      clients: [
        { clientId: 'orders', clientSecret: 'orders-secret', scopes: ['inventory:read', 'inventory:write'] },
        { clientId: 'odd id:1', clientSecret: 'p@ss:w rd+&=', authMethods: ['client_secret_basic'] },
        { clientId: 'post-only', clientSecret: 'post-secret', authMethods: ['client_secret_post'] },
      ],
    });
  });

  afterEach(() => {
    idp.clearTokenFaults();
    idp.resetCounters();
  });

  afterAll(async () => {
    await idp.close();
  });

  async function requestToken(
    params: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<TokenAnswer> {
    const response = await fetch(idp.tokenEndpoint, {
      method: 'POST',
      headers: { ...FORM, ...headers },
      body: new URLSearchParams(params).toString(),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as Record<string, unknown>,
    };
  }

  it('issues a verifiable at+jwt to a client authenticating with client_secret_basic', async () => {
    const { status, headers, body } = await requestToken(
      { grant_type: 'client_credentials' },
      { Authorization: basic('orders', 'orders-secret') },
    );
    expect(status).toBe(200);
    expect(headers.get('cache-control')).toBe('no-store');
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 300, scope: 'inventory:read inventory:write' });
    const { payload, protectedHeader } = await jwtVerify(body.access_token as string, createLocalJWKSet(idp.jwks()), {
      issuer: idp.issuer,
      audience: idp.issuer,
      typ: 'at+jwt',
    });
    expect(protectedHeader).toEqual({ alg: 'ES256', kid: 'es256-1', typ: 'at+jwt' });
    expect(payload).toMatchObject({ sub: 'orders', client_id: 'orders', scope: 'inventory:read inventory:write' });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(typeof payload.jti).toBe('string');
    expect(idp.tokenRequests()).toEqual([
      { authMethod: 'client_secret_basic', clientId: 'orders', params: { grant_type: 'client_credentials' } },
    ]);
  });

  it('accepts client_secret_post and records it without the secret', async () => {
    const { status, body } = await requestToken({
      grant_type: 'client_credentials',
      client_id: 'orders',
      client_secret: 'orders-secret',
      scope: 'inventory:read',
    });
    expect(status).toBe(200);
    expect(body.scope).toBe('inventory:read');
    expect(idp.tokenRequests()).toEqual([
      {
        authMethod: 'client_secret_post',
        clientId: 'orders',
        params: { grant_type: 'client_credentials', client_id: 'orders', scope: 'inventory:read' },
      },
    ]);
    expect(JSON.stringify(idp.tokenRequests())).not.toContain('orders-secret');
    expect(idp.requests.token).toBe(1);
  });

  it('form-urldecodes the id and secret inside Basic (RFC 6749 §2.3.1)', async () => {
    const { status } = await requestToken(
      { grant_type: 'client_credentials' },
      { Authorization: basic('odd id:1', 'p@ss:w rd+&=') },
    );
    expect(status).toBe(200);
  });

  it('sets aud from the audience or resource parameter', async () => {
    const auth = { Authorization: basic('orders', 'orders-secret') };
    const byAudience = await requestToken({ grant_type: 'client_credentials', audience: 'inventory-api' }, auth);
    const byResource = await requestToken(
      { grant_type: 'client_credentials', resource: 'https://inventory.example' },
      auth,
    );
    const jwks = createLocalJWKSet(idp.jwks());
    await expect(
      jwtVerify(byAudience.body.access_token as string, jwks, { audience: 'inventory-api' }),
    ).resolves.toBeDefined();
    await expect(
      jwtVerify(byResource.body.access_token as string, jwks, { audience: 'https://inventory.example' }),
    ).resolves.toBeDefined();
  });

  it('answers 401 invalid_client with a Basic challenge for a bad secret over Basic', async () => {
    const { status, headers, body } = await requestToken(
      { grant_type: 'client_credentials' },
      { Authorization: basic('orders', 'wrong') },
    );
    expect(status).toBe(401);
    expect(body.error).toBe('invalid_client');
    expect(headers.get('www-authenticate')).toMatch(/^Basic /);
    expect(JSON.stringify(body)).not.toContain('wrong');
  });

  it('answers 401 invalid_client for a bad secret posted, an unknown client, no credentials, or a disallowed method', async () => {
    const attempts: Record<string, string>[] = [
      { grant_type: 'client_credentials', client_id: 'orders', client_secret: 'wrong' },
      { grant_type: 'client_credentials', client_id: 'nobody', client_secret: 'x' },
      { grant_type: 'client_credentials', client_id: 'orders' },
      { grant_type: 'client_credentials', client_id: 'odd id:1', client_secret: 'p@ss:w rd+&=' },
    ];
    for (const params of attempts) {
      const { status, headers, body } = await requestToken(params);
      expect({ status, error: body.error, challenge: headers.get('www-authenticate') }).toEqual({
        status: 401,
        error: 'invalid_client',
        challenge: null,
      });
    }
    const basicForPostOnly = await requestToken(
      { grant_type: 'client_credentials' },
      { Authorization: basic('post-only', 'post-secret') },
    );
    expect(basicForPostOnly.status).toBe(401);
    expect(idp.requests.token).toBe(5);
  });

  it('answers 400 unsupported_grant_type, invalid_request and invalid_scope', async () => {
    const auth = { Authorization: basic('orders', 'orders-secret') };
    expect((await requestToken({ grant_type: 'password' }, auth)).body.error).toBe('unsupported_grant_type');
    expect((await requestToken({}, auth)).body.error).toBe('invalid_request');
    expect((await requestToken({ grant_type: 'client_credentials', scope: 'admin' }, auth)).body.error).toBe(
      'invalid_scope',
    );
    const both = await requestToken({ grant_type: 'client_credentials', client_secret: 'orders-secret' }, auth);
    expect(both).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const json = await fetch(idp.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...auth },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('answers 405 to GET', async () => {
    const response = await fetch(idp.tokenEndpoint);
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
  });

  it('failTokenEndpoint answers the given status and OAuth error until cleared', async () => {
    const auth = { Authorization: basic('orders', 'orders-secret') };
    idp.failTokenEndpoint({ status: 400, error: 'invalid_grant', error_description: 'injected' });
    expect(await requestToken({ grant_type: 'client_credentials' }, auth)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'injected' },
    });
    idp.failTokenEndpoint();
    expect(await requestToken({ grant_type: 'client_credentials' }, auth)).toMatchObject({
      status: 503,
      body: { error: 'temporarily_unavailable' },
    });
    expect((await fetch(idp.jwksUri)).status).toBe(200);
    idp.clearTokenFaults();
    expect((await requestToken({ grant_type: 'client_credentials' }, auth)).status).toBe(200);
    expect(idp.requests.token).toBe(3);
    expect(idp.tokenRequests().map((record) => record.authMethod)).toEqual([
      'client_secret_basic',
      'client_secret_basic',
      'client_secret_basic',
    ]);
  });

  it('slowTokenEndpoint delays answers past a client timeout, yet counts the request', async () => {
    idp.slowTokenEndpoint(60_000);
    // The client gives up only once the endpoint has counted the request (see faults.spec.ts).
    const client = new AbortController();
    const attempt = fetch(idp.tokenEndpoint, {
      method: 'POST',
      headers: { ...FORM, Authorization: basic('orders', 'orders-secret') },
      body: 'grant_type=client_credentials',
      signal: client.signal,
    });
    await waitUntil(() => idp.requests.token === 1);
    expect(await settlesWithin(attempt, 100)).toBe(false);
    client.abort();
    await expect(attempt).rejects.toThrow(/aborted/);
    expect(idp.requests.token).toBe(1);
  });
});
