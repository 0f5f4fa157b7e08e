import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { type DpopKey, LocalIssuer } from './index.js';

const CLIENT = { clientId: 'orders', clientSecret: 'orders-secret' };
const FORM_BODY = new URLSearchParams({
  grant_type: 'client_credentials',
  ...{ client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret },
}).toString();

interface TokenAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

async function requestToken(tokenEndpoint: string, proof?: string): Promise<TokenAnswer> {
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
    ...(proof === undefined ? {} : { DPoP: proof }),
  };
  const response = await fetch(tokenEndpoint, { method: 'POST', headers, body: FORM_BODY });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}

/** Two separate `DPoP` header lines (fetch would join them into one); raw headers get no default `Host`. */
function requestWithTwoProofs(
  tokenEndpoint: string,
  proofs: [string, string],
): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const raw = [
      'Host',
      new URL(tokenEndpoint).host,
      'Content-Type',
      'application/x-www-form-urlencoded',
      'DPoP',
      proofs[0],
      'DPoP',
      proofs[1],
      'Content-Length',
      String(Buffer.byteLength(FORM_BODY)),
    ];
    const req = httpRequest(tokenEndpoint, { method: 'POST', headers: raw }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : text }));
    });
    req.on('error', reject);
    req.end(FORM_BODY);
  });
}

describe('LocalIssuer token endpoint with DPoP', () => {
  let idp: LocalIssuer;
  let key: DpopKey;
  const proofFor = (url: string, nonce?: string) =>
    key.proof({ method: 'POST', url, ...(nonce === undefined ? {} : { nonce }) });

  beforeAll(async () => {
    idp = await LocalIssuer.start({ algorithms: ['ES256'], clients: [CLIENT], realms: { names: ['acme'] } });
    key = await idp.dpopKey();
  });

  afterEach(() => {
    idp.resetCounters();
  });

  afterAll(async () => {
    await idp.close();
  });

  it('issues a DPoP-bound at+jwt (token_type DPoP, cnf.jkt = the proof key’s thumbprint) for a request with a valid proof', async () => {
    const answer = await requestToken(idp.tokenEndpoint, await proofFor(idp.tokenEndpoint));
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'DPoP', expires_in: 3600 });
    const token = answer.body.access_token as string;
    const { payload } = await jwtVerify(token, createLocalJWKSet(idp.jwks()), { issuer: idp.issuer, typ: 'at+jwt' });
    expect(payload.cnf).toEqual({ jkt: key.thumbprint });
    expect(answer.headers.get('dpop-nonce')).toBeNull();
    expect(idp.tokenRequests()).toEqual([
      expect.objectContaining({ clientId: 'orders', dpop: { jkt: key.thumbprint } }),
    ]);
  });

  it('issues a Bearer token without cnf when no proof is sent', async () => {
    const answer = await requestToken(idp.tokenEndpoint);
    expect(answer.body.token_type).toBe('Bearer');
    expect(decodeJwt(answer.body.access_token as string)).not.toHaveProperty('cnf');
    expect(idp.tokenRequests()[0]).not.toHaveProperty('dpop');
  });

  it.each([
    'wrong-htm',
    'wrong-htu',
    'old-iat',
    'future-iat',
    'wrong-typ',
    'alg-none',
    'symmetric-alg',
    'private-jwk',
    'bad-signature',
    'missing-jti',
  ] as const)('refuses a %s proof with 400 invalid_dpop_proof, recording why', async (flaw) => {
    const answer = await requestToken(
      idp.tokenEndpoint,
      await key.badProof(flaw, { method: 'POST', url: idp.tokenEndpoint }),
    );
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ error: 'invalid_dpop_proof', error_description: expect.any(String) });
    expect(idp.tokenRequests()[0].dpop).toEqual({ error: 'invalid_dpop_proof', reason: answer.body.error_description });
  });

  it('refuses a proof sent twice, and a new proof reusing a jti', async () => {
    const proof = await proofFor(idp.tokenEndpoint);
    expect((await requestToken(idp.tokenEndpoint, proof)).status).toBe(200);
    const replayed = await requestToken(idp.tokenEndpoint, proof);
    expect(replayed).toMatchObject({
      status: 400,
      body: { error: 'invalid_dpop_proof', error_description: expect.stringMatching(/already used/) },
    });
    const reused = await requestToken(
      idp.tokenEndpoint,
      await key.badProof('reused-jti', { method: 'POST', url: idp.tokenEndpoint }),
    );
    expect(reused.body.error_description).toMatch(/already used/);
  });

  it('refuses two DPoP headers', async () => {
    const answer = await requestWithTwoProofs(idp.tokenEndpoint, [
      await proofFor(idp.tokenEndpoint),
      await proofFor(idp.tokenEndpoint),
    ]);
    expect(answer).toEqual({
      status: 400,
      body: { error: 'invalid_dpop_proof', error_description: 'exactly one DPoP header is allowed' },
    });
  });

  it('checks htu against each realm’s own token endpoint', async () => {
    const acme = idp.realm('acme');
    expect((await requestToken(acme.tokenEndpoint, await proofFor(idp.tokenEndpoint))).status).toBe(400);
    const answer = await requestToken(acme.tokenEndpoint, await proofFor(acme.tokenEndpoint));
    expect(answer.status).toBe(200);
    const token = answer.body.access_token as string;
    expect(decodeProtectedHeader(token).kid).toBe('acme-es256-1');
    expect(decodeJwt(token)).toMatchObject({ iss: acme.issuer, cnf: { jkt: key.thumbprint } });
  });

  it('lets a token endpoint fault win over DPoP', async () => {
    idp.failTokenEndpoint({ status: 503 });
    try {
      expect((await requestToken(idp.tokenEndpoint, await proofFor(idp.tokenEndpoint))).status).toBe(503);
    } finally {
      idp.clearTokenFaults();
    }
  });
});

