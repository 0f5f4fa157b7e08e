import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { type ExecutionContext, type HttpException, Logger, ServiceUnavailableException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import {
  ClaimValidationError,
  InsufficientScopeError,
  type JwksCacheError,
  KeySetUnavailableError,
  TokenExpiredError,
  TokenMissingError,
} from '../errors.js';
import type { JwksProvider } from '../jwks/jwks-provider.js';
import { DpopRequestVerifier } from '../dpop/dpop-request-verifier.js';
import type { RequestVerifier } from '../jwks/request-verifier.js';
import { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import { CacheStore } from '../store/cache-store.js';
import type { GuardOptions, JwtClaimsPayload, VerifyOverrides } from '../config/options.js';
import { BearerChallengeException } from './bearer-challenge-exception.js';
import { JwtGuard, type JwtGuardRequest } from './jwt-guard.js';
import { JwtVerify } from './jwt-verify.js';
import { Public } from './public.js';
import { Scopes } from './scopes.js';

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';

/** Stands in for JwksProvider: answers with `outcome` (or from `cached`) and records each call. */
class FakeProvider {
  readonly calls: { token: string; overrides: VerifyOverrides | undefined }[] = [];
  readonly cacheLookups: string[] = [];
  /** Claims of the tokens the verified-token cache holds. */
  readonly cached = new Map<string, JwtClaimsPayload>();
  outcome: JwtClaimsPayload | Error = { sub: 'alice', iss: 'https://idp.test' };
  private requestVerifier: RequestVerifier | undefined;
  /** The real DPoP scheme rules, for a module without DPoP configuration (it attaches itself, as in the module). */
  readonly dpop = new DpopRequestVerifier(
    { issuers: [] },
    new CacheStore({}, new JwksCacheEvents()),
    new JwksCacheEvents(),
    this as unknown as JwksProvider,
  );

  attachRequestVerifier(verifier: RequestVerifier): void {
    this.requestVerifier = verifier;
  }

  attachedRequestVerifier(): RequestVerifier | undefined {
    return this.requestVerifier;
  }

  lookupVerified(token: string) {
    this.cacheLookups.push(token);
    const payload = this.cached.get(token);
    return payload === undefined
      ? `key-of:${token}`
      : { payload, protectedHeader: { alg: 'ES256' }, issuer: 'https://idp.test' };
  }

  /** The cache keys the guard handed back with a missed token. */
  readonly missedKeys: string[] = [];

  async verifyMissed(token: string, overrides: VerifyOverrides | undefined, cacheKey: string) {
    this.missedKeys.push(cacheKey);
    return this.verify(token, overrides);
  }

  verify(token: string, overrides?: VerifyOverrides) {
    this.calls.push({ token, overrides });
    if (this.outcome instanceof Error) return Promise.reject(this.outcome);
    return Promise.resolve({ payload: this.outcome, protectedHeader: { alg: 'ES256' }, issuer: 'https://idp.test' });
  }
}

@JwtVerify({ audience: 'orders-api' })
@Scopes('orders:read')
class OrdersController {
  list(): void {}
  @Scopes('orders:write', 'orders:admin')
  create(): void {}
  @Public()
  health(): void {}
  @JwtVerify({ audience: 'billing-api', typ: 'at+jwt' })
  bill(): void {}
}

@Public()
class PublicController {
  open(): void {}
}

class ExpressLikeResponse {
  readonly headers: Record<string, string> = {};
  setHeader(name: string, value: string): void {
    this.headers[name.toLowerCase()] = value;
  }
}

class FastifyLikeReply {
  readonly headers: Record<string, string> = {};
  header(name: string, value: string): this {
    this.headers[name.toLowerCase()] = value;
    return this;
  }
}

/** The route handler `name` of `controller`, as Nest's `ExecutionContext.getHandler()` gives it. */
function handlerOf(controller: new () => object, name: string): () => void {
  return (controller.prototype as Record<string, () => void>)[name];
}

function contextFor(
  controller: new () => object,
  handler: string,
  request: JwtGuardRequest,
  response: object = new ExpressLikeResponse(),
): ExecutionContext {
  const context = new ExecutionContextHost([request, response], controller, handlerOf(controller, handler));
  context.setType('http');
  return context;
}

function bearer(token = TOKEN): JwtGuardRequest {
  return { headers: { authorization: `Bearer ${token}` } };
}

async function rejection(outcome: boolean | Promise<unknown>): Promise<BearerChallengeException> {
  const error = await Promise.resolve(outcome).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(BearerChallengeException);
  return error as BearerChallengeException;
}

describe('JwtGuard', () => {
  let provider: FakeProvider;
  let debug: jest.SpiedFunction<Logger['debug']>;
  let warn: jest.SpiedFunction<Logger['warn']>;

  function guardWith(guard: GuardOptions = {}): JwtGuard {
    return new JwtGuard(provider as unknown as JwksProvider, new Reflector(), { guard });
  }

  beforeEach(() => {
    provider = new FakeProvider();
    debug = jest.spyOn(Logger.prototype, 'debug').mockImplementation(() => undefined);
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('verifies the bearer token with the controller overrides and puts the claims on request.user', async () => {
    provider.outcome = { sub: 'alice', scope: 'orders:read' };
    const request = bearer();
    await expect(guardWith().canActivate(contextFor(OrdersController, 'list', request))).resolves.toBe(true);
    expect(provider.calls).toEqual([{ token: TOKEN, overrides: { audience: 'orders-api' } }]);
    expect(request.user).toEqual({ sub: 'alice', scope: 'orders:read' });
  });

  it("lets the handler's @JwtVerify replace the controller's", async () => {
    provider.outcome = { scope: 'orders:read' };
    await guardWith().canActivate(contextFor(OrdersController, 'bill', bearer()));
    expect(provider.calls[0]?.overrides).toEqual({ audience: 'billing-api', typ: 'at+jwt' });
  });

  it('skips @Public routes and controllers without reading the token', () => {
    const request = bearer('not a token at all');
    expect(guardWith().canActivate(contextFor(OrdersController, 'health', request))).toBe(true);
    expect(guardWith().canActivate(contextFor(PublicController, 'open', {}))).toBe(true);
    expect(provider.calls).toHaveLength(0);
    expect(request.user).toBeUndefined();
  });

  it('answers a missing token with a bare 401 challenge, with the realm when configured', async () => {
    const response = new ExpressLikeResponse();
    const exception = await rejection(
      guardWith({ realm: 'orders' }).canActivate(contextFor(OrdersController, 'list', {}, response)),
    );
    expect(exception.getStatus()).toBe(401);
    expect(exception.challenge).toBe('Bearer realm="orders"');
    expect(response.headers['www-authenticate']).toBe('Bearer realm="orders"');
    expect(exception.cause).toBeInstanceOf(TokenMissingError);
    expect(provider.calls).toHaveLength(0);
  });

  it('answers a malformed Authorization header with 400 invalid_request, without verifying', async () => {
    const exception = await rejection(
      guardWith().canActivate(contextFor(OrdersController, 'list', bearer(`${TOKEN} extra`))),
    );
    expect(exception.getStatus()).toBe(400);
    expect(exception.challenge).toBe(
      'Bearer error="invalid_request", error_description="The Authorization header must be Bearer followed by one token"',
    );
    expect(provider.calls).toHaveLength(0);
  });

  it('answers a rejected token with 401 invalid_token and a fixed description, on an Express response', async () => {
    provider.outcome = new TokenExpiredError('expired at some time');
    const response = new ExpressLikeResponse();
    const exception = await rejection(
      guardWith().canActivate(contextFor(OrdersController, 'list', bearer(), response)),
    );
    expect(exception.getStatus()).toBe(401);
    const challenge = 'Bearer error="invalid_token", error_description="The access token expired"';
    expect(exception.challenge).toBe(challenge);
    expect(response.headers['www-authenticate']).toBe(challenge);
    expect(exception.getResponse()).toEqual({
      statusCode: 401,
      message: 'The access token expired',
      error: 'Unauthorized',
    });
  });

  it('sets the challenge with reply.header() on a Fastify reply', async () => {
    provider.outcome = new ClaimValidationError('aud mismatch', 'aud');
    const reply = new FastifyLikeReply();
    await rejection(guardWith().canActivate(contextFor(OrdersController, 'list', bearer(), reply)));
    expect(reply.headers['www-authenticate']).toBe(
      'Bearer error="invalid_token", error_description="The access token audience is not accepted"',
    );
  });

  it('answers 403 insufficient_scope naming every required scope, from scope and scp', async () => {
    provider.outcome = { scope: 'orders:write', scp: ['orders:read'] };
    const response = new ExpressLikeResponse();
    const request = bearer();
    const exception = await rejection(
      guardWith().canActivate(contextFor(OrdersController, 'create', request, response)),
    );
    expect(exception.getStatus()).toBe(403);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="orders:write orders:admin"',
    );
    expect(exception.cause).toBeInstanceOf(InsufficientScopeError);
    expect((exception.cause as InsufficientScopeError).missing).toEqual(['orders:admin']);
    expect(request.user).toBeUndefined();
  });

  it('accepts the scopes from scp as a string, and from scope and scp together', async () => {
    provider.outcome = { scp: 'orders:admin orders:write' };
    await expect(guardWith().canActivate(contextFor(OrdersController, 'create', bearer()))).resolves.toBe(true);
    provider.outcome = { scope: 'orders:admin', scp: ['orders:write'] };
    await expect(guardWith().canActivate(contextFor(OrdersController, 'create', bearer()))).resolves.toBe(true);
  });

  it('logs rejections at debug level and outages as warnings, never the token', async () => {
    provider.outcome = new TokenExpiredError('The token expired');
    await rejection(guardWith().canActivate(contextFor(OrdersController, 'list', bearer())));
    provider.outcome = new KeySetUnavailableError('The keys of issuer https://idp.test are unavailable');
    const outage = await rejection(guardWith().canActivate(contextFor(OrdersController, 'list', bearer())));
    expect(outage.getStatus()).toBe(401);
    expect(debug).toHaveBeenCalledTimes(1);
    expect(debug.mock.calls[0]?.[0]).toContain('ERR_JWT_EXPIRED');
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toContain('ERR_JWKS_UNAVAILABLE');
    for (const call of [...debug.mock.calls, ...warn.mock.calls]) expect(JSON.stringify(call)).not.toContain(TOKEN);
  });

  it('rethrows an error that is not a JwksCacheError (a bug) as it is', async () => {
    const bug = new RangeError('a bug in a user hook');
    provider.outcome = bug;
    const response = new ExpressLikeResponse();
    await expect(guardWith().canActivate(contextFor(OrdersController, 'list', bearer(), response))).rejects.toBe(bug);
    expect(response.headers['www-authenticate']).toBeUndefined();
  });

  it('reads the configured header and cookie', async () => {
    provider.outcome = { scope: 'orders:read' };
    const guard = guardWith({ header: 'x-access-token', cookie: 'session' });
    await guard.canActivate(contextFor(OrdersController, 'list', { headers: { 'x-access-token': 'from-header' } }));
    await guard.canActivate(contextFor(OrdersController, 'list', { headers: { cookie: 'session=from-cookie' } }));
    expect(provider.calls.map((call) => call.token)).toEqual(['from-header', 'from-cookie']);
  });

  describe('tokens in the verified-token cache', () => {
    it('admits a cached token synchronously, without verifying it again', () => {
      provider.cached.set(TOKEN, { sub: 'alice', scope: 'orders:read' });
      const request = bearer();
      expect(guardWith().canActivate(contextFor(OrdersController, 'list', request))).toBe(true);
      expect(request.user).toEqual({ sub: 'alice', scope: 'orders:read' });
      expect(provider.calls).toHaveLength(0);
    });

    it('verifies a missed token with the cache key of its lookup, so the token is hashed once', async () => {
      provider.outcome = { sub: 'alice', scope: 'orders:read' };
      await expect(guardWith().canActivate(contextFor(OrdersController, 'list', bearer()))).resolves.toBe(true);
      expect(provider.cacheLookups).toEqual([TOKEN]);
      expect(provider.missedKeys).toEqual([`key-of:${TOKEN}`]);
    });

    it('does not reuse the key when the strict extraction finds another token than the lookup', async () => {
      provider.outcome = { sub: 'alice', scope: 'orders:read' };
      const guard = guardWith();
      // An extraction whose lookup and strict passes disagree: the key of the first must not serve the second.
      let calls = 0;
      jest
        .spyOn(guard as unknown as { extractToken(request: JwtGuardRequest): string }, 'extractToken')
        .mockImplementation(() => (calls++ === 0 ? 'first' : 'second'));
      (guard as unknown as { extractsByDefault: boolean }).extractsByDefault = false;
      await guard.canActivate(contextFor(OrdersController, 'list', bearer()));
      expect(provider.missedKeys).toEqual([]);
      expect(provider.calls.map((call) => call.token)).toEqual(['second']);
    });

    it('takes the full path when a cached token lacks a required scope, which answers 403', async () => {
      provider.cached.set(TOKEN, { sub: 'alice', scope: 'orders:read' });
      provider.outcome = { sub: 'alice', scope: 'orders:read' };
      const exception = await rejection(guardWith().canActivate(contextFor(OrdersController, 'create', bearer())));
      expect(exception.getStatus()).toBe(403);
      expect(provider.calls).toHaveLength(1);
    });

    it.each([
      ['two spaces', `Bearer  ${TOKEN}`],
      ['a trailing space', `Bearer ${TOKEN} `],
      ['an empty token, with a cached token in the cookie', 'Bearer '],
    ])(
      'still answers a malformed Bearer header (%s) with 400, though the token is cached',
      async (_name, authorization) => {
        provider.cached.set(TOKEN, { sub: 'alice', scope: 'orders:read' });
        const request: JwtGuardRequest = { headers: { authorization, cookie: `session=${TOKEN}` } };
        const exception = await rejection(
          guardWith({ cookie: 'session' }).canActivate(contextFor(OrdersController, 'list', request)),
        );
        expect(exception.getStatus()).toBe(400);
        expect(request.user).toBeUndefined();
        expect(provider.calls).toHaveLength(0);
      },
    );
  });

  describe('subclass hooks', () => {
    class GraphQlLikeGuard extends JwtGuard {
      readonly handled: unknown[] = [];
      protected override getRequest(context: ExecutionContext): JwtGuardRequest {
        return context.getArgByIndex<{ req: JwtGuardRequest }>(2).req;
      }
      protected override extractToken(request: JwtGuardRequest): string | undefined {
        const value = request.headers?.['x-token'];
        return typeof value === 'string' ? value : undefined;
      }
      protected override handleError(error: unknown): boolean {
        this.handled.push(error);
        return true;
      }
    }

    it('reads the request and token through the overridden hooks, and lets handleError decide', async () => {
      const guard = new GraphQlLikeGuard(provider as unknown as JwksProvider, new Reflector(), {});
      provider.outcome = { sub: 'bob', scope: 'orders:read' };
      const request: JwtGuardRequest = { headers: { 'x-token': 'graphql-token' } };
      const context = new ExecutionContextHost(
        [{}, {}, { req: request }, {}],
        OrdersController,
        handlerOf(OrdersController, 'list'),
      );
      context.setType('graphql');
      await expect(guard.canActivate(context)).resolves.toBe(true);
      expect(provider.calls[0]?.token).toBe('graphql-token');
      expect(request.user).toEqual({ sub: 'bob', scope: 'orders:read' });

      const anonymous = new ExecutionContextHost(
        [{}, {}, { req: { headers: {} } }, {}],
        OrdersController,
        handlerOf(OrdersController, 'list'),
      );
      anonymous.setType('graphql');
      await expect(guard.canActivate(anonymous)).resolves.toBe(true);
      expect(guard.handled).toHaveLength(1);
      expect(guard.handled[0]).toBeInstanceOf(TokenMissingError);
    });

    it('lets a subclass change one answer through toException, keeping the rest and the logging', async () => {
      class OutageIs503Guard extends JwtGuard {
        protected override toException(error: JwksCacheError): HttpException {
          return error instanceof KeySetUnavailableError
            ? new ServiceUnavailableException('Keys unavailable')
            : super.toException(error);
        }
      }
      const guard = new OutageIs503Guard(provider as unknown as JwksProvider, new Reflector(), {});
      provider.outcome = new KeySetUnavailableError('The keys of issuer https://idp.test are unavailable');
      const response = new ExpressLikeResponse();
      const outage = await Promise.resolve(
        guard.canActivate(contextFor(OrdersController, 'list', bearer(), response)),
      ).catch((error: unknown) => error);
      expect(outage).toBeInstanceOf(ServiceUnavailableException);
      expect((outage as HttpException).getStatus()).toBe(503);
      expect(response.headers).toEqual({});
      expect(warn).toHaveBeenCalledTimes(1);
      provider.outcome = new TokenExpiredError('The token expired');
      const expired = await rejection(guard.canActivate(contextFor(OrdersController, 'list', bearer())));
      expect(expired.getStatus()).toBe(401);
    });

    it('looks up the cache with the token the overridden extractToken finds', () => {
      const guard = new GraphQlLikeGuard(provider as unknown as JwksProvider, new Reflector(), {});
      provider.cached.set('graphql-token', { sub: 'bob', scope: 'orders:read' });
      const request: JwtGuardRequest = { headers: { 'x-token': 'graphql-token', authorization: `Bearer ${TOKEN}` } };
      const context = new ExecutionContextHost(
        [{}, {}, { req: request }, {}],
        OrdersController,
        handlerOf(OrdersController, 'list'),
      );
      context.setType('graphql');
      expect(guard.canActivate(context)).toBe(true);
      expect(provider.cacheLookups).toEqual(['graphql-token']);
      expect(request.user).toEqual({ sub: 'bob', scope: 'orders:read' });
    });
  });
});

describe('decorator arguments', () => {
  it('@Scopes refuses scopes that cannot be written in a challenge', () => {
    for (const scope of ['', 'a b', 'a"b', 'a\\b', 'é']) expect(() => Scopes(scope)).toThrow(TypeError);
    expect(() => Scopes('orders:read', 'https://api.example/orders.write')).not.toThrow();
  });

  it('@JwtVerify refuses anything but an object', () => {
    expect(() => JwtVerify(null as unknown as VerifyOverrides)).toThrow(TypeError);
  });
});
