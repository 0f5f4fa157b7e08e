import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';
import { CacheStore } from '../../src/store/cache-store.js';
import { EnvelopeCodec } from '../../src/store/store-envelope.js';
import { EntryCipher } from '../../src/store/entry-cipher.js';
import { JwksCacheEvents, type JwksCacheEventMap } from '../../src/observability/jwks-cache-events.js';
import type { JwksCacheModuleOptions } from '../../src/config/options.js';
import { validateOptions } from '../../src/config/validate-options.js';
import { fakeClock } from '../../../../test/support/fake-clock.js';

const START = Date.UTC(2026, 0, 1);
const JWKS_KEY = CacheStore.key('jwks', 'https://idp.example.com/');
const TOKEN_KEY = CacheStore.key('token', 'inventory', '-');

/** Moves only `Date`; real timers keep running (the store's bounded waits use them). */
function fakeDateOnly(): void {
  fakeClock(START);
}

/** A Keyv whose adapter never answers, as a hung Redis would. */
function hangingKeyv(): Keyv {
  const never = (): Promise<never> => new Promise<never>(() => undefined);
  return new Keyv({ store: { get: never, set: never, delete: never, clear: never, on: () => undefined } as never });
}

/** A Keyv whose adapter fails every call, with errors surfacing (`throwOnErrors`). */
function failingKeyv(): Keyv {
  const fail = (): Promise<never> => Promise.reject(new Error('connection refused'));
  return new Keyv({
    store: { get: fail, set: fail, delete: fail, clear: fail, on: () => undefined } as never,
    throwOnErrors: true,
  });
}

function storeWith(options: JwksCacheModuleOptions, events = new JwksCacheEvents()): CacheStore {
  return new CacheStore(options, events);
}

