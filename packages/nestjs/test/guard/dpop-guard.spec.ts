import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Post, UseGuards } from '@nestjs/common';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { JwksCacheModule, JwksProvider, JwtClaims, JwtGuard, type IssuerOptions } from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';
import { type HttpApp, type Platform, PLATFORMS, startApp } from './support/platform-app.js';
import { dpopTestKey, mintProof, type DpopTestKey, type ProofParts } from '../support/dpop-proofs.js';

const AUDIENCE = 'orders-api';
const PUBLIC_URL = 'https://api.example.com';
const ALGS = 'algs="ES256 EdDSA"';

@Controller('orders')
@UseGuards(JwtGuard)
class OrdersController {
  @Get()
  list(@JwtClaims('sub') sub: unknown): object {
    return { sub };
  }

  @Post()
  create(): object {
    return { created: true };
  }
}

describe.each(PLATFORMS)('JwtGuard with DPoP (RFC 9449) on %s', (platform: Platform) => {
  let idp: LocalIssuer;
  let strictIdp: LocalIssuer;
  let bearerIdp: LocalIssuer;
  let key: DpopTestKey;
  let otherKey: DpopTestKey;
  let app: HttpApp;
  let hostApp: HttpApp;
  let hostOrigin: string;

  const issuers = (): IssuerOptions[] => [
    {
      issuer: idp.issuer,
      jwksUri: idp.jwksUri,
      audience: AUDIENCE,
      dpop: { mode: 'allowed', algorithms: ['ES256', 'EdDSA'] },
    },
    {
      issuer: strictIdp.issuer,
      jwksUri: strictIdp.jwksUri,
      audience: AUDIENCE,
      dpop: { mode: 'required', algorithms: ['ES256'], nonce: true },
    },
    { issuer: bearerIdp.issuer, jwksUri: bearerIdp.jwksUri, audience: AUDIENCE, dpop: 'off' },
  ];
  const boundToken = (issuer: LocalIssuer = idp, jkt: string = key.jkt) =>
    issuer.mint({ aud: AUDIENCE, sub: 'alice', cnf: { jkt } });
  const proofFor = (token: string, parts: Partial<ProofParts> = {}, signer: DpopTestKey = key) =>
    mintProof(signer, { htm: 'GET', htu: `${PUBLIC_URL}/orders`, accessToken: token, ...parts });
  const dpopGet = (token: string, proof: string | string[], path = '/orders?page=1') =>
    // superagent sends an array as repeated headers; its types only allow that for Cookie.
    request(app.getHttpServer())
      .get(path)
      .set('Authorization', `DPoP ${token}`)
      .set('DPoP', proof as string);

  beforeAll(async () => {
    [idp, strictIdp, bearerIdp, key, otherKey] = await Promise.all([
      LocalIssuer.start({ algorithms: ['ES256'] }),
      LocalIssuer.start({ algorithms: ['ES256'] }),
      LocalIssuer.start({ algorithms: ['ES256'] }),
      dpopTestKey('ES256'),
      dpopTestKey('ES256'),
    ]);
    app = await startApp(platform, {
      imports: [JwksCacheModule.forRoot({ issuers: issuers(), guard: { publicUrl: PUBLIC_URL } })],
      controllers: [OrdersController],
    });
    hostApp = await startApp(platform, {
      imports: [JwksCacheModule.forRoot({ issuers: issuers() })],
      controllers: [OrdersController],
    });
    await hostApp.listen(0, '127.0.0.1');
    hostOrigin = `http://127.0.0.1:${(hostApp.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await Promise.all([app?.close(), hostApp?.close()]);
    await Promise.all([idp?.close(), strictIdp?.close(), bearerIdp?.close()]);
  });

  it('admits a DPoP-bound token with a valid proof for this request (htu from guard.publicUrl)', async () => {
    const token = await boundToken();
    const response = await dpopGet(token, await proofFor(token));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ sub: 'alice' });
  });

  it('without publicUrl, builds htu from the request scheme and Host', async () => {
    const token = await boundToken();
    const proof = await proofFor(token, { htu: `${hostOrigin}/orders` });
    const response = await request(hostOrigin).get('/orders').set('Authorization', `DPoP ${token}`).set('DPoP', proof);
    expect(response.status).toBe(200);
    // The same proof names another URL than the public one.
    const elsewhere = await dpopGet(token, await proofFor(token, { htu: `${hostOrigin}/orders` }));
    expect(elsewhere.status).toBe(401);
  });

  // Each proof fails exactly one check of RFC 9449 §4.3 and passes every other one.
  const failing: [string, (token: string) => Promise<string>][] = [
    ['typ', (token) => proofFor(token, { header: { typ: 'JWT' } })],
    ['alg (symmetric)', (token) => proofFor(token, { header: { alg: 'HS256' } })],
    ['jwk (private key)', (token) => proofFor(token, { header: { jwk: key.privateJwk } })],
    ['signature', (token) => proofFor(token, { signingKey: otherKey.privateKey })],
    ['htm', (token) => proofFor(token, { htm: 'POST' })],
    ['htu', (token) => proofFor(token, { htu: `${PUBLIC_URL}/orders/1` })],
    ['iat', (token) => proofFor(token, { iat: Math.floor(Date.now() / 1000) - 600 })],
    ['ath', (token) => proofFor(token, { accessToken: `${token}x` })],
  ];
  it.each(failing)(
    'refuses a proof failing only its %s check with invalid_dpop_proof and both challenges',
    async (_check, makeProof) => {
      const token = await boundToken();
      const response = await dpopGet(token, await makeProof(token));
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(
        `DPoP error="invalid_dpop_proof", error_description="The DPoP proof is invalid", ${ALGS}, Bearer`,
      );
      expect(JSON.stringify(response.body)).not.toContain(token);
    },
  );

  it('refuses a proof whose key is not the one the token is bound to (cnf.jkt)', async () => {
    const token = await boundToken(idp, otherKey.jkt);
    const response = await dpopGet(token, await proofFor(token));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toContain('DPoP error="invalid_dpop_proof"');
  });

  it('refuses a request with two DPoP headers, and one with none', async () => {
    const token = await boundToken();
    const [first, second] = await Promise.all([proofFor(token), proofFor(token)]);
    expect((await dpopGet(token, [first, second])).status).toBe(401);
    const none = await request(app.getHttpServer()).get('/orders').set('Authorization', `DPoP ${token}`);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toContain('DPoP error="invalid_dpop_proof"');
  });

  it('accepts a proof once: the same proof again is a replay', async () => {
    const token = await boundToken();
    const proof = await proofFor(token);
    expect((await dpopGet(token, proof)).status).toBe(200);
    const replay = await dpopGet(token, proof);
    expect(replay.status).toBe(401);
    expect((replay.body as { message: string }).message).toBe('The DPoP proof was already used');
  });

  it('checks the proof on every request even when the token is in the verified-token cache', async () => {
    const token = await boundToken();
    expect((await dpopGet(token, await proofFor(token))).status).toBe(200);
    expect((await dpopGet(token, await proofFor(token, { signingKey: otherKey.privateKey }))).status).toBe(401);
    expect((await dpopGet(token, await proofFor(token, { htm: 'DELETE' }))).status).toBe(401);
  });

  it('refuses a DPoP-bound token presented as Bearer, even after it was verified (cache) with DPoP', async () => {
    const token = await boundToken();
    expect((await dpopGet(token, await proofFor(token))).status).toBe(200);
    const response = await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${token}`);
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      `Bearer error="invalid_token", error_description="The access token was presented with the wrong authorization scheme", DPoP ${ALGS}`,
    );
  });

  it("with 'required', refuses a Bearer token; an unbound token passes as Bearer where DPoP is allowed", async () => {
    const strict = await strictIdp.mint({ aud: AUDIENCE, sub: 'bob' });
    expect((await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${strict}`)).status).toBe(
      401,
    );
    const plain = await idp.mint({ aud: AUDIENCE, sub: 'carol' });
    expect((await request(app.getHttpServer()).get('/orders').set('Authorization', `Bearer ${plain}`)).status).toBe(
      200,
    );
  });

  it("with 'off', refuses the DPoP scheme", async () => {
    const token = await boundToken(bearerIdp);
    const response = await dpopGet(token, await proofFor(token));
    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toMatch(/^DPoP error="invalid_token"/);
  });

  it('with nonces: answers use_dpop_nonce with a DPoP-Nonce, accepts the nonce, and sends one on success', async () => {
    const token = await boundToken(strictIdp);
    const first = await dpopGet(token, await proofFor(token));
    expect(first.status).toBe(401);
    expect(first.headers['www-authenticate']).toMatch(
      /^DPoP error="use_dpop_nonce", error_description="The resource server requires a DPoP nonce", algs="ES256 EdDSA", Bearer$/,
    );
    const nonce = first.headers['dpop-nonce'];
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const stale = await dpopGet(token, await proofFor(token, { nonce: 'AAAAAAAAAAAAAAAAAAAAAA' }));
    expect(stale.status).toBe(401);
    expect(stale.headers['dpop-nonce']).toBe(nonce);
    const second = await dpopGet(token, await proofFor(token, { nonce }));
    expect(second.status).toBe(200);
    expect(second.headers['dpop-nonce']).toBe(nonce);
  });

  it('JwksProvider.verifyRequest checks a request for callers without the guard', async () => {
    const provider = app.get(JwksProvider);
    const token = await boundToken();
    const proof = await proofFor(token, { htm: 'POST', htu: 'https://api.example.com/queue' });
    const verified = await provider.verifyRequest({
      method: 'POST',
      url: 'https://api.example.com/queue?x=1',
      headers: { authorization: `DPoP ${token}`, dpop: proof },
    });
    expect(verified).toMatchObject({ scheme: 'dpop', jkt: key.jkt, issuer: idp.issuer });
    await expect(
      provider.verifyRequest({
        method: 'POST',
        url: 'https://api.example.com/queue',
        headers: new Headers({ authorization: `DPoP ${token}`, dpop: proof }),
      }),
    ).rejects.toMatchObject({ code: 'ERR_DPOP_PROOF_REPLAYED' });
    await expect(
      provider.verifyRequest({
        method: 'GET',
        url: 'https://api.example.com/',
        headers: { authorization: `Bearer ${token}` },
      }),
    ).rejects.toMatchObject({ code: 'ERR_DPOP_SCHEME' });
  });
});
