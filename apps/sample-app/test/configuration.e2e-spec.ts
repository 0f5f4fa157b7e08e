import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { startSampleStack } from '../src/bootstrap.js';
import { EmbeddedIdentityProvider } from '../src/identity-provider/embedded-identity-provider.js';
import { DEMO_CLIENT_ID, ORDERS_API, SAMPLE_APP_CLIENT_ID } from '../src/identity-provider/resource-servers.js';
import { startBanner } from '../src/start-banner.js';
import { get } from './sample-stack.helpers.js';

describe('sample app configuration', () => {
  let externalIdp: EmbeddedIdentityProvider;

  beforeAll(async () => {
    externalIdp = await EmbeddedIdentityProvider.start();
  });

  afterAll(async () => {
    await externalIdp.close();
  });

  it('trusts the provider named by ISSUER, discovering its JWKS and token endpoints, and starts none of its own', async () => {
    const client = externalIdp.client(SAMPLE_APP_CLIENT_ID);
    const stack = await startSampleStack({
      environment: { ISSUER: externalIdp.issuer, CLIENT_ID: client.clientId, CLIENT_SECRET: client.clientSecret },
      logger: false,
    });
    try {
      expect(stack.idp).toBeUndefined();
      const token = await externalIdp.requestToken(DEMO_CLIENT_ID, { scope: ORDERS_API.scope });
      expect((await get(stack, '/orders', token)).status).toBe(200);
      expect((await get(stack, '/inventory', token)).status).toBe(200);
      const seen = externalIdp.stats();
      expect(seen.discoveryRequests).toBeGreaterThanOrEqual(2); // at least the API's and the downstream's
      expect(seen.jwksRequests).toBe(2);
      expect(seen.tokensIssued[SAMPLE_APP_CLIENT_ID]).toBe(1);
      expect(startBanner(stack)).toContain(`trusting the issuer ${externalIdp.issuer}`);
    } finally {
      await stack.close();
    }
  });

  it('refuses to start with ISSUER but without client credentials, naming the missing variable', async () => {
    await expect(startSampleStack({ environment: { ISSUER: externalIdp.issuer }, logger: false })).rejects.toThrow(
      /CLIENT_ID/,
    );
  });

  it('takes JWKS_CACHE_INTEGRITY_KEY as openssl rand -base64 32 prints it, and refuses a passphrase without showing it', async () => {
    const client = externalIdp.client(SAMPLE_APP_CLIENT_ID);
    const environment = { ISSUER: externalIdp.issuer, CLIENT_ID: client.clientId, CLIENT_SECRET: client.clientSecret };
    const stack = await startSampleStack({
      environment: { ...environment, JWKS_CACHE_INTEGRITY_KEY: `${randomBytes(32).toString('base64')}\n` },
      logger: false,
    });
    await stack.close();
    const passphrase = 'a-passphrase-of-32-characters!!!';
    const refused = startSampleStack({
      environment: { ...environment, JWKS_CACHE_INTEGRITY_KEY: passphrase },
      logger: false,
    });
    await expect(refused).rejects.toThrow(/option integrityKey must be 32 random bytes.*openssl rand -base64 32/);
    await expect(refused).rejects.not.toThrow(passphrase);
  });

  it('uses DEMO_CLIENT_SECRET for the demo client and never prints it', async () => {
    const secret = 'a-secret-of-my-own-9f3c';
    const stack = await startSampleStack({ environment: { DEMO_CLIENT_SECRET: secret }, logger: false });
    try {
      const banner = startBanner(stack);
      expect(banner).not.toContain(secret);
      expect(banner).toContain('"demo-client:$DEMO_CLIENT_SECRET"');
      expect(banner).not.toContain(stack.idp!.client(SAMPLE_APP_CLIENT_ID).clientSecret);
      const token = await stack.idp!.requestToken(DEMO_CLIENT_ID, { scope: ORDERS_API.scope });
      expect((await get(stack, '/orders', token)).status).toBe(200);
    } finally {
      await stack.close();
    }
  });
});
