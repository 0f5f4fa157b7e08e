import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Type } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { JWKS_CACHE_OPTIONS } from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';
import { type HttpApp, type Platform, PLATFORMS } from '../guard/support/platform-app.js';
import { forRootOptions } from '../support/jwks-cache-options.js';
import { applyDiff, codeBlocks, readmeSection } from '../support/readme.js';

/** The identity provider the README's apps are written for; tokens are minted in its name. */
const ISSUER = 'https://idp.example.com/';
const AUDIENCE = 'orders-api';

/** The app in `dir`, as `src/<file>` → text. */
function appFiles(dir: string): Map<string, string> {
  const path = fileURLToPath(new URL(`./${dir}/`, import.meta.url));
  return new Map(readdirSync(path).map((file) => [`src/${file}`, readFileSync(path + file, 'utf8')]));
}

/** The README's diffs, in order: replace the strategy, then keep it. */
const MIGRATIONS = ['auth-guard', 'secret-provider'] as const;
const diffs = codeBlocks(readmeSection('Migrating from jwks-rsa + passport-jwt'), 'diff');

describe("the README's passport migration", () => {
  it('shows one diff per migration', () => {
    expect(diffs).toHaveLength(MIGRATIONS.length);
  });

  it.each(MIGRATIONS.map((name, index) => [name, index] as const))(
    'diff %s turns the app in before/ into the tested one',
    (name, index) => {
      expect(applyDiff(appFiles('before'), diffs[index])).toEqual(appFiles(name));
    },
  );
});

/** Builds the migrated app with its JWKS at the local issuer: everything else as written. */
async function startMigratedApp(platform: Platform, ordersModule: Type, idp: LocalIssuer): Promise<HttpApp> {
  const options = forRootOptions(ordersModule);
  const moduleRef = await Test.createTestingModule({ imports: [ordersModule] })
    .overrideProvider(JWKS_CACHE_OPTIONS)
    .useValue({ ...options, issuers: (options.issuers ?? []).map((issuer) => ({ ...issuer, jwksUri: idp.jwksUri })) })
    .compile();
  const app =
    platform === 'express'
      ? moduleRef.createNestApplication<HttpApp>(new ExpressAdapter(), { logger: false })
      : moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
  await app.init();
  if (platform === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}

describe.each(MIGRATIONS)('the app migrated by %s', (migration) => {
  let idp: LocalIssuer;
  let ordersModule: Type;

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['RS256'] });
    ({ OrdersModule: ordersModule } = (await import(`./${migration}/orders.module.js`)) as { OrdersModule: Type });
  });

  afterAll(async () => {
    await idp?.close();
  });

  // One app at a time: a strategy registers itself in passport's process-wide registry.
  describe.each(PLATFORMS)('on %s', (platform) => {
    let app: HttpApp;
    const get = (token?: string) => {
      const call = request(app.getHttpServer()).get('/orders');
      return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
    };

    beforeAll(async () => {
      app = await startMigratedApp(platform, ordersModule, idp);
    });

    afterAll(async () => {
      await app?.close();
    });

    it('admits a token of the issuer and puts its claims on request.user', async () => {
      await get(await idp.mint({ iss: ISSUER, aud: AUDIENCE, sub: 'alice' })).expect(200, { subject: 'alice' });
    });

    it('refuses a missing token, another audience and another issuer with 401', async () => {
      await get().expect(401);
      await get(await idp.mint({ iss: ISSUER, aud: 'billing-api' })).expect(401);
      await get(await idp.mint({ iss: 'https://elsewhere.example.com/', aud: AUDIENCE })).expect(401);
    });

    if (migration === 'auth-guard') {
      it('keeps the RFC 6750 challenge on its 401s', async () => {
        await get().expect(401).expect('WWW-Authenticate', 'Bearer');
        const refused = await get(await idp.mint({ iss: ISSUER, aud: 'billing-api' })).expect(401);
        expect(refused.headers['www-authenticate']).toBe(
          'Bearer error="invalid_token", error_description="The access token audience is not accepted"',
        );
      });
    }
  });
});
