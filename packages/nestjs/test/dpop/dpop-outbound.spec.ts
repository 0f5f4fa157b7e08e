import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, type INestApplication, Logger, UseGuards } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { decodeJwt } from 'jose';
import { Keyv } from 'keyv';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  JwksCacheModule,
  JwtClaims,
  JwtGuard,
  TokenCacheService,
  type JwksCacheModuleOptions,
  type TokenSourceOptions,
} from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';
import { startApp } from '../guard/support/platform-app.js';
import { dpopTestKey } from '../support/dpop-proofs.js';
import { startDpopTokenEndpoint, type DpopTokenEndpoint } from '../support/dpop-token-endpoint.js';

const CLIENT = { clientId: 'orders-service', clientSecret: 'orders-service-secret-value' };
const ENCRYPTION_KEY = 'ZW5jcnlwdGlvbi1rZXktb2YtMzItcmFuZG9tLWJ5dGU=';

@Controller('inventory')
@UseGuards(JwtGuard)
class InventoryController {
  @Get()
  list(@JwtClaims('sub') sub: unknown): object {
    return { sub };
  }
}

describe('TokenCacheService with DPoP-bound tokens (RFC 9449 outbound)', () => {
  let idp: LocalIssuer;
  let endpoint: DpopTokenEndpoint;
  let inventory: INestApplication;
  let inventoryUrl: string;
  const modules: TestingModule[] = [];

  async function client(
    dpop: TokenSourceOptions['dpop'],
    extra: Partial<JwksCacheModuleOptions> = {},
  ): Promise<TokenCacheService> {
    const options: JwksCacheModuleOptions = {
      tokens: { inventory: { clientCredentials: { tokenEndpoint: endpoint.url, ...CLIENT }, dpop } },
      ...extra,
    };
    const moduleRef = await Test.createTestingModule({ imports: [JwksCacheModule.forRoot(options)] }).compile();
    modules.push(moduleRef);
    await moduleRef.init();
    return moduleRef.get(TokenCacheService);
  }

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256'] });
    endpoint = await startDpopTokenEndpoint(idp, { requireNonce: true, audience: 'inventory' });
    inventory = await startApp('express', {
      imports: [
        JwksCacheModule.forRoot({
          issuers: [
            {
              issuer: idp.issuer,
              jwksUri: idp.jwksUri,
              audience: 'inventory',
              dpop: { mode: 'required', nonce: true },
            },
          ],
        }),
      ],
      controllers: [InventoryController],
    });
    await inventory.listen(0, '127.0.0.1');
    inventoryUrl = `http://127.0.0.1:${((inventory.getHttpServer() as Server).address() as AddressInfo).port}/inventory`;
  });

  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
    jest.restoreAllMocks();
  });

  afterAll(async () => {
    await inventory.close();
    await endpoint.close();
    await idp.close();
  });

  it('obtains a token bound to a key made at start, answering the token endpoint nonce challenge with one retry', async () => {
    const tokens = await client(true);
    const before = { ...endpoint.counts };
    const token = await tokens.ensureToken('inventory');
    expect(endpoint.counts.requests - before.requests).toBe(2);
    expect(endpoint.counts.nonceChallenges - before.nonceChallenges).toBe(1);
    const { cnf } = decodeJwt(token) as { cnf?: { jkt?: string } };
    expect(cnf?.jkt).toBe(endpoint.boundTo.at(-1));
    // Cached with its key: no new request.
    expect(await tokens.ensureToken('inventory')).toBe(token);
    expect(endpoint.counts.requests - before.requests).toBe(2);
  });

  it('fetch() sends Authorization: DPoP with a fresh proof per request, retrying once on the resource server nonce challenge', async () => {
    const tokens = await client(true);
    const first = await tokens.fetch(inventoryUrl, undefined, { token: 'inventory' });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ sub: 'orders-service' });
    // The nonce is remembered: the next calls pass at once, each with its own proof (a reused one would be a replay).
    for (let i = 0; i < 3; i += 1)
      expect((await tokens.fetch(`${inventoryUrl}?page=${i}`, undefined, { token: 'inventory' })).status).toBe(200);
  });

  it('dpopProof() makes a proof for callers that send the request themselves; a proof is good once', async () => {
    const tokens = await client(true);
    // One fetch to learn the resource server's nonce.
    expect((await tokens.fetch(inventoryUrl, undefined, { token: 'inventory' })).status).toBe(200);
    const token = await tokens.ensureToken('inventory');
    const proof = await tokens.dpopProof('inventory', { method: 'GET', url: inventoryUrl });
    const headers = { authorization: `DPoP ${token}`, dpop: proof };
    expect((await fetch(inventoryUrl, { headers })).status).toBe(200);
    expect((await fetch(inventoryUrl, { headers })).status).toBe(401);
    await expect(tokens.dpopProof('missing', { method: 'GET', url: inventoryUrl })).rejects.toMatchObject({
      code: 'ERR_TOKEN_SOURCE_UNKNOWN',
    });
  });

  it('with a configured key, binds tokens to it; they are shared through the store only with an encryptionKey', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const key = await dpopTestKey('ES256');
    const dpop = { privateKey: key.privateJwk as never, alg: 'ES256' as const };
    const shared = new Keyv();
    const first = await client(dpop, { stores: [shared], encryptionKey: ENCRYPTION_KEY });
    const token = await first.ensureToken('inventory');
    expect((decodeJwt(token) as { cnf?: { jkt?: string } }).cnf?.jkt).toBe(key.jkt);
    const second = await client(dpop, { stores: [shared], encryptionKey: ENCRYPTION_KEY });
    const before = endpoint.counts.requests;
    expect(await second.ensureToken('inventory')).toBe(token);
    expect(endpoint.counts.requests).toBe(before);
    // The stored entry is encrypted, and holds neither the token nor the private key.
    const raw = JSON.stringify(await Promise.all(collect(shared)));
    expect(raw).not.toContain(token.slice(0, 40));
    expect(raw).not.toContain(String(key.privateJwk.d));

    // Without an encryptionKey, the bound token stays in process; a key made at start never leaves it.
    const unencrypted = new Keyv();
    const third = await client(dpop, { stores: [unencrypted] });
    await third.ensureToken('inventory');
    const madeAtStart = await client(true, { stores: [shared], encryptionKey: ENCRYPTION_KEY });
    const beforeOwn = endpoint.counts.issued;
    expect(await madeAtStart.ensureToken('inventory')).not.toBe(token);
    expect(endpoint.counts.issued).toBe(beforeOwn + 1);
    expect(collect(unencrypted)).toEqual([]);
  });

  it('refuses a configured key that cannot sign the alg, and dpop on a token function, at start', async () => {
    const rsa = await dpopTestKey('RS256');
    await expect(client({ privateKey: rsa.privateJwk as never, alg: 'ES256' })).rejects.toThrow(
      /tokens\.inventory\.dpop\.privateKey is a RSA key, which cannot sign ES256/,
    );
    await expect(client({ privateKey: 'not a key', alg: 'ES256' })).rejects.toThrow(
      /dpop\.privateKey is not a private key/,
    );
    const moduleRef = Test.createTestingModule({
      imports: [JwksCacheModule.forRoot({ tokens: { f: { tokenFunction: () => 'x', dpop: true } } })],
    }).compile();
    await expect(moduleRef).rejects.toThrow(/tokens\.f\.dpop applies to clientCredentials sources/);
  });
});

/** Every value of an in-memory Keyv. */
function collect(keyv: Keyv): unknown[] {
  const store = (keyv as unknown as { store: Map<string, unknown> }).store;
  return [...store.values()];
}
