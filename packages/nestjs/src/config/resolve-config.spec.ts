import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_JWKS_OPTIONS,
  DEFAULT_STORE_OPTIONS,
  DEFAULT_TOKEN_TIMING,
  DEFAULT_VERIFY_OPTIONS,
  type JwksCacheModuleOptions,
} from './options.js';
import { jwksSettingsFor, resolveConfig } from './resolve-config.js';

const ISSUER = 'https://idp.example.com/';

describe('resolveConfig', () => {
  it('fills in every default for empty options', () => {
    const config = resolveConfig({});
    expect(config.jwks).toEqual(DEFAULT_JWKS_OPTIONS);
    expect(config.verify).toEqual(DEFAULT_VERIFY_OPTIONS);
    expect(config.tokenDefaults).toEqual(DEFAULT_TOKEN_TIMING);
    expect(config.storeOptions).toEqual(DEFAULT_STORE_OPTIONS);
    expect(config.maxTenantsPerToken).toBe(10_000);
    expect(config.issuers).toEqual([]);
  });

  it('merges defaults, the top level and the issuer, an undefined member never overriding', () => {
    const options: JwksCacheModuleOptions = {
      jwks: { ttl: 1_000, cooldown: undefined },
      verify: { clockTolerance: 1_000 },
      issuers: [
        {
          issuer: ISSUER,
          audience: ['a', 'b'],
          jwks: { cooldown: 5_000, retryBackoff: { initial: 10, max: 100, jitter: 0 } },
          verify: { requiredClaims: ['sub'] },
        },
      ],
      tokenDefaults: { leeway: 1_000, retryBackoff: false },
      storeOptions: { l1Ttl: 50 },
    };
    const config = resolveConfig(options);
    expect(config.jwks).toEqual({ ...DEFAULT_JWKS_OPTIONS, ttl: 1_000 });
    const [issuer] = config.issuers;
    expect(issuer.jwks).toEqual({
      ...DEFAULT_JWKS_OPTIONS,
      ttl: 1_000,
      cooldown: 5_000,
      retryBackoff: { initial: 10, max: 100, jitter: 0 },
    });
    expect(issuer.verify).toEqual({
      clockTolerance: 1_000,
      maxTokenBytes: 16_384,
      typ: undefined,
      requiredClaims: ['sub'],
      maxTokenAge: undefined,
    });
    expect(issuer.audience).toEqual(['a', 'b']);
    expect([...issuer.algorithms]).not.toContain('HS256');
    expect(config.tokenDefaults).toEqual({ ...DEFAULT_TOKEN_TIMING, leeway: 1_000, retryBackoff: false });
    expect(config.storeOptions).toEqual({ ...DEFAULT_STORE_OPTIONS, l1Ttl: 50 });
    expect(jwksSettingsFor(config, ISSUER).cooldown).toBe(5_000);
    expect(jwksSettingsFor(config, 'https://other.example.com/')).toBe(config.jwks);
  });

  it('is made once per options object, frozen at every depth, without freezing the caller’s options', () => {
    const options: JwksCacheModuleOptions = {
      jwks: { maxAgeBounds: { min: 1, max: 2 } },
      issuers: [{ issuer: ISSUER, audience: ['a'] }],
    };
    const config = resolveConfig(options);
    expect(resolveConfig(options)).toBe(config);
    expect(resolveConfig({ ...options })).not.toBe(config);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwks.maxAgeBounds)).toBe(true);
    expect(Object.isFrozen(config.issuers[0].verify.requiredClaims)).toBe(true);
    expect(Object.isFrozen(options.jwks!.maxAgeBounds)).toBe(false);
    expect(Object.isFrozen(options.issuers![0].audience)).toBe(false);
  });
});

describe('the exported defaults', () => {
  it('are frozen deeply: no one changes them for everyone', () => {
    for (const defaults of [DEFAULT_JWKS_OPTIONS, DEFAULT_VERIFY_OPTIONS, DEFAULT_STORE_OPTIONS, DEFAULT_TOKEN_TIMING])
      expect(Object.isFrozen(defaults)).toBe(true);
    expect(Object.isFrozen(DEFAULT_JWKS_OPTIONS.maxAgeBounds)).toBe(true);
    expect(Object.isFrozen(DEFAULT_JWKS_OPTIONS.retryBackoff)).toBe(true);
    expect(Object.isFrozen(DEFAULT_VERIFY_OPTIONS.requiredClaims)).toBe(true);
    expect(Object.isFrozen(DEFAULT_TOKEN_TIMING.retryBackoff)).toBe(true);
    expect(() => {
      (DEFAULT_JWKS_OPTIONS.maxAgeBounds as { min: number }).min = 0;
    }).toThrow(TypeError);
  });
});