describe('CacheStore', () => {
  let warn: jest.Spied<Logger['warn']>;

  beforeEach(() => {
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    fakeDateOnly();
  });

  afterEach(() => {
    jest.useRealTimers();
    jest.restoreAllMocks();
  });

  describe('without a shared store', () => {
    it('keeps entries in memory for their own ttl', async () => {
      const store = storeWith({});
      await store.set(JWKS_KEY, { jwks: { keys: [] } }, 60_000);

      jest.setSystemTime(START + 59_999);
      expect(await store.get(JWKS_KEY)).toEqual({ jwks: { keys: [] } });
      jest.setSystemTime(START + 60_000);
      expect(await store.get(JWKS_KEY)).toBeUndefined();

      expect(store.stats()).toEqual({ l1Hits: 1, l2Hits: 0, misses: 1, errors: 0, timeouts: 0, rejectedEntries: 0 });
    });

    it('bounds the number of entries (least recently used go first)', async () => {
      const store = storeWith({ storeOptions: { l1MaxEntries: 2 } });
      await store.set(CacheStore.key('token', 'a'), 'a', 60_000);
      await store.set(CacheStore.key('token', 'b'), 'b', 60_000);
      await store.get(CacheStore.key('token', 'a'));
      await store.set(CacheStore.key('token', 'c'), 'c', 60_000);

      expect(await store.get(CacheStore.key('token', 'b'))).toBeUndefined();
      expect(await store.get(CacheStore.key('token', 'a'))).toBe('a');
      expect(await store.get(CacheStore.key('token', 'c'))).toBe('c');
    });

    it('deletes, and treats setting undefined as a delete', async () => {
      const store = storeWith({});
      await store.set(TOKEN_KEY, { token: 't' }, 60_000);
      await store.set(TOKEN_KEY, undefined, 60_000);
      expect(await store.get(TOKEN_KEY)).toBeUndefined();
      await store.set(TOKEN_KEY, { token: 't' }, 60_000);
      await store.delete(TOKEN_KEY);
      expect(await store.get(TOKEN_KEY)).toBeUndefined();
    });

    it('always grants the lock (single-flight is then per process) and runs withLock bodies', async () => {
      const store = storeWith({});
      expect(await store.lock(JWKS_KEY, 1_000)).toBe(true);
      expect(await store.lock(JWKS_KEY, 1_000)).toBe(true);
      expect(await store.withLock(JWKS_KEY, () => Promise.resolve(42))).toEqual({ acquired: true, result: 42 });
    });
  });

  describe('with a shared store', () => {
    it('caps the L1 at l1Ttl and then reads the shared tier again', async () => {
      const shared = new Keyv();
      const writer = storeWith({ stores: [shared] });
      const reader = storeWith({ stores: [shared], storeOptions: { l1Ttl: 5_000 } });
      await writer.set(JWKS_KEY, { n: 1 }, 60_000);

      expect(await reader.get(JWKS_KEY)).toEqual({ n: 1 });
      expect(await reader.get(JWKS_KEY)).toEqual({ n: 1 });
      await writer.set(JWKS_KEY, { n: 2 }, 60_000);
      expect(await reader.get(JWKS_KEY)).toEqual({ n: 1 });
      jest.setSystemTime(START + 5_000);
      expect(await reader.get(JWKS_KEY)).toEqual({ n: 2 });

      expect(reader.stats()).toMatchObject({ l1Hits: 2, l2Hits: 2, misses: 0 });
    });

    it('never keeps an entry in the L1 beyond its own expiry', async () => {
      const store = storeWith({ stores: [new Keyv()], storeOptions: { l1Ttl: 5_000 } });
      await store.set(TOKEN_KEY, { token: 't' }, 1_000);
      jest.setSystemTime(START + 1_000);
      expect(await store.get(TOKEN_KEY)).toBeUndefined();
    });

    it('accepts an existing cache-manager Cache (e.g. the app CACHE_MANAGER) as the shared store', async () => {
      const cache = createCache({ stores: [new Keyv()] });
      const a = storeWith({ stores: cache });
      const b = storeWith({ stores: cache });
      await a.set(TOKEN_KEY, { token: 't' }, 60_000);

      expect(await b.get(TOKEN_KEY)).toEqual({ token: 't' });
      expect(b.stats().l2Hits).toBe(1);
      expect(await cache.get(TOKEN_KEY)).toMatchObject({ v: 1, kind: 'token', value: { token: 't' } });
    });

    it('treats a hung store as a miss within the bound, counted as a timeout and emitted', async () => {
      const events = new JwksCacheEvents();
      const emitted: JwksCacheEventMap['store.error'][] = [];
      events.on('store.error', (payload) => emitted.push(payload));
      const store = storeWith({ stores: [hangingKeyv()], storeOptions: { timeout: 20 } }, events);

      await store.set(JWKS_KEY, { n: 1 }, 60_000);
      expect(await store.get(JWKS_KEY, { skipL1: true })).toBeUndefined();
      await store.delete(JWKS_KEY);

      expect(store.stats()).toMatchObject({ timeouts: 3, errors: 0, misses: 1 });
      expect(emitted.map(({ operation, error }) => [operation, error.code])).toEqual([
        ['set', 'ERR_STORE_TIMEOUT'],
        ['get', 'ERR_STORE_TIMEOUT'],
        ['delete', 'ERR_STORE_TIMEOUT'],
      ]);
    });

    it('treats a failing store as a miss, counts every error and logs once per operation and interval', async () => {
      const store = storeWith({ stores: [failingKeyv()], storeOptions: { logInterval: 10_000 } });
      for (let i = 0; i < 5; i += 1) {
        await store.set(TOKEN_KEY, { token: 'do-not-log-me' }, 60_000);
        expect(await store.get(TOKEN_KEY, { skipL1: true })).toBeUndefined();
      }
      const operationLines = (): string[] =>
        warn.mock.calls.map((call) => String(call[0])).filter((line) => line.startsWith('Cache store'));
      expect(store.stats()).toMatchObject({ errors: 10, misses: 5 });
      expect(operationLines()).toHaveLength(2);

      jest.setSystemTime(START + 10_000);
      await store.set(TOKEN_KEY, { token: 'do-not-log-me' }, 60_000);
      expect(operationLines()).toHaveLength(3);
      expect(operationLines()[2]).toContain('(4 similar messages suppressed)');
      expect(warn.mock.calls.map((call) => String(call[0])).join('\n')).not.toContain('do-not-log-me');
    });

    it('counts a value refused by the caller-supplied validation as a rejected entry', async () => {
      const shared = new Keyv();
      await storeWith({ stores: [shared] }).set(TOKEN_KEY, { token: 42 }, 60_000);
      const reader = storeWith({ stores: [shared] });
      const isTokenEntry = (value: unknown): value is { token: string } =>
        typeof (value as { token?: unknown }).token === 'string';

      expect(await reader.get(TOKEN_KEY, { validate: isTokenEntry })).toBeUndefined();
      expect(reader.stats()).toMatchObject({ rejectedEntries: 1, misses: 1 });
    });

    it('waitFor returns a peer value as soon as it appears, and gives up after its timeout', async () => {
      const shared = new Keyv();
      const a = storeWith({ stores: [shared] });
      const b = storeWith({ stores: [shared] });
      setTimeout(() => void a.set(JWKS_KEY, { n: 1 }, 60_000), 30);

      expect(await b.waitFor(JWKS_KEY, { timeout: 20_000, interval: 10 })).toEqual({ n: 1 }); // returns as soon as the entry appears
      expect(await b.waitFor(CacheStore.key('jwks', 'never'), { timeout: 30, interval: 10 })).toBeUndefined();
      expect(
        await b.waitFor<{ n: number }>(JWKS_KEY, { timeout: 30, interval: 10, until: (value) => value.n > 1 }),
      ).toBeUndefined();
    });
  });
});

describe('storeOptions validation', () => {
  it.each([
    [{ timeout: 0 }, 'storeOptions.timeout'],
    [{ l1Ttl: -1 }, 'storeOptions.l1Ttl'],
    [{ l1MaxEntries: Number.NaN }, 'storeOptions.l1MaxEntries'],
    [{ logInterval: -5 }, 'storeOptions.logInterval'],
  ])('rejects %j with a TypeError naming %s', (storeOptions, path) => {
    expect(() => validateOptions({ tokens: {}, storeOptions })).toThrow(
      new RegExp(`option ${path.replace('.', '\\.')} `),
    );
  });

  it('accepts the defaults and valid values', () => {
    expect(() =>
      validateOptions({ tokens: {}, storeOptions: { l1Ttl: 1_000, l1MaxEntries: 10, timeout: 50, logInterval: 0 } }),
    ).not.toThrow();
  });
});

