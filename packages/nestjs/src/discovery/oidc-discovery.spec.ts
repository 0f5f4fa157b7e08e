import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { LocalIssuer } from '@jwks-cache/testing';
import { Keyv } from 'keyv';
import { DiscoveryMismatchError, InvalidResponseError, KeySetUnavailableError } from '../errors.js';
import type { JwksCacheModuleOptions } from '../config/options.js';
import { CacheStore } from '../store/cache-store.js';
import { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import type { JwksProvider } from '../jwks/jwks-provider.js';
import { createProvider, serveJson } from '../../test/support/jwks-provider.js';
import { OidcDiscovery } from './oidc-discovery.js';

describe('OidcDiscovery', () => {
  const providers: JwksProvider[] = [];

  afterEach(() => {
    for (const provider of providers.splice(0)) provider.onModuleDestroy();
  });

  describe('OpenID Connect discovery', () => {
    let idp: LocalIssuer;
    beforeAll(async () => {
      idp = await LocalIssuer.start({ algorithms: ['ES256'], discovery: 'openid' });
    });
    afterAll(() => idp.close());

    it('finds the JWKS through /.well-known/openid-configuration, once for N verifies', async () => {
      const { provider } = createProvider({ issuers: [{ issuer: idp.issuer }] });
      providers.push(provider);
      const tokens = await Promise.all(Array.from({ length: 20 }, (_, index) => idp.mint({ n: index })));
      await Promise.all(tokens.slice(0, 10).map((token) => provider.verify(token)));
      for (const token of tokens.slice(10)) await provider.verify(token);
      expect(idp.requests).toMatchObject({ discovery: 1, jwks: 1, other: 0 });
    });

    it('shares discovered documents through the store', async () => {
      const options: JwksCacheModuleOptions = { issuers: [{ issuer: idp.issuer }], stores: [new Keyv()] };
      const store = new CacheStore(options, new JwksCacheEvents());
      const before = idp.requests.discovery;
      const first = await new OidcDiscovery(options, store).discover(idp.issuer);
      const second = await new OidcDiscovery(options, store).discover(idp.issuer);
      expect(second).toEqual(first);
      expect(first.jwks_uri).toBe(idp.jwksUri);
      expect(idp.requests.discovery - before).toBe(1);
    });
  });

  it('falls back to RFC 8414 /.well-known/oauth-authorization-server (before the issuer path)', async () => {
    const idp = await LocalIssuer.start({ algorithms: ['ES256'], discovery: 'oauth', issuerPath: '/realms/test' });
    try {
      const { provider } = createProvider({ issuers: [{ issuer: idp.issuer }] });
      providers.push(provider);
      for (let index = 0; index < 5; index++) await provider.verify(await idp.mint({ n: index }));
      expect(idp.requests).toMatchObject({ discovery: 1, jwks: 1, other: 1 });
      const document = await new OidcDiscovery(
        { issuers: [{ issuer: idp.issuer }] },
        new CacheStore({}, new JwksCacheEvents()),
      ).discover(idp.issuer);
      expect(document.token_endpoint).toBe(idp.tokenEndpoint);
    } finally {
      await idp.close();
    }
  });

  it.each([
    ['the configuration has a trailing slash the document lacks', '/', ''],
    ['the document has a trailing slash the configuration lacks', '', '/'],
  ])('says when the issuers differ only by a trailing slash (%s)', async (_, configuredSlash, documentSlash) => {
    let documentIssuer = '';
    const server = await serveJson(() => ({ body: { issuer: documentIssuer, jwks_uri: 'https://idp.example/jwks' } }));
    try {
      const issuer = `${server.url}/realm${configuredSlash}`;
      documentIssuer = `${server.url}/realm${documentSlash}`;
      const discovery = new OidcDiscovery({ issuers: [{ issuer }] }, new CacheStore({}, new JwksCacheEvents()));
      const error = await discovery.discover(issuer).catch((caught: unknown) => caught as Error);
      expect(error).toBeInstanceOf(DiscoveryMismatchError);
      expect((error as Error).message).toContain(
        `names the issuer ${JSON.stringify(documentIssuer)}, not the configured ${JSON.stringify(issuer)}: they differ only by a trailing slash`,
      );
      expect((error as Error).message).toContain('set the issuer exactly as the document names it');
    } finally {
      await server.close();
    }
  });

  it('rejects a document naming another issuer, without trying the other well-known URL', async () => {
    const server = await serveJson(() => ({
      body: { issuer: 'https://evil.example/', jwks_uri: 'https://evil.example/jwks' },
    }));
    try {
      const issuer = `${server.url}/`;
      const discovery = new OidcDiscovery({ issuers: [{ issuer }] }, new CacheStore({}, new JwksCacheEvents()));
      const error = await discovery.discover(issuer).catch((caught: unknown) => caught as Error);
      expect(error).toBeInstanceOf(DiscoveryMismatchError);
      expect((error as Error).message).toBe(
        `Discovery document at ${server.url}/.well-known/openid-configuration names the issuer "https://evil.example/", not the configured "${issuer}"`,
      );
      expect(server.requests()).toBe(1);
      const { provider } = createProvider({
        issuers: [{ issuer, jwks: { retryBackoff: { initial: 60_000, max: 60_000, jitter: 0 } } }],
      });
      providers.push(provider);
      const token = `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: issuer })).toString('base64url')}.sig`;
      await expect(provider.verify(token)).rejects.toBeInstanceOf(KeySetUnavailableError);
    } finally {
      await server.close();
    }
  });

  it('rejects a jwks_uri that is not an http(s) URL', async () => {
    let issuer = '';
    const server = await serveJson(() => ({ body: { issuer, jwks_uri: 'file:///etc/passwd' } }));
    issuer = `${server.url}/`;
    try {
      const discovery = new OidcDiscovery({ issuers: [{ issuer }] }, new CacheStore({}, new JwksCacheEvents()));
      const error = await discovery.discover(issuer).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(InvalidResponseError);
      expect(error).not.toBeInstanceOf(DiscoveryMismatchError);
      expect((error as Error).message).toContain('jwks_uri');
    } finally {
      await server.close();
    }
  });
});
