import { describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair } from 'jose';
import { ImportedKeyCache, type ImportedKeyCacheAdapter, type VerificationKey } from './imported-key-cache.js';
import { parseKeySet } from './key-set.js';

async function usableKeys(count: number) {
  const jwks = [];
  for (let index = 0; index < count; index++) {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    jwks.push({ ...(await exportJWK(publicKey)), kid: `k${index}`, key_ops: ['verify', 'encrypt'] });
  }
  return (await parseKeySet({ keys: jwks }, { allowSymmetric: false, maxKeys: 100 })).keys;
}

describe('ImportedKeyCache', () => {
  it('imports a key once for concurrent callers and hits when the JWK is parsed again', async () => {
    const [key] = await usableKeys(1);
    const cache = new ImportedKeyCache(10);
    expect(cache.peek(key, 'ES256')).toBeUndefined();
    const imported = await Promise.all(Array.from({ length: 20 }, () => cache.get(key, 'ES256')));
    expect(new Set(imported).size).toBe(1);
    expect(cache.size).toBe(1);
    const reparsed = (await parseKeySet({ keys: [{ ...key.jwk }] }, { allowSymmetric: false, maxKeys: 100 })).keys[0];
    expect(reparsed).not.toBe(key);
    expect(cache.peek(reparsed, 'ES256')).toBe(imported[0]);
  });

  it('keeps keys for different algs apart', async () => {
    const [key] = await usableKeys(1);
    const cache = new ImportedKeyCache(10);
    await cache.get(key, 'ES256');
    expect(cache.peek(key, 'ES384')).toBeUndefined();
  });

  it('is bounded', async () => {
    const keys = await usableKeys(4);
    const cache = new ImportedKeyCache(2);
    for (const key of keys) await cache.get(key, 'ES256');
    expect(cache.size).toBe(2);
    expect(cache.peek(keys[0], 'ES256')).toBeUndefined();
    expect(cache.peek(keys[3], 'ES256')).toBeDefined();
  });

  it('rejects a key that cannot be imported, and caches nothing for it', async () => {
    const [key] = await usableKeys(1);
    const broken = { ...key, jwk: { ...key.jwk, x: '!!' }, thumbprint: 'broken' };
    const cache = new ImportedKeyCache(10);
    await expect(cache.get(broken, 'ES256')).rejects.toThrow();
    expect(cache.size).toBe(0);
  });
});

describe('ImportedKeyCache replacements (jwks.importedKeyCache)', () => {
  function recordingAdapter(withClear = true) {
    const entries = new Map<string, VerificationKey>();
    const calls: { op: string; thumbprint: string; alg?: string }[] = [];
    const adapter: ImportedKeyCacheAdapter = {
      get: (key, alg) => (
        calls.push({ op: 'get', thumbprint: key.thumbprint, alg }),
        entries.get(`${key.thumbprint}:${alg}`)
      ),
      set: (key, alg, imported) => (
        calls.push({ op: 'set', thumbprint: key.thumbprint, alg }),
        void entries.set(`${key.thumbprint}:${alg}`, imported)
      ),
      delete: (key, alg) => (
        calls.push({ op: 'delete', thumbprint: key.thumbprint, alg }),
        void entries.delete(`${key.thumbprint}:${alg}`)
      ),
      ...(withClear ? { clear: () => (calls.push({ op: 'clear', thumbprint: '' }), entries.clear()) } : {}),
      get size() {
        return entries.size;
      },
    };
    return { adapter, entries, calls };
  }

  it('uses an adapter: get and set by thumbprint + alg, one import per key', async () => {
    const [key] = await usableKeys(1);
    const { adapter, calls } = recordingAdapter();
    const cache = new ImportedKeyCache(10, adapter);
    const first = await cache.get(key, 'ES256');
    expect(cache.peek(key, 'ES256')).toBe(first);
    expect(await cache.get(key, 'ES256')).toBe(first);
    expect(calls.filter((call) => call.op === 'set')).toEqual([
      { op: 'set', thumbprint: key.thumbprint, alg: 'ES256' },
    ]);
    expect(calls.every((call) => call.thumbprint === key.thumbprint && call.alg === 'ES256')).toBe(true);
    expect(cache.size).toBe(1);
  });

  it('treats what a (wrongly async) adapter get returns that is not a key as a miss', async () => {
    const [key] = await usableKeys(1);
    const cache = new ImportedKeyCache(10, { get: () => Promise.resolve(undefined) as never, set: () => undefined });
    expect(cache.peek(key, 'ES256')).toBeUndefined();
    await expect(cache.get(key, 'ES256')).resolves.toBeDefined();
  });

  it('false imports on every use and caches nothing', async () => {
    const [key] = await usableKeys(1);
    const cache = new ImportedKeyCache(10, false);
    const first = await cache.get(key, 'ES256');
    expect(await cache.get(key, 'ES256')).not.toBe(first);
    expect(cache.peek(key, 'ES256')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('clear empties the LRU, calls an adapter clear, else deletes the current keys', async () => {
    const [key] = await usableKeys(1);
    const lru = new ImportedKeyCache(10);
    const before = await lru.get(key, 'ES256');
    lru.clear([]);
    expect(lru.size).toBe(0);
    expect(await lru.get(key, 'ES256')).not.toBe(before);

    const withClear = recordingAdapter();
    const adapted = new ImportedKeyCache(10, withClear.adapter);
    await adapted.get(key, 'ES256');
    adapted.clear([{ key: key, algs: ['ES256'] }]);
    expect(
      withClear.calls.filter((call) => call.op === 'clear' || call.op === 'delete').map((call) => call.op),
    ).toEqual(['clear']);
    expect(withClear.entries.size).toBe(0);

    const deleteOnly = recordingAdapter(false);
    const deleting = new ImportedKeyCache(10, deleteOnly.adapter);
    await deleting.get(key, 'ES256');
    deleting.clear([{ key: key, algs: ['ES256'] }]);
    expect(deleteOnly.calls.filter((call) => call.op === 'delete')).toEqual([
      { op: 'delete', thumbprint: key.thumbprint, alg: 'ES256' },
    ]);
    expect(deleteOnly.entries.size).toBe(0);
  });

  it('an import under way when the cache is cleared does not refill it', async () => {
    const [key] = await usableKeys(1);
    const cache = new ImportedKeyCache(10);
    const importing = cache.get(key, 'ES256');
    cache.clear([]);
    await importing;
    expect(cache.size).toBe(0);
  });
});
