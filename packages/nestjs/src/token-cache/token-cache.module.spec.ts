import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { generateAttackerKey, LocalIssuer } from '@jwks-cache/testing';
import { decodeJwt } from 'jose';
import { TokenUnusableError } from '../errors.js';
import { JwksCacheModule } from '../jwks-cache.module.js';
import { TokenCacheService } from './token-cache-service.js';

const client = { clientId: 'orders-service', clientSecret: 'orders-secret-1' };

let idp: LocalIssuer;

beforeAll(async () => {
  idp = await LocalIssuer.start({ clients: [client], algorithms: ['ES256'] });
});
afterAll(() => idp.close());

describe('TokenCacheService in JwksCacheModule, with verify', () => {
  let moduleRef: TestingModule;
  let service: TokenCacheService;

  beforeAll(async () => {
    const attacker = await generateAttackerKey('ES256');
    moduleRef = await Test.createTestingModule({
      imports: [
        JwksCacheModule.forRoot({
          issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }],
          jwks: { warmUp: false },
          tokens: {
            genuine: { clientCredentials: { tokenEndpoint: idp.tokenEndpoint, ...client }, verify: idp.issuer },
            forged: {
              tokenFunction: () => idp.mint({ sub: 'forged' }, { key: attacker.privateKey }),
              verify: idp.issuer,
            },
          },
        }),
      ],
    }).compile();
    service = moduleRef.get(TokenCacheService);
  });
  afterAll(() => moduleRef.close());

  it('accepts a token from that issuer and rejects a forged one, which is not cached', async () => {
    const genuine = await service.ensureToken('genuine');
    expect(decodeJwt(genuine).iss).toBe(idp.issuer);
    await expect(service.ensureToken('genuine')).resolves.toBe(genuine);

    const forged = await service.ensureToken('forged').catch((caught: unknown) => caught);
    expect(forged).toBeInstanceOf(TokenUnusableError);
    expect((forged as Error).message).toMatch(/failed verification/);
    expect(service.stats()).toMatchObject({
      genuine: { fetched: 1, served: 1, failures: 0 },
      forged: { fetched: 0, failures: 1 },
    });
  });
});
