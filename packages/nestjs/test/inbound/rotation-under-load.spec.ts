import 'reflect-metadata';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { LocalIssuer } from '@jwks-cache/testing';
import { jwtVerify } from 'jose';
import { JwksProvider } from '../../src/jwks/jwks-provider.js';
import { advanceClock, createProvider, outcome, setClock } from '../support/jwks-provider.js';
import type { JwksCacheModuleOptions } from '../../src/config/options.js';
import { JwksStrategy, jwksSecretProvider } from '../../src/passport/index.js';

const T0 = Date.UTC(2030, 0, 1);
const BURST = 500;

/** One way of asking the provider for a token's key (or verdict); resolves on success. */
type Path = (
  provider: JwksProvider,
  issuer: string,
  token: string,
  kid: string,
  options: JwksCacheModuleOptions,
) => Promise<unknown>;

/** `JwksStrategy.authenticate` as passport drives it: `success`, `fail` and `error` are set on the instance. */
function throughStrategy(provider: JwksProvider, token: string, options: JwksCacheModuleOptions): Promise<unknown> {
  const strategy = new JwksStrategy(provider, options) as JwksStrategy &
    Record<'success' | 'fail' | 'error', (value: unknown) => void>;
  return new Promise((resolve, reject) => {
    strategy.success = resolve;
    strategy.fail = (challenge) => reject(new Error(`refused: ${String(challenge)}`));
    strategy.error = reject;
    strategy.authenticate({ headers: { authorization: `Bearer ${token}` } });
  });
}

const PATHS: [string, Path][] = [
  ['verify()', (provider, _issuer, token) => provider.verify(token)],
  ['getKey()', (provider, issuer, _token, kid) => provider.getKey(issuer, { kid, alg: 'ES256' })],
  ['keyResolver() with jwtVerify', (provider, issuer, token) => jwtVerify(token, provider.keyResolver(issuer))],
  [
    'jwksSecretProvider (passport-jwt)',
    (provider, issuer, token) =>
      new Promise((resolve, reject) =>
        jwksSecretProvider(provider, issuer)({}, token, (error, key) => (error ? reject(error) : resolve(key))),
      ),
  ],
  ['JwksStrategy (passport)', (provider, _issuer, token, _kid, options) => throughStrategy(provider, token, options)],
];

describe('a rotated key under load (issue 13, item 1)', () => {
  const cleanup: (() => unknown)[] = [];

  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
    jest.useRealTimers();
  });

  it.each(PATHS)(
    `%s: ${BURST} concurrent calls with a just-rotated kid, after the cooldown, all join one refetch`,
    async (_path, call) => {
      setClock(T0);
      const idp = await LocalIssuer.start({ algorithms: ['ES256'] });
      cleanup.push(() => idp.close());
      const options: JwksCacheModuleOptions = { issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }] };
      const { provider, events } = createProvider(options);
      cleanup.push(() => provider.onModuleDestroy());
      await provider.verify(await idp.mint());
      advanceClock(31_000);
      const { kid } = await idp.rotate();
      const token = await idp.mint({ sub: 'rotated' });
      idp.slow(200);
      const before = idp.requests.jwks;

      const outcomes = await Promise.all(
        Array.from({ length: BURST }, () => outcome(call(provider, idp.issuer, token, kid, options))),
      );

      const rejected = outcomes.filter((result) => result instanceof Error);
      expect({ rejected: rejected.length, first: rejected[0] }).toEqual({ rejected: 0, first: undefined });
      expect(idp.requests.jwks - before).toBe(1);
      expect(provider.stats().issuers[idp.issuer]).toMatchObject({ cooldownRejections: 0, keys: 2 });
      expect(events.of('jwks.unknown_kid')).toEqual([{ issuer: idp.issuer, refetched: true }]);
    },
  );
});
