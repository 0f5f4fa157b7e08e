import { setTimeout as sleep } from 'node:timers/promises';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import { TokenCacheService } from '@jwks-cache/nestjs';
import { decodeProtectedHeader } from 'jose';
import { INVENTORY_TOKEN } from '../api-options.js';
import { startSampleStack, type SampleStack } from '../bootstrap.js';
import type { EmbeddedIdentityProvider } from '../identity-provider/embedded-identity-provider.js';
import { DEMO_CLIENT_ID, SAMPLE_APP_CLIENT_ID } from '../identity-provider/resource-servers.js';
import { DemoCallerModule, NO_SCOPE_TOKEN, ORDERS_READER_TOKEN } from './demo-caller.module.js';

/** How many calls show that the provider is asked once, not per call. */
export const DEMO_CALLS = 200;
/** Calls made while and after the provider rotates its signing key. */
const ROTATION_CALLS = 50;
/** Requests in flight at once during the load steps. */
const CONCURRENCY = 10;
/**
 * The verifiers' unknown-`kid` cooldown in the demo (the default is 30 s): the demo rotates a
 * few seconds after start, and a verifier refetches for an unknown `kid` at most once per cooldown.
 */
export const DEMO_JWKS_COOLDOWN_MS = 1_000;

/** A step of the story did not go as told; the message says which and what was seen. */
export class DemoStepFailed extends Error {
  override readonly name = 'DemoStepFailed';
}

/**
 * The demo, unattended: starts the embedded provider, the downstream and the API on free ports,
 * tells the story step by step through `print`, and throws {@link DemoStepFailed} at the first
 * step that does not hold. Everything is stopped before it returns or throws.
 */
export async function runDemo(print: (line: string) => void): Promise<void> {
  const stack = await startSampleStack({
    environment: { JWKS_COOLDOWN_MS: String(DEMO_JWKS_COOLDOWN_MS) },
    logger: ['error'],
  });
  let caller: INestApplicationContext | undefined;
  try {
    const idp = stack.idp!;
    caller = await NestFactory.createApplicationContext(
      DemoCallerModule.register({
        tokenEndpoint: idp.tokenEndpoint,
        clientSecret: idp.client(DEMO_CLIENT_ID).clientSecret,
      }),
      { logger: ['error'] },
    );
    print(`API ${stack.apiUrl}, inventory service ${stack.downstreamUrl}, OpenID provider ${idp.issuer}`);
    await tellStory(new DemoSteps(stack, idp, caller.get(TokenCacheService), print));
  } finally {
    await caller?.close();
    await stack.close();
  }
}

async function tellStory(steps: DemoSteps): Promise<void> {
  const tokens = await steps.obtainTokens();
  await steps.showClaims(tokens.withScope);
  await steps.showScopeCheck(tokens);
  await steps.showDownstreamCall(tokens.withScope);
  await steps.showDpopBinding();
  await steps.showMessageCall(tokens.withScope);
  await steps.showCallsCostNothingAtTheProvider();
  await steps.showKeyRotation(tokens.withScope);
}

class DemoSteps {
  private step = 0;

  constructor(
    private readonly stack: SampleStack,
    private readonly idp: EmbeddedIdentityProvider,
    private readonly callerTokens: TokenCacheService,
    private readonly print: (line: string) => void,
  ) {}

  async obtainTokens(): Promise<{ withScope: string; withoutScope: string }> {
    const withScope = await this.callerTokens.ensureToken(ORDERS_READER_TOKEN);
    const withoutScope = await this.callerTokens.ensureToken(NO_SCOPE_TOKEN);
    this.report(
      `two access tokens for ${DEMO_CLIENT_ID} through TokenCacheService (client credentials): one with orders:read, one without`,
    );
    return { withScope, withoutScope };
  }

  async showClaims(token: string): Promise<void> {
    const response = await this.expectStatus('GET /me', '/me', token, 200);
    const claims = (await response.json()) as { sub?: string; aud?: string; iss?: string };
    this.report(`GET /me → 200, verified claims: sub=${claims.sub}, aud=${claims.aud}, iss=${claims.iss}`);
  }

  async showScopeCheck(tokens: { withScope: string; withoutScope: string }): Promise<void> {
    const denied = await this.expectStatus('GET /orders without the scope', '/orders', tokens.withoutScope, 403);
    await this.expectStatus('GET /orders with the scope', '/orders', tokens.withScope, 200);
    this.report(`GET /orders → 403 without orders:read (${denied.headers.get('www-authenticate')}), 200 with it`);
  }

  async showDownstreamCall(token: string): Promise<void> {
    const response = await this.expectStatus('GET /inventory', '/inventory', token, 200);
    const body = (await response.json()) as { servedTo?: string };
    this.report(
      `GET /inventory → 200: the API called the inventory service with its own token (served to ${body.servedTo})`,
    );
  }

  /** The API's inventory token is DPoP-bound: useless as Bearer, and each proof is good once. */
  async showDpopBinding(): Promise<void> {
    const apiTokens = this.stack.api.get(TokenCacheService);
    const token = await apiTokens.ensureToken(INVENTORY_TOKEN);
    const url = new URL('/inventory', this.stack.downstreamUrl).toString();
    const asBearer = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    this.require(asBearer.status === 401, `the DPoP-bound token was accepted as a Bearer token (${asBearer.status})`);
    const headers = {
      authorization: `DPoP ${token}`,
      dpop: await apiTokens.dpopProof(INVENTORY_TOKEN, { method: 'GET', url }),
    };
    const first = await fetch(url, { headers });
    const replayed = await fetch(url, { headers });
    this.require(first.status === 200, `the DPoP request with a fresh proof got ${first.status}`);
    this.require(replayed.status === 401, `the replayed DPoP proof got ${replayed.status}`);
    this.report(
      `the API's inventory token is DPoP-bound (cnf.jkt, RFC 9449): sent as Bearer → 401; with a fresh proof → 200; ` +
        `the same proof replayed → 401 (${replayed.headers.get('www-authenticate')})`,
    );
  }

