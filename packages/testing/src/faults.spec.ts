import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { LocalIssuer } from './index.js';
import { settlesWithin, waitUntil } from '../../../test/support/wait-until.js';

describe('LocalIssuer faults', () => {
  let idp: LocalIssuer;

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256'] });
  });

  afterEach(() => {
    idp.clearFaults();
    idp.resetCounters();
  });

  afterAll(async () => {
    await idp.close();
  });

  it('fail() answers 503 on JWKS and discovery until cleared, counting every attempt', async () => {
    idp.fail();
    expect((await fetch(idp.jwksUri)).status).toBe(503);
    expect((await fetch(idp.discoveryUrl)).status).toBe(503);
    expect(idp.requests).toMatchObject({ jwks: 1, discovery: 1, total: 2 });
    idp.clearFaults();
    expect((await fetch(idp.jwksUri)).status).toBe(200);
    expect(idp.requests.jwks).toBe(2);
  });

  it('fail({ status }) answers the given status', async () => {
    idp.fail({ status: 500 });
    expect((await fetch(idp.jwksUri)).status).toBe(500);
  });

  it('slow(ms) delays the answer past a client timeout, yet counts the request', async () => {
    idp.slow(60_000);
    // The client gives up only once the issuer has counted the request: a fixed client timeout
    // could fire before a busy machine even delivered it.
    const client = new AbortController();
    const attempt = fetch(idp.jwksUri, { signal: client.signal });
    await waitUntil(() => idp.requests.jwks === 1);
    expect(await settlesWithin(attempt, 100)).toBe(false);
    client.abort();
    await expect(attempt).rejects.toThrow(/aborted/);
    expect(idp.requests.jwks).toBe(1);
  });

  it('slow(ms) still delivers the right body once the delay is over', async () => {
    idp.slow(20);
    const response = await fetch(idp.jwksUri);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(idp.jwks());
  });

  it('garbage() answers 200 with a body that is not JSON', async () => {
    idp.garbage();
    const response = await fetch(idp.jwksUri);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const text = await response.text();
    expect(() => {
      JSON.parse(text);
    }).toThrow(SyntaxError);
    expect((await fetch(idp.discoveryUrl)).status).toBe(200);
    expect(idp.requests).toMatchObject({ jwks: 1, discovery: 1 });
  });

  it('oversized(bytes) answers valid JSON keys padded to at least that size', async () => {
    idp.oversized(600_000);
    const response = await fetch(idp.jwksUri);
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(600_000);
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(text));
    expect((JSON.parse(text) as { keys: unknown }).keys).toEqual(idp.jwks().keys);
  });

  it('invalidShape() answers 200 with { keys: "nope" }', async () => {
    idp.invalidShape();
    const response = await fetch(idp.jwksUri);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ keys: 'nope' });
  });

  it('resetConnections() destroys the socket without an answer, counting the attempt', async () => {
    idp.resetConnections();
    await expect(fetch(idp.jwksUri)).rejects.toThrow(/fetch failed/);
    await expect(fetch(idp.discoveryUrl)).rejects.toThrow(/fetch failed/);
    expect(idp.requests).toMatchObject({ jwks: 1, discovery: 1 });
  });

  it('redirect(to) answers 302 with the Location', async () => {
    idp.redirect('http://127.0.0.1:1/elsewhere');
    const response = await fetch(idp.jwksUri, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('http://127.0.0.1:1/elsewhere');
  });

  it('a new answer fault replaces the previous one', async () => {
    idp.fail();
    idp.invalidShape();
    const response = await fetch(idp.jwksUri);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ keys: 'nope' });
  });

  it('cacheControl(value) sets the header and undefined removes it', async () => {
    expect((await fetch(idp.jwksUri)).headers.get('cache-control')).toBeNull();
    idp.cacheControl('public, max-age=120');
    expect((await fetch(idp.jwksUri)).headers.get('cache-control')).toBe('public, max-age=120');
    expect((await fetch(idp.discoveryUrl)).headers.get('cache-control')).toBe('public, max-age=120');
    idp.cacheControl(undefined);
    expect((await fetch(idp.jwksUri)).headers.get('cache-control')).toBeNull();
  });

  it('JWKS faults leave the token endpoint alone', async () => {
    idp.fail();
    const response = await fetch(idp.tokenEndpoint, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    expect(response.status).toBe(401);
    expect(idp.requests).toMatchObject({ token: 1, jwks: 0 });
  });
});

describe('LocalIssuer cacheControl option', () => {
  it('serves the configured header, and clearFaults restores it', async () => {
    const idp = await LocalIssuer.start({ algorithms: ['ES256'], cacheControl: 'max-age=300' });
    try {
      expect((await fetch(idp.jwksUri)).headers.get('cache-control')).toBe('max-age=300');
      idp.cacheControl('no-store');
      idp.clearFaults();
      expect((await fetch(idp.jwksUri)).headers.get('cache-control')).toBe('max-age=300');
    } finally {
      await idp.close();
    }
  });
});
