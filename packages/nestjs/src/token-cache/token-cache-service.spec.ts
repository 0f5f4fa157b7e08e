import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Keyv } from 'keyv';
import { inspect } from 'node:util';
import { TokenRequestError, TokenUnusableError, UnknownTokenSourceError } from '../errors.js';
import { validateOptions } from '../config/validate-options.js';
import type { ClientCredentialsOptions, TokenFunctionContext, TokenSourceOptions } from '../config/options.js';
import {
  captureLogs,
  createService,
  jwtAnswer,
  nextEvent,
  startTestServer,
  type TestServer,
  unsignedJwt,
} from '../../test/support/token-cache.js';
import { fakeClock } from '../../../../test/support/fake-clock.js';

const HOUR = 3_600_000;
const SECRET = 'top-secret:value+/é';

let idp: TestServer;

beforeAll(async () => {
  idp = await startTestServer((_request, index) => jwtAnswer(index));
});
afterAll(() => idp.close());
beforeEach(() => {
  idp.received.length = 0;
  idp.respond = (_request, index) => jwtAnswer(index);
});
afterEach(() => {
  jest.useRealTimers();
});

function credentials(overrides: Partial<ClientCredentialsOptions> = {}): ClientCredentialsOptions {
  return { tokenEndpoint: idp.url, clientId: 'orders', clientSecret: SECRET, ...overrides };
}

