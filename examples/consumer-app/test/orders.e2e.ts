// The e2e test of the consumer check: the README's quick start (src/app.module.ts, kept equal to
// the README's code block) against a local issuer from @jwks-cache/testing, through real HTTP.
import 'reflect-metadata';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { JWKS_CACHE_OPTIONS, TokenCacheService, type JwksCacheModuleOptions } from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';
import { AppModule } from '../src/app.module.js';

let idp: LocalIssuer;
let app: INestApplication;
let base: string;

before(async () => {
  idp = await LocalIssuer.start({
    clients: [{ clientId: 'orders', clientSecret: 'orders-secret', scopes: ['inventory:read'] }],
  });
  // The quick start names https://idp.example.com/; a test points the same module at the local
  // issuer by overriding its options, the way a Nest app's own tests would.
  const options: JwksCacheModuleOptions = {
    issuers: [{ issuer: idp.issuer, audience: 'orders-api' }],
    tokens: {
      inventory: {
        clientCredentials: { tokenEndpoint: idp.tokenEndpoint, clientId: 'orders', clientSecret: 'orders-secret', scope: 'inventory:read' },
      },
    },
  };
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(JWKS_CACHE_OPTIONS).useValue(options)
    .compile();
  app = moduleRef.createNestApplication({ logger: false });
  await app.listen(0, '127.0.0.1');
  base = `${await app.getUrl()}/orders`.replace('[::1]', '127.0.0.1');
});

after(async () => {
  await app?.close();
  await idp?.close();
});

test('a @Public() route answers without a token', async () => {
  const answer = await fetch(`${base}/health`);
  assert.equal(answer.status, 200);
  assert.deepEqual(await answer.json(), { ok: true });
});

test('no token: 401 with the RFC 6750 challenge', async () => {
  const answer = await fetch(base);
  assert.equal(answer.status, 401);
  assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer\b/);
});

test('a token with the scope: 200 and @JwtClaims(\'sub\')', async () => {
  const token = await idp.mint({ aud: 'orders-api', scope: 'orders:read', sub: 'alice' });
  const answer = await fetch(base, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(answer.status, 200);
  assert.deepEqual(await answer.json(), { subject: 'alice' });
});

test('a token without the scope: 403 insufficient_scope', async () => {
  const token = await idp.mint({ aud: 'orders-api', scope: 'orders:write' });
  const answer = await fetch(base, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(answer.status, 403);
  assert.match(answer.headers.get('www-authenticate') ?? '', /error="insufficient_scope"/);
});

test('a token for another audience: 401 invalid_token', async () => {
  const token = await idp.mint({ aud: 'billing-api', scope: 'orders:read' });
  const answer = await fetch(base, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(answer.status, 401);
  assert.match(answer.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
});

test('TokenCacheService obtains the inventory token once and reuses it', async () => {
  const tokens = app.get(TokenCacheService);
  const first = await tokens.ensureToken('inventory');
  const second = await tokens.ensureToken('inventory');
  assert.equal(typeof first, 'string');
  assert.equal(second, first);
  assert.equal(idp.requests.token, 1);
});
