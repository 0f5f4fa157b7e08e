import 'reflect-metadata';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Controller, Get, UseGuards } from '@nestjs/common';
import request from 'supertest';
import {
  JwksCacheModule,
  JwksProvider,
  JwtClaims,
  JwtGuard,
  JwtIssuer,
  Public,
  type JwtIssuerInfo,
} from '@jwks-cache/nestjs';
import { type HttpApp, PLATFORMS, startApp } from '../guard/support/platform-app.js';
import { TenantIdp } from '../support/tenant-idp.js';
import { LocalIssuer } from '@jwks-cache/testing';
import { fakeClock, restoreClock } from '../../../../test/support/fake-clock.js';

@Controller('orders')
@UseGuards(JwtGuard)
class TenantOrdersController {
  @Get()
  list(@JwtIssuer() issuer: JwtIssuerInfo, @JwtClaims('sub') sub: unknown): object {
    return { ...issuer, sub };
  }

  @Public()
  @Get('open')
  open(@JwtIssuer() issuer: JwtIssuerInfo | undefined): object {
    return { issuer: issuer ?? null };
  }
}

describe.each(PLATFORMS)('JwtGuard with an issuer template on %s', (platform) => {
  let idp: TenantIdp;
  let app: HttpApp;
  const customers = new Set(['acme', 'globex']);

  beforeAll(async () => {
    idp = await TenantIdp.start('shared');
    app = await startApp(platform, {
      imports: [
        JwksCacheModule.forRoot({
          issuers: [
            { issuer: `${idp.origin}/static`, jwksUri: idp.commonJwksUri, audience: 'api' },
            {
              issuer: idp.issuerTemplate,
              audience: 'api',
              tenants: ({ tenant }) => customers.has(tenant),
              claimsMatch: { tid: 'tenant' },
            },
          ],
        }),
      ],
      controllers: [TenantOrdersController],
    });
  });

  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  beforeEach(() => {
    idp.requests = 0;
    idp.byPath.clear();
  });

  it('admits each allowed tenant, gives @JwtIssuer() its issuer and params, and fetches the shared keys once for both', async () => {
    const acme = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${await idp.mint('acme')}`);
    const globex = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${await idp.mint('globex')}`);
    expect(acme.status).toBe(200);
    expect(acme.body).toEqual({ issuer: idp.issuerOf('acme'), params: { tenant: 'acme' }, sub: 'user-of-acme' });
    expect(globex.body).toEqual({
      issuer: idp.issuerOf('globex'),
      params: { tenant: 'globex' },
      sub: 'user-of-globex',
    });
    // Discovery per issuer, then one key set for both (a configured issuer keeps its own).
    expect(idp.requestsTo('/t/acme/.well-known/openid-configuration')).toBe(1);
    expect(idp.requestsTo('/t/globex/.well-known/openid-configuration')).toBe(1);
    expect(idp.requestsTo('/common/keys')).toBe(1);
    expect(idp.requests).toBe(3);
    // A repeated token is a verified-token cache hit, with the same issuer and params.
    const token = await idp.mint('acme');
    for (let i = 0; i < 2; i++) {
      const again = await request(app.getHttpServer()).get('/orders').set('authorization', `Bearer ${token}`);
      expect(again.body).toMatchObject({ params: { tenant: 'acme' } });
    }
    expect(app.get(JwksProvider).stats().keySets[idp.commonJwksUri]).toMatchObject({ issuers: 2, fetches: 1 });
  });

  it('gives {} as params for a configured issuer', async () => {
    const response = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${await idp.mint('static', {}, { iss: `${idp.origin}/static` })}`);
    expect(response.body).toMatchObject({ issuer: `${idp.origin}/static`, params: {} });
  });

  it('answers 401 invalid_token to a tenant that tenants refuses, an unmatched iss, or a mismatched tid, with no request to the IdP', async () => {
    const refused = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${await idp.mint('evil')}`);
    const unmatched = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${await idp.mint('acme', {}, { iss: `${idp.origin}/t/acme/x` })}`);
    const mismatched = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${await idp.mint('globex', { tid: 'acme' })}`);
    for (const response of [refused, unmatched, mismatched]) {
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_token"/);
    }
    expect(idp.requests).toBe(0);
  });

  it('gives undefined on a public route', async () => {
    const response = await request(app.getHttpServer()).get('/orders/open');
    expect(response.body).toEqual({ issuer: null });
  });
});

