import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, Get, UseGuards } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import request from 'supertest';
import {
  JwksCacheModule,
  JwksProvider,
  JwtClaims,
  type JwtClaimsPayload,
  JwtGuard,
  JwtVerify,
  Public,
  Scopes,
} from '@jwks-cache/nestjs';
import { type AttackerKey, generateAttackerKey, LocalIssuer, signWith, unsignedToken } from '@jwks-cache/testing';
import { AttackerServer, type HttpApp, type Platform, PLATFORMS, startApp } from './support/platform-app.js';
import { fakeClock, restoreClock } from '../../../../test/support/fake-clock.js';
import { VerifiedTokenCache } from '../../src/jwks/verified-token-cache.js';

const AUDIENCE = 'orders-api';

/** What OrdersController's list (and the guarded routes, `sub` only) answer with. */
interface ClaimsBody {
  sub: unknown;
  claims?: JwtClaimsPayload;
}
const INVALID = (description: string): string => `Bearer error="invalid_token", error_description="${description}"`;

@Controller('orders')
@UseGuards(JwtGuard)
class OrdersController {
  @Get()
  list(@JwtClaims() claims: JwtClaimsPayload, @JwtClaims('sub') sub: unknown): object {
    return { sub, claims };
  }

  @Scopes('orders:read', 'orders:export')
  @Get('export')
  exportOrders(): object {
    return { exported: true };
  }

  @JwtVerify({ typ: 'at+jwt' })
  @Get('access-token-only')
  accessTokenOnly(): object {
    return { ok: true };
  }

  @Public()
  @Get('catalog')
  catalog(): object {
    return { public: true };
  }
}

@Controller('mixed')
class MixedController {
  @Get('open')
  open(): object {
    return { open: true };
  }

  @UseGuards(JwtGuard)
  @Get('guarded')
  guarded(@JwtClaims('sub') sub: unknown): object {
    return { sub };
  }
}

@Controller('global')
class GlobalController {
  @Get('private')
  privateRoute(@JwtClaims('sub') sub: unknown): object {
    return { sub };
  }

  @Public()
  @Get('public')
  publicRoute(): object {
    return { public: true };
  }
}

