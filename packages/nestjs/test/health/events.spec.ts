import 'reflect-metadata';
import { afterEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { Keyv } from 'keyv';
import { LocalIssuer } from '@jwks-cache/testing';
import {
  FetchError,
  JwksCacheEvents,
  JwksCacheModule,
  JwksProvider,
  StoreError,
  TokenCacheService,
  TokenRequestError,
  type JwksCacheEventMap,
  type JwksCacheEventName,
  type JwksCacheModuleOptions,
} from '@jwks-cache/nestjs';
import { fakeClock, restoreClock } from '../../../../test/support/fake-clock.js';

const CLIENT = { clientId: 'events-client', clientSecret: 'events-client-secret-value' };
const TTL = 60_000;

/** Every event of the module, in order, as seen by one subscriber attached before start-up. */
class Recorder {
  readonly seen: Array<{ event: JwksCacheEventName; payload: unknown }> = [];

  constructor(events: JwksCacheEvents) {
    const names: JwksCacheEventName[] = [
      'jwks.fetched',
      'jwks.fetch_failed',
      'jwks.stale_served',
      'jwks.unknown_kid',
      'token.fetched',
      'token.failed',
      'store.error',
    ];
    for (const event of names) events.on(event, (payload) => this.seen.push({ event, payload }));
  }

  of<E extends JwksCacheEventName>(event: E): JwksCacheEventMap[E][] {
    return this.seen.filter((entry) => entry.event === event).map((entry) => entry.payload as JwksCacheEventMap[E]);
  }
}

/** A Keyv store adapter whose every operation never answers (a hung shared store) or fails at once. */
function brokenStore(mode: 'hangs' | 'fails'): Keyv {
  const broken = () =>
    mode === 'hangs' ? new Promise<never>(() => undefined) : Promise.reject(new Error('store down'));
  const adapter = {
    opts: {},
    namespace: undefined,
    get: broken,
    set: broken,
    delete: broken,
    clear: broken,
    on: () => adapter,
  };
  return new Keyv({ store: adapter });
}

describe('events: each one is emitted where it should be', () => {
  let idp: LocalIssuer | undefined;
  let moduleRef: TestingModule | undefined;

  afterEach(async () => {
    restoreClock();
    await moduleRef?.close();
    await idp?.close();
    moduleRef = undefined;
    idp = undefined;
  });

  /** Compiles the module, attaches the recorder, then runs start-up (so warm-up events are seen). */
  async function start(
    options: (idp: LocalIssuer) => JwksCacheModuleOptions,
  ): Promise<{ idp: LocalIssuer; recorder: Recorder; provider: JwksProvider; tokens: TokenCacheService }> {
    idp = await LocalIssuer.start({ clients: [CLIENT] });
    moduleRef = await Test.createTestingModule({ imports: [JwksCacheModule.forRoot(options(idp))] })
      .setLogger({ log() {}, error() {}, warn() {} })
      .compile();
    const recorder = new Recorder(moduleRef.get(JwksCacheEvents));
    await moduleRef.init();
    return { idp, recorder, provider: moduleRef.get(JwksProvider), tokens: moduleRef.get(TokenCacheService) };
  }

  const withIssuer = (idp: LocalIssuer): JwksCacheModuleOptions => ({
    issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }],
    jwks: { ttl: TTL, refreshAhead: 0, retryBackoff: { initial: 600_000, max: 600_000, jitter: 0 } },
    tokens: { inventory: { clientCredentials: { tokenEndpoint: idp.tokenEndpoint, ...CLIENT } } },
  });

  it('jwks.fetched: once per warm-up fetch, with the key counts and the source', async () => {
    const { idp, recorder } = await start(withIssuer);
    expect(recorder.of('jwks.fetched')).toEqual([
      { issuer: idp.issuer, keys: 5, skipped: 0, source: 'network', durationMs: expect.any(Number) },
    ]);
  });

  it('jwks.fetch_failed: once per failed fetch, with the typed error', async () => {
    const { idp, recorder, provider } = await start(withIssuer);
    idp.fail({ status: 503 });
    await expect(provider.refresh(idp.issuer)).rejects.toBeInstanceOf(FetchError);
    const failed = recorder.of('jwks.fetch_failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ issuer: idp.issuer, error: { code: 'ERR_FETCH_FAILED', status: 503 } });
  });

  it('jwks.stale_served: once per request served with keys past their freshness while the issuer fails', async () => {
    const { idp, recorder, provider } = await start(withIssuer);
    const token = await idp.mint();
    idp.fail({ status: 503 });
    // Past freshness by more than `timeout` (5 s): beyond stale-while-revalidate, the failure decides.
    fakeClock(Date.now() + TTL + 6_000);
    for (let i = 0; i < 3; i++) await provider.verify(token);
    const stale = recorder.of('jwks.stale_served');
    expect(stale).toHaveLength(3);
    expect(stale[0].issuer).toBe(idp.issuer);
    expect(stale[0].staleForMs).toBeGreaterThanOrEqual(1_000);
  });

  it('jwks.unknown_kid: one refetch, then the cooldown', async () => {
    const { idp, recorder, provider } = await start(withIssuer);
    fakeClock(Date.now() + 31_000);
    for (let i = 0; i < 3; i++)
      await provider.verify(await idp.mint({}, { kid: `unknown-${i}` })).catch(() => undefined);
    expect(recorder.of('jwks.unknown_kid')).toEqual([
      { issuer: idp.issuer, refetched: true },
      { issuer: idp.issuer, refetched: false },
      { issuer: idp.issuer, refetched: false },
    ]);
  });

  it('token.fetched: once per token obtained, none for cached hand-outs', async () => {
    const { recorder, tokens } = await start(withIssuer);
    await tokens.ensureToken('inventory');
    await tokens.ensureToken('inventory');
    const fetched = recorder.of('token.fetched');
    expect(fetched).toEqual([
      { name: 'inventory', tenant: undefined, expiresInMs: expect.any(Number), background: false },
    ]);
    expect(fetched[0].expiresInMs).toBeGreaterThan(3_500_000);
  });

  it('token.failed: once per failed token request, with the endpoint status, never the secret', async () => {
    const { idp, recorder, tokens } = await start(withIssuer);
    idp.failTokenEndpoint({ status: 503 });
    await expect(tokens.ensureToken('inventory')).rejects.toBeInstanceOf(TokenRequestError);
    const failed = recorder.of('token.failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ name: 'inventory', tenant: undefined, error: { status: 503 } });
    expect(JSON.stringify(failed[0]) + failed[0].error.message).not.toContain(CLIENT.clientSecret);
  });

  it('store.error: a hung shared store is a miss, reported per operation (get and set), and keys are still fetched', async () => {
    const { idp, recorder, provider } = await start((issuer) => ({
      ...withIssuer(issuer),
      stores: [brokenStore('hangs')],
      storeOptions: { timeout: 50 },
    }));
    const errors = recorder.of('store.error');
    expect(errors.map((entry) => entry.operation)).toEqual(expect.arrayContaining(['get', 'set']));
    for (const entry of errors) expect(entry.error).toBeInstanceOf(StoreError);
    await expect(provider.verify(await idp.mint())).resolves.toMatchObject({ issuer: idp.issuer });
    expect(idp.requests.jwks).toBe(1);
  });

  // Keyv swallows a rejected read or write unless `throwOnErrors` is set; CacheStore sets it.
  it('store.error: a shared store whose operations fail at once is reported per operation', async () => {
    const { recorder } = await start((issuer) => ({
      ...withIssuer(issuer),
      stores: [brokenStore('fails')],
      storeOptions: { timeout: 50 },
    }));
    expect(recorder.of('store.error').map((entry) => entry.operation)).toEqual(expect.arrayContaining(['get', 'set']));
  });
});
