import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { JwksCacheModuleOptions } from './options.js';
import { validateOptions } from './validate-options.js';

const ISSUER = 'https://idp.example.test/';
const ISSUERS = [{ issuer: ISSUER, jwksUri: 'https://idp.example.test/jwks', audience: 'orders-api' }];
const SOURCE = {
  clientCredentials: { tokenEndpoint: 'https://idp.example.test/token', clientId: 'orders', clientSecret: 's3cret' },
};

/** Options that pass on their own, with `extra` merged in. */
function withIssuer(extra: Record<string, unknown>): JwksCacheModuleOptions {
  return { issuers: ISSUERS, ...extra };
}

function issuerWith(extra: Record<string, unknown>): JwksCacheModuleOptions {
  return { issuers: [{ ...ISSUERS[0], ...extra }] };
}

function errorOf(options: unknown): Error | undefined {
  try {
    validateOptions(options as JwksCacheModuleOptions);
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe('validateOptions', () => {
  it('accepts a plain configuration', () => {
    expect(
      errorOf(
        withIssuer({
          jwks: { ttl: 60_000, timeout: 2_000 },
          verify: { clockTolerance: 0 },
          tokens: { default: SOURCE },
        }),
      ),
    ).toBeUndefined();
  });

  describe('durations are whole milliseconds in their range', () => {
    it('refuses jwks.timeout: 0.5 at start (AbortSignal.timeout would refuse it on every fetch)', () => {
      const error = errorOf(withIssuer({ jwks: { timeout: 0.5 } }));
      expect(error).toBeInstanceOf(TypeError);
      expect(error?.message).toBe(
        'JwksCacheModule: option jwks.timeout must be a whole number of milliseconds from 1 to 2147483647 (got 0.5)',
      );
    });

    it.each([
      ['jwks.ttl', withIssuer({ jwks: { ttl: 1.5 } })],
      ['jwks.refreshAhead', withIssuer({ jwks: { refreshAhead: 0.1 } })],
      ['jwks.cooldown', withIssuer({ jwks: { cooldown: 29_999.9 } })],
      ['jwks.staleIfError', withIssuer({ jwks: { staleIfError: Number.POSITIVE_INFINITY } })],
      ['jwks.maxAgeBounds.min', withIssuer({ jwks: { maxAgeBounds: { min: 0.5, max: 1_000 } } })],
      ['jwks.maxAgeBounds.max', withIssuer({ jwks: { maxAgeBounds: { min: 0, max: 1_000.5 } } })],
      ['jwks.retryBackoff.initial', withIssuer({ jwks: { retryBackoff: { initial: 0.5, max: 1_000, jitter: 0 } } })],
      ['jwks.retryBackoff.max', withIssuer({ jwks: { retryBackoff: { initial: 1, max: 1_000.5, jitter: 0 } } })],
      ['issuers[0].jwks.timeout', issuerWith({ jwks: { timeout: 0.5 } })],
      ['issuers[0].jwks.ttl', issuerWith({ jwks: { ttl: Number.NaN } })],
      ['verify.clockTolerance', withIssuer({ verify: { clockTolerance: 0.5 } })],
      ['verify.maxTokenAge', withIssuer({ verify: { maxTokenAge: 1e-3 } })],
      ['issuers[0].verify.clockTolerance', issuerWith({ verify: { clockTolerance: -1 } })],
      ['tokenDefaults.leeway', withIssuer({ tokenDefaults: { leeway: 0.5 } })],
      ['tokenDefaults.refreshAhead', withIssuer({ tokenDefaults: { refreshAhead: '60000' } })],
      ['tokens.x.leeway', withIssuer({ tokens: { x: { ...SOURCE, leeway: 1.5 } } })],
      ['tokens.x.refreshAhead', withIssuer({ tokens: { x: { ...SOURCE, refreshAhead: -1 } } })],
      ['tokens.x.timeout', withIssuer({ tokens: { x: { tokenFunction: () => 't', timeout: 2.5 } } })],
      [
        'tokens.x.clientCredentials.timeout',
        withIssuer({ tokens: { x: { clientCredentials: { ...SOURCE.clientCredentials, timeout: 0.5 } } } }),
      ],
      ['storeOptions.l1Ttl', withIssuer({ storeOptions: { l1Ttl: 0.5 } })],
      ['storeOptions.timeout', withIssuer({ storeOptions: { timeout: 99.5 } })],
      ['storeOptions.logInterval', withIssuer({ storeOptions: { logInterval: 1.5 } })],
    ])('refuses a fraction, a non-finite or a negative %s, naming it', (path, options) => {
      const error = errorOf(options);
      expect(error).toBeInstanceOf(TypeError);
      expect(error?.message).toMatch(
        new RegExp(
          `^JwksCacheModule: option ${path.replace(/[.[\]]/g, '\\$&')} must be a whole number of milliseconds`,
        ),
      );
    });

    // AbortSignal.timeout takes up to 4294967295, but Node's timers hold 31 bits: past 2147483647
    // the timer fires after 1 ms (TimeoutOverflowWarning), so every fetch would time out at once.
    it.each([
      ['jwks.timeout', (ms: number) => withIssuer({ jwks: { timeout: ms } })],
      ['tokens.x.timeout', (ms: number) => withIssuer({ tokens: { x: { tokenFunction: () => 't', timeout: ms } } })],
      [
        'tokens.x.clientCredentials.timeout',
        (ms: number) =>
          withIssuer({ tokens: { x: { clientCredentials: { ...SOURCE.clientCredentials, timeout: ms } } } }),
      ],
      ['storeOptions.timeout', (ms: number) => withIssuer({ storeOptions: { timeout: ms } })],
      [
        'jwks.retryBackoff.max',
        (ms: number) => withIssuer({ jwks: { retryBackoff: { initial: 1_000, max: ms, jitter: 0 } } }),
      ],
    ])('keeps %s within what a timer can wait (1 to 2147483647 ms)', (path, options) => {
      expect(errorOf(options(2_147_483_647))).toBeUndefined();
      for (const ms of [2_147_483_648, 4_294_967_295, 4_294_967_296, 0]) {
        expect(errorOf(options(ms))?.message).toMatch(
          new RegExp(
            `option ${path.replace(/[.[\]]/g, '\\$&')} must be a whole number of milliseconds from 1 to 2147483647 \\(got ${ms}\\)`,
          ),
        );
      }
    });

    it('keeps the longest retry delay, jitter included, within what a timer can wait', () => {
      expect(
        errorOf(withIssuer({ jwks: { retryBackoff: { initial: 1_000, max: 2_000_000_000, jitter: 0.2 } } }))?.message,
      ).toMatch(
        /option jwks\.retryBackoff\.max with its jitter \(±20 %\) reaches 2400000000 ms, more than a timer can wait \(2147483647\)/,
      );
      expect(
        errorOf(withIssuer({ jwks: { retryBackoff: { initial: 1_000, max: 1_000_000_000, jitter: 1 } } })),
      ).toBeUndefined();
    });

    it('refuses a retry backoff whose first delay exceeds its bound', () => {
      expect(
        errorOf(withIssuer({ jwks: { retryBackoff: { initial: 2_000, max: 1_000, jitter: 0 } } }))?.message,
      ).toMatch(/option jwks\.retryBackoff\.initial must not exceed jwks\.retryBackoff\.max/);
    });

    it.each([
      ['jwks.maxResponseBytes', withIssuer({ jwks: { maxResponseBytes: 1_024.5 } })],
      ['jwks.importedKeyCacheSize', withIssuer({ jwks: { importedKeyCacheSize: 0.5 } })],
      ['verify.verifiedTokenCacheSize', withIssuer({ verify: { verifiedTokenCacheSize: 10.5 } })],
      ['verify.maxTokenBytes', withIssuer({ verify: { maxTokenBytes: 1_000.5 } })],
      ['storeOptions.l1MaxEntries', withIssuer({ storeOptions: { l1MaxEntries: 1.5 } })],
    ])('refuses a fractional count %s', (path, options) => {
      expect(errorOf(options)?.message).toMatch(
        new RegExp(`^JwksCacheModule: option ${path.replace(/[.[\]]/g, '\\$&')} must be a whole number`),
      );
    });

    it('accepts zero where zero turns a feature off, and whole values at the bounds', () => {
      const options = withIssuer({
        jwks: { ttl: 0, refreshAhead: 0, cooldown: 0, staleIfError: 0, timeout: 1, maxAgeBounds: { min: 0, max: 0 } },
        verify: { clockTolerance: 0, verifiedTokenCacheSize: 0, maxTokenAge: 0 },
        tokenDefaults: { leeway: 0, refreshAhead: 0 },
        storeOptions: { logInterval: 0, timeout: 1, l1Ttl: 1 },
      });
      expect(errorOf(options)).toBeUndefined();
    });
  });

  describe('verify.maxTokenBytes may lower the 16 KiB cap, never raise it', () => {
    it.each([16_385, 65_536])('refuses %d at the module and on an issuer', (bytes) => {
      expect(errorOf(withIssuer({ verify: { maxTokenBytes: bytes } }))?.message).toBe(
        `JwksCacheModule: option verify.maxTokenBytes must be a whole number of bytes from 1 to 16384: it may lower the 16 KiB cap on tokens, never raise it (got ${bytes})`,
      );
      expect(errorOf(issuerWith({ verify: { maxTokenBytes: bytes } }))?.message).toMatch(
        /^JwksCacheModule: option issuers\[0\]\.verify\.maxTokenBytes must be a whole number of bytes from 1 to 16384/,
      );
    });

    it('accepts the cap itself and anything lower', () => {
      expect(errorOf(withIssuer({ verify: { maxTokenBytes: 16_384 } }))).toBeUndefined();
      expect(errorOf(issuerWith({ verify: { maxTokenBytes: 1_024 } }))).toBeUndefined();
    });
  });

  describe('unknown option keys are refused, with the closest known name', () => {
    it.each([
      [{ issuer: ISSUER }, 'issuer', 'issuers'],
      [withIssuer({ jwks: { ttlMs: 60_000 } }), 'jwks.ttlMs', 'ttl'],
      [withIssuer({ jwks: { TTL: 60_000 } }), 'jwks.TTL', 'ttl'],
      [withIssuer({ jwks: { maxAgeBounds: { min: 0, maximum: 10 } } }), 'jwks.maxAgeBounds.maximum', 'max'],
      [withIssuer({ jwks: { retryBackoff: { initial: 1, max: 2, jiter: 0 } } }), 'jwks.retryBackoff.jiter', 'jitter'],
      [issuerWith({ audiences: ['a'] }), 'issuers[0].audiences', 'audience'],
      [issuerWith({ jwks_uri: 'https://idp.example.test/jwks' }), 'issuers[0].jwks_uri', 'jwksUri'],
      [issuerWith({ jwks: { cooldow: 1_000 } }), 'issuers[0].jwks.cooldow', 'cooldown'],
      [issuerWith({ verify: { requiredClaim: ['sub'] } }), 'issuers[0].verify.requiredClaim', 'requiredClaims'],
      [withIssuer({ verify: { clockTolerence: 1_000 } }), 'verify.clockTolerence', 'clockTolerance'],
      [withIssuer({ tokenDefaults: { leway: 1_000 } }), 'tokenDefaults.leway', 'leeway'],
      [withIssuer({ tokens: { x: { ...SOURCE, refreshAheadMs: 1 } } }), 'tokens.x.refreshAheadMs', 'refreshAhead'],
      [
        withIssuer({ tokens: { x: { clientCredential: SOURCE.clientCredentials } } }),
        'tokens.x.clientCredential',
        'clientCredentials',
      ],
      [
        withIssuer({ tokens: { x: { clientCredentials: { ...SOURCE.clientCredentials, client_id: 'x' } } } }),
        'tokens.x.clientCredentials.client_id',
        'clientId',
      ],
      [withIssuer({ storeOptions: { l1ttl: 1_000 } }), 'storeOptions.l1ttl', 'l1Ttl'],
      [withIssuer({ guard: { realms: 'orders' } }), 'guard.realms', 'realm'],
      [withIssuer({ integrity_key: 'x' }), 'integrity_key', 'integrityKey'],
    ])('refuses %j, naming %s and suggesting %s', (options, path, suggestion) => {
      const error = errorOf(options);
      expect(error).toBeInstanceOf(TypeError);
      expect(error?.message).toMatch(
        new RegExp(
          `^JwksCacheModule: option ${path.replace(/[.[\]]/g, '\\$&')} is not a known option; did you mean ${suggestion}\\?$`,
        ),
      );
    });

    it('lists the known names when none is close', () => {
      expect(errorOf(withIssuer({ jwks: { frobnicate: true } }))?.message).toBe(
        'JwksCacheModule: option jwks.frobnicate is not a known option (known: ttl, maxAgeBounds, refreshAhead, cooldown, staleIfError, timeout, maxResponseBytes, failOnStartup, warmUp, importedKeyCacheSize, importedKeyCache, retryBackoff)',
      );
    });

    it('refuses the top-level-only verifiedTokenCacheSize on an issuer, saying where it goes', () => {
      expect(errorOf(issuerWith({ verify: { verifiedTokenCacheSize: 10 } }))?.message).toBe(
        'JwksCacheModule: option issuers[0].verify.verifiedTokenCacheSize is an option of the top-level verify only (one cache serves every issuer)',
      );
    });

    it('checks the settings a clientCredentials function returns, at run time, by the same rule (validateClientCredentials)', async () => {
      const { validateClientCredentials } = await import('./validate-token-options.js');
      expect(() =>
        validateClientCredentials({ ...SOURCE.clientCredentials, scopes: 'a' }, 'tokens.x.clientCredentials("t")'),
      ).toThrow(/option tokens\.x\.clientCredentials\("t"\)\.scopes is not a known option; did you mean scope\?/);
    });

    it('leaves free-form maps alone: extraParams and the kids of an encryptionKey map', () => {
      const key = randomBytes(32).toString('base64');
      const credentials = { ...SOURCE.clientCredentials, extraParams: { anything: 'goes' } };
      expect(
        errorOf(withIssuer({ tokens: { x: { clientCredentials: credentials } }, encryptionKey: { 'kid-2026': key } })),
      ).toBeUndefined();
    });

    it('accepts a known key set to undefined (as configuration read from the environment gives)', () => {
      expect(
        errorOf({ issuers: [{ issuer: ISSUER, jwksUri: undefined, audience: 'a' }], jwks: { ttl: undefined } }),
      ).toBeUndefined();
    });
  });

  describe('a module with nothing to do', () => {
    it.each([
      ['no options', {}],
      ['issuers: []', { issuers: [] }],
    ])('is refused with %s: it would refuse every token', (_, options) => {
      const error = errorOf(options);
      expect(error).toBeInstanceOf(TypeError);
      expect(error?.message).toBe(
        'JwksCacheModule: option issuers is empty and no tokens are configured: the module would refuse every token. ' +
          'List at least one issuer; a module that only obtains outbound tokens sets tokens instead (an empty tokens: {} when every source is added with register())',
      );
    });

    it('is accepted when it only obtains outbound tokens', () => {
      expect(errorOf({ tokens: { default: SOURCE } })).toBeUndefined();
      expect(errorOf({ issuers: [], tokens: {} })).toBeUndefined();
    });
  });

  describe('integrityKey and encryptionKey are 32 random bytes', () => {
    const bytes = randomBytes(32);

    it.each([
      ['openssl rand -base64 32', bytes.toString('base64')],
      ['openssl rand -hex 32', bytes.toString('hex')],
      ['base64url', bytes.toString('base64url')],
      ['a Uint8Array', new Uint8Array(bytes)],
    ])('accepts a key made with %s for either', (_, key) => {
      expect(errorOf(withIssuer({ integrityKey: key }))).toBeUndefined();
      expect(errorOf(withIssuer({ encryptionKey: key }))).toBeUndefined();
      expect(errorOf(withIssuer({ encryptionKey: { k1: key } }))).toBeUndefined();
    });

    it.each([
      ['integrityKey', { integrityKey: '0123456789abcdef0123456789abcdef' }],
      ['integrityKey', { integrityKey: 'a-long-passphrase-that-is-far-more-than-32-bytes' }],
      ['encryptionKey', { encryptionKey: '0123456789abcdef0123456789abcdef' }],
      ['encryptionKey.k2', { encryptionKey: { k1: bytes.toString('base64'), k2: 'fedcba9876543210fedcba9876543210' } }],
    ])('refuses a passphrase as %s, showing the openssl command', (path, extra) => {
      const error = errorOf(withIssuer(extra));
      expect(error).toBeInstanceOf(TypeError);
      expect(error?.message).toMatch(
        new RegExp(
          `^JwksCacheModule: option ${path.replace('.', '\\.')} must be 32 random bytes.*openssl rand -base64 32`,
        ),
      );
    });

    it('refuses an empty encryptionKey map', () => {
      expect(errorOf(withIssuer({ encryptionKey: {} }))?.message).toMatch(
        /option encryptionKey must be a 32-byte key or a non-empty \{ kid: key \} map/,
      );
    });

    it.each([
      ['the same string', bytes.toString('base64'), bytes.toString('base64')],
      ['the same bytes in another encoding', bytes.toString('hex'), bytes.toString('base64url')],
      ['the same bytes as a Uint8Array', bytes.toString('base64'), new Uint8Array(bytes)],
      [
        'a value of the encryptionKey map',
        bytes.toString('base64'),
        { k1: randomBytes(32).toString('base64'), k2: bytes.toString('hex') },
      ],
    ])('refuses an integrityKey equal to the encryptionKey (%s)', (_, integrityKey, encryptionKey) => {
      const error = errorOf(withIssuer({ integrityKey, encryptionKey }));
      expect(error).toBeInstanceOf(TypeError);
      expect(error?.message).toMatch(
        /^JwksCacheModule: option encryptionKey(\.k2)? must differ from integrityKey: one key must not serve both HMAC and encryption; make each with `openssl rand -base64 32`$/,
      );
    });
  });
});

describe("validateOptions: the guard's user mapping, roles and request context (issue 17.6)", () => {
  const tid = (claims: Record<string, unknown>) => claims.tid as string | undefined;

  it('accepts mapUser, rolesClaim, tenantFrom and context, and tenantFrom on token sources and tokenDefaults', () => {
    expect(
      errorOf(
        withIssuer({
          guard: {
            mapUser: () => Promise.resolve({}),
            rolesClaim: 'realm_access.roles',
            tenantFrom: tid,
            context: true,
          },
          tokenDefaults: { tenantFrom: tid },
          tokens: { default: { ...SOURCE, tenantFrom: tid } },
        }),
      ),
    ).toBeUndefined();
  });

  it.each([
    [{ guard: { mapUser: 'users' } }, 'option guard.mapUser must be a function, not a string'],
    [{ guard: { tenantFrom: 'tid' } }, 'option guard.tenantFrom must be a function, not a string'],
    [{ guard: { rolesClaim: '' } }, 'option guard.rolesClaim must be a non-empty claim name or dot path'],
    [{ guard: { rolesClaim: ['roles'] } }, 'option guard.rolesClaim must be a non-empty claim name or dot path'],
    [{ guard: { context: 'yes' } }, 'option guard.context must be a boolean, not a string'],
    [{ tokenDefaults: { tenantFrom: 'tid' } }, 'option tokenDefaults.tenantFrom must be a function, not a string'],
    [
      { tokens: { default: { ...SOURCE, tenantFrom: 1 } } },
      'option tokens.default.tenantFrom must be a function, not 1',
    ],
    [
      { guard: { context: false }, tokens: { default: { ...SOURCE, tenantFrom: tid } } },
      'option tokens.default.tenantFrom needs the request context, which guard.context: false turns off',
    ],
    [
      { guard: { context: false }, tokenDefaults: { tenantFrom: tid } },
      'option tokenDefaults.tenantFrom needs the request context, which guard.context: false turns off',
    ],
  ])('refuses %j at start: %s', (extra, message) => {
    expect(errorOf(withIssuer(extra))).toEqual(new TypeError(`JwksCacheModule: ${message}`));
  });

  it('refuses an unknown guard key, naming the closest one', () => {
    expect(errorOf(withIssuer({ guard: { roleClaim: 'roles' } }))?.message).toBe(
      'JwksCacheModule: option guard.roleClaim is not a known option; did you mean rolesClaim?',
    );
    expect(errorOf(withIssuer({ guard: { mapUsers: () => ({}) } }))?.message).toBe(
      'JwksCacheModule: option guard.mapUsers is not a known option; did you mean mapUser?',
    );
  });
});
