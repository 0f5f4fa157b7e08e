import { afterEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import type { VerifiedToken } from './verified-token.js';
import { VerifiedTokenCache } from './verified-token-cache.js';
import { fakeClock, restoreClock } from '../../../../test/support/fake-clock.js';

const NOW = Date.UTC(2030, 0, 1);
const nowSeconds = NOW / 1000;
const trusted = () => true;

function result(payload: Record<string, unknown>, issuer = 'https://idp.test/'): VerifiedToken {
  return { payload, protectedHeader: { alg: 'RS256' }, issuer, params: {} };
}

function entry(payload: Record<string, unknown>, overrides: { clockTolerance?: number; maxTokenAge?: number } = {}) {
  return {
    result: result(payload),
    thumbprint: 'tp',
    clockTolerance: overrides.clockTolerance ?? 5_000,
    maxTokenAge: overrides.maxTokenAge,
  };
}

function moveClockTo(epochMs: number): void {
  fakeClock(epochMs);
}

describe('VerifiedTokenCache', () => {
  afterEach(() => {
    restoreClock();
  });

  it('keys by SHA-256 of the token and the profile, never by the raw token', () => {
    const cache = new VerifiedTokenCache(10);
    const key = cache.keyOf('a.b.c', '');
    expect(key).toBe(createHash('sha256').update('a.b.c').digest('binary'));
    expect(key).not.toContain('a.b.c');
    expect(cache.keyOf('a.b.c', '["aud"]')).not.toBe(key);
  });

  it('hits until exp (plus the tolerance), then misses and drops the entry', () => {
    moveClockTo(NOW);
    const cache = new VerifiedTokenCache(10);
    const key = cache.keyOf('t1', '');
    cache.remember(key, entry({ exp: nowSeconds + 60 }));
    expect(cache.lookup(key, trusted)?.payload.exp).toBe(nowSeconds + 60);
    moveClockTo(NOW + 64_000);
    expect(cache.lookup(key, trusted)).toBeDefined();
    moveClockTo(NOW + 65_000);
    expect(cache.lookup(key, trusted)).toBeUndefined();
    expect(cache.stats()).toEqual({ size: 0, hits: 2, misses: 1 });
  });

  it('misses while nbf is ahead (beyond the tolerance) and hits once it has passed', () => {
    moveClockTo(NOW);
    const cache = new VerifiedTokenCache(10);
    const key = cache.keyOf('t1', '');
    cache.remember(key, entry({ exp: nowSeconds + 600, nbf: nowSeconds + 60 }, { clockTolerance: 0 }));
    expect(cache.lookup(key, trusted)).toBeUndefined();
    moveClockTo(NOW + 60_000);
    expect(cache.lookup(key, trusted)).toBeDefined();
  });

  it('honours maxTokenAge from iat', () => {
    moveClockTo(NOW);
    const cache = new VerifiedTokenCache(10);
    const key = cache.keyOf('t1', '');
    cache.remember(
      key,
      entry({ iat: nowSeconds, exp: nowSeconds + 3_600 }, { clockTolerance: 0, maxTokenAge: 30_000 }),
    );
    moveClockTo(NOW + 29_000);
    expect(cache.lookup(key, trusted)).toBeDefined();
    moveClockTo(NOW + 30_000);
    expect(cache.lookup(key, trusted)).toBeUndefined();
  });

  it('misses and drops the entry when its key is no longer trusted', () => {
    const cache = new VerifiedTokenCache(10);
    const key = cache.keyOf('t1', '');
    cache.remember(key, entry({ exp: Date.now() / 1000 + 600 }));
    const seen: string[] = [];
    expect(cache.lookup(key, (issuer, thumbprint) => (seen.push(`${issuer} ${thumbprint}`), false))).toBeUndefined();
    expect(seen).toEqual(['https://idp.test/ tp']);
    expect(cache.stats().size).toBe(0);
  });

  it('never caches a token without exp', () => {
    const cache = new VerifiedTokenCache(10);
    const key = cache.keyOf('t1', '');
    cache.remember(key, entry({ sub: 'x' }));
    expect(cache.stats().size).toBe(0);
  });

  it('stays within its bound', () => {
    const cache = new VerifiedTokenCache(3);
    const exp = Date.now() / 1000 + 600;
    for (let index = 0; index < 10; index++) cache.remember(cache.keyOf(`t${index}`, ''), entry({ exp }));
    expect(cache.stats().size).toBe(3);
    expect(cache.lookup(cache.keyOf('t0', ''), trusted)).toBeUndefined();
    expect(cache.lookup(cache.keyOf('t9', ''), trusted)).toBeDefined();
  });

  it('is disabled with size 0', () => {
    const cache = new VerifiedTokenCache(0);
    expect(cache.enabled).toBe(false);
    const key = cache.keyOf('t1', '');
    cache.remember(key, entry({ exp: Date.now() / 1000 + 600 }));
    expect(cache.lookup(key, trusted)).toBeUndefined();
    expect(cache.stats().size).toBe(0);
  });
});
