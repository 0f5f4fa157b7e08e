import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Inject, UseGuards } from '@nestjs/common';
import request from 'supertest';
import { JwksCacheModule, JwtContext, JwtGuard, type JwksCacheModuleOptions } from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';
import { type HttpApp, type Platform, PLATFORMS, startApp } from './support/platform-app.js';

const AUDIENCE = 'orders-api';

@Controller('me')
@UseGuards(JwtGuard)
class MeController {
  constructor(@Inject(JwtContext) private readonly jwt: JwtContext) {}

  @Get()
  me(): object {
    return { sub: this.jwt.claims()?.sub ?? null };
  }
}

interface MeBody {
  sub: string | null;
}

// The context costs every route (a global interceptor; AsyncLocalStorage's promise hooks on
// Node 20), so JwksCacheModule adds it only where something reads it.
describe.each(PLATFORMS)('JwtContext is off unless asked for, on %s', (platform: Platform) => {
  let idp: LocalIssuer;
  let defaults: HttpApp;
  let asked: HttpApp;

  const moduleWith = (guard: JwksCacheModuleOptions['guard']) => ({
    imports: [
      JwksCacheModule.forRoot({ issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE }], guard }),
    ],
    controllers: [MeController],
  });

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256'] });
    defaults = await startApp(platform, moduleWith(undefined));
    asked = await startApp(platform, moduleWith({ context: true }));
  });

  afterAll(async () => {
    await Promise.all([defaults?.close(), asked?.close()]);
    await idp?.close();
  });

  it('with the defaults (no tenantFrom), no context is opened: claims() is undefined in a guarded request', async () => {
    const response = await request(defaults.getHttpServer())
      .get('/me')
      .set('Authorization', `Bearer ${await idp.mint({ aud: AUDIENCE, sub: 'alice' })}`);
    expect(response.status).toBe(200);
    expect(response.body as MeBody).toEqual({ sub: null });
  });

  it('with guard.context: true, the guarded request has its claims', async () => {
    const response = await request(asked.getHttpServer())
      .get('/me')
      .set('Authorization', `Bearer ${await idp.mint({ aud: AUDIENCE, sub: 'alice' })}`);
    expect(response.status).toBe(200);
    expect(response.body as MeBody).toEqual({ sub: 'alice' });
  });
});