describe('TokenCacheService: one request per cache key', () => {
  it('serves 1 000 concurrent cold callers with one request, and one more per name, tenant and scope', async () => {
    const { service } = createService({
      tokens: { x: { clientCredentials: credentials({ scope: 'a' }) }, y: { clientCredentials: credentials() } },
    });

    const tokens = await Promise.all(Array.from({ length: 1000 }, () => service.ensureToken('x')));
    expect(idp.received).toHaveLength(1);
    expect(new Set(tokens).size).toBe(1);

    await Promise.all(Array.from({ length: 100 }, () => service.ensureToken('y')));
    expect(idp.received).toHaveLength(2);
    await Promise.all(Array.from({ length: 100 }, () => service.ensureToken('x', 'tenant-1')));
    expect(idp.received).toHaveLength(3);

    service.register('x', { clientCredentials: credentials({ scope: ['a', 'b'] }) });
    await Promise.all(Array.from({ length: 100 }, () => service.ensureToken('x')));
    expect(idp.received).toHaveLength(4);
    expect(new URLSearchParams(idp.received[3].body).get('scope')).toBe('a b');

    // Back to scope 'a' with a rotated secret: the same key (the secret is not part of it), still cached.
    service.register('x', { clientCredentials: credentials({ scope: 'a', clientSecret: 'rotated-secret' }) });
    await expect(service.ensureToken('x')).resolves.toBe(tokens[0]);
    expect(idp.received).toHaveLength(4);
  });

  it("lets instances sharing a store reuse each other's token, stored as a plain entry with a bounded TTL", async () => {
    fakeClock(); // a still clock, to compare the TTL with exp exactly
    const shared = new Keyv();
    const options = { stores: [shared], tokens: { x: { clientCredentials: credentials() } } };
    const first = createService(options);
    const second = createService(options);
    const writes = jest.spyOn(first.store, 'set');
    const token = await first.service.ensureToken('x');
    await expect(second.service.ensureToken('x')).resolves.toBe(token);
    expect(idp.received).toHaveLength(1);
    expect(second.service.stats().x).toMatchObject({ served: 1, fetched: 0 });

    const [[key, entry, ttl]] = writes.mock.calls as Array<[string, { expiresAt: number }, number]>;
    expect(key).toMatch(/^jwks-cache:v1:token:/);
    expect(entry).toEqual({ token, expiresAt: expect.any(Number), obtainedAt: expect.any(Number) });
    expect(Date.now() + ttl).toBeLessThanOrEqual(entry.expiresAt - 60_000); // never beyond exp − leeway
  });

  it('resolves per-tenant settings once per tenant, each tenant with its own client', async () => {
    const settingsCalls: Array<string | undefined> = [];
    const { service } = createService({});
    service.register('per-tenant', {
      clientCredentials: (tenant) => {
        settingsCalls.push(tenant);
        return credentials({ clientId: `client-${tenant}` });
      },
    });
    await Promise.all(['a', 'b', 'a', 'b', 'a'].map((tenant) => service.ensureToken('per-tenant', tenant)));
    await service.ensureToken('per-tenant', 'a');

    expect(idp.received).toHaveLength(2);
    const clientIds = idp.received.map(
      ({ headers }) => Buffer.from(String(headers.authorization).slice(6), 'base64').toString().split(':')[0],
    );
    expect(clientIds.sort()).toEqual(['client-a', 'client-b']);
    expect(settingsCalls).toEqual(['a', 'b']);
  });

  it('sends the RFC 6749 §4.4 form with audience, repeated resource and extra parameters', async () => {
    const { service } = createService({});
    service.register('full', {
      clientCredentials: credentials({
        audience: 'inventory',
        resource: ['https://a.example', 'https://b.example'],
        extraParams: { tenant_hint: 'eu' },
      }),
    });
    await service.ensureToken('full');

    const [request] = idp.received;
    const form = new URLSearchParams(request.body);
    expect(form.get('grant_type')).toBe('client_credentials');
    expect(form.get('audience')).toBe('inventory');
    expect(form.getAll('resource')).toEqual(['https://a.example', 'https://b.example']);
    expect(form.get('tenant_hint')).toBe('eu');
    expect(form.has('client_secret')).toBe(false);
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    // client_secret_basic form-urlencodes id and secret before base64 (RFC 6749 §2.3.1).
    const pair = Buffer.from(String(request.headers.authorization).slice('Basic '.length), 'base64').toString();
    expect(pair).toBe('orders:top-secret%3Avalue%2B%2F%C3%A9');
  });

  it('keeps maxTenantsPerToken tenants in process; a dropped tenant reads its token back from the store', async () => {
    const { service } = createService({ maxTenantsPerToken: 2, tokens: { x: { clientCredentials: credentials() } } });
    const first = await service.ensureToken('x', 'a');
    await service.ensureToken('x', 'b');
    await service.ensureToken('x', 'c'); // 'a', seen first, leaves the process
    expect(service.stats().x).toMatchObject({ tenants: 2, fetched: 3 });
    expect(idp.received).toHaveLength(3);

    await expect(service.ensureToken('x', 'a')).resolves.toBe(first);
    expect(idp.received).toHaveLength(3);
    expect(service.stats().x).toMatchObject({ tenants: 2, fetched: 3, served: 1 });
    for (const bad of [0, 1.5, Number.POSITIVE_INFINITY]) {
      expect(() => validateOptions({ maxTenantsPerToken: bad })).toThrow(
        /option maxTenantsPerToken must be a whole number ≥ 1/,
      );
    }
  });

  it('keeps no state of a tenant evicted while its request is in flight: 5 000 tenants, maxTenantsPerToken 10', async () => {
    const pending: Array<() => void> = [];
    const tokenFunction = ({ tenant }: TokenFunctionContext) =>
      new Promise<string>((resolve) =>
        pending.push(() => resolve(unsignedJwt({ tenant, exp: Math.floor(Date.now() / 1000) + 3600 }))),
      );
    const { service } = createService({ maxTenantsPerToken: 10, tokens: { x: { tokenFunction } } });
    const heldStates = () =>
      (service as unknown as { registry: { states: Map<string, unknown> } }).registry.states.size;

    // Every tenant's slot but the last 10 is evicted while its token function is still running.
    const calls = Array.from({ length: 5000 }, (_, index) => service.ensureToken('x', `tenant-${index}`));
    while (pending.length < 5000) await new Promise((resolve) => setImmediate(resolve));
    expect(service.stats().x.tenants).toBe(10);
    for (const resolve of pending) resolve();
    await Promise.all(calls);

    expect(heldStates()).toBeLessThanOrEqual(10);
    expect(service.stats().x.tenants).toBe(10);
  });

  it('passes name and tenant to a token function and caches what it returns', async () => {
    const calls: TokenFunctionContext[] = [];
    const { service } = createService({});
    service.register('fn', {
      tokenFunction: (context) => {
        calls.push(context);
        return { access_token: `opaque-${calls.length}`, expires_in: 3600 };
      },
    });
    const tokens = await Promise.all([
      service.ensureToken('fn', 't'),
      service.ensureToken('fn', 't'),
      service.ensureToken('fn', 't'),
    ]);
    expect(tokens).toEqual(['opaque-1', 'opaque-1', 'opaque-1']);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ name: 'fn', tenant: 't' });
    expect(calls[0]?.signal.aborted).toBe(false);
  });

  it("register() of a new token function under a used name drops that name's tokens, in process and in the store", async () => {
    const shared = new Keyv();
    const { service } = createService({ stores: [shared] });
    const fn = (label: string) => ({
      shareKey: 'orders',
      tokenFunction: () => ({ access_token: label, expires_in: 3600 }),
    });
    service.register('x', { tokenFunction: () => ({ access_token: 'in-process-old', expires_in: 3600 }) });
    await expect(service.ensureToken('x', 't')).resolves.toBe('in-process-old');
    service.register('x', { tokenFunction: () => ({ access_token: 'in-process-new', expires_in: 3600 }) });
    await expect(service.ensureToken('x', 't')).resolves.toBe('in-process-new');

    service.register('y', fn('shared-old'));
    await expect(service.ensureToken('y')).resolves.toBe('shared-old');
    service.register('y', fn('shared-new'));
    await expect(service.ensureToken('y')).resolves.toBe('shared-new');
    // Another instance on the same store finds the new function's token, not the old one.
    const other = createService({ stores: [shared], tokens: { y: fn('other') } });
    await expect(other.service.ensureToken('y')).resolves.toBe('shared-new');
  });

  it('gives up on a token function past its timeout, for every caller, and calls it afresh after the backoff', async () => {
    const clock = fakeClock();
    const signals: AbortSignal[] = [];
    let answer: Promise<string> = new Promise<string>(() => undefined);
    const { service } = createService({});
    service.register('stuck', {
      timeout: 50,
      tokenFunction: ({ signal }) => {
        signals.push(signal);
        return answer;
      },
    });
    const outcomes = await Promise.all(
      [1, 2, 3].map(() => service.ensureToken('stuck').catch((error: unknown) => error)),
    );
    for (const outcome of outcomes) {
      expect(outcome).toBeInstanceOf(TokenRequestError);
      expect((outcome as TokenRequestError).message).toBe('The token function of "stuck" gave no token within 50 ms');
    }
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);

    answer = Promise.resolve('opaque-after');
    clock.set(Date.now() + 2_000); // past the first retry delay (1 s ± 20 %)
    await expect(service.ensureToken('stuck')).resolves.toBe('opaque-after');
    expect(signals).toHaveLength(2);
  });

  it('rejects an unknown name and an invalid registration with typed errors', async () => {
    const { service } = createService({});
    await expect(service.ensureToken('nope')).rejects.toBeInstanceOf(UnknownTokenSourceError);
    expect(() => service.register('bad', { clientCredentials: credentials({ clientSecret: '' }) })).toThrow(
      /option tokens\.bad\.clientCredentials\.clientSecret/,
    );
    expect(() => service.register('bad', { clientCredentials: credentials({ tokenEndpoint: 'ftp://x' }) })).toThrow(
      TypeError,
    );
    expect(() => service.register('bad', { tokenFunction: () => 't', leeway: -1 })).toThrow(
      /option tokens\.bad\.leeway/,
    );
    expect(() => service.register('bad', { tokenFunction: () => 't', timeout: 0 })).toThrow(
      /option tokens\.bad\.timeout must be a whole number of milliseconds from 1 to 2147483647 \(got 0\)/,
    );
    const misplaced = { clientCredentials: credentials(), timeout: 1_000 } as unknown as TokenSourceOptions;
    expect(() => service.register('bad', misplaced)).toThrow(
      /option tokens\.bad\.timeout applies to a tokenFunction; set clientCredentials\.timeout instead/,
    );
    expect(() =>
      service.register('bad', { tokenFunction: () => 't', verify: 'https://not-configured.example' }),
    ).toThrow(/tokens\.bad\.verify/);

    let settingsCalls = 0;
    service.register('per-tenant', {
      clientCredentials: () => {
        settingsCalls += 1;
        return credentials({ clientSecret: '' });
      },
    });
    await expect(service.ensureToken('per-tenant', 't')).rejects.toThrow(
      /option tokens\.per-tenant\.clientCredentials\("t"\)\.clientSecret/,
    );
    await expect(service.ensureToken('per-tenant', 't')).rejects.toThrow(TypeError);
    expect(settingsCalls).toBe(2); // invalid settings are not memoized
    expect(idp.received).toHaveLength(0);
  });
});

