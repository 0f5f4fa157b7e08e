import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { LocalIssuer } from './index.js';

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };
const CLIENT = { clientId: 'orders', clientSecret: 'orders-secret' };

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url);
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

async function remoteKeys(jwksUri: string) {
  const { status, body } = await getJson(jwksUri);
  expect(status).toBe(200);
  return createLocalJWKSet(body as never);
}

async function clientCredentials(tokenEndpoint: string): Promise<string> {
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: CLIENT.clientId,
    client_secret: CLIENT.clientSecret,
  });
  const response = await fetch(tokenEndpoint, { method: 'POST', headers: FORM, body });
  expect(response.status).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

describe('LocalIssuer realms declared at start, each with its own keys', () => {
  let idp: LocalIssuer;

  beforeAll(async () => {
    idp = await LocalIssuer.start({
      algorithms: ['ES256'],
      clients: [CLIENT],
      discovery: 'both',
      realms: { names: ['acme', 'globex'] },
    });
  });

  afterEach(() => {
    idp.clearFaults();
    idp.resetCounters();
  });

  afterAll(async () => {
    await idp.close();
  });

  it('serves each realm at /realms/{name} on the issuer’s port, with its discovery documents', async () => {
    expect(idp.realmNames()).toEqual(['acme', 'globex']);
    const acme = idp.realm('acme');
    expect(acme.name).toBe('acme');
    expect(acme.issuer).toBe(`http://127.0.0.1:${idp.port}/realms/acme`);
    expect(acme.issuer).toBe(idp.realmIssuer('acme'));
    expect(acme.jwksUri).toBe(`${acme.issuer}/jwks`);
    expect(acme.tokenEndpoint).toBe(`${acme.issuer}/token`);
    expect(idp.realmIssuerTemplate()).toBe(`${idp.origin}/realms/{tenant}`);
    expect(idp.realmIssuerTemplate('realm')).toBe(`${idp.origin}/realms/{realm}`);
    const openid = await getJson(acme.openidConfigurationUrl);
    expect(openid.body).toMatchObject({
      issuer: acme.issuer,
      jwks_uri: acme.jwksUri,
      token_endpoint: acme.tokenEndpoint,
    });
    expect(acme.oauthMetadataUrl).toBe(`${idp.origin}/.well-known/oauth-authorization-server/realms/acme`);
    expect((await getJson(acme.oauthMetadataUrl)).body).toEqual(openid.body);
    expect(acme.requests).toMatchObject({ discovery: 2, total: 2 });
    expect(idp.requests.total).toBe(0);
  });

  it('gives every realm its own keys: a token of one realm does not verify with another’s JWKS', async () => {
    const acme = idp.realm('acme');
    const globex = idp.realm('globex');
    expect(acme.publishedKids()).toEqual(['acme-es256-1']);
    expect(globex.publishedKids()).toEqual(['globex-es256-1']);
    const token = await acme.mint({ aud: 'orders-api' });
    const { payload } = await jwtVerify(token, await remoteKeys(acme.jwksUri), {
      issuer: acme.issuer,
      audience: 'orders-api',
    });
    expect(payload.iss).toBe(acme.issuer);
    await expect(jwtVerify(token, await remoteKeys(globex.jwksUri))).rejects.toThrow(/no applicable key found/);
    await expect(jwtVerify(token, await remoteKeys(idp.jwksUri))).rejects.toThrow(/no applicable key found/);
  });

  it('counts requests per realm, and allRequests() sums the issuer and every realm', async () => {
    await fetch(idp.realm('acme').jwksUri);
    await fetch(idp.realm('acme').jwksUri);
    await fetch(idp.realm('globex').discoveryUrl);
    await fetch(`${idp.realm('globex').issuer}/nope`);
    await fetch(idp.jwksUri);
    expect(idp.realm('acme').requests).toEqual({ jwks: 2, discovery: 0, token: 0, other: 0, total: 2 });
    expect(idp.realm('globex').requests).toEqual({ jwks: 0, discovery: 1, token: 0, other: 1, total: 2 });
    expect(idp.requests).toEqual({ jwks: 1, discovery: 0, token: 0, other: 0, total: 1 });
    expect(idp.allRequests()).toEqual({ jwks: 3, discovery: 1, token: 0, other: 1, total: 5 });
  });

  it('answers 404 for a realm that was not declared, counted as the issuer’s, and makes no realm', async () => {
    expect((await fetch(`${idp.origin}/realms/initech/jwks`)).status).toBe(404);
    expect((await fetch(`${idp.origin}/realms/bad%20name/jwks`)).status).toBe(404);
    expect(idp.hasRealm('initech')).toBe(false);
    expect(() => idp.realm('initech')).toThrow(/no realm "initech"/);
    expect(idp.requests).toMatchObject({ other: 2, total: 2 });
    expect(idp.realmNames()).toEqual(['acme', 'globex']);
  });

  it('keeps faults per realm; the issuer’s clearFaults() clears every realm’s, a realm’s only its own', async () => {
    idp.realm('acme').fail();
    idp.realm('globex').garbage();
    expect((await fetch(idp.realm('acme').jwksUri)).status).toBe(503);
    expect(await (await fetch(idp.realm('globex').jwksUri)).text()).toMatch(/^<html>/);
    expect((await fetch(idp.jwksUri)).status).toBe(200);
    idp.realm('globex').clearFaults();
    expect((await fetch(idp.realm('globex').jwksUri)).status).toBe(200);
    expect((await fetch(idp.realm('acme').jwksUri)).status).toBe(503);
    idp.fail({ status: 500 });
    idp.clearFaults();
    expect((await fetch(idp.realm('acme').jwksUri)).status).toBe(200);
    expect((await fetch(idp.jwksUri)).status).toBe(200);
  });

  it('rotates per realm', async () => {
    const { kid } = await idp.realm('globex').rotate();
    expect(kid).toBe('globex-es256-2');
    expect(idp.realm('globex').publishedKids()).toEqual(['globex-es256-1', 'globex-es256-2']);
    expect(idp.realm('acme').publishedKids()).toEqual(['acme-es256-1']);
    expect(idp.publishedKids()).toEqual(['es256-1']);
    expect(decodeProtectedHeader(await idp.realm('globex').mint()).kid).toBe('globex-es256-2');
  });

  it('runs a token endpoint per realm: its tokens carry the realm as iss and verify with its JWKS', async () => {
    const acme = idp.realm('acme');
    const token = await clientCredentials(acme.tokenEndpoint);
    const { payload, protectedHeader } = await jwtVerify(token, await remoteKeys(acme.jwksUri), {
      issuer: acme.issuer,
    });
    expect(protectedHeader).toMatchObject({ kid: 'acme-es256-1', typ: 'at+jwt' });
    expect(payload).toMatchObject({ client_id: 'orders', aud: acme.issuer });
    expect(acme.tokenRequests()).toHaveLength(1);
    expect(idp.tokenRequests()).toHaveLength(0);
    expect(acme.requests.token).toBe(1);
  });

  it('resets counters per realm, and everywhere from the issuer', async () => {
    await fetch(idp.realm('acme').jwksUri);
    await fetch(idp.realm('globex').jwksUri);
    idp.realm('acme').resetCounters();
    expect(idp.realm('acme').requests.total).toBe(0);
    expect(idp.realm('globex').requests.total).toBe(1);
    idp.resetCounters();
    expect(idp.allRequests().total).toBe(0);
  });

  it('adds a realm later, once per name', async () => {
    const initech = await idp.addRealm('initech');
    expect(await idp.addRealm('initech')).toBe(initech);
    expect(idp.realm('initech')).toBe(initech);
    expect(idp.realmNames()).toEqual(['acme', 'globex', 'initech']);
    expect((await fetch(initech.jwksUri)).status).toBe(200);
    expect(initech.requests.jwks).toBe(1);
  });
});

