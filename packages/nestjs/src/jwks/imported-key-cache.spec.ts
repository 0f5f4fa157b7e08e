import { describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair } from 'jose';
import { ImportedKeyCache } from './imported-key-cache.js';
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
    expect(cache.peek(key!, 'ES256')).toBeUndefined();
    const imported = await Promise.all(Array.from({ length: 20 }, () => cache.get(key!, 'ES256')));
    expect(new Set(imported).size).toBe(1);
    expect(cache.size).toBe(1);
    const reparsed = (await parseKeySet({ keys: [{ ...key!.jwk }] }, { allowSymmetric: false, maxKeys: 100 })).keys[0]!;
    expect(reparsed).not.toBe(key);
    expect(cache.peek(reparsed, 'ES256')).toBe(imported[0]);
  });

  it('keeps keys for different algs apart', async () => {
    const [key] = await usableKeys(1);
    const cache = new ImportedKeyCache(10);
    await cache.get(key!, 'ES256');
    expect(cache.peek(key!, 'ES384')).toBeUndefined();
  });

  it('is bounded', async () => {
    const keys = await usableKeys(4);
    const cache = new ImportedKeyCache(2);
    for (const key of keys) await cache.get(key, 'ES256');
    expect(cache.size).toBe(2);
    expect(cache.peek(keys[0]!, 'ES256')).toBeUndefined();
    expect(cache.peek(keys[3]!, 'ES256')).toBeDefined();
  });

  it('rejects a key that cannot be imported, and caches nothing for it', async () => {
    const [key] = await usableKeys(1);
    const broken = { ...key!, jwk: { ...key!.jwk, x: '!!' }, thumbprint: 'broken' };
    const cache = new ImportedKeyCache(10);
    await expect(cache.get(broken, 'ES256')).rejects.toThrow();
    expect(cache.size).toBe(0);
  });
});
