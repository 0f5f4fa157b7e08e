import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { LocalIssuer } from '@jwks-cache/testing';
import { FetchError } from '../errors.js';
import { JwksCacheModule } from '../jwks-cache.module.js';
import type { JwksCacheModuleOptions } from '../config/options.js';
import { JwksProvider } from './jwks-provider.js';
import { OidcDiscovery } from '../discovery/oidc-discovery.js';

/** JwksProvider as an application gets it: through JwksCacheModule.forRoot, with its lifecycle. */
describe('JwksProvider in JwksCacheModule', () => {
  let first: LocalIssuer;
  let second: LocalIssuer;
  const apps: INestApplication[] = [];

  async function start(options: JwksCacheModuleOptions): Promise<INestApplication> {
    const moduleRef = await Test.createTestingModule({ imports: [JwksCacheModule.forRoot(options)] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    apps.push(app);
    await app.init();
    return app;
  }

  beforeAll(async () => {
    [first, second] = await Promise.all([
      LocalIssuer.start({ algorithms: ['ES256'] }),
      LocalIssuer.start({ algorithms: ['EdDSA'] }),
    ]);
  });

  afterEach(async () => {
    first.clearFaults();
    first.resetCounters();
    second.resetCounters();
    jest.restoreAllMocks();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  afterAll(() => Promise.all([first.close(), second.close()]));

  it('coalesces 500 concurrent verifies on a cold cache into exactly 1 JWKS request', async () => {
    const app = await start({ issuers: [{ issuer: first.issuer, jwksUri: first.jwksUri }], jwks: { warmUp: false } });
    const provider = app.get(JwksProvider);
    const token = await first.mint();
    expect(first.requests.jwks).toBe(0);
    const results = await Promise.all(Array.from({ length: 500 }, () => provider.verify(token)));
    expect(results).toHaveLength(500);
    expect(first.requests.jwks).toBe(1);
  });

  it('warms up with 1 request per issuer at bootstrap, then verifies without any', async () => {
    const app = await start({
      issuers: [
        { issuer: first.issuer, jwksUri: first.jwksUri },
        { issuer: second.issuer, jwksUri: second.jwksUri },
      ],
    });
    expect([first.requests.jwks, second.requests.jwks]).toEqual([1, 1]);
    const provider = app.get(JwksProvider);
    await provider.verify(await first.mint());
    await provider.verify(await second.mint());
    expect([first.requests.total, second.requests.total]).toEqual([1, 1]);
    expect(provider.issuerState(first.issuer)).toBe('fresh');
  });

  it('logs a failed warm-up (issuer and error code, no token) and starts anyway', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    first.fail();
    // An audience, so that the start-up warning of an issuer without one is not among the lines.
    const app = await start({ issuers: [{ issuer: first.issuer, jwksUri: first.jwksUri, audience: 'orders-api' }] });
    expect(first.requests.jwks).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain(first.issuer);
    expect(String(warn.mock.calls[0][0])).toContain('ERR_FETCH_FAILED');
    expect(app.get(JwksProvider).issuerState(first.issuer)).toBe('no-keys');
  });

  it('fails app.init() when failOnStartup is set and the issuer is down', async () => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    first.fail();
    await expect(
      start({ issuers: [{ issuer: first.issuer, jwksUri: first.jwksUri, jwks: { failOnStartup: true } }] }),
    ).rejects.toBeInstanceOf(FetchError);
    expect(first.requests.jwks).toBe(1);
  });

  it('makes no request at bootstrap with warmUp: false', async () => {
    await start({ issuers: [{ issuer: first.issuer, jwksUri: first.jwksUri }], jwks: { warmUp: false } });
    expect(first.requests.total).toBe(0);
  });

  it('provides OidcDiscovery, shared with JwksProvider (one discovery request in all)', async () => {
    const app = await start({ issuers: [{ issuer: first.issuer }] });
    const document = await app.get(OidcDiscovery).discover(first.issuer);
    expect(document).toMatchObject({
      issuer: first.issuer,
      jwks_uri: first.jwksUri,
      token_endpoint: first.tokenEndpoint,
    });
    await app.get(JwksProvider).verify(await first.mint());
    expect(first.requests).toMatchObject({ discovery: 1, jwks: 1 });
  });
});