describe('TokenCacheService: expiry, leeway and refresh-ahead', () => {
  it('reuses a 1 h token, fetches anew within leeway of exp, and refreshes once ahead of time', async () => {
    const clock = fakeClock();
    const { service, events } = createService({ tokens: { x: { clientCredentials: credentials() } } });

    const first = await service.ensureToken('x');
    for (let i = 0; i < 100; i += 1) await expect(service.ensureToken('x')).resolves.toBe(first);
    expect(idp.received).toHaveLength(1);
    expect(service.stats().x).toMatchObject({ fetched: 1, served: 100, refreshedAhead: 0 });

    clock.set(clock.start + HOUR - 59_000); // 59 s left: less than the 60 s leeway
    const second = await service.ensureToken('x');
    expect(second).not.toBe(first);
    expect(idp.received).toHaveLength(2);

    // 30 s into the 60 s refresh-ahead window before exp − leeway of the second token.
    const secondIssuedAt = Date.now();
    clock.set(secondIssuedAt + HOUR - 60_000 - 30_000);
    const refreshed = nextEvent(events, 'token.fetched');
    const during = await Promise.all(Array.from({ length: 50 }, () => service.ensureToken('x')));
    expect(new Set(during)).toEqual(new Set([second]));
    expect(await refreshed).toMatchObject({ name: 'x', background: true });
    expect(idp.received).toHaveLength(3);
    expect(service.stats().x.refreshedAhead).toBe(1);

    const third = await service.ensureToken('x');
    expect(third).not.toBe(second);
    expect(idp.received).toHaveLength(3);
  });

  it('hands out but never caches a token without expiry, and logs it once', async () => {
    const logs = captureLogs();
    try {
      idp.respond = (_request, index) => ({
        status: 200,
        body: { access_token: `opaque-${index}`, token_type: 'bearer' },
      });
      const { service } = createService({ tokens: { x: { clientCredentials: credentials() } } });
      await expect(service.ensureToken('x')).resolves.toBe('opaque-0');
      await expect(service.ensureToken('x')).resolves.toBe('opaque-1');
      expect(idp.received).toHaveLength(2);
      expect(logs.lines.filter((line) => line.includes('no readable expiry'))).toHaveLength(1);
    } finally {
      logs.restore();
    }
  });

  it('turns a token without expiry into TokenUnusableError with rejectUnparsable', async () => {
    idp.respond = () => ({ status: 200, body: { access_token: 'opaque' } });
    const { service } = createService({ tokens: { x: { clientCredentials: credentials(), rejectUnparsable: true } } });
    const error = await service.ensureToken('x').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenUnusableError);
    expect((error as TokenUnusableError).code).toBe('ERR_TOKEN_UNUSABLE');
    expect(String(error)).not.toContain('opaque');
  });

  it('counts expires_in from the start of the request', async () => {
    const clock = fakeClock();
    let calls = 0;
    const { service } = createService({});
    service.register('slow', {
      refreshAhead: 0,
      tokenFunction: () => {
        calls += 1;
        clock.set(Date.now() + 30_000); // the answer takes 30 s
        return { access_token: `opaque-${calls}`, expires_in: 120 };
      },
    });
    await service.ensureToken('slow');
    clock.set(clock.start + 70_000); // usable until start + 120 s − 60 s leeway: over
    await service.ensureToken('slow');
    expect(calls).toBe(2);
  });

  it('counts expires_in and exp only up to maxTokenLifetime (24 h): 1e12 and 1e308 s are cached for 24 h, in process and in the store', async () => {
    const clock = fakeClock();
    const lifetimes: Array<Record<string, unknown>> = [
      { expires_in: 1e12 },
      { expires_in: 1e308 },
      { expires_in: '1e12' },
      { jwtExp: 1e12 },
      { jwtExp: 1e308 },
    ];
    for (const lifetime of lifetimes) {
      clock.set(clock.start);
      idp.received.length = 0;
      idp.respond = (_request, index) => {
        const token =
          lifetime.jwtExp === undefined ? `opaque-${index}` : unsignedJwt({ n: index, exp: lifetime.jwtExp });
        return {
          status: 200,
          body: {
            access_token: token,
            token_type: 'Bearer',
            ...(lifetime.expires_in === undefined ? {} : { expires_in: lifetime.expires_in }),
          },
        };
      };
      const { service, store } = createService({
        stores: [new Keyv()],
        tokens: { x: { clientCredentials: credentials() } },
      });
      const writes = jest.spyOn(store, 'set');
      const first = await service.ensureToken('x');
      const [[, entry, ttl]] = writes.mock.calls as Array<[string, { expiresAt: number }, number]>;
      expect([lifetime, entry.expiresAt]).toEqual([lifetime, clock.start + 24 * HOUR]);
      expect(ttl).toBeLessThanOrEqual(24 * HOUR);
      clock.set(clock.start + 24 * HOUR - 60_001); // still more than the leeway left: served
      await expect(service.ensureToken('x')).resolves.toBe(first);
      clock.set(clock.start + 24 * HOUR - 60_000); // 24 h − leeway: a new token
      await expect(service.ensureToken('x')).resolves.not.toBe(first);
      expect(idp.received).toHaveLength(2);
    }
  });

  it('takes maxTokenLifetime from the source, else from tokenDefaults', async () => {
    const clock = fakeClock();
    const { service } = createService({ tokenDefaults: { maxTokenLifetime: 600_000, refreshAhead: 0 } });
    let calls = 0;
    const tokenFunction = () => ({ access_token: `opaque-${(calls += 1)}`, expires_in: 3600 });
    service.register('inherited', { tokenFunction });
    service.register('own', { tokenFunction, maxTokenLifetime: 120_000 });
    await service.ensureToken('inherited');
    await service.ensureToken('own');
    clock.set(clock.start + 60_001); // past own's 120 s − 60 s leeway
    await service.ensureToken('inherited');
    await service.ensureToken('own');
    expect(calls).toBe(3);
    clock.set(clock.start + 540_000); // inherited: 600 s − 60 s leeway
    await service.ensureToken('inherited');
    expect(calls).toBe(4);
  });

  it('treats a non-finite, negative or unparsable expires_in or exp as no readable expiry: never cached, an error with rejectUnparsable', async () => {
    const invalid: Array<Record<string, unknown>> = [
      { expires_in: -1 },
      { expires_in: '-1' },
      { expires_in: 'NaN' },
      { expires_in: 'Infinity' },
      { expires_in: '1e400' },
      { expires_in: 'abc' },
      { expires_in: '12abc' },
      { expires_in: null },
      { jwtExp: -1, expires_in: 3600 },
      { jwtExp: '1700000000', expires_in: 3600 },
    ];
    for (const answer of invalid) {
      idp.received.length = 0;
      idp.respond = (_request, index) => {
        const token = answer.jwtExp === undefined ? `opaque-${index}` : unsignedJwt({ n: index, exp: answer.jwtExp });
        return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: answer.expires_in } };
      };
      const { service } = createService({
        tokens: {
          x: { clientCredentials: credentials() },
          strict: { clientCredentials: credentials({ scope: 's' }), rejectUnparsable: true },
        },
      });
      const a = await service.ensureToken('x');
      const b = await service.ensureToken('x');
      expect([answer, a === b, idp.received.length]).toEqual([answer, false, 2]);
      await expect(service.ensureToken('strict')).rejects.toBeInstanceOf(TokenUnusableError);
    }
    // The same rules for a token function's answer.
    const { service } = createService({});
    service.register('fn', {
      tokenFunction: () => ({ access_token: 'opaque', expires_in: Number.NaN }),
      rejectUnparsable: true,
    });
    await expect(service.ensureToken('fn')).rejects.toBeInstanceOf(TokenUnusableError);
    service.register('fn', {
      tokenFunction: () => ({ access_token: 'opaque', expires_in: 1e308 }),
      rejectUnparsable: true,
    });
    await expect(service.ensureToken('fn')).resolves.toBe('opaque');
  });

  it("caps a stored entry's lifetime too: a planted 10-year token is used for maxTokenLifetime at most", async () => {
    const clock = fakeClock();
    const shared = new Keyv();
    const options = { stores: [shared], tokens: { x: { clientCredentials: credentials() } } };
    const planter = createService(options);
    const writes = jest.spyOn(planter.store, 'set');
    await planter.service.ensureToken('x');
    const [[key]] = writes.mock.calls as Array<[string, unknown, number]>;
    const tenYears = 10 * 365 * 24 * HOUR;
    await planter.store.set(
      key,
      { token: 'planted', expiresAt: Date.now() + tenYears, obtainedAt: Date.now() },
      tenYears,
    );

    const reader = createService(options);
    await expect(reader.service.ensureToken('x')).resolves.toBe('planted');
    clock.set(clock.start + 24 * HOUR - 60_000);
    await expect(reader.service.ensureToken('x')).resolves.not.toBe('planted');

    // An entry claiming to be obtained in the future is not used at all.
    await planter.store.set(
      key,
      { token: 'from-the-future', expiresAt: Date.now() + tenYears, obtainedAt: Date.now() + tenYears - HOUR },
      tenYears,
    );
    const later = createService(options);
    await expect(later.service.ensureToken('x')).resolves.not.toBe('from-the-future');
  });

  it('hands a token with less than leeway left out once, without caching it', async () => {
    idp.respond = (_request, index) => jwtAnswer(index, 30);
    const { service } = createService({ tokens: { x: { clientCredentials: credentials() } } });
    const [a, b] = await Promise.all([service.ensureToken('x'), service.ensureToken('x')]);
    expect(a).toBe(b);
    await service.ensureToken('x');
    expect(idp.received).toHaveLength(2);
  });

  it('does not refresh ahead a token whose whole lifetime falls inside the refresh-ahead window', async () => {
    idp.respond = (_request, index) => jwtAnswer(index, 100); // 100 s < leeway 60 s + refreshAhead 60 s
    const { service } = createService({ tokens: { x: { clientCredentials: credentials() } } });
    for (let i = 0; i < 20; i += 1) await service.ensureToken('x');
    expect(idp.received).toHaveLength(1);
    expect(service.stats().x).toMatchObject({ fetched: 1, served: 19, refreshedAhead: 0 });
  });

  it('uses the JWT exp over expires_in and takes timing from tokenDefaults', async () => {
    const clock = fakeClock();
    idp.respond = (_request, index) => ({
      status: 200,
      body: { ...(jwtAnswer(index, 600).body as object), expires_in: 3600 },
    });
    const { service } = createService({
      tokenDefaults: { leeway: 10_000, refreshAhead: 0 },
      tokens: { x: { clientCredentials: credentials() } },
    });
    await service.ensureToken('x');
    clock.set(clock.start + 589_000); // 11 s before the JWT exp: more than the 10 s leeway
    await service.ensureToken('x');
    expect(idp.received).toHaveLength(1);
    clock.set(clock.start + 591_000);
    await service.ensureToken('x');
    expect(idp.received).toHaveLength(2);
  });
});