describe.each(PLATFORMS)('JwtGuard with Keycloak-style realms of the testing kit on %s', (platform) => {
  let idp: LocalIssuer;
  let app: HttpApp;

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256'], realms: { names: ['acme', 'globex'] } });
    app = await startApp(platform, {
      imports: [JwksCacheModule.forRoot({ issuers: [{ issuer: idp.realmIssuerTemplate('realm'), audience: 'api' }] })],
      controllers: [TenantOrdersController],
    });
  });

  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  it("discovers each realm, verifies with its own keys, and refuses one realm's key for another", async () => {
    const acme = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${await idp.realm('acme').mint({ aud: 'api', sub: 'alice' })}`);
    expect(acme.status).toBe(200);
    expect(acme.body).toEqual({ issuer: idp.realmIssuer('acme'), params: { realm: 'acme' }, sub: 'alice' });
    const globex = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${await idp.realm('globex').mint({ aud: 'api', sub: 'bob' })}`);
    expect(globex.body).toMatchObject({ params: { realm: 'globex' } });
    // acme's key, globex's iss: globex's key set does not hold it.
    const crossed = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${await idp.realm('acme').mint({ aud: 'api', iss: idp.realmIssuer('globex') })}`);
    expect(crossed.status).toBe(401);
    // A realm that does not exist: admitted (no tenants allow-list), its discovery fails, nothing verifies.
    const unknown = await request(app.getHttpServer())
      .get('/orders')
      .set('authorization', `Bearer ${await idp.realm('acme').mint({ aud: 'api', iss: idp.realmIssuer('nobody') })}`);
    expect(unknown.status).toBe(401);
    expect(Object.keys(app.get(JwksProvider).stats().keySets).sort()).toEqual(
      [idp.realm('acme').jwksUri, idp.realm('globex').jwksUri].sort(),
    );
  });
});

describe.each(PLATFORMS)('JwtGuard under a flood of random realms on %s', (platform) => {
  let idp: LocalIssuer;
  let app: HttpApp;

  beforeAll(async () => {
    // Date stands still: however slow the machine, the flood arrives within one second of the admission window.
    fakeClock();
    idp = await LocalIssuer.start({ algorithms: ['ES256'], realms: { onDemand: true, sharedKeys: true } });
    app = await startApp(platform, {
      imports: [JwksCacheModule.forRoot({ issuers: [{ issuer: idp.realmIssuerTemplate(), audience: 'api' }] })],
      controllers: [TenantOrdersController],
    });
  });

  afterAll(async () => {
    await app?.close();
    await idp?.close();
    restoreClock();
  });

  it('admits 10 new realms, answers 401 to the rest, and costs the IdP at most 10 discoveries and 1 JWKS request', async () => {
    idp.resetCounters();
    const tokens = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        idp.mint({ aud: 'api', iss: idp.realmIssuer(`random-${i}-${Math.random().toString(36).slice(2, 8)}`) }),
      ),
    );
    const statuses = await Promise.all(
      tokens.map(
        async (token) =>
          (await request(app.getHttpServer()).get('/orders').set('authorization', `Bearer ${token}`)).status,
      ),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(10);
    expect(statuses.filter((status) => status === 401)).toHaveLength(290);
    const requests = idp.allRequests();
    expect(requests.discovery).toBeLessThanOrEqual(10);
    expect(requests.jwks).toBe(1);
    expect(app.get(JwksProvider).stats().templates[idp.realmIssuerTemplate()]).toMatchObject({
      live: 10,
      rateLimited: 290,
    });
  });
});
