import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { generateAttackerKey, LocalIssuer, signWith, unsignedToken } from '@jwks-cache/testing';
import fc from 'fast-check';
import { exportJWK, exportSPKI, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import {
  AlgorithmNotAllowedError,
  HeaderNotAllowedError,
  JwksCacheError,
  KeySetUnavailableError,
  NoMatchingKeyError,
  SignatureInvalidError,
  TokenMalformedError,
  TokenTooLargeError,
} from '../errors.js';
import type { IssuerOptions } from '../config/options.js';
import type { JwksProvider } from './jwks-provider.js';
import { createProvider, outcome, serveJson } from '../../test/support/jwks-provider.js';

/** Security invariants of DESIGN.md, one test each; none of them is configurable away. */
describe('JwksProvider security invariants', () => {
  let idp: LocalIssuer;
  let rsaIdp: LocalIssuer;
  let attacker: LocalIssuer;
  const providers: JwksProvider[] = [];

  function build(...issuers: IssuerOptions[]): JwksProvider {
    const { provider } = createProvider({ issuers });
    providers.push(provider);
    return provider;
  }

  function claims(issuer: string): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return { iss: issuer, sub: 'someone', iat: now, exp: now + 600 };
  }

  beforeAll(async () => {
    [idp, rsaIdp, attacker] = await Promise.all([
      LocalIssuer.start({ algorithms: ['ES256'] }),
      LocalIssuer.start({ algorithms: ['RS256'] }),
      LocalIssuer.start({ algorithms: ['ES256'] }),
    ]);
  });

  afterEach(() => {
    for (const provider of providers.splice(0)) provider.onModuleDestroy();
  });

  afterAll(() => Promise.all([idp.close(), rsaIdp.close(), attacker.close()]));

  it.each(['none', 'None', 'NONE', 'nOnE'])('rejects alg %s before any network request', async (alg) => {
    const provider = build({ issuer: idp.issuer, jwksUri: idp.jwksUri });
    const before = idp.requests.total;
    const token = unsignedToken({ alg, kid: idp.publishedKids()[0] }, claims(idp.issuer));
    await expect(provider.verify(token)).rejects.toBeInstanceOf(AlgorithmNotAllowedError);
    expect(idp.requests.total).toBe(before);
  });

  it("rejects an alg outside the issuer's allow-list, or outside the call's", async () => {
    const narrowed = build({ issuer: idp.issuer, jwksUri: idp.jwksUri, algorithms: ['ES384'] });
    const token = await idp.mint();
    await expect(narrowed.verify(token)).rejects.toBeInstanceOf(AlgorithmNotAllowedError);
    const provider = build({ issuer: idp.issuer, jwksUri: idp.jwksUri });
    await expect(provider.verify(token, { algorithms: ['RS256'] })).rejects.toBeInstanceOf(AlgorithmNotAllowedError);
    await expect(provider.verify(token, { algorithms: ['ES256'] })).resolves.toBeDefined();
  });

  it('never uses a key whose type does not fit the alg', async () => {
    const provider = build({ issuer: idp.issuer, jwksUri: idp.jwksUri });
    const rsa = await generateAttackerKey('RS256');
    const token = signWith(rsa.privateKey, { alg: 'RS256', kid: idp.publishedKids()[0] }, claims(idp.issuer));
    await expect(provider.verify(token)).rejects.toBeInstanceOf(NoMatchingKeyError);
  });

  describe('HS256 signed with the issuer public key as the secret', () => {
    let publicJwk: JWK;
    let pem: string;
    beforeAll(async () => {
      publicJwk = rsaIdp.jwks().keys[0]!;
      pem = await exportSPKI((await importJWK(publicJwk, 'RS256', { extractable: true })) as CryptoKey);
    });

    const secrets: [string, () => string][] = [
      ['as PEM', () => pem],
      ['as JWK JSON', () => JSON.stringify(publicJwk)],
    ];

    it.each(secrets)('%s: rejected by the default allow-list', async (_form, secret) => {
      const provider = build({ issuer: rsaIdp.issuer, jwksUri: rsaIdp.jwksUri });
      const token = signWith(secret(), { alg: 'HS256', kid: publicJwk.kid }, claims(rsaIdp.issuer));
      await expect(provider.verify(token)).rejects.toBeInstanceOf(AlgorithmNotAllowedError);
    });

    it.each(secrets)(
      '%s: rejected even when the issuer allows HS256 (a public key is never an HMAC secret)',
      async (_form, secret) => {
        const provider = build({
          issuer: rsaIdp.issuer,
          jwksUri: rsaIdp.jwksUri,
          algorithms: ['RS256', 'HS256'],
          allowSymmetricAlgorithms: true,
        });
        const token = signWith(secret(), { alg: 'HS256', kid: publicJwk.kid }, claims(rsaIdp.issuer));
        await expect(provider.verify(token)).rejects.toBeInstanceOf(NoMatchingKeyError);
        await expect(provider.verify(await rsaIdp.mint())).resolves.toBeDefined();
      },
    );
  });

  it('never follows jku, x5u, jwk or x5c headers', async () => {
    const provider = build({ issuer: idp.issuer, jwksUri: idp.jwksUri });
    const forger = await generateAttackerKey('ES256');
    const headers = {
      jku: attacker.jwksUri,
      x5u: `${attacker.issuer}/cert.pem`,
      jwk: forger.publicJwk,
      x5c: ['MIIBszCCAVmgAwIBAgIUZm9yZ2Vk'],
    };
    const before = attacker.requests.total;
    const sameKid = await idp.mint({}, { key: forger.privateKey, header: headers });
    const attackerKid = await idp.mint(
      {},
      { key: attacker.signingKey().privateKey, kid: 'published-by-the-attacker-only', header: headers },
    );
    const embeddedKey = await idp.mint({}, { key: forger.privateKey, noKid: true, header: headers });
    await expect(provider.verify(sameKid)).rejects.toBeInstanceOf(SignatureInvalidError);
    await expect(provider.verify(attackerKid)).rejects.toBeInstanceOf(NoMatchingKeyError);
    await expect(provider.verify(embeddedKey)).rejects.toBeInstanceOf(SignatureInvalidError);
    expect(attacker.requests.total).toBe(before);
  });

  it.each([
    ['an unknown extension', { crit: ['urn:example:ext'], 'urn:example:ext': true }],
    ['b64', { crit: ['b64'], b64: false }],
  ])('rejects crit with %s', async (_label, header) => {
    const provider = build({ issuer: idp.issuer, jwksUri: idp.jwksUri });
    const { kid, privateKey } = idp.signingKey();
    const token = signWith(privateKey, { alg: 'ES256', kid, ...header }, claims(idp.issuer));
    await expect(provider.verify(token)).rejects.toBeInstanceOf(HeaderNotAllowedError);
  });

  it('rejects a token over 16 KiB before parsing (no request)', async () => {
    const provider = build({ issuer: idp.issuer, jwksUri: idp.jwksUri });
    const before = idp.requests.total;
    const token = await idp.mint({ padding: 'x'.repeat(16_384) });
    await expect(provider.verify(token)).rejects.toBeInstanceOf(TokenTooLargeError);
    await expect(provider.verify('é'.repeat(9_000))).rejects.toBeInstanceOf(TokenTooLargeError);
    expect(idp.requests.total).toBe(before);
  });

  it("applies an issuer's own smaller maxTokenBytes once its iss is known", async () => {
    const provider = build({ issuer: idp.issuer, jwksUri: idp.jwksUri, verify: { maxTokenBytes: 600 } });
    await expect(provider.verify(await idp.mint({ padding: 'x'.repeat(600) }))).rejects.toBeInstanceOf(
      TokenTooLargeError,
    );
    await expect(provider.verify(await idp.mint())).resolves.toBeDefined();
  });

  it('rejects a 5-part token (JWE) and other shapes as malformed', async () => {
    const provider = build({ issuer: idp.issuer, jwksUri: idp.jwksUri });
    const token = await idp.mint();
    const jwe = await outcome(provider.verify(`${token}.more.parts`));
    expect(jwe).toBeInstanceOf(TokenMalformedError);
    expect((jwe as Error).message).toContain('JWE');
    for (const shape of ['', 'abc', 'a.b', 'a.b.c.d', '!!.??.**', token.replace(/\.[^.]*$/, '')]) {
      await expect(provider.verify(shape)).rejects.toBeInstanceOf(TokenMalformedError);
    }
    await expect(provider.verify(42 as unknown as string)).rejects.toBeInstanceOf(TokenMalformedError);
  });

  it('never throws anything but a JwksCacheError, and makes no request for junk', async () => {
    const provider = build({ issuer: idp.issuer, jwksUri: idp.jwksUri });
    const before = idp.requests.total;
    const segment = fc.oneof(
      fc.base64String(),
      fc.string(),
      fc.json().map((json) => Buffer.from(json).toString('base64url')),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.tuple(segment, segment, segment).map((parts) => parts.join('.')),
        ),
        async (junk) => {
          const error = await outcome(provider.verify(junk));
          return error instanceof JwksCacheError;
        },
      ),
      { numRuns: 300 },
    );
    expect(idp.requests.total).toBe(before);
  });

  describe('key sets served by hand', () => {
    let keyA: { privateKey: CryptoKey; jwk: JWK };
    let keyB: { privateKey: CryptoKey; jwk: JWK };
    let privateJwk: JWK;

    async function pair(): Promise<{ privateKey: CryptoKey; jwk: JWK }> {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid: 'shared', alg: 'ES256', use: 'sig' } };
    }

    beforeAll(async () => {
      [keyA, keyB] = await Promise.all([pair(), pair()]);
      privateJwk = { ...(await exportJWK(keyB.privateKey)), kid: 'private' };
    });

    it('keeps two issuers publishing the same kid apart', async () => {
      const servers = await Promise.all([
        serveJson(() => ({ body: { keys: [keyA.jwk] } })),
        serveJson(() => ({ body: { keys: [keyB.jwk] } })),
      ]);
      try {
        const [a, b] = servers.map((server) => ({ issuer: `${server.url}/`, jwksUri: `${server.url}/jwks` }));
        const provider = build(a, b);
        const header = { alg: 'ES256', kid: 'shared' };
        await expect(provider.verify(signWith(keyA.privateKey, header, claims(a.issuer)))).resolves.toMatchObject({
          issuer: a.issuer,
        });
        await expect(provider.verify(signWith(keyB.privateKey, header, claims(b.issuer)))).resolves.toMatchObject({
          issuer: b.issuer,
        });
        await expect(provider.verify(signWith(keyB.privateKey, header, claims(a.issuer)))).rejects.toBeInstanceOf(
          SignatureInvalidError,
        );
        await expect(provider.verify(signWith(keyA.privateKey, header, claims(b.issuer)))).rejects.toBeInstanceOf(
          SignatureInvalidError,
        );
        expect(servers.map((server) => server.requests())).toEqual([1, 1]);
      } finally {
        await Promise.all(servers.map((server) => server.close()));
      }
    });

    it('skips and counts private keys, encryption keys and oct keys; never serves them', async () => {
      const encryption = { ...keyB.jwk, kid: 'enc', use: 'enc' };
      const oct = { kty: 'oct', kid: 'hmac', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0' };
      const server = await serveJson(() => ({ body: { keys: [keyA.jwk, privateJwk, encryption, oct] } }));
      try {
        const issuer = `${server.url}/`;
        const provider = build({ issuer, jwksUri: `${server.url}/jwks` });
        await expect(
          provider.verify(signWith(keyA.privateKey, { alg: 'ES256', kid: 'shared' }, claims(issuer))),
        ).resolves.toBeDefined();
        await expect(
          provider.verify(signWith(keyB.privateKey, { alg: 'ES256', kid: 'private' }, claims(issuer))),
        ).rejects.toBeInstanceOf(NoMatchingKeyError);
        expect(provider.stats().issuers[issuer]).toMatchObject({ keys: 1, skippedKeys: 3 });
        const served = await provider.getJwks(issuer);
        expect(served.keys).toHaveLength(1);
        expect(served.keys[0]).not.toHaveProperty('d');
      } finally {
        await server.close();
      }
    });

    it('never caches a set without a usable signing key', async () => {
      const server = await serveJson(() => ({ body: { keys: [privateJwk, { ...keyA.jwk, use: 'enc' }] } }));
      try {
        const issuer = `${server.url}/`;
        const provider = build({
          issuer,
          jwksUri: `${server.url}/jwks`,
          jwks: { retryBackoff: { initial: 60_000, max: 60_000, jitter: 0 } },
        });
        await expect(
          provider.verify(signWith(keyA.privateKey, { alg: 'ES256', kid: 'shared' }, claims(issuer))),
        ).rejects.toBeInstanceOf(KeySetUnavailableError);
        expect(provider.stats().issuers[issuer]).toMatchObject({ keys: 0, state: 'empty', fetchErrors: 1 });
      } finally {
        await server.close();
      }
    });
  });
});