describe('TokenCacheService: failures', () => {
  it('reports 400 invalid_client as TokenRequestError without the secret anywhere, requests again at once, backs off from the second failure', async () => {
    const clock = fakeClock();
    const logs = captureLogs();
    try {
      idp.respond = () => ({
        status: 400,
        body: { error: 'invalid_client', error_description: `bad secret ${SECRET} for client` },
      });
      const { service, events } = createService({ tokens: { x: { clientCredentials: credentials() } } });
      const failed = nextEvent(events, 'token.failed');

      const error = (await service.ensureToken('x').catch((caught: unknown) => caught)) as TokenRequestError;
      expect(error).toBeInstanceOf(TokenRequestError);
      expect(error).toMatchObject({
        status: 400,
        error: 'invalid_client',
        tokenName: 'x',
        code: 'ERR_TOKEN_REQUEST_FAILED',
      });
      expect(error.errorDescription).toBe('bad secret [redacted] for client');
      expect((await failed).error).toBe(error);
      const renderings = [
        error.message,
        String(error),
        JSON.stringify(error),
        inspect(error, { depth: 10, showHidden: true }),
        String(error.cause),
        ...logs.lines,
      ];
      for (const text of renderings) expect(text).not.toContain(SECRET);
      expect(logs.lines.some((line) => line.includes('invalid_client'))).toBe(true);

      // A first failure is not cached: the next call requests at once.
      const second = (await service.ensureToken('x').catch((caught: unknown) => caught)) as TokenRequestError;
      expect(second).toBeInstanceOf(TokenRequestError);
      expect(second).not.toBe(error);
      expect(idp.received).toHaveLength(2);

      // After the second consecutive failure, 1 s ± 20 %: the same error at once, no new request.
      clock.set(clock.start + 799);
      await expect(service.ensureToken('x')).rejects.toBe(second);
      expect(idp.received).toHaveLength(2);

      clock.set(clock.start + 1_201);
      await expect(service.ensureToken('x')).rejects.toBeInstanceOf(TokenRequestError);
      expect(idp.received).toHaveLength(3);
      expect(service.stats().x.failures).toBe(3);
    } finally {
      logs.restore();
    }
  });

  it('requests at once after one failure: a token function failing once, a 400 followed by a corrected endpoint', async () => {
    fakeClock(); // a still clock: nothing here may depend on time passing
    let calls = 0;
    const { service } = createService({});
    service.register('flaky', {
      tokenFunction: () => {
        calls += 1;
        if (calls === 1) throw new Error('one-off');
        return { access_token: `opaque-${calls}`, expires_in: 3600 };
      },
    });
    await expect(service.ensureToken('flaky')).rejects.toBeInstanceOf(TokenRequestError);
    await expect(service.ensureToken('flaky')).resolves.toBe('opaque-2');
    expect(calls).toBe(2);

    idp.respond = (_request, index) =>
      index === 0 ? { status: 400, body: { error: 'invalid_client' } } : jwtAnswer(index);
    service.register('x', { clientCredentials: credentials() });
    await expect(service.ensureToken('x')).rejects.toMatchObject({ status: 400, error: 'invalid_client' });
    await expect(service.ensureToken('x')).resolves.toEqual(expect.any(String));
    expect(idp.received).toHaveLength(2);
    expect(service.stats().x).toMatchObject({ failures: 1, fetched: 1 });
  });

  it('backs off consecutive failures 1 s, 2 s, 4 s … up to 60 s (±20 %), and a success starts over', async () => {
    const clock = fakeClock();
    let fail = true;
    idp.respond = (_request, index) =>
      fail ? { status: 503, body: { error: 'temporarily_unavailable' } } : jwtAnswer(index);
    const { service } = createService({ tokens: { x: { clientCredentials: credentials() } } });
    await expect(service.ensureToken('x')).rejects.toBeInstanceOf(TokenRequestError); // first failure: no window
    for (const base of [1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000]) {
      const failedAt = Date.now();
      const requests = idp.received.length;
      await expect(service.ensureToken('x')).rejects.toBeInstanceOf(TokenRequestError);
      expect(idp.received).toHaveLength(requests + 1);
      clock.set(failedAt + base * 0.8 - 1); // inside the window, whatever the jitter
      await expect(service.ensureToken('x')).rejects.toBeInstanceOf(TokenRequestError);
      expect(idp.received).toHaveLength(requests + 1);
      clock.set(failedAt + base * 1.2 + 1); // past it, whatever the jitter
    }
    fail = false;
    await expect(service.ensureToken('x')).resolves.toEqual(expect.any(String));
    await service.invalidate('x');
    fail = true;
    const requests = idp.received.length;
    await expect(service.ensureToken('x')).rejects.toBeInstanceOf(TokenRequestError);
    await expect(service.ensureToken('x')).rejects.toBeInstanceOf(TokenRequestError);
    expect(idp.received).toHaveLength(requests + 2); // the count started over
  });

  it('takes retryBackoff from the source, else from tokenDefaults; false turns it off', async () => {
    const clock = fakeClock();
    idp.respond = () => ({ status: 503, body: {} });
    const { service } = createService({
      tokenDefaults: { retryBackoff: { initial: 10_000, max: 10_000, jitter: 0 } },
      tokens: {
        inherited: { clientCredentials: credentials({ scope: 'a' }) },
        own: { clientCredentials: credentials({ scope: 'b' }), retryBackoff: { initial: 100, max: 100, jitter: 0 } },
        off: { clientCredentials: credentials({ scope: 'c' }), retryBackoff: false },
      },
    });
    const attempts = async (name: string, calls: number): Promise<number> => {
      const before = idp.received.length;
      for (let i = 0; i < calls; i += 1) await service.ensureToken(name).catch(() => undefined);
      return idp.received.length - before;
    };
    expect(await attempts('inherited', 5)).toBe(2);
    expect(await attempts('own', 5)).toBe(2);
    expect(await attempts('off', 5)).toBe(5);
    clock.set(clock.start + 101);
    expect(await attempts('own', 1)).toBe(1);
    expect(await attempts('inherited', 1)).toBe(0);
    clock.set(clock.start + 10_001);
    expect(await attempts('inherited', 1)).toBe(1);
  });

  it('refuses an invalid retryBackoff, maxTokenLifetime or shareKey, naming the option', () => {
    expect(() => validateOptions({ tokens: { x: { tokenFunction: () => 't', shareKey: '' } } })).toThrow(
      /option tokens\.x\.shareKey must be a non-empty string/,
    );
    const onCredentials = { clientCredentials: credentials(), shareKey: 'k' } as unknown as TokenSourceOptions;
    expect(() => validateOptions({ tokens: { x: onCredentials } })).toThrow(
      /option tokens\.x\.shareKey applies to a tokenFunction/,
    );
    expect(() =>
      validateOptions({ tokens: { x: { tokenFunction: () => 't', shareKey: 'orders-api' } } }),
    ).not.toThrow();
    expect(() => validateOptions({ tokenDefaults: { retryBackoff: { initial: 0, max: 1, jitter: 0 } } })).toThrow(
      /option tokenDefaults\.retryBackoff\.initial/,
    );
    expect(() => validateOptions({ tokenDefaults: { retryBackoff: { initial: 1, max: 1, jitter: 2 } } })).toThrow(
      /option tokenDefaults\.retryBackoff\.jitter/,
    );
    const notAnObject = { tokenFunction: () => 't', retryBackoff: true } as unknown as TokenSourceOptions;
    expect(() => validateOptions({ tokens: { x: notAnObject } })).toThrow(
      /option tokens\.x\.retryBackoff must be false or/,
    );
    expect(() => validateOptions({ tokenDefaults: { retryBackoff: { initial: 5, max: 1, jitter: 0 } } })).toThrow(
      /option tokenDefaults\.retryBackoff\.initial must not exceed/,
    );
    expect(() => validateOptions({ tokens: { x: { tokenFunction: () => 't', maxTokenLifetime: 0 } } })).toThrow(
      /option tokens\.x\.maxTokenLifetime/,
    );
    expect(() => validateOptions({ tokenDefaults: { maxTokenLifetime: Number.POSITIVE_INFINITY } })).toThrow(
      /option tokenDefaults\.maxTokenLifetime/,
    );
    expect(() =>
      validateOptions({ tokens: {}, tokenDefaults: { retryBackoff: false, maxTokenLifetime: 3_600_000 } }),
    ).not.toThrow();
  });

  it('wraps a network failure in a safe error without cause', async () => {
    const closed = await startTestServer(() => ({ status: 200, body: {} }));
    await closed.close();
    const { service } = createService({
      tokens: { x: { clientCredentials: credentials({ tokenEndpoint: closed.url }) } },
    });
    const error = (await service.ensureToken('x').catch((caught: unknown) => caught)) as TokenRequestError;
    expect(error).toBeInstanceOf(TokenRequestError);
    expect(error.message).toMatch(/network error \(ECONNREFUSED\)/);
    expect(error.cause).toBeUndefined();
    expect(error.status).toBeUndefined();
  });

  it('treats a failing store as a miss: tokens still flow, from the source and the in-process copy', async () => {
    // A shared tier whose every call fails: the CacheStore turns each into a miss and a store.error.
    const fail = (): Promise<never> => Promise.reject(new Error('store down'));
    const failing = new Keyv({
      store: { get: fail, set: fail, delete: fail, clear: fail, on: () => undefined } as never,
      throwOnErrors: true,
    });
    const { service, events } = createService({
      stores: [failing],
      tokens: { x: { clientCredentials: credentials() } },
    });
    const storeErrors: string[] = [];
    events.on('store.error', ({ operation }) => storeErrors.push(operation));

    const token = await service.ensureToken('x');
    await expect(service.ensureToken('x')).resolves.toBe(token);
    expect(idp.received).toHaveLength(1);
    expect(storeErrors).toEqual(['get', 'set']);
  });

  it('keeps serving a still-valid token while the endpoint fails', async () => {
    const clock = fakeClock();
    const { service, events } = createService({ tokens: { x: { clientCredentials: credentials() } } });
    const token = await service.ensureToken('x');

    idp.respond = () => ({ status: 503, body: { error: 'temporarily_unavailable' } });
    clock.set(clock.start + HOUR - 90_000); // inside the refresh-ahead window
    const failed = nextEvent(events, 'token.failed');
    await expect(service.ensureToken('x')).resolves.toBe(token);
    expect((await failed).error).toMatchObject({ status: 503 });
    for (let i = 0; i < 20; i += 1) await expect(service.ensureToken('x')).resolves.toBe(token);
    expect(idp.received).toHaveLength(2); // one failed refresh; the backoff holds the others

    clock.set(clock.start + HOUR - 75_000); // past the backoff, still valid: one more attempt
    const failedAgain = nextEvent(events, 'token.failed');
    await expect(service.ensureToken('x')).resolves.toBe(token);
    await failedAgain;
    expect(idp.received).toHaveLength(3);
    expect(service.stats().x).toMatchObject({ failures: 2, refreshedAhead: 2, fetched: 1 });
  });
});

