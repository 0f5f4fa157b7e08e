import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { LocalIssuer } from '@jwks-cache/testing';
import { calculateJwkThumbprint } from 'jose';
import type { JwksCacheModuleOptions } from '../config/options.js';
import type { ImportedKeyCacheAdapter, VerificationKey } from './imported-key-cache.js';
import type { JwksProvider } from './jwks-provider.js';
import { createProvider } from '../../test/support/jwks-provider.js';

describe('JwksProvider: jwks.importedKeyCache and clearImportedKeys()', () => {
  let idp: LocalIssuer;
  const providers: JwksProvider[] = [];

  function build(options: Partial<JwksCacheModuleOptions> = {}) {
    // The verified-token cache is off so that every verification goes to the imported keys.
    const { provider } = createProvider({
      verify: { verifiedTokenCacheSize: 0 },
      ...options,
      issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }],
    });
    providers.push(provider);
    return provider;
  }

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256'] });
  });

  afterEach(() => {
    for (const provider of providers.splice(0)) provider.onModuleDestroy();
  });

  afterAll(() => idp.close());

  it('hands the adapter { jwk, thumbprint } and the alg; an imported key is set once and then got', async () => {
    const entries = new Map<string, VerificationKey>();
    const gets: string[] = [];
    const sets: string[] = [];
    const adapter: ImportedKeyCacheAdapter = {
      get: (key, alg) => (gets.push(`${key.thumbprint}:${alg}`), entries.get(`${key.thumbprint}:${alg}`)),
      set: (key, alg, imported) => (
        sets.push(`${key.thumbprint}:${alg}`),
        void entries.set(`${key.thumbprint}:${alg}`, imported)
      ),
    };
    const provider = build({ jwks: { importedKeyCache: adapter } });
    for (let index = 0; index < 3; index++) await provider.verify(await idp.mint({ sub: `user-${index}` }));
    const thumbprint = await calculateJwkThumbprint(idp.jwks().keys[0], 'sha256');
    expect(sets).toEqual([`${thumbprint}:ES256`]);
    expect(gets.length).toBeGreaterThanOrEqual(3);
    expect(new Set(gets)).toEqual(new Set([`${thumbprint}:ES256`]));
  });

  it('a key not imported yet is asked for twice on its first token (peek, then the import), never imported twice; once after', async () => {
    const entries = new Map<string, VerificationKey>();
    let gets = 0;
    let sets = 0;
    const adapter: ImportedKeyCacheAdapter = {
      get: (key, alg) => (gets++, entries.get(`${key.thumbprint}:${alg}`)),
      set: (key, alg, imported) => (sets++, void entries.set(`${key.thumbprint}:${alg}`, imported)),
    };
    const provider = build({ jwks: { importedKeyCache: adapter } });
    await provider.verify(await idp.mint({ sub: 'first' }));
    expect({ gets, sets }).toEqual({ gets: 2, sets: 1 });
    await provider.verify(await idp.mint({ sub: 'second' }));
    expect({ gets, sets }).toEqual({ gets: 3, sets: 1 });
  });

  it('false imports on every use; the default keeps one imported key', async () => {
    const token = await idp.mint();
    const uncached = build({ jwks: { importedKeyCache: false } });
    const first = await uncached.getKey(idp.issuer, { alg: 'ES256' }, token);
    expect(await uncached.getKey(idp.issuer, { alg: 'ES256' }, token)).not.toBe(first);
    expect(uncached.stats().importedKeys.size).toBe(0);

    const cached = build();
    const key = await cached.getKey(idp.issuer, { alg: 'ES256' }, token);
    expect(await cached.getKey(idp.issuer, { alg: 'ES256' }, token)).toBe(key);
  });

  it('clearImportedKeys() empties the default cache, and calls an adapter clear', async () => {
    const token = await idp.mint();
    const provider = build();
    const before = await provider.getKey(idp.issuer, { alg: 'ES256' }, token);
    expect(provider.stats().importedKeys.size).toBe(1);
    provider.clearImportedKeys();
    expect(provider.stats().importedKeys.size).toBe(0);
    expect(await provider.getKey(idp.issuer, { alg: 'ES256' }, token)).not.toBe(before);

    let cleared = 0;
    const adapter = build({
      jwks: { importedKeyCache: { get: () => undefined, set: () => undefined, clear: () => void cleared++ } },
    });
    adapter.clearImportedKeys();
    expect(cleared).toBe(1);
  });

  it('refuses at start a jwks.importedKeyCache that is not false or an adapter, and one under an issuer', () => {
    const issuers = [{ issuer: 'https://idp.example', jwksUri: 'https://idp.example/jwks' }];
    expect(() => createProvider({ issuers, jwks: { importedKeyCache: true as never } })).toThrow(
      /option jwks\.importedKeyCache must be false or an adapter/,
    );
    expect(() => createProvider({ issuers, jwks: { importedKeyCache: { get: () => undefined } as never } })).toThrow(
      /option jwks\.importedKeyCache\.set must be a function/,
    );
    expect(() =>
      createProvider({
        issuers,
        jwks: { importedKeyCache: { get: () => undefined, set: () => undefined, clear: 1 } as never },
      }),
    ).toThrow(/jwks\.importedKeyCache\.clear must be a function when present/);
    expect(() => createProvider({ issuers: [{ ...issuers[0], jwks: { importedKeyCache: false } }] })).toThrow(
      /issuers\[0\]\.jwks\.importedKeyCache is only read at the top level/,
    );
  });
});
