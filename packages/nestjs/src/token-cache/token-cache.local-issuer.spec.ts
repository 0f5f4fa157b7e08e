import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { LocalIssuer } from '@jwks-cache/testing';
import { decodeJwt } from 'jose';
import { TokenRequestError } from '../errors.js';
import { createService } from '../../test/support/token-cache.js';

const client = { clientId: 'orders-service', clientSecret: 'orders-secret-1' };

let idp: LocalIssuer;

beforeAll(async () => {
  idp = await LocalIssuer.start({ clients: [client], algorithms: ['ES256'] });
});
afterAll(() => idp.close());
beforeEach(() => {
  idp.resetCounters();
  idp.clearTokenFaults();
});

describe('TokenCacheService against LocalIssuer', () => {
  it('authenticates with client_secret_basic and client_secret_post', async () => {
    const { service } = createService({
      tokens: {
        basic: {
          clientCredentials: { tokenEndpoint: idp.tokenEndpoint, ...client, scope: ['orders:read', 'orders:write'] },
        },
        post: {
          clientCredentials: {
            tokenEndpoint: idp.tokenEndpoint,
            ...client,
            authMethod: 'client_secret_post',
            resource: 'https://inventory.example',
          },
        },
      },
    });
    const [basic, post] = await Promise.all([service.ensureToken('basic'), service.ensureToken('post')]);
    await Promise.all([service.ensureToken('basic'), service.ensureToken('post')]);

    expect(idp.requests.token).toBe(2);
    const byMethod = Object.fromEntries(idp.tokenRequests().map((record) => [record.authMethod, record]));
    expect(byMethod.client_secret_basic).toEqual({
      authMethod: 'client_secret_basic',
      clientId: 'orders-service',
      params: { grant_type: 'client_credentials', scope: 'orders:read orders:write' },
    });
    expect(byMethod.client_secret_post).toMatchObject({
      authMethod: 'client_secret_post',
      clientId: 'orders-service',
      params: { grant_type: 'client_credentials', client_id: 'orders-service', resource: 'https://inventory.example' },
    });
    expect(decodeJwt(basic)).toMatchObject({ iss: idp.issuer, scope: 'orders:read orders:write' });
    expect(decodeJwt(post)).toMatchObject({ iss: idp.issuer, aud: 'https://inventory.example' });
  });

  it('discovers the token endpoint from the issuer, once for all names', async () => {
    const { service } = createService({
      tokens: {
        a: { clientCredentials: { issuer: idp.issuer, ...client, scope: 'a' } },
        b: { clientCredentials: { issuer: idp.issuer, ...client, scope: 'b' } },
      },
    });
    await Promise.all([service.ensureToken('a'), service.ensureToken('b'), service.ensureToken('a')]);

    expect(idp.requests.discovery).toBe(1);
    expect(idp.requests.token).toBe(2);
  });

  it('reports the endpoint failure with its status and OAuth error, and a wrong secret as invalid_client', async () => {
    const { service } = createService({
      tokens: {
        x: { clientCredentials: { tokenEndpoint: idp.tokenEndpoint, ...client } },
        wrong: {
          clientCredentials: {
            tokenEndpoint: idp.tokenEndpoint,
            clientId: client.clientId,
            clientSecret: 'not-the-secret',
          },
        },
      },
    });
    idp.failTokenEndpoint({ status: 400, error: 'invalid_client' });
    await expect(service.ensureToken('x')).rejects.toMatchObject({ status: 400, error: 'invalid_client' });
    idp.clearTokenFaults();
    const wrong = await service.ensureToken('wrong').catch((caught: unknown) => caught);
    expect(wrong).toBeInstanceOf(TokenRequestError);
    expect(wrong).toMatchObject({ status: 401, error: 'invalid_client' });
    expect(idp.requests.token).toBe(2);
  });
});