describe('LocalIssuer realms on demand', () => {
  let idp: LocalIssuer;

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256'], realms: { onDemand: true } });
  });

  afterAll(async () => {
    await idp.close();
  });

  it('makes a realm on its first request, counting that request, and only for the names asked for', async () => {
    expect(idp.realmNames()).toEqual([]);
    const discovery = await getJson(`${idp.origin}/realms/tenant-1/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(discovery.body.issuer).toBe(idp.realmIssuer('tenant-1'));
    const tenant = idp.realm('tenant-1');
    expect(tenant.requests).toEqual({ jwks: 0, discovery: 1, token: 0, other: 0, total: 1 });
    expect(idp.hasRealm('refused-tenant')).toBe(false);
    expect(idp.realmNames()).toEqual(['tenant-1']);
    const token = await tenant.mint();
    await expect(jwtVerify(token, await remoteKeys(tenant.jwksUri), { issuer: tenant.issuer })).resolves.toBeDefined();
  });

  it('makes one realm for concurrent first requests of one name, and counts each of them', async () => {
    const answers = await Promise.all(Array.from({ length: 5 }, () => fetch(`${idp.origin}/realms/burst/jwks`)));
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200]);
    const keys = await Promise.all(answers.map((answer) => answer.json()));
    expect(new Set(keys.map((body) => JSON.stringify(body))).size).toBe(1);
    expect(idp.realm('burst').requests.jwks).toBe(5);
    expect(idp.realmNames()).toEqual(['tenant-1', 'burst']);
  });

  it('still answers 404 for names that cannot be realms, without making one', async () => {
    const before = idp.realmNames();
    expect((await fetch(`${idp.origin}/realms/${'x'.repeat(129)}/jwks`)).status).toBe(404);
    expect((await fetch(`${idp.origin}/realms/a%2Fb/jwks`)).status).toBe(404);
    expect(idp.realmNames()).toEqual(before);
    expect(idp.requests.other).toBe(2);
  });
});

describe('LocalIssuer realms sharing one key set', () => {
  let idp: LocalIssuer;

  beforeAll(async () => {
    idp = await LocalIssuer.start({
      algorithms: ['ES256', 'RS256'],
      realms: { names: ['acme'], onDemand: true, sharedKeys: true },
    });
  });

  afterAll(async () => {
    await idp.close();
  });

  it('points every realm’s discovery at the issuer’s JWKS, so one JWKS request serves all realms', async () => {
    const acme = idp.realm('acme');
    expect(acme.jwksUri).toBe(idp.jwksUri);
    const globexDiscovery = await getJson(`${idp.origin}/realms/globex/.well-known/openid-configuration`);
    expect(globexDiscovery.body).toMatchObject({ issuer: idp.realmIssuer('globex'), jwks_uri: idp.jwksUri });
    const keys = await remoteKeys(idp.jwksUri);
    await expect(jwtVerify(await acme.mint(), keys, { issuer: acme.issuer })).resolves.toBeDefined();
    await expect(
      jwtVerify(await idp.realm('globex').mint(), keys, { issuer: idp.realmIssuer('globex') }),
    ).resolves.toBeDefined();
    expect(idp.requests.jwks).toBe(1);
    expect(idp.realm('globex').requests).toEqual({ jwks: 0, discovery: 1, token: 0, other: 0, total: 1 });
    expect((await fetch(`${acme.issuer}/jwks`)).status).toBe(404);
    expect(acme.requests.other).toBe(1);
  });

  it('serves the shared JWKS with the issuer’s faults; a realm’s faults touch only its discovery', async () => {
    const acme = idp.realm('acme');
    acme.fail();
    try {
      expect((await fetch(acme.discoveryUrl)).status).toBe(503);
      expect((await fetch(acme.jwksUri)).status).toBe(200);
      idp.fail();
      expect((await fetch(acme.jwksUri)).status).toBe(503);
    } finally {
      idp.clearFaults();
    }
    expect((await fetch(acme.discoveryUrl)).status).toBe(200);
  });

  it('rotates the shared key set from any realm', async () => {
    const { kid } = await idp.realm('acme').rotate();
    expect(kid).toBe('es256-2');
    expect(idp.publishedKids()).toEqual(['es256-1', 'rs256-1', 'es256-2']);
    expect(decodeProtectedHeader(await idp.realm('globex').mint()).kid).toBe('es256-2');
  });

  it('costs no key generation per realm: a flood of random realm names makes one realm each, counted', async () => {
    idp.resetCounters();
    const names = Array.from({ length: 40 }, (_, index) => `random-${index}`);
    const answers = await Promise.all(
      names.map((name) => fetch(`${idp.origin}/realms/${name}/.well-known/openid-configuration`)),
    );
    expect(answers.every((answer) => answer.status === 200)).toBe(true);
    expect(names.every((name) => idp.realm(name).requests.discovery === 1)).toBe(true);
    expect(idp.allRequests()).toMatchObject({ discovery: 40, jwks: 0, total: 40 });
  });
});

describe('LocalIssuer realm options', () => {
  it('refuses invalid, duplicate or colliding realm names', async () => {
    for (const name of ['', '.', '..', 'a/b', 'a b', 'x'.repeat(129), 'é']) {
      await expect(LocalIssuer.start({ realms: { names: [name] } })).rejects.toThrow(/realm name/);
    }
    await expect(LocalIssuer.start({ realms: { names: ['a', 'a'] } })).rejects.toThrow(/unique/);
    await expect(LocalIssuer.start({ issuerPath: '/realms/a', realms: { names: ['a'] } })).rejects.toThrow(
      /issuer's own path/,
    );
  });

  it('accepts the full name alphabet and refuses bad names at addRealm and realmIssuer', async () => {
    const idp = await LocalIssuer.start({ algorithms: ['ES256'], issuerPath: '/realms/main' });
    try {
      const realm = await idp.addRealm('A-z_0.9~');
      expect((await fetch(realm.jwksUri)).status).toBe(200);
      await expect(idp.addRealm('..')).rejects.toThrow(TypeError);
      await expect(idp.addRealm('main')).rejects.toThrow(/issuer's own path/);
      expect(() => idp.realmIssuer('a/b')).toThrow(TypeError);
      expect((await fetch(idp.jwksUri)).status).toBe(200);
      expect(idp.requests.jwks).toBe(1);
    } finally {
      await idp.close();
    }
  });
});