  async showMessageCall(token: string): Promise<void> {
    const response = await this.expectStatus('GET /inventory/reserve', '/inventory/reserve', token, 200);
    const body = (await response.json()) as { reservedFor?: string };
    this.report(
      `GET /inventory/reserve → 200: the API sent a TCP message with a Bearer token of the same client (a message has no URL for a DPoP proof), verified by the inventory service's JwtGuard (reserved for ${body.reservedFor})`,
    );
  }

  async showCallsCostNothingAtTheProvider(): Promise<void> {
    const before = this.idp.stats();
    const failures = await this.callConcurrently(DEMO_CALLS, async () => {
      const response = await this.call('/inventory', await this.callerTokens.ensureToken(ORDERS_READER_TOKEN));
      return response.status === 200;
    });
    const after = this.idp.stats();
    this.require(failures === 0, `${failures} of ${DEMO_CALLS} calls to /inventory failed`);
    this.require(
      after.jwksRequests === before.jwksRequests && after.tokenRequests === before.tokenRequests,
      `the ${DEMO_CALLS} calls reached the provider (JWKS ${after.jwksRequests - before.jwksRequests}×, token ${after.tokenRequests - before.tokenRequests}×)`,
    );
    this.require(
      after.jwksRequests === 2,
      `expected 2 JWKS fetches since start (one per verifying service), saw ${after.jwksRequests}`,
    );
    // One DPoP-bound token for its HTTP calls, one Bearer token for its TCP messages.
    this.require(
      after.tokensIssued[SAMPLE_APP_CLIENT_ID] === 2,
      `expected 2 tokens for the API's client (HTTP, messages), saw ${after.tokensIssued[SAMPLE_APP_CLIENT_ID] ?? 0}`,
    );
    this.report(
      `${DEMO_CALLS} calls to /inventory → all 200; at the provider since start: 1 JWKS fetch per verifying service ` +
        `(API, inventory service: ${after.jwksRequests} in all), 1 token request per token of the API's client (HTTP, messages), ` +
        `and 0 requests of any kind during the ${DEMO_CALLS} calls`,
    );
  }

  async showKeyRotation(oldToken: string): Promise<void> {
    const oldKid = this.idp.keyState().signing;
    const newKid = await this.idp.publishNextKey();
    await this.waitForCooldown();
    await this.idp.activateNextKey();
    await this.callerTokens.invalidate(ORDERS_READER_TOKEN);
    await this.stack.api.get(TokenCacheService).invalidate(INVENTORY_TOKEN);
    const newToken = await this.callerTokens.ensureToken(ORDERS_READER_TOKEN);
    this.require(
      decodeProtectedHeader(newToken).kid === newKid,
      'the token issued after the rotation is not signed with the new key',
    );
    const before = this.idp.stats();
    const failures = await this.callConcurrently(ROTATION_CALLS, async (i) => {
      const token = i % 2 === 0 ? newToken : oldToken;
      const path = i % 4 < 2 ? '/orders' : '/inventory';
      return (await this.call(path, token)).status === 200;
    });
    const refetches = this.idp.stats().jwksRequests - before.jwksRequests;
    this.require(failures === 0, `${failures} of ${ROTATION_CALLS} calls failed during the key rotation`);
    this.require(
      refetches === 2,
      `expected 1 JWKS refetch per verifying service for the new kid, saw ${refetches} in all`,
    );
    this.report(
      `key rotation at the provider (published ${short(newKid)} next to ${short(oldKid)}, then signed with it): ` +
        `${ROTATION_CALLS} calls with old- and new-key tokens → 0 failed; ` +
        `${refetches} JWKS refetches for the new kid (one per verifying service)`,
    );
  }

  /** Waits until the verifiers may refetch for an unknown `kid` (their last fetch is a cooldown old). */
  private async waitForCooldown(): Promise<void> {
    const lastFetch = this.idp.stats().lastJwksRequestAt ?? 0;
    const remaining = lastFetch + DEMO_JWKS_COOLDOWN_MS - Date.now();
    if (remaining > 0) await sleep(remaining + 50);
  }

  private async callConcurrently(count: number, call: (index: number) => Promise<boolean>): Promise<number> {
    let failures = 0;
    for (let start = 0; start < count; start += CONCURRENCY) {
      const batch = Array.from({ length: Math.min(CONCURRENCY, count - start) }, (_, offset) => call(start + offset));
      failures += (await Promise.all(batch)).filter((ok) => !ok).length;
    }
    return failures;
  }

  private call(path: string, token: string): Promise<Response> {
    return fetch(new URL(path, this.stack.apiUrl), { headers: { authorization: `Bearer ${token}` } });
  }

  private async expectStatus(step: string, path: string, token: string, status: number): Promise<Response> {
    const response = await this.call(path, token);
    if (response.status !== status) {
      const challenge = response.headers.get('www-authenticate');
      throw new DemoStepFailed(
        `${step}: expected ${status}, got ${response.status}${challenge ? ` (${challenge})` : ''}`,
      );
    }
    return response;
  }

  private require(condition: boolean, failure: string): void {
    if (!condition) throw new DemoStepFailed(failure);
  }

  private report(line: string): void {
    this.step += 1;
    this.print(`${this.step}. ${line}`);
  }
}

function short(kid: string): string {
  return `${kid.slice(0, 8)}…`;
}
