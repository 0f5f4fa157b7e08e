import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Inject, Injectable, UseGuards } from '@nestjs/common';
import { AuthGuard, PassportModule, PassportStrategy } from '@nestjs/passport';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import { ExtractJwt, Strategy } from 'passport-jwt';
import request from 'supertest';
import {
  JwksCacheModule,
  JwksProvider,
  JwtClaims,
  type JwtClaimsPayload,
  JwtGuard,
  type VerifyOverrides,
} from '@jwks-cache/nestjs';
import { JwksAuthGuard, JwksStrategy, jwksSecretProvider } from '@jwks-cache/nestjs/passport';
import { generateAttackerKey, LocalIssuer, signWith, unsignedToken } from '@jwks-cache/testing';
import { type HttpApp, type Platform, PLATFORMS, startApp } from './support/platform-app.js';

const AUDIENCE = 'orders-api';

/** What RoutesController's passport route answers with: `request.user`, as the strategy made it. */
interface UserBody {
  user: unknown;
}
const ISSUER = Symbol('ISSUER');

/** A user's existing passport-jwt strategy, moved from jwks-rsa's passportJwtSecret by one line. */
@Injectable()
class LegacyJwtStrategy extends PassportStrategy(Strategy, 'legacy-jwt') {
  constructor(provider: JwksProvider, @Inject(ISSUER) issuer: string) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: jwksSecretProvider(provider, issuer),
      issuer,
      audience: AUDIENCE,
      algorithms: ['ES256', 'RS256'],
    });
  }

  validate(payload: JwtClaimsPayload): JwtClaimsPayload {
    return payload;
  }
}

/** Maps the claims to an app user and requires a `tenant` claim, as a subclass of `JwksStrategy` would. */
@Injectable()
class AppUserStrategy extends JwksStrategy {
  override validate(claims: JwtClaimsPayload): unknown {
    return claims.sub === 'banned' ? false : { id: claims.sub, tenant: claims.tenant };
  }

  protected override verifyOverrides(): VerifyOverrides {
    return { requiredClaims: ['tenant'] };
  }
}

@Controller()
class RoutesController {
  @UseGuards(JwtGuard)
  @Get('guard')
  guard(@JwtClaims('sub') sub: unknown): object {
    return { sub };
  }

  @UseGuards(AuthGuard('jwks'))
  @Get('passport')
  passport(@JwtClaims() user: unknown): object {
    return { user };
  }

  @UseGuards(JwksAuthGuard)
  @Get('jwks-auth-guard')
  jwksAuthGuard(@JwtClaims('sub') sub: unknown): object {
    return { sub };
  }

