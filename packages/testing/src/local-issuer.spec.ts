import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { generateAttackerKey, LocalIssuer, type LocalIssuerOptions, type TestAlgorithm } from './index.js';
import { fakeClock, restoreClock } from '../../../test/support/fake-clock.js';

const ALL_DEFAULT_ALGS: TestAlgorithm[] = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

async function getJson(url: string): Promise<{ status: number; headers: Headers; body: unknown }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

describe('LocalIssuer basics', () => {
  let idp: LocalIssuer;

  beforeAll(async () => {
    idp = await LocalIssuer.start();
  });

  afterAll(async () => {
    await idp.close();
  });

  it('listens on 127.0.0.1 with the issuer at the origin', () => {
    expect(idp.port).toBeGreaterThan(0);
    expect(idp.issuer).toBe(`http://127.0.0.1:${idp.port}`);
    expect(idp.jwksUri).toBe(`${idp.issuer}/jwks`);
    expect(idp.tokenEndpoint).toBe(`${idp.issuer}/token`);
    expect(idp.discoveryUrl).toBe(`${idp.issuer}/.well-known/openid-configuration`);
  });

  it('publishes one key per default algorithm, public parts only', async () => {
    const { status, body } = await getJson(idp.jwksUri);
    expect(status).toBe(200);
    const keys = (body as { keys: Record<string, unknown>[] }).keys;
    expect(keys.map((key) => key.alg)).toEqual(ALL_DEFAULT_ALGS);
    expect(keys.map((key) => key.kid)).toEqual(['rs256-1', 'ps256-1', 'es256-1', 'es384-1', 'eddsa-1']);
    for (const key of keys) {
      expect(key.use).toBe('sig');
      for (const member of PRIVATE_JWK_MEMBERS) expect(key).not.toHaveProperty(member);
    }
    expect(keys.find((key) => key.alg === 'EdDSA')).toMatchObject({ kty: 'OKP', crv: 'Ed25519' });
    expect(body).toEqual(idp.jwks());
  });

  it.each(ALL_DEFAULT_ALGS)('mints a %s token that verifies against the served JWKS', async (alg) => {
    const token = await idp.mint({ aud: 'orders-api' }, { alg });
    const { body } = await getJson(idp.jwksUri);
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(body as never), {
      issuer: idp.issuer,
      audience: 'orders-api',
    });
    expect(protectedHeader).toEqual({ alg, kid: `${alg.toLowerCase()}-1` });
    expect(payload.sub).toBe('test-user');
    expect(payload.exp! - payload.iat!).toBe(3600);
  });

  it('counts requests by endpoint and answers 404 for unknown paths', async () => {
    idp.resetCounters();
    await fetch(idp.jwksUri);
    await fetch(idp.jwksUri);
    await fetch(idp.discoveryUrl);
    const notFound = await fetch(`${idp.issuer}/nope`);
    expect(notFound.status).toBe(404);
    expect(idp.requests).toEqual({ jwks: 2, discovery: 1, token: 0, other: 1, total: 4 });
    idp.resetCounters();
    expect(idp.requests.total).toBe(0);
  });

  it('answers 405 to anything but GET on the JWKS', async () => {
    const response = await fetch(idp.jwksUri, { method: 'POST' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('GET');
  });

  it('mints with an explicit kid header', async () => {
    const token = await idp.mint({}, { kid: 'unknown-kid' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: 'unknown-kid' });
  });
});

describe('LocalIssuer minting options', () => {
  let idp: LocalIssuer;

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256', 'RS256'] });
  });

  afterAll(async () => {
    await idp.close();
  });

  const verify = (token: string) => jwtVerify(token, createLocalJWKSet(idp.jwks()), { issuer: idp.issuer });

  it('signs with the first configured algorithm by default', async () => {
    expect(decodeProtectedHeader(await idp.mint())).toEqual({ alg: 'ES256', kid: 'es256-1' });
  });

  it('lets given claims override the defaults and omit drop them', async () => {
    const token = await idp.mint({ sub: 'alice', scope: 'orders:read' }, { omit: ['exp'], expiresIn: 60 });
    const { payload } = await verify(token);
    expect(payload).toMatchObject({ sub: 'alice', scope: 'orders:read', iss: idp.issuer });
    expect(payload).not.toHaveProperty('exp');
  });

  it('sets exp from expiresIn and reads the clock through Date.now()', async () => {
    const fakeNowMs = Date.UTC(2030, 0, 1);
    fakeClock(fakeNowMs);
    try {
      const token = await idp.mint({}, { expiresIn: 120 });
      const { payload } = await jwtVerify(token, createLocalJWKSet(idp.jwks()), { currentDate: new Date(fakeNowMs) });
      expect(payload.iat).toBe(fakeNowMs / 1000);
      expect(payload.exp).toBe(fakeNowMs / 1000 + 120);
    } finally {
      restoreClock();
    }
  });

  it('merges extra protected header parameters, even unknown crit ones', async () => {
    const token = await idp.mint(
      {},
      { header: { typ: 'at+jwt', jku: 'http://127.0.0.1:1/evil', crit: ['exp-ext'], 'exp-ext': true } },
    );
    expect(decodeProtectedHeader(token)).toEqual({
      alg: 'ES256',
      kid: 'es256-1',
      typ: 'at+jwt',
      jku: 'http://127.0.0.1:1/evil',
      crit: ['exp-ext'],
      'exp-ext': true,
    });
    await expect(verify(token)).rejects.toThrow(/not recognized/);
  });

  it('leaves the kid out with noKid, and the token still verifies by trying the keys', async () => {
    const token = await idp.mint({}, { noKid: true, alg: 'RS256' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256' });
    await expect(verify(token)).resolves.toBeDefined();
  });

  it('signs with a caller-supplied key, which the JWKS does not verify', async () => {
    const attacker = await generateAttackerKey('ES256');
    const token = await idp.mint({}, { key: attacker.privateKey });
    expect(decodeProtectedHeader(token).kid).toBe('es256-1');
    await expect(verify(token)).rejects.toThrow(/signature verification failed/);
  });

  it('signs HS256 with a secret given as key when the header says so', async () => {
    const secret = 'shared-secret-of-at-least-32-bytes!!';
    const token = await idp.mint({ sub: 'mallory' }, { key: secret, header: { alg: 'HS256' } });
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret));
    expect(protectedHeader).toEqual({ alg: 'HS256', kid: 'es256-1' });
    expect(payload).toMatchObject({ sub: 'mallory', iss: idp.issuer });
  });

  it('refuses an algorithm that is not configured', async () => {
    await expect(idp.mint({}, { alg: 'PS256' })).rejects.toThrow(TypeError);
  });
});

