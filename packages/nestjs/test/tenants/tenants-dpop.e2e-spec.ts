import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, UseGuards } from '@nestjs/common';
import request from 'supertest';
import { JwksCacheModule, JwtClaims, JwtGuard } from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';
import { type HttpApp, type Platform, PLATFORMS, startApp } from '../guard/support/platform-app.js';
import { dpopTestKey, mintProof, type DpopTestKey } from '../support/dpop-proofs.js';

const AUDIENCE = 'orders-api';
const PUBLIC_URL = 'https://api.example.com';

@Controller('orders')
@UseGuards(JwtGuard)
class OrdersController {
  @Get()
  list(@JwtClaims('sub') sub: unknown): object {
    return { sub };
  }
}

// A template's `dpop` setting is the one of every issuer it makes: 'required' on a template must
// refuse Bearer tokens of its tenants exactly as it does for a configured issuer.
describe.each(PLATFORMS)('DPoP settings of an issuer template, on %s', (platform: Platform) => {
  let idp: LocalIssuer;
  let key: DpopTestKey;
  let app: HttpApp;

  beforeAll(async () => {
    [idp, key] = await Promise.all([
      LocalIssuer.start({ algorithms: ['ES256'], realms: { names: ['acme', 'globex'], sharedKeys: true } }),
      dpopTestKey('ES256'),
    ]);
    app = await startApp(platform, {
      imports: [
        JwksCacheModule.forRoot({
          issuers: [
            {
              issuer: idp.realmIssuerTemplate(),
              audience: AUDIENCE,
              dpop: { mode: 'required', algorithms: ['ES256'] },
            },
          ],
          guard: { publicUrl: PUBLIC_URL },
        }),
      ],
      controllers: [OrdersController],
    });
  });

  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  it("with dpop 'required' on the template, a tenant's Bearer token is refused", async () => {
    const token = await idp.realm('acme').mint({ aud: AUDIENCE, sub: 'alice' });
    const response = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('DPoP algs="ES256"');
  });

  it("a tenant's DPoP-bound token with a valid proof is admitted, and the proof is still checked (replay refused)", async () => {
    const token = await idp.realm('globex').mint({ aud: AUDIENCE, sub: 'bob', cnf: { jkt: key.jkt } });
    const proof = await mintProof(key, { htm: 'GET', htu: `${PUBLIC_URL}/orders`, accessToken: token });
    const admitted = await request(app.getHttpServer())
      .get('/orders')
      .set('Authorization', `DPoP ${token}`)
      .set('DPoP', proof);
    expect(admitted.status).toBe(200);
    expect(admitted.body).toEqual({ sub: 'bob' });
    const replayed = await request(app.getHttpServer())
      .get('/orders')
      .set('Authorization', `DPoP ${token}`)
      .set('DPoP', proof);
    expect(replayed.status).toBe(401);
  });
});