describe('TokenCacheService.fetch', () => {
  let downstream: TestServer;
  beforeAll(async () => {
    downstream = await startTestServer((_request, index) =>
      index === 0 ? { status: 401, body: {} } : { status: 200, body: { ok: index } },
    );
  });
  afterAll(() => downstream.close());
  beforeEach(() => {
    downstream.received.length = 0;
  });

  it('on a 401 invalidates once, retries once with a new token and the same body, and returns the second answer', async () => {
    const { service } = createService({ tokens: { x: { clientCredentials: credentials() } } });
    const response = await service.fetch(
      downstream.url,
      { method: 'POST', body: 'payload', headers: { 'x-trace': '1' } },
      { token: 'x' },
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: 1 });
    expect(downstream.received).toHaveLength(2);
    const [first, second] = downstream.received;
    expect(first.headers.authorization).toMatch(/^Bearer /);
    expect(second.headers.authorization).toMatch(/^Bearer /);
    expect(second.headers.authorization).not.toBe(first.headers.authorization);
    expect([first.body, second.body]).toEqual(['payload', 'payload']);
    expect(second.headers['x-trace']).toBe('1');
    expect(idp.received).toHaveLength(2);
    expect(service.stats().x).toMatchObject({ invalidations: 1, fetched: 2 });
  });

  it('resends a Request input, cloned, with its own headers and body', async () => {
    const { service } = createService({ tokens: { x: { clientCredentials: credentials() } } });
    const request = new Request(downstream.url, {
      method: 'PUT',
      body: 'from-request',
      headers: { 'x-request': 'yes' },
    });
    const response = await service.fetch(request, undefined, { token: 'x' });

    expect(response.status).toBe(200);
    expect(downstream.received.map(({ body, headers }) => [body, headers['x-request']])).toEqual([
      ['from-request', 'yes'],
      ['from-request', 'yes'],
    ]);
    expect(request.bodyUsed).toBe(false);
    expect(service.stats().x).toMatchObject({ invalidations: 1, fetched: 2 });
  });

  it('does not resend a stream body: the 401 is returned after the invalidation', async () => {
    const { service } = createService({ tokens: { x: { clientCredentials: credentials() } } });
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('streamed'));
        controller.close();
      },
    });
    const response = await service.fetch(downstream.url, { method: 'POST', body, duplex: 'half' }, { token: 'x' });

    expect(response.status).toBe(401);
    expect(downstream.received).toHaveLength(1);
    expect(service.stats().x.invalidations).toBe(1);
  });

  it('against a downstream that always answers 401: 50 calls cost 1 extra token request and 1 invalidation, not 50', async () => {
    downstream.respond = () => ({ status: 401, body: {} });
    try {
      const { service, store } = createService({ tokens: { x: { clientCredentials: credentials() } } });
      const deletes = jest.spyOn(store, 'delete');
      for (let call = 0; call < 50; call += 1) {
        const response = await service.fetch(downstream.url, { method: 'POST', body: 'payload' }, { token: 'x' });
        expect(response.status).toBe(401);
      }
      expect(idp.received).toHaveLength(2);
      expect(service.stats().x).toMatchObject({ invalidations: 1, fetched: 2 });
      expect(deletes).toHaveBeenCalledTimes(1);
      // The first call retried with the new token; every later one sent the new token once.
      expect(downstream.received).toHaveLength(51);
    } finally {
      downstream.respond = (_request, index) =>
        index === 0 ? { status: 401, body: {} } : { status: 200, body: { ok: index } };
    }
  });

  it('invalidates a token refused by 50 concurrent calls once, deleting the shared entry once', async () => {
    try {
      const { service, store } = createService({ tokens: { x: { clientCredentials: credentials() } } });
      const refused = `Bearer ${await service.ensureToken('x')}`;
      downstream.respond = (request) =>
        request.headers.authorization === refused ? { status: 401, body: {} } : { status: 200, body: {} };
      const deletes = jest.spyOn(store, 'delete');
      const responses = await Promise.all(
        Array.from({ length: 50 }, () =>
          service.fetch(downstream.url, { method: 'POST', body: 'payload' }, { token: 'x' }),
        ),
      );
      expect(responses.map((response) => response.status)).toEqual(Array.from({ length: 50 }, () => 200));
      expect(idp.received).toHaveLength(2);
      expect(service.stats().x).toMatchObject({ invalidations: 1, fetched: 2 });
      expect(deletes).toHaveBeenCalledTimes(1);
    } finally {
      downstream.respond = (_request, index) =>
        index === 0 ? { status: 401, body: {} } : { status: 200, body: { ok: index } };
    }
  });

  it('invalidate() drops the cached token so the next call fetches one', async () => {
    const { service } = createService({ tokens: { default: { clientCredentials: credentials() } } });
    const first = await service.ensureToken();
    await service.invalidate();
    await expect(service.ensureToken()).resolves.not.toBe(first);
    expect(idp.received).toHaveLength(2);
    expect(service.stats().default.invalidations).toBe(1);
  });
});

