import 'reflect-metadata';
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Controller, ForbiddenException, Get, Inject, Injectable, Logger, Req, UseGuards } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import request from 'supertest';
import {
  AnyScope,
  JWKS_CACHE_CONFIG,
  JwksCacheModule,
  type JwksCacheModuleOptions,
  JwksProvider,
  JwtClaims,
  type JwtClaimsPayload,
  JwtGuard,
  Roles,
  Scopes,
} from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';
import { type HttpApp, type Platform, PLATFORMS, startApp } from './support/platform-app.js';

const AUDIENCE = 'orders-api';

interface AppUser {
  id: string;
  via: unknown;
}

/** What a guarded handler answers: the user the guard put on the request, and the claims beside it. */
const answer = (req: { user?: unknown }, sub: unknown) => ({ user: req.user, sub });

@Controller('me')
@UseGuards(JwtGuard)
class MeController {
  @Get()
  me(@Req() req: { user?: unknown }, @JwtClaims('sub') sub: unknown): object {
    return answer(req, sub);
  }
}

/** A user store, as an app would inject into a JwtGuard subclass. */
@Injectable()
class UserDirectory {
  find(sub: unknown): Promise<AppUser | undefined> {
    return Promise.resolve(sub === 'stranger' ? undefined : { id: `directory:${String(sub)}`, via: 'subclass' });
  }
}

/** The throttler pattern: a subclass overrides the protected hook with injected services. */
@Injectable()
class DirectoryGuard extends JwtGuard {
  constructor(
    provider: JwksProvider,
    reflector: Reflector,
    @Inject(JWKS_CACHE_CONFIG) config: JwksCacheModuleOptions,
    private readonly directory: UserDirectory,
  ) {
    super(provider, reflector, config);
  }

  protected override mapUser(claims: JwtClaimsPayload): Promise<AppUser | undefined> {
    return this.directory.find(claims.sub);
  }
}

@Controller('directory')
@UseGuards(DirectoryGuard)
class DirectoryController {
  @Get()
  me(@Req() req: { user?: unknown }, @JwtClaims('sub') sub: unknown): object {
    return answer(req, sub);
  }
}

@Controller('reports')
@UseGuards(JwtGuard)
@Roles('analyst', 'admin')
@AnyScope('reports:read', 'reports:admin')
class ReportsController {
  @Get()
  list(): object {
    return { reports: true };
  }

  /** The handler's @Roles replaces the controller's (getAllAndOverride), it does not add to it. */
  @Roles('admin')
  @Get('admin')
  admin(): object {
    return { admin: true };
  }

  /** An empty @Roles() lifts the controller's; the controller's @AnyScope still applies. */
  @Roles()
  @Get('any-role')
  anyRole(): object {
    return { anyRole: true };
  }

  /** @Scopes (all of them) and the controller's @AnyScope (one of them) both apply. */
  @Scopes('reports:export')
  @Get('export')
  exportReports(): object {
    return { exported: true };
  }
}