  @UseGuards(AuthGuard('legacy-jwt'))
  @Get('legacy')
  legacy(@JwtClaims('sub') sub: unknown): object {
    return { sub };
  }
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

describe.each(PLATFORMS)('passport interop on %s', (platform: Platform) => {
  let idp: LocalIssuer;
  let app: HttpApp;
  const get = (path: string, token?: string) => {
    const call = request(app.getHttpServer()).get(path);
    return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  };
  const claims = (extra: Record<string, unknown> = {}) => ({
    iss: idp.issuer,
    aud: AUDIENCE,
    sub: 'alice',
    iat: nowSeconds(),
    exp: nowSeconds() + 600,
    ...extra,
  });

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256', 'RS256'] });
    app = await startApp(platform, {
      imports: [
        JwksCacheModule.forRoot({ issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE }] }),
        PassportModule,
      ],
      controllers: [RoutesController],
      providers: [JwksStrategy, LegacyJwtStrategy, { provide: ISSUER, useValue: idp.issuer }],
    });
  });

  afterAll(async () => {
    await app?.close();
    await idp?.close();
  });

  describe("AuthGuard('jwks') answers like JwtGuard", () => {
    it.each([
      ['a valid token', () => idp.mint({ aud: AUDIENCE }), 200],
      ['a valid token without kid', () => idp.mint({ aud: AUDIENCE }, { noKid: true }), 200],
      ['an expired token', () => idp.mint({ aud: AUDIENCE, iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }), 401],
      ['a token of a wrong aud', () => idp.mint({ aud: 'billing-api' }), 401],
      [
        'a DPoP-bound token (cnf.jkt) as Bearer',
        () => idp.mint({ aud: AUDIENCE, cnf: { jkt: 'bound-key-thumbprint' } }),
        401,
      ],
      ['an alg: none token', () => unsignedToken({ alg: 'none', kid: idp.signingKey('ES256').kid }, claims()), 401],
      ['no token', () => undefined, 401],
    ])('%s', async (_name, token, status) => {
      const value = await token();
      const [guarded, passported] = await Promise.all([get('/guard', value), get('/passport', value)]);
      expect(guarded.status).toBe(status);
      expect(passported.status).toBe(status);
    });

    it('puts the verified claims on request.user', async () => {
      const response = await get('/passport', await idp.mint({ aud: AUDIENCE, sub: 'bob' })).expect(200);
      expect((response.body as UserBody).user).toMatchObject({ sub: 'bob', iss: idp.issuer, aud: AUDIENCE });
    });

    it('verifies through JwksProvider, so the verified-token cache applies', async () => {
      const provider = app.get(JwksProvider);
      const token = await idp.mint({ aud: AUDIENCE, sub: 'cached' });
      const before = provider.stats().verifiedTokens;
      for (let i = 0; i < 3; i++) await get('/passport', token).expect(200);
      const after = provider.stats().verifiedTokens;
      expect(after.misses - before.misses).toBe(1);
      expect(after.hits - before.hits).toBe(2);
    });
  });

  describe('JwksAuthGuard answers exactly like JwtGuard, challenge included', () => {
    it.each([
      ['a valid token', () => idp.mint({ aud: AUDIENCE, sub: 'frank' })],
      ['an expired token', () => idp.mint({ aud: AUDIENCE, iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 })],
      ['a token of a wrong aud', () => idp.mint({ aud: 'billing-api' })],
      ['an alg: none token', () => unsignedToken({ alg: 'none', kid: idp.signingKey('ES256').kid }, claims())],
      ['no token', () => undefined],
    ])('%s: same status, WWW-Authenticate and body', async (_name, token) => {
      const value = await token();
      const [guarded, passported] = await Promise.all([get('/guard', value), get('/jwks-auth-guard', value)]);
      expect(passported.status).toBe(guarded.status);
      expect(passported.headers['www-authenticate']).toBe(guarded.headers['www-authenticate']);
      expect(passported.body).toEqual(guarded.body);
    });

    it('sends the RFC 6750 challenge on a 401', async () => {
      const response = await get('/jwks-auth-guard', await idp.mint({ aud: 'billing-api' })).expect(401);
      expect(response.headers['www-authenticate']).toBe(
        'Bearer error="invalid_token", error_description="The access token audience is not accepted"',
      );
      await get('/jwks-auth-guard').expect(401).expect('WWW-Authenticate', 'Bearer');
    });

    it('answers a malformed Bearer header with 400 invalid_request, as JwtGuard does', async () => {
      const response = await request(app.getHttpServer())
        .get('/jwks-auth-guard')
        .set('Authorization', 'Bearer a b')
        .expect(400);
      expect(response.headers['www-authenticate']).toMatch(/^Bearer error="invalid_request"/);
    });
  });

  describe('jwksSecretProvider in a plain passport-jwt strategy', () => {
    it('accepts a valid token, ES256 and RS256', async () => {
      await get('/legacy', await idp.mint({ aud: AUDIENCE, sub: 'dave' })).expect(200, { sub: 'dave' });
      await get('/legacy', await idp.mint({ aud: AUDIENCE, sub: 'erin' }, { alg: 'RS256' })).expect(200, {
        sub: 'erin',
      });
    });

    it("accepts a kid-less token signed by the issuer's second key, as JwtGuard and AuthGuard('jwks') do", async () => {
      const { kid } = await idp.rotate('ES256');
      const provider = app.get(JwksProvider);
      try {
        await provider.refresh(idp.issuer);
        const token = await idp.mint({ aud: AUDIENCE, sub: 'frank' }, { noKid: true });
        expect(idp.jwks().keys.filter((key) => key.kty === 'EC')).toHaveLength(2);
        await get('/guard', token).expect(200, { sub: 'frank' });
        await get('/passport', token).expect(200);
        await get('/legacy', token).expect(200, { sub: 'frank' });
      } finally {
        idp.retire(kid);
        await provider.refresh(idp.issuer);
      }
    });

    it.each([
      ['an expired token', () => idp.mint({ aud: AUDIENCE, iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 })],
      ['a token of a wrong aud', () => idp.mint({ aud: 'billing-api' })],
      ['an alg: none token', () => unsignedToken({ alg: 'none', kid: idp.signingKey('ES256').kid }, claims())],
      [
        'an attacker-signed token under the issuer kid',
        async () => {
          const attacker = await generateAttackerKey('ES256');
          return signWith(attacker.privateKey, { alg: 'ES256', kid: idp.signingKey('ES256').kid }, claims());
        },
      ],
      [
        'HS256 keyed with the issuer public key',
        () => {
          const rsa = idp.jwks().keys.find((key) => key.kid === idp.signingKey('RS256').kid)!;
          const pem = createPublicKey({ key: rsa as JsonWebKey, format: 'jwk' }).export({
            type: 'spki',
            format: 'pem',
          }) as string;
          return signWith(pem, { alg: 'HS256', kid: rsa.kid }, claims());
        },
      ],
      [
        'a token with an unknown crit header',
        () => idp.mint({ aud: AUDIENCE }, { header: { crit: ['urn:x'], 'urn:x': 1 } }),
      ],
    ])('refuses %s with 401', async (_name, token) => {
      await get('/legacy', await token()).expect(401);
    });
  });

  // Last: a strategy registers itself in passport's global registry, so the subclass now owns 'jwks'.
  describe('a JwksStrategy subclass', () => {
    let subclassApp: HttpApp;

    beforeAll(async () => {
      subclassApp = await startApp(platform, {
        imports: [
          JwksCacheModule.forRoot({ issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE }] }),
          PassportModule,
        ],
        controllers: [RoutesController],
        providers: [AppUserStrategy, LegacyJwtStrategy, { provide: ISSUER, useValue: idp.issuer }],
      });
    });

    afterAll(async () => {
      await subclassApp?.close();
    });

    const call = (token: string) =>
      request(subclassApp.getHttpServer()).get('/passport').set('Authorization', `Bearer ${token}`);

    it('maps claims to the user with validate(), and refuses when it returns false', async () => {
      const accepted = await call(await idp.mint({ aud: AUDIENCE, sub: 'carol', tenant: 'acme' })).expect(200);
      expect((accepted.body as UserBody).user).toEqual({ id: 'carol', tenant: 'acme' });
      await call(await idp.mint({ aud: AUDIENCE, sub: 'banned', tenant: 'acme' })).expect(401);
    });

    it('narrows verification with verifyOverrides()', async () => {
      await call(await idp.mint({ aud: AUDIENCE, sub: 'carol' })).expect(401);
    });
  });
});
