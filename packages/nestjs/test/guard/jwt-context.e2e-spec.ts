import 'reflect-metadata';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  type CallHandler,
  Controller,
  type ExecutionContext,
  Get,
  Injectable,
  type NestInterceptor,
  Param,
  UseGuards,
  UseInterceptors,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Agent, get as httpGet } from 'node:http';
import type { AddressInfo } from 'node:net';
import { map, type Observable } from 'rxjs';
import request from 'supertest';
import {
  JwksCacheModule,
  type JwksCacheModuleOptions,
  JwtContext,
  JwtContextInterceptor,
  JwtContextMissingError,
  JwtGuard,
  Public,
  TokenCacheService,
} from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';
import { type HttpApp, type Platform, PLATFORMS, startApp } from './support/platform-app.js';

const AUDIENCE = 'orders-api';

/** Resolves every arrival once `expected` requests have arrived, so their handlers interleave. */
class Barrier {
  private waiting: (() => void)[] = [];
  expected = Number.POSITIVE_INFINITY;

  arrive(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (this.waiting.length >= this.expected) for (const release of this.waiting.splice(0)) release();
    });
  }
}
const barrier = new Barrier();

/** Any provider, far from the request: reads the context, given nothing. */
@Injectable()
class AuditProbe {
  constructor(private readonly jwt: JwtContext) {}

  snapshot(): { sub: unknown; tenant: string | undefined } {
    return { sub: this.jwt.claims()?.sub, tenant: this.jwt.tenant() };
  }
}

/** A route interceptor (it runs after the guards): sees the context before and after the handler. */
@Injectable()
class RecordingInterceptor implements NestInterceptor {
  constructor(private readonly jwt: JwtContext) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const before = this.jwt.claims()?.sub;
    return next
      .handle()
      .pipe(map((body) => ({ ...(body as object), interceptor: { before, after: this.jwt.claims()?.sub } })));
  }
}

/**
 * An app-wide interceptor (APP_INTERCEPTOR of the app's module). Nest applies the app module's
 * global interceptors before those of the modules it imports, so the app lists
 * JwtContextInterceptor ahead of its own to have the context in what they do before the handler.
 */
@Injectable()
class GlobalRecordingInterceptor implements NestInterceptor {
  constructor(private readonly jwt: JwtContext) {}

  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const before = this.jwt.claims()?.sub;
    return next
      .handle()
      .pipe(map((body) => ({ ...(body as object), global: { before, after: this.jwt.claims()?.sub } })));
  }
}

@Controller('ctx')
@UseGuards(JwtGuard)
@UseInterceptors(RecordingInterceptor)
class ContextController {
  constructor(
    private readonly probe: AuditProbe,
    private readonly tokens: TokenCacheService,
  ) {}

  @Get('request/:label')
  async request(@Param('label') label: string): Promise<object> {
    const atStart = this.probe.snapshot();
    await barrier.arrive();
    // Work the handler starts and does not await at once: a timer, and a promise chain.
    const inTimer = new Promise((resolve) => setTimeout(() => resolve(this.probe.snapshot()), 0));
    const inImmediate = new Promise((resolve) => setImmediate(() => resolve(this.probe.snapshot())));
    return {
      label,
      atStart,
      afterBarrier: this.probe.snapshot(),
      inTimer: await inTimer,
      inImmediate: await inImmediate,
    };
  }

  @Get('token')
  async token(): Promise<object> {
    return {
      fromContext: await this.tokens.ensureToken('downstream'),
      explicit: await this.tokens.ensureToken('downstream', 'explicit'),
    };
  }

  @Public()
  @Get('public')
  open(): object {
    return { claims: this.probe.snapshot() };
  }
}