@Public()
@Controller('health')
class HealthController {
  @Get()
  health(): object {
    return { status: 'up' };
  }
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

describe.each(PLATFORMS)('JwtGuard on %s', (platform: Platform) => {
  let idp: LocalIssuer;
  let attacker: AttackerServer;
  let attackerKey: AttackerKey;
  let app: HttpApp;
  let globalApp: HttpApp;

  const issuerOptions = () => ({ issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE }] });
  const get = (path: string, token?: string) => {
    const call = request(app.getHttpServer()).get(path);
    return token === undefined ? call : call.set('Authorization', `Bearer ${token}`);
  };
  const validToken = (claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}) =>
    idp.mint({ aud: AUDIENCE, ...claims }, { header });

  beforeAll(async () => {
    [idp, attacker, attackerKey] = await Promise.all([
      LocalIssuer.start({ algorithms: ['ES256', 'RS256'] }),
      AttackerServer.start(),
      generateAttackerKey('ES256'),
    ]);
    app = await startApp(platform, {
      imports: [JwksCacheModule.forRoot(issuerOptions())],
      controllers: [OrdersController, MixedController],
    });
    globalApp = await startApp(platform, {
      imports: [JwksCacheModule.forRoot({ ...issuerOptions(), guard: { realm: 'orders' } })],
      controllers: [GlobalController, HealthController],
      providers: [{ provide: APP_GUARD, useClass: JwtGuard }],
    });
  });

  afterAll(async () => {
    await Promise.all([app?.close(), globalApp?.close()]);
    await Promise.all([idp?.close(), attacker?.close()]);
  });

  describe('accepting', () => {
    it("puts the verified claims on the request: @JwtClaims() and @JwtClaims('sub')", async () => {
      const response = await get('/orders', await validToken({ sub: 'alice', tenant: 'acme' })).expect(200);
      const body = response.body as ClaimsBody;
      expect(body.sub).toBe('alice');
      expect(body.claims).toMatchObject({ sub: 'alice', tenant: 'acme', aud: AUDIENCE, iss: idp.issuer });
    });

    it('accepts the scheme in any case', async () => {
      const token = await validToken({ sub: 'carol' });
      const response = await request(app.getHttpServer())
        .get('/orders')
        .set('Authorization', `bEaReR ${token}`)
        .expect(200);
      expect((response.body as ClaimsBody).sub).toBe('carol');
    });

    it('guards a single route with @UseGuards on the handler, leaving its neighbours open', async () => {
      await get('/mixed/open').expect(200, { open: true });
      await get('/mixed/guarded').expect(401);
      await get('/mixed/guarded', await validToken({ sub: 'dave' })).expect(200, { sub: 'dave' });
    });

    it('lets @Public routes through without a token, and also with a broken one', async () => {
      await get('/orders/catalog').expect(200, { public: true });
      await get('/orders/catalog', 'not-a-jwt').expect(200, { public: true });
    });
  });

  describe('as a global APP_GUARD', () => {
    const call = (path: string) => request(globalApp.getHttpServer()).get(path);

    it('protects every route, with the configured realm in the challenge', async () => {
      const response = await call('/global/private').expect(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="orders"');
      const token = await validToken({ sub: 'erin' });
      await call('/global/private').set('Authorization', `Bearer ${token}`).expect(200, { sub: 'erin' });
    });

    it('lets @Public routes and @Public controllers through without a token', async () => {
      await call('/global/public').expect(200, { public: true });
      await call('/health').expect(200, { status: 'up' });
    });

    it('puts the realm first in error challenges', async () => {
      const expired = await validToken({ exp: nowSeconds() - 3600 });
      const response = await call('/global/private').set('Authorization', `Bearer ${expired}`).expect(401);
      expect(response.headers['www-authenticate']).toBe(
        'Bearer realm="orders", error="invalid_token", error_description="The access token expired"',
      );
    });
  });

  describe('rejecting (RFC 6750)', () => {
    it('answers a missing token with 401, a bare "Bearer" challenge and Nest\'s default body', async () => {
      const response = await get('/orders').expect(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(response.body).toEqual({ statusCode: 401, message: 'Unauthorized' });
    });

    it('treats another scheme (Basic) as no bearer token', async () => {
      const response = await request(app.getHttpServer())
        .get('/orders')
        .set('Authorization', 'Basic dXNlcjpwYXNz')
        .expect(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });

    it('answers a Bearer header that is not "Bearer <token>" with 400 invalid_request', async () => {
      const token = await validToken();
      const response = await request(app.getHttpServer())
        .get('/orders')
        .set('Authorization', `Bearer ${token} ${token}`)
        .expect(400);
      expect(response.headers['www-authenticate']).toBe(
        'Bearer error="invalid_request", error_description="The Authorization header must be Bearer followed by one token"',
      );
      expect(response.body).toEqual({
        statusCode: 400,
        message: 'The Authorization header must be Bearer followed by one token',
        error: 'Bad Request',
      });
    });

    it.each([
      ['a malformed token', () => 'abc.def', 'The access token is malformed'],
      [
        'an expired token',
        async () => validToken({ iat: nowSeconds() - 7200, exp: nowSeconds() - 3600 }),
        'The access token expired',
      ],
      [
        'a not-yet-valid token',
        async () => validToken({ nbf: nowSeconds() + 3600 }),
        'The access token is not yet valid',
      ],
      [
        'a token of a wrong iss',
        async () => validToken({ iss: 'https://other-idp.example/' }),
        'The access token issuer is not trusted',
      ],
      [
        'a token of a wrong aud',
        async () => validToken({ aud: 'billing-api' }),
        'The access token audience is not accepted',
      ],
    ])('answers %s with 401 invalid_token and a fixed description', async (_kind, token, description) => {
      const response = await get('/orders', await token()).expect(401);
      expect(response.headers['www-authenticate']).toBe(INVALID(description));
      expect(response.body).toEqual({ statusCode: 401, message: description, error: 'Unauthorized' });
    });

    it('checks the typ required by @JwtVerify: a plain JWT is refused, an at+jwt accepted', async () => {
      const response = await get('/orders/access-token-only', await validToken({}, { typ: 'JWT' })).expect(401);
      expect(response.headers['www-authenticate']).toBe(INVALID('The access token type is not accepted'));
      await get('/orders/access-token-only', await validToken({}, { typ: 'at+jwt' })).expect(200, { ok: true });
    });
  });

  describe('@Scopes', () => {
    it('answers 403 insufficient_scope naming every required scope when one is lacking', async () => {
      const response = await get('/orders/export', await validToken({ scope: 'orders:read' })).expect(403);
      expect(response.headers['www-authenticate']).toBe(
        'Bearer error="insufficient_scope", scope="orders:read orders:export"',
      );
      expect(response.body).toEqual({ statusCode: 403, message: 'Forbidden', error: 'Forbidden' });
    });

    it('answers 403 for a token without any scope', async () => {
      await get('/orders/export', await validToken()).expect(403);
    });

    it('accepts the scopes from a space-delimited scope claim', async () => {
      await get('/orders/export', await validToken({ scope: 'profile orders:export orders:read' })).expect(200, {
        exported: true,
      });
    });

    it('accepts the scopes from an scp array, and from an scp string', async () => {
      await get('/orders/export', await validToken({ scp: ['orders:read', 'orders:export'] })).expect(200);
      await get('/orders/export', await validToken({ scp: 'orders:export orders:read' })).expect(200);
    });
  });

  describe('attacks: 401, no request to any URL the token names, at most one JWKS request', () => {
    let jwksBefore: number;

    beforeAll(() => {
      jwksBefore = idp.requests.jwks;
    });

    const claims = () => ({
      iss: idp.issuer,
      aud: AUDIENCE,
      sub: 'mallory',
      iat: nowSeconds(),
      exp: nowSeconds() + 600,
    });
    const rsaKid = () => idp.signingKey('RS256').kid;
    const rsaPublicKey = () =>
      createPublicKey({ key: idp.jwks().keys.find((key) => key.kid === rsaKid())! as JsonWebKey, format: 'jwk' });
    const attackerSigned = (header: Record<string, unknown>) =>
      signWith(attackerKey.privateKey, { alg: 'ES256', ...header }, claims());
    const issuerSigned = (header: Record<string, unknown>, extraClaims: Record<string, unknown> = {}) =>
      signWith(
        idp.signingKey('ES256').privateKey,
        { alg: 'ES256', kid: idp.signingKey('ES256').kid, ...header },
        { ...claims(), ...extraClaims },
      );

    const NOT_ALLOWED = 'The access token algorithm is not allowed';
    const UNKNOWN_KEY = 'The access token signing key is unknown';
    const BAD_SIGNATURE = 'The access token signature is invalid';
    const attacks: [string, () => string, string][] = [
      ['alg: none', () => unsignedToken({ alg: 'none', kid: rsaKid() }, claims()), NOT_ALLOWED],
      [
        'HS256 keyed with the issuer public key (PEM)',
        () =>
          signWith(rsaPublicKey().export({ type: 'spki', format: 'pem' }), { alg: 'HS256', kid: rsaKid() }, claims()),
        NOT_ALLOWED,
      ],
      [
        'HS256 keyed with the issuer public key (JWK)',
        () =>
          signWith(
            JSON.stringify(idp.jwks().keys.find((key) => key.kid === rsaKid())),
            { alg: 'HS256', kid: rsaKid() },
            claims(),
          ),
        NOT_ALLOWED,
      ],
      [
        'jku to the attacker JWKS',
        () => attackerSigned({ kid: 'attacker-key', jku: attacker.url('/jwks.json') }),
        UNKNOWN_KEY,
      ],
      [
        'x5u to the attacker certificate',
        () => attackerSigned({ kid: 'attacker-key', x5u: attacker.url('/cert.pem') }),
        UNKNOWN_KEY,
      ],
      [
        'embedded attacker jwk under the issuer kid',
        () => attackerSigned({ kid: idp.signingKey('ES256').kid, jwk: attackerKey.publicJwk }),
        BAD_SIGNATURE,
      ],
      [
        'x5c carrying the attacker key, with an x5u',
        () =>
          attackerSigned({
            x5c: [
              createPublicKey({ key: attackerKey.publicJwk as JsonWebKey, format: 'jwk' })
                .export({ type: 'spki', format: 'der' })
                .toString('base64'),
            ],
            x5u: attacker.url('/chain.pem'),
          }),
        BAD_SIGNATURE,
      ],
      ['kid path traversal', () => issuerSigned({ kid: '../../../../etc/passwd' }), UNKNOWN_KEY],
      ['kid SQL injection', () => issuerSigned({ kid: "' OR '1'='1' --" }), UNKNOWN_KEY],
      ['kid of 10 000 characters', () => issuerSigned({ kid: 'k'.repeat(10_000) }), UNKNOWN_KEY],
      [
        'an unknown crit header',
        () => issuerSigned({ crit: ['urn:attacker:ignore-exp'], 'urn:attacker:ignore-exp': true }),
        'The access token header is not allowed',
      ],
      ['a 20 KiB token', () => issuerSigned({}, { padding: 'p'.repeat(20 * 1024) }), 'The access token is too large'],
      [
        'a JWE-like 5-part token',
        () =>
          `${b64({ alg: 'RSA-OAEP', enc: 'A256GCM', jku: attacker.url('/jwe-keys') })}.${b64('key')}.${b64('iv')}.${b64('ciphertext')}.${b64('tag')}`,
        'The access token is malformed',
      ],
    ];

    it.each(attacks)('rejects %s', async (_name, token, description) => {
      const response = await get('/orders', token()).expect(401);
      expect(response.headers['www-authenticate']).toBe(INVALID(description));
      expect(response.body).toEqual({ statusCode: 401, message: description, error: 'Unauthorized' });
    });

    it('made no request to the attacker URLs and at most one JWKS request to the issuer', () => {
      expect(attacker.requests).toBe(0);
      expect(idp.requests.jwks - jwksBefore).toBeLessThanOrEqual(1);
    });
  });

  describe('the verified-token cache, through the guard', () => {
    let provider: JwksProvider;

    beforeAll(() => {
      provider = app.get(JwksProvider);
    });

    afterEach(() => {
      restoreClock();
    });

    it('verifies a repeated token cryptographically once', async () => {
      const token = await validToken({ sub: 'repeat' });
      const before = provider.stats().verifiedTokens;
      for (let i = 0; i < 3; i++) await get('/orders', token).expect(200);
      const after = provider.stats().verifiedTokens;
      expect(after.misses - before.misses).toBe(1);
      expect(after.hits - before.hits).toBe(2);
    });

    it('hashes a token it has not seen once per request, not once for the lookup and again to verify', async () => {
      const keyOf = jest.spyOn(VerifiedTokenCache.prototype, 'keyOf');
      const token = await validToken({ sub: 'hashed-once' });
      const before = provider.stats().verifiedTokens;
      await get('/orders', token).expect(200);
      expect(provider.stats().verifiedTokens.misses - before.misses).toBe(1);
      expect(keyOf).toHaveBeenCalledTimes(1);
      keyOf.mockRestore();
    });

    it('rejects a cached token once it has expired, without asking the issuer', async () => {
      const token = await idp.mint({ aud: AUDIENCE }, { expiresIn: 60 });
      await get('/orders', token).expect(200);
      const jwksBefore = idp.requests.jwks;
      fakeClock(Date.now() + 120_000);
      const response = await get('/orders', token).expect(401);
      expect(response.headers['www-authenticate']).toBe(INVALID('The access token expired'));
      expect(idp.requests.jwks).toBe(jwksBefore);
    });

    it('rejects a cached token after the next refresh once its key was retired at the issuer', async () => {
      const retiredKid = idp.signingKey('ES256').kid;
      const token = await validToken({ sub: 'before-rotation' });
      await get('/orders', token).expect(200);
      await idp.rotate('ES256');
      idp.retire(retiredKid);
      await get('/orders', token).expect(200);
      await provider.refresh(idp.issuer);
      const response = await get('/orders', token).expect(401);
      expect(response.headers['www-authenticate']).toBe(INVALID('The access token signing key is unknown'));
      const fresh = await get('/orders', await validToken({ sub: 'after-rotation' })).expect(200);
      expect((fresh.body as ClaimsBody).sub).toBe('after-rotation');
    });
  });
});