describe('TokenCacheService fleet lock', () => {
  it('holds the fleet-wide lock of a token for twice the time its request may take, not a fixed 10 s', async () => {
    const { service, store } = createService({
      tokens: {
        slow: {
          clientCredentials: {
            tokenEndpoint: 'https://idp.example.com/token',
            clientId: 'c',
            clientSecret: 'client-secret-value',
            timeout: 30_000,
          },
        },
        quick: {
          clientCredentials: {
            tokenEndpoint: 'https://idp.example.com/token',
            clientId: 'c',
            clientSecret: 'client-secret-value',
          },
        },
        fn: { tokenFunction: () => 'unused', timeout: 3_000, shareKey: 'fn' },
      },
    });
    jest.spyOn(store, 'hasFleetLock', 'get').mockReturnValue(true);
    const ttls: (number | undefined)[] = [];
    // The lock holder's work is not run: only the TTL it asks for matters here.
    jest.spyOn(store, 'withLock').mockImplementation((_key, _fn, options) => {
      ttls.push(options?.ttl);
      return Promise.resolve({ acquired: true, result: 'token' });
    });
    for (const name of ['slow', 'quick', 'fn']) await service.ensureToken(name);
    expect(ttls).toEqual([60_000, 10_000, 6_000]);
  });
});
