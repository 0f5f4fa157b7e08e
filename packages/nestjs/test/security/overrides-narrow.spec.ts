/**
 * Issue 14 item 9: per-call and per-route overrides only ever add checks. An issuer set to
 * audience `orders-api` and `typ: at+jwt` must not accept an ID token (typ `JWT`, aud
 * `some-spa-client`) because a caller or a route asked for it.
 */
import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, UseGuards } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { LocalIssuer } from '@jwks-cache/testing';
import {
  JwksCacheModule,
  JwksProvider,
  JwtGuard,
  JwtVerify,
  type JwksCacheModuleOptions,
  type VerifyOverrides,
} from '@jwks-cache/nestjs';

const AUDIENCE = 'orders-api';
const SPA_CLIENT = 'some-spa-client';

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('overrides only narrow', () => {
  let idp: LocalIssuer;
  let other: LocalIssuer;
  const modules: TestingModule[] = [];

  const issuerOptions = (): JwksCacheModuleOptions => ({
    issuers: [
      {
        issuer: idp.issuer,
        jwksUri: idp.jwksUri,
        audience: AUDIENCE,
        algorithms: ['RS256', 'ES256'],
        verify: { typ: 'at+jwt', clockTolerance: 5_000, maxTokenAge: 600_000 },
      },
    ],
  });

  async function start(
    options: JwksCacheModuleOptions,
    controllers: (new () => object)[] = [],
  ): Promise<TestingModule> {
    const moduleRef = await Test.createTestingModule({
      imports: [JwksCacheModule.forRoot(options)],
      controllers,
    }).compile();
    modules.push(moduleRef);
    await moduleRef.init();
    return moduleRef;
  }

  beforeAll(async () => {
    [idp, other] = await Promise.all([
      LocalIssuer.start({ algorithms: ['RS256', 'ES256'] }),
      LocalIssuer.start({ algorithms: ['RS256'] }),
    ]);
  });

  afterEach(async () => {
    await Promise.all(modules.splice(0).map((moduleRef) => moduleRef.close()));
  });

  afterAll(async () => {
    await Promise.all([idp.close(), other.close()]);
  });

  describe('verify(token, overrides)', () => {
    it('refuses an ID token let in through a wider audience and another typ: a TypeError, not a verified token', async () => {
      const provider = (await start(issuerOptions())).get(JwksProvider);
      const idToken = await idp.mint({ aud: SPA_CLIENT }, { header: { typ: 'JWT' } });

      for (const overrides of [
        { audience: [AUDIENCE, SPA_CLIENT], typ: 'JWT' },
        { audience: SPA_CLIENT },
        { typ: 'JWT' },
      ] satisfies VerifyOverrides[]) {
        const error = await rejectionOf(provider.verify(idToken, overrides));
        expect(error).toBeInstanceOf(TypeError);
        expect(String((error as Error).message)).toMatch(/would widen/);
      }
      // Without overrides the issuer's own checks refuse it too.
      await expect(provider.verify(idToken)).rejects.not.toBeInstanceOf(TypeError);
    });

    it('refuses a larger clockTolerance, a longer maxTokenAge and algorithms off the allow-list', async () => {
      const provider = (await start(issuerOptions())).get(JwksProvider);
      const token = await idp.mint({ aud: AUDIENCE }, { header: { typ: 'at+jwt' } });
      const widening: VerifyOverrides[] = [
        { clockTolerance: 60_000 },
        { maxTokenAge: 3_600_000 },
        { algorithms: ['RS256', 'PS256'] },
      ];
      for (const overrides of widening)
        await expect(provider.verify(token, overrides)).rejects.toBeInstanceOf(TypeError);
      // Nonsense is a TypeError too, never silently ignored.
      await expect(
        provider.verify(token, { audiences: SPA_CLIENT } as unknown as VerifyOverrides),
      ).rejects.toBeInstanceOf(TypeError);
      await expect(provider.verify(token, { clockTolerance: -1 })).rejects.toBeInstanceOf(TypeError);
    });

    it("accepts what only narrows: an audience within the issuer's, the same typ, a smaller tolerance and age, fewer algorithms, more claims", async () => {
      const provider = (await start(issuerOptions())).get(JwksProvider);
      const token = await idp.mint({ aud: AUDIENCE, sub: 'service' }, { header: { typ: 'application/at+jwt' } });
      const narrowing: VerifyOverrides = {
        audience: AUDIENCE,
        typ: 'at+jwt',
        clockTolerance: 1_000,
        maxTokenAge: 60_000,
        algorithms: ['RS256'],
        requiredClaims: ['sub'],
      };
      await expect(provider.verify(token, narrowing)).resolves.toMatchObject({ issuer: idp.issuer });
    });

    it('lets an override set a typ or an audience where the issuer sets none (an added check)', async () => {
      const provider = (await start({ issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }] })).get(JwksProvider);
      const idToken = await idp.mint({ aud: SPA_CLIENT }, { header: { typ: 'JWT' } });
      await expect(provider.verify(idToken, { audience: SPA_CLIENT, typ: 'JWT' })).resolves.toMatchObject({
        issuer: idp.issuer,
      });
      await expect(provider.verify(idToken, { typ: 'at+jwt' })).rejects.not.toBeInstanceOf(TypeError);
    });
  });

  describe('@JwtVerify', () => {
    it('refuses at start a route whose overrides would let the ID token in', async () => {
      @Controller('orders')
      @UseGuards(JwtGuard)
      class WideningController {
        @JwtVerify({ audience: [AUDIENCE, SPA_CLIENT], typ: 'JWT' })
        @Get()
        list(): object {
          return {};
        }
      }
      const moduleRef = await Test.createTestingModule({
        imports: [JwksCacheModule.forRoot(issuerOptions())],
        controllers: [WideningController],
      }).compile();
      modules.push(moduleRef);
      const error = await rejectionOf(moduleRef.init());
      expect(error).toBeInstanceOf(TypeError);
      expect(String((error as Error).message)).toContain('WideningController.list');
    });

    it('refuses at start a class-level override that widens one of several issuers, unless it names the issuer it narrows', async () => {
      const twoIssuers: JwksCacheModuleOptions = {
        issuers: [
          ...issuerOptions().issuers!,
          { issuer: other.issuer, jwksUri: other.jwksUri, audience: 'billing-api' },
        ],
      };
      @JwtVerify({ audience: 'billing-api' })
      @Controller('billing')
      class BillingController {}
      const moduleRef = await Test.createTestingModule({
        imports: [JwksCacheModule.forRoot(twoIssuers)],
        controllers: [BillingController],
      }).compile();
      modules.push(moduleRef);
      await expect(moduleRef.init()).rejects.toThrow(/BillingController: audience would widen/);

      @JwtVerify({ audience: 'billing-api', issuer: other.issuer })
      @Controller('billing')
      class ScopedBillingController {}
      await expect(start(twoIssuers, [ScopedBillingController])).resolves.toBeDefined();
    });

    it('starts with routes whose overrides only narrow', async () => {
      @Controller('orders')
      @UseGuards(JwtGuard)
      class NarrowingController {
        @JwtVerify({ audience: AUDIENCE, typ: 'at+jwt', requiredClaims: ['sub'], clockTolerance: 0 })
        @Get()
        list(): object {
          return {};
        }
      }
      await expect(start(issuerOptions(), [NarrowingController])).resolves.toBeDefined();
    });

    it('refuses overrides of the wrong type as soon as the decorator is applied', () => {
      expect(() => JwtVerify({ maxTokenAge: 1.5 })).toThrow(TypeError);
      expect(() => JwtVerify({ audience: [] })).toThrow(TypeError);
    });
  });
});