describe('LocalIssuer key rotation', () => {
  let idp: LocalIssuer;

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['RS256', 'EdDSA'] });
  });

  afterAll(async () => {
    await idp.close();
  });

  it('rotate publishes a new current key and keeps the old one until retire', async () => {
    const oldToken = await idp.mint();
    const { kid } = await idp.rotate();
    expect(kid).toBe('rs256-2');
    expect(idp.publishedKids()).toEqual(['rs256-1', 'eddsa-1', 'rs256-2']);
    const newToken = await idp.mint();
    expect(decodeProtectedHeader(newToken).kid).toBe('rs256-2');
    const before = createLocalJWKSet((await getJson(idp.jwksUri)).body as never);
    await expect(jwtVerify(oldToken, before)).resolves.toBeDefined();
    await expect(jwtVerify(newToken, before)).resolves.toBeDefined();

    idp.retire('rs256-1');
    expect(idp.publishedKids()).toEqual(['eddsa-1', 'rs256-2']);
    const after = createLocalJWKSet((await getJson(idp.jwksUri)).body as never);
    await expect(jwtVerify(oldToken, after)).rejects.toThrow(/no applicable key found/);
    await expect(jwtVerify(newToken, after)).resolves.toBeDefined();
  });

  it('still mints with a retired key when asked by kid', async () => {
    const token = await idp.mint({}, { kid: 'rs256-1' });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: 'rs256-1' });
    await expect(jwtVerify(token, createLocalJWKSet(idp.jwks()))).rejects.toThrow(/no applicable key found/);
  });

  it('rotates a given algorithm', async () => {
    await expect(idp.rotate('EdDSA')).resolves.toEqual({ kid: 'eddsa-2' });
    expect(decodeProtectedHeader(await idp.mint({}, { alg: 'EdDSA' })).kid).toBe('eddsa-2');
  });

  it('refuses to retire a kid that is not published', () => {
    expect(() => idp.retire('rs256-1')).toThrow(/no published key/);
  });

  it('retiring the current key hands signing to the newest remaining key of that alg, and mint fails once none is left', async () => {
    const { kid } = await idp.rotate('RS256');
    idp.retire(kid);
    expect(decodeProtectedHeader(await idp.mint()).kid).toBe('rs256-2');
    idp.retire('rs256-2');
    expect(idp.publishedKids().filter((published) => published.startsWith('rs256'))).toEqual([]);
    await expect(idp.mint()).rejects.toThrow(/no published RS256 key/);
  });
});