describe.each(PLATFORMS)('guard.mapUser, @AnyScope and @Roles on %s', (platform: Platform) => {
  let idp: LocalIssuer;
  let app: HttpApp;
  let keycloakApp: HttpApp;
  let auth0App: HttpApp;
  // Answers as a user store would, asynchronously: each outcome, refusals included, is a settled promise.
  const mapUser = jest.fn((claims: JwtClaimsPayload, req: unknown): Promise<AppUser | null | false> => {
    if (claims.sub === 'ghost') return Promise.resolve(null);
    if (claims.sub === 'nobody') return Promise.resolve(false);
    if (claims.sub === 'banned') return Promise.reject(new ForbiddenException('This account is suspended'));
    if (claims.sub === 'broken') return Promise.reject(new Error('user store down'));
    return Promise.resolve({
      id: `user:${String(claims.sub)}`,
      via: (req as { headers: Record<string, unknown> }).headers['x-client'],
    });
  });

  const options = (guard: JwksCacheModuleOptions['guard']): JwksCacheModuleOptions => ({
    issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE }],
    guard,
  });
  const token = (claims: Record<string, unknown>) => idp.mint({ aud: AUDIENCE, ...claims });
  const get = (target: HttpApp, path: string, jwt: string) =>
    request(target.getHttpServer()).get(path).set('Authorization', `Bearer ${jwt}`);

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256'] });
    app = await startApp(platform, {
      imports: [JwksCacheModule.forRoot(options({ mapUser }))],
      controllers: [MeController, DirectoryController, ReportsController],
      providers: [UserDirectory, DirectoryGuard],
    });
    keycloakApp = await startApp(platform, {
      imports: [JwksCacheModule.forRoot(options({ rolesClaim: 'realm_access.roles' }))],
      controllers: [ReportsController],
    });
    auth0App = await startApp(platform, {
      imports: [JwksCacheModule.forRoot(options({ rolesClaim: 'https://orders.example.com/roles' }))],
      controllers: [ReportsController],
    });
  });

  afterAll(async () => {
    await Promise.all([app?.close(), keycloakApp?.close(), auth0App?.close()]);
    await idp?.close();
  });

  afterEach(() => {
    mapUser.mockClear();
    jest.restoreAllMocks();
  });

  describe('guard.mapUser', () => {
    it('makes request.user of its (async) result, called with the claims and the request; @JwtClaims keeps the claims', async () => {
      const jwt = await token({ sub: 'alice' });
      const response = await get(app, '/me', jwt).set('X-Client', 'mobile').expect(200);
      expect(response.body).toEqual({ user: { id: 'user:alice', via: 'mobile' }, sub: 'alice' });
      expect(mapUser).toHaveBeenCalledTimes(1);
      expect(mapUser.mock.calls[0][0]).toMatchObject({ sub: 'alice', aud: AUDIENCE });
    });

    it('maps on every request, also when the token is answered from the verified-token cache', async () => {
      const jwt = await token({ sub: 'bob' });
      await get(app, '/me', jwt).expect(200);
      await get(app, '/me', jwt).expect(200, { user: { id: 'user:bob' }, sub: 'bob' });
      expect(mapUser).toHaveBeenCalledTimes(2);
    });

    it.each(['ghost', 'nobody'])('refuses a request it maps to no user (%s) with 401 invalid_token', async (sub) => {
      const response = await get(app, '/me', await token({ sub })).expect(401);
      expect(response.headers['www-authenticate']).toBe(
        'Bearer error="invalid_token", error_description="The access token subject is not accepted"',
      );
    });

    it('passes a thrown HttpException through as the answer', async () => {
      const response = await get(app, '/me', await token({ sub: 'banned' })).expect(403);
      expect(response.body).toMatchObject({ statusCode: 403, message: 'This account is suspended' });
    });

    it('answers any other error 500 with a fixed message, logging the error but never the token', async () => {
      const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
      const jwt = await token({ sub: 'broken' });
      const response = await get(app, '/me', jwt).expect(500);
      expect(response.body).toEqual({
        statusCode: 500,
        message: 'The user could not be resolved',
        error: 'Internal Server Error',
      });
      expect(JSON.stringify(response.body)).not.toContain('user store down');
      expect(logged).toHaveBeenCalledTimes(1);
      const line = JSON.stringify(logged.mock.calls[0]);
      expect(line).toContain('guard.mapUser failed (Error): user store down');
      expect(line).not.toContain(jwt);
    });

    it('is a protected hook a JwtGuard subclass overrides with injected services', async () => {
      await get(app, '/directory', await token({ sub: 'carol' })).expect(200, {
        user: { id: 'directory:carol', via: 'subclass' },
        sub: 'carol',
      });
      await get(app, '/directory', await token({ sub: 'stranger' })).expect(401);
      expect(mapUser).not.toHaveBeenCalled();
    });

    it('is not called for a token refused for its scopes or roles', async () => {
      await get(app, '/reports', await token({ sub: 'dave', roles: ['analyst'] })).expect(403);
      expect(mapUser).not.toHaveBeenCalled();
    });
  });

  describe('@AnyScope', () => {
    it('needs one of its scopes, from scope or scp', async () => {
      await get(app, '/reports', await token({ roles: ['analyst'], scope: 'reports:admin other' })).expect(200, {
        reports: true,
      });
      await get(app, '/reports', await token({ roles: ['analyst'], scp: ['reports:read'] })).expect(200, {
        reports: true,
      });
    });

    it('refuses a token with none of them: 403 insufficient_scope naming the accepted scopes', async () => {
      const response = await get(app, '/reports', await token({ roles: ['analyst'], scope: 'orders:read' })).expect(
        403,
      );
      expect(response.headers['www-authenticate']).toBe(
        'Bearer error="insufficient_scope", scope="reports:read reports:admin"',
      );
    });

    it('combines with @Scopes: every @Scopes scope and one @AnyScope scope', async () => {
      const both = await token({ roles: ['analyst'], scope: 'reports:export reports:read' });
      await get(app, '/reports/export', both).expect(200, { exported: true });
      const onlyAll = await get(
        app,
        '/reports/export',
        await token({ roles: ['analyst'], scope: 'reports:export' }),
      ).expect(403);
      expect(onlyAll.headers['www-authenticate']).toBe(
        'Bearer error="insufficient_scope", scope="reports:read reports:admin"',
      );
      const onlyAny = await get(
        app,
        '/reports/export',
        await token({ roles: ['analyst'], scope: 'reports:read' }),
      ).expect(403);
      expect(onlyAny.headers['www-authenticate']).toBe('Bearer error="insufficient_scope", scope="reports:export"');
    });
  });

  describe('@Roles', () => {
    const scope = 'reports:read';

    it('needs one of its roles from the roles claim (default guard.rolesClaim), an array or a string', async () => {
      await get(app, '/reports', await token({ scope, roles: ['viewer', 'admin'] })).expect(200);
      await get(app, '/reports', await token({ scope, roles: 'analyst' })).expect(200);
    });

    it('refuses a token with none of them: 403 with no Bearer challenge (no scope would grant a role)', async () => {
      for (const roles of [['viewer'], undefined, 'Admin', [{ name: 'admin' }]]) {
        const response = await get(app, '/reports', await token({ scope, roles })).expect(403);
        expect(response.headers['www-authenticate']).toBeUndefined();
        expect(response.body).toEqual({
          statusCode: 403,
          message: 'The token has none of the accepted roles',
          error: 'Forbidden',
        });
      }
    });

    it("on a handler replaces the controller's roles; an empty @Roles() lifts them", async () => {
      await get(app, '/reports/admin', await token({ scope, roles: ['analyst'] })).expect(403);
      await get(app, '/reports/admin', await token({ scope, roles: ['admin'] })).expect(200, { admin: true });
      await get(app, '/reports/any-role', await token({ scope })).expect(200, { anyRole: true });
      // The controller's @AnyScope is not lifted by the handler's empty @Roles().
      await get(app, '/reports/any-role', await token({})).expect(403);
    });

    it('reads a dot path (guard.rolesClaim: realm_access.roles, as Keycloak sends them)', async () => {
      await get(keycloakApp, '/reports', await token({ scope, realm_access: { roles: ['analyst'] } })).expect(200);
      await get(keycloakApp, '/reports', await token({ scope, roles: ['analyst'] })).expect(403);
      await get(keycloakApp, '/reports', await token({ scope, realm_access: ['analyst'] })).expect(403);
    });

    it('reads a claim named with dots whole (an Auth0 namespaced claim) before walking the path', async () => {
      await get(auth0App, '/reports', await token({ scope, 'https://orders.example.com/roles': ['admin'] })).expect(
        200,
      );
      await get(auth0App, '/reports', await token({ scope, roles: ['admin'] })).expect(403);
    });
  });
});

describe('the decorators refuse bad arguments when applied', () => {
  it('@AnyScope takes scope tokens only, @Roles non-empty strings', () => {
    expect(() => AnyScope('reports read')).toThrow(
      new TypeError("@AnyScope(): \"reports read\" is not a valid scope (printable ASCII, no space, '\"' or '\\')"),
    );
    expect(() => Roles('')).toThrow(new TypeError('@Roles(): "" is not a role (a non-empty string)'));
    expect(() => Roles(7 as unknown as string)).toThrow(
      new TypeError('@Roles(): 7 is not a role (a non-empty string)'),
    );
  });
});
