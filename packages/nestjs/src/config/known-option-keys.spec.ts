import { describe, expect, it } from '@jest/globals';
import {
  DEFAULT_JWKS_OPTIONS,
  DEFAULT_STORE_OPTIONS,
  DEFAULT_TOKEN_TIMING,
  DEFAULT_VERIFY_OPTIONS,
} from './options.js';
import {
  ISSUER_VERIFY_OPTION_KEYS,
  JWKS_OPTION_KEYS,
  STORE_OPTION_KEYS,
  TOKEN_SOURCE_KEYS,
  TOKEN_TIMING_KEYS,
  VERIFY_OPTION_KEYS,
  keysOf,
} from './known-option-keys.js';

const sorted = (keys: readonly string[]) => [...keys].sort();

describe('the known option keys', () => {
  it('are exactly the keys of the option interfaces: a missing or an extra key fails the typecheck', () => {
    interface Example {
      a?: number;
      b: string;
    }
    // @ts-expect-error `b` is missing: an option added to an interface must be listed
    keysOf<Example>({ a: true });
    // @ts-expect-error `c` is no option of the interface
    keysOf<Example>({ a: true, b: true, c: true });
    type Union = { a?: number; x: string } | { a?: number; y: string };
    // @ts-expect-error `y`, of the other member of the union, is missing
    keysOf<Union>({ a: true, x: true });
    expect(keysOf<Example>({ a: true, b: true })).toEqual(['a', 'b']);
  });

  it('match the keys of the defaults, which are typed Required<…> of the same interfaces', () => {
    // importedKeyCache has no default value: without it the built-in LRU (importedKeyCacheSize) serves.
    expect(sorted(JWKS_OPTION_KEYS.filter((key) => key !== 'importedKeyCache'))).toEqual(
      sorted(Object.keys(DEFAULT_JWKS_OPTIONS)),
    );
    expect(sorted(VERIFY_OPTION_KEYS)).toEqual(sorted(Object.keys(DEFAULT_VERIFY_OPTIONS)));
    expect(sorted(STORE_OPTION_KEYS)).toEqual(sorted(Object.keys(DEFAULT_STORE_OPTIONS)));
    // tenantFrom has no default value either: without it, no tenant unless one is given.
    expect(sorted(TOKEN_TIMING_KEYS.filter((key) => key !== 'tenantFrom'))).toEqual(
      sorted(Object.keys(DEFAULT_TOKEN_TIMING)),
    );
  });

  it('give a token source every key of tokenDefaults, and an issuer every verify key but the shared cache size', () => {
    expect(TOKEN_SOURCE_KEYS).toEqual(expect.arrayContaining([...TOKEN_TIMING_KEYS]));
    expect(sorted([...ISSUER_VERIFY_OPTION_KEYS, 'verifiedTokenCacheSize'])).toEqual(sorted(VERIFY_OPTION_KEYS));
  });
});