describe('LocalIssuer discovery', () => {
  const started: LocalIssuer[] = [];
  const start = async (options: LocalIssuerOptions) => {
    const idp = await LocalIssuer.start(options);
    started.push(idp);
    return idp;
  };

  afterAll(async () => {
    await Promise.all(started.map((idp) => idp.close()));
  });

  it('serves the OpenID configuration by default, and not the RFC 8414 document', async () => {
    const idp = await start({});
    const { status, body } = await getJson(idp.discoveryUrl);
    expect(status).toBe(200);
    expect(body).toEqual({
      issuer: idp.issuer,
      jwks_uri: idp.jwksUri,
      token_endpoint: idp.tokenEndpoint,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      id_token_signing_alg_values_supported: ALL_DEFAULT_ALGS,
      dpop_signing_alg_values_supported: [
        'RS256',
        'RS384',
        'RS512',
        'PS256',
        'PS384',
        'PS512',
        'ES256',
        'ES384',
        'ES512',
        'EdDSA',
      ],
    });
    expect((await fetch(`${idp.issuer}/.well-known/oauth-authorization-server`)).status).toBe(404);
    expect(idp.requests).toMatchObject({ discovery: 1, other: 1 });
  });

  it('follows both specs’ URL rules for an issuer with a path', async () => {
    const idp = await start({ issuerPath: '/realms/test', discovery: 'both', jwksPath: '/protocol/certs' });
    const origin = `http://127.0.0.1:${idp.port}`;
    expect(idp.issuer).toBe(`${origin}/realms/test`);
    expect(idp.jwksUri).toBe(`${origin}/realms/test/protocol/certs`);
    const openid = await getJson(`${origin}/realms/test/.well-known/openid-configuration`);
    const oauth = await getJson(`${origin}/.well-known/oauth-authorization-server/realms/test`);
    expect(openid.body).toMatchObject({ issuer: idp.issuer, jwks_uri: idp.jwksUri });
    expect(oauth.body).toEqual(openid.body);
    expect((await getJson(idp.jwksUri)).status).toBe(200);
    expect(idp.requests).toMatchObject({ discovery: 2, jwks: 1, other: 0 });
  });

  it('serves only the RFC 8414 document with discovery "oauth", and none with "none"', async () => {
    const oauthOnly = await start({ discovery: 'oauth' });
    expect(oauthOnly.discoveryUrl).toBe(`${oauthOnly.issuer}/.well-known/oauth-authorization-server`);
    expect((await fetch(oauthOnly.discoveryUrl)).status).toBe(200);
    expect((await fetch(oauthOnly.openidConfigurationUrl)).status).toBe(404);
    const none = await start({ discovery: 'none' });
    expect((await fetch(none.openidConfigurationUrl)).status).toBe(404);
    expect((await fetch(none.oauthMetadataUrl)).status).toBe(404);
    expect(none.requests).toMatchObject({ discovery: 0, other: 2 });
  });
});

describe('LocalIssuer start and close', () => {
  it('refuses a host that is not a loopback address', async () => {
    await expect(LocalIssuer.start({ host: '0.0.0.0' })).rejects.toThrow(TypeError);
    await expect(LocalIssuer.start({ host: '192.168.1.10' })).rejects.toThrow(/loopback/);
  });

  it('refuses invalid paths and lifetimes', async () => {
    await expect(LocalIssuer.start({ issuerPath: 'realms/test' })).rejects.toThrow(TypeError);
    await expect(LocalIssuer.start({ tokenLifetime: 0 })).rejects.toThrow(TypeError);
    await expect(LocalIssuer.start({ algorithms: [] })).rejects.toThrow(TypeError);
  });

  it('closes open keep-alive connections, idempotently', async () => {
    const idp = await LocalIssuer.start({ algorithms: ['ES256'] });
    expect((await fetch(idp.jwksUri)).status).toBe(200);
    await idp.close();
    await idp.close();
    await expect(fetch(idp.jwksUri)).rejects.toThrow();
  });
});