describe.each(PLATFORMS)('JwtContext on %s', (platform: Platform) => {
  let idp: LocalIssuer;
  let app: HttpApp;
  let offApp: HttpApp;

  const options = (guard: JwksCacheModuleOptions['guard'], tenantFrom = true): JwksCacheModuleOptions => ({
    issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri, audience: AUDIENCE }],
    guard,
    tokens: {
      downstream: {
        tokenFunction: ({ tenant }) => ({ access_token: `token-for-${String(tenant)}`, expires_in: 3600 }),
        ...(tenantFrom ? { tenantFrom: (claims) => claims.tid as string | undefined } : {}),
      },
    },
  });
  const token = (claims: Record<string, unknown>) => idp.mint({ aud: AUDIENCE, ...claims });
  const get = (target: HttpApp, path: string, jwt?: string) => {
    const call = request(target.getHttpServer()).get(path);
    return jwt === undefined ? call : call.set('Authorization', `Bearer ${jwt}`);
  };

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256'] });
    const modules = (guard: JwksCacheModuleOptions['guard'], tenantFrom?: boolean) => ({
      imports: [JwksCacheModule.forRoot(options(guard, tenantFrom))],
      controllers: [ContextController],
      providers: [
        AuditProbe,
        RecordingInterceptor,
        { provide: APP_INTERCEPTOR, useClass: JwtContextInterceptor },
        { provide: APP_INTERCEPTOR, useClass: GlobalRecordingInterceptor },
      ],
    });
    // mapUser makes request.user something else: the context keeps giving the claims.
    app = await startApp(
      platform,
      modules({ tenantFrom: (claims) => claims.tid as string | undefined, mapUser: () => ({ name: 'mapped' }) }),
    );
    offApp = await startApp(platform, modules({ context: false }, false));
  });

  afterAll(async () => {
    await Promise.all([app?.close(), offApp?.close()]);
    await idp?.close();
  });

  beforeEach(() => {
    barrier.expected = 1;
  });

  it('gives the claims and tenant in any provider: in the handler, in async work it starts, in route and app-wide interceptors', async () => {
    const response = await get(app, '/ctx/request/one', await token({ sub: 'alice', tid: 'acme' })).expect(200);
    const seen = { sub: 'alice', tenant: 'acme' };
    expect(response.body).toEqual({
      label: 'one',
      atStart: seen,
      afterBarrier: seen,
      inTimer: seen,
      inImmediate: seen,
      interceptor: { before: 'alice', after: 'alice' },
      global: { before: 'alice', after: 'alice' },
    });
  });

  it("never lets two concurrent requests see each other's claims", async () => {
    barrier.expected = 2; // Both handlers wait until both are in: their async work interleaves.
    const [alice, bob] = await Promise.all([
      get(app, '/ctx/request/a', await token({ sub: 'alice', tid: 'acme' })),
      get(app, '/ctx/request/b', await token({ sub: 'bob', tid: 'globex' })),
    ]);
    for (const [response, sub, tenant] of [
      [alice, 'alice', 'acme'],
      [bob, 'bob', 'globex'],
    ] as const) {
      expect(response.status).toBe(200);
      const seen = { sub, tenant };
      expect(response.body).toMatchObject({
        atStart: seen,
        afterBarrier: seen,
        inTimer: seen,
        inImmediate: seen,
        interceptor: { before: sub, after: sub },
        global: { before: sub, after: sub },
      });
    }
  });

  it('is empty on a @Public route, also on a keep-alive connection a guarded request used just before', async () => {
    const server = app.getHttpServer();
    if (!server.listening) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const port = (server.address() as AddressInfo).port;
    const jwt = await token({ sub: 'alice', tid: 'acme' });
    const call = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ body: unknown; socket: unknown }>((resolve, reject) => {
        httpGet({ host: '127.0.0.1', port, path, agent, headers }, (response) => {
          let body = '';
          response.on('data', (chunk: Buffer) => (body += chunk.toString()));
          response.on('end', () => resolve({ body: JSON.parse(body), socket: response.socket }));
        }).on('error', reject);
      });
    try {
      const guarded = await call('/ctx/request/k', { authorization: `Bearer ${jwt}` });
      const open = await call('/ctx/public');
      expect(open.socket).toBe(guarded.socket); // the same connection
      expect(open.body).toEqual({ claims: { sub: undefined, tenant: undefined }, interceptor: {}, global: {} });
    } finally {
      agent.destroy();
    }
  });

  it('is empty outside a request: claims() and tenant() are undefined', () => {
    const context = app.get(JwtContext);
    expect(context.claims()).toBeUndefined();
    expect(context.tenant()).toBeUndefined();
  });

  describe('tenantFrom on a token source', () => {
    it("takes the tenant from the request's claims; an explicit tenant wins", async () => {
      const acme = await get(app, '/ctx/token', await token({ sub: 'alice', tid: 'acme' })).expect(200);
      expect(acme.body).toMatchObject({ fromContext: 'token-for-acme', explicit: 'token-for-explicit' });
      const globex = await get(app, '/ctx/token', await token({ sub: 'bob', tid: 'globex' })).expect(200);
      expect(globex.body).toMatchObject({ fromContext: 'token-for-globex' });
    });

    it('refuses a call without a tenant outside a request, rather than hand out the no-tenant token', async () => {
      const tokens = app.get(TokenCacheService);
      await expect(tokens.ensureToken('downstream')).rejects.toThrow(JwtContextMissingError);
      await expect(tokens.ensureToken('downstream')).rejects.toThrow(
        'Token source "downstream" takes its tenant from the request (tenantFrom), but no request admitted by JwtGuard is being served here: pass the tenant explicitly',
      );
      await expect(tokens.fetch('http://127.0.0.1:9/', undefined, { token: 'downstream' })).rejects.toThrow(
        JwtContextMissingError,
      );
      await expect(tokens.invalidate('downstream')).rejects.toThrow(JwtContextMissingError);
      await expect(tokens.ensureToken('downstream', 'acme')).resolves.toBe('token-for-acme');
    });
  });

  it('is off with guard.context: false: claims() is undefined even in a guarded request', async () => {
    const response = await get(offApp, '/ctx/request/off', await token({ sub: 'alice', tid: 'acme' })).expect(200);
    // JSON leaves undefined out: {} is { sub: undefined, tenant: undefined }.
    expect(response.body).toMatchObject({ label: 'off', atStart: {}, inTimer: {}, interceptor: {}, global: {} });
    expect((response.body as { atStart: unknown }).atStart).toEqual({});
    const tokens = await get(offApp, '/ctx/token', await token({ sub: 'alice' })).expect(200);
    expect(tokens.body).toMatchObject({ fromContext: 'token-for-undefined' });
  });
});