describe('EnvelopeCodec', () => {
  const INTEGRITY_KEY = '0VtWSQPOdqPAO2q8PxswMg72lJ2CsF97RYTqyf1hdFE='; // openssl rand -base64 32

  afterEach(() => {
    jest.useRealTimers();
  });

  it('opens what it sealed, and reports an entry past its exp as expired', () => {
    fakeDateOnly();
    const codec = new EnvelopeCodec(INTEGRITY_KEY, undefined);
    const sealed = codec.seal(JWKS_KEY, 'jwks', { keys: [] }, START + 1_000);

    expect(codec.open(JWKS_KEY, 'jwks', JSON.parse(JSON.stringify(sealed)))).toEqual({
      status: 'ok',
      value: { keys: [] },
    });
    jest.setSystemTime(START + 1_000);
    expect(codec.open(JWKS_KEY, 'jwks', sealed)).toEqual({ status: 'expired' });
  });

  it.each([
    ['a string', 'garbage', 'shape'],
    ['an array', [1, 2], 'shape'],
    ['another version', { v: 2, kind: 'jwks', exp: Number.MAX_SAFE_INTEGER, value: {} }, 'version'],
    ['another kind', { v: 1, kind: 'token', exp: Number.MAX_SAFE_INTEGER, value: {} }, 'kind'],
    ['no exp', { v: 1, kind: 'jwks', value: {} }, 'shape'],
    ['no value', { v: 1, kind: 'jwks', exp: Number.MAX_SAFE_INTEGER }, 'shape'],
    [
      'both value and ciphertext',
      { v: 1, kind: 'jwks', exp: Number.MAX_SAFE_INTEGER, value: {}, enc: { kid: 'k', iv: '', tag: '', data: '' } },
      'shape',
    ],
    ['a malformed ciphertext', { v: 1, kind: 'jwks', exp: Number.MAX_SAFE_INTEGER, enc: { kid: 1 } }, 'shape'],
  ])('rejects %s', (_name, raw, reason) => {
    expect(new EnvelopeCodec(undefined, undefined).open(JWKS_KEY, 'jwks', raw)).toEqual({ status: 'rejected', reason });
  });

  it('rejects a ciphertext when it has no key, and ignores a MAC when it has no integrity key', () => {
    const cipher = new EntryCipher('77f59aaef06e4e4f7608155d67c5b1a5785804fde32b51972b9cc592d9e8ddfd');
    const sealed = new EnvelopeCodec(INTEGRITY_KEY, cipher).seal(
      TOKEN_KEY,
      'token',
      { token: 't' },
      Number.MAX_SAFE_INTEGER,
    );

    expect(sealed.value).toBeUndefined();
    expect(new EnvelopeCodec(undefined, undefined).open(TOKEN_KEY, 'token', sealed)).toEqual({
      status: 'rejected',
      reason: 'decryption',
    });
    expect(new EnvelopeCodec(undefined, cipher).open(TOKEN_KEY, 'token', sealed)).toEqual({
      status: 'ok',
      value: { token: 't' },
    });
  });

  it('keys by their decoded bytes: the same 32 bytes in base64, hex or as a Uint8Array seal and open alike', () => {
    const bytes = Buffer.from(INTEGRITY_KEY, 'base64');
    const sealed = new EnvelopeCodec(INTEGRITY_KEY, new EntryCipher(bytes.toString('hex'))).seal(
      TOKEN_KEY,
      'token',
      { token: 't' },
      Number.MAX_SAFE_INTEGER,
    );
    const reader = new EnvelopeCodec(bytes.toString('hex'), new EntryCipher({ default: new Uint8Array(bytes) }));
    expect(reader.open(TOKEN_KEY, 'token', sealed)).toEqual({ status: 'ok', value: { token: 't' } });
  });

  it('refuses a passphrase as a key, wherever it is given', () => {
    expect(() => new EnvelopeCodec('0123456789abcdef0123456789abcdef', undefined)).toThrow(
      /option integrityKey must be 32 random bytes.*openssl rand -base64 32/,
    );
    expect(() => new EntryCipher({ k1: '0123456789abcdef0123456789abcdef' })).toThrow(
      /option encryptionKey\.k1 must be 32 random bytes/,
    );
  });

  it('binds the MAC to the expiry: an attacker cannot extend an entry', () => {
    const codec = new EnvelopeCodec(INTEGRITY_KEY, undefined);
    const sealed = codec.seal(JWKS_KEY, 'jwks', { keys: [] }, Date.now() + 1_000);
    expect(codec.open(JWKS_KEY, 'jwks', { ...sealed, exp: sealed.exp + 86_400_000 })).toEqual({
      status: 'rejected',
      reason: 'integrity',
    });
  });
});