describe('LocalIssuer token endpoint with dpop mode required and nonce', () => {
  let idp: LocalIssuer;
  let key: DpopKey;
  const proofFor = (url: string, nonce?: string) =>
    key.proof({ method: 'POST', url, ...(nonce === undefined ? {} : { nonce }) });

  beforeAll(async () => {
    idp = await LocalIssuer.start({
      algorithms: ['ES256'],
      clients: [CLIENT],
      dpop: { mode: 'required', nonce: true },
      realms: { names: ['acme'] },
    });
    key = await idp.dpopKey();
  });

  afterAll(async () => {
    await idp.close();
  });

  it('refuses a request without a proof', async () => {
    const answer = await requestToken(idp.tokenEndpoint);
    expect(answer).toMatchObject({
      status: 400,
      body: { error: 'invalid_dpop_proof', error_description: 'a DPoP proof is required' },
    });
  });

  it('answers use_dpop_nonce with the DPoP-Nonce header to a proof without the nonce, then issues with it', async () => {
    const first = await requestToken(idp.tokenEndpoint, await proofFor(idp.tokenEndpoint));
    expect(first.status).toBe(400);
    expect(first.body.error).toBe('use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toBe(idp.dpopNonce);
    const second = await requestToken(idp.tokenEndpoint, await proofFor(idp.tokenEndpoint, nonce as string));
    expect(second.status).toBe(200);
    expect(second.body.token_type).toBe('DPoP');
    expect(second.headers.get('dpop-nonce')).toBe(nonce);
  });

  it('makes the old nonce stale on rotateDpopNonce, answering with the new one', async () => {
    const old = idp.dpopNonce;
    const fresh = idp.rotateDpopNonce();
    expect(fresh).not.toBe(old);
    expect(idp.dpopNonce).toBe(fresh);
    const stale = await requestToken(idp.tokenEndpoint, await proofFor(idp.tokenEndpoint, old));
    expect(stale.status).toBe(400);
    expect(stale.body.error).toBe('use_dpop_nonce');
    expect(stale.headers.get('dpop-nonce')).toBe(fresh);
    expect((await requestToken(idp.tokenEndpoint, await proofFor(idp.tokenEndpoint, fresh))).status).toBe(200);
  });

  it('keeps a nonce per realm', async () => {
    const acme = idp.realm('acme');
    expect(acme.dpopNonce).not.toBe(idp.dpopNonce);
    expect((await requestToken(acme.tokenEndpoint, await proofFor(acme.tokenEndpoint, idp.dpopNonce))).body.error).toBe(
      'use_dpop_nonce',
    );
    expect((await requestToken(acme.tokenEndpoint, await proofFor(acme.tokenEndpoint, acme.dpopNonce))).status).toBe(
      200,
    );
  });

  it('refuses an invalid maxProofAge or mode', async () => {
    await expect(LocalIssuer.start({ dpop: { maxProofAge: 0 } })).rejects.toThrow(/maxProofAge/);
    await expect(LocalIssuer.start({ dpop: { mode: 'on' as never } })).rejects.toThrow(/dpop.mode/);
  });
});

describe('LocalIssuer token endpoint with dpop mode off', () => {
  it('ignores DPoP headers, issues Bearer tokens and advertises no DPoP algorithms', async () => {
    const idp = await LocalIssuer.start({ algorithms: ['ES256'], clients: [CLIENT], dpop: { mode: 'off' } });
    try {
      const key = await idp.dpopKey();
      const answer = await requestToken(
        idp.tokenEndpoint,
        await key.badProof('wrong-htu', { method: 'POST', url: idp.tokenEndpoint }),
      );
      expect(answer.status).toBe(200);
      expect(answer.body.token_type).toBe('Bearer');
      expect(decodeJwt(answer.body.access_token as string)).not.toHaveProperty('cnf');
      expect(idp.tokenRequests()[0]).not.toHaveProperty('dpop');
      const discovery = (await (await fetch(idp.discoveryUrl)).json()) as Record<string, unknown>;
      expect(discovery).not.toHaveProperty('dpop_signing_alg_values_supported');
      expect(discovery.issuer).toBe(idp.issuer);
    } finally {
      await idp.close();
    }
  });
});
