import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { LocalIssuer, type TestAlgorithm } from '@jwks-cache/testing';
import {
  FetchError,
  FetchTimeoutError,
  InvalidResponseError,
  KeySetUnavailableError,
  NoMatchingKeyError,
  ResponseTooLargeError,
  TokenRequestError,
  TokenUnusableError,
  type JwksCacheError,
  type JwksCacheEventMap,
  type JwksCacheModuleOptions,
} from '@jwks-cache/nestjs';
import type { ErrorClass } from '../security/attack-cases.js';
import { CapturingLogger } from '../security/support/capturing-logger.js';
import { startGuardedApp, type GuardedApp } from '../security/support/guarded-app.js';
import { ScriptedServer } from '../security/support/scripted-server.js';
import { fakeClock, restoreClock } from '../../../../test/support/fake-clock.js';

const TTL = 60_000;
/**
 * Generous for a healthy local fetch, so a busy machine never turns one into a timeout; the slow
 * faults answer 10 times later than this, so they always hit it.
 */
const JWKS_TIMEOUT = 1_000;
const MAX_RESPONSE_BYTES = 65_536;
const CLIENT = { clientId: 'orders-service', clientSecret: 'fault-matrix-client-secret-value' };
const TOKEN_TIMEOUT = 1_000;
const TOKEN_LIFETIME_S = 3_600;
/**
 * Two keys (a retired one and a kept one) of algorithms generated in under a millisecond: the
 * default set holds two RSA keys, about 0.5 s of key generation per issuer, and every test starts one.
 */
const ISSUER_ALGORITHMS: TestAlgorithm[] = ['ES256', 'EdDSA'];

/** The test titles, shared with the check that `docs/faults.md` lists every one of them. */
const TITLES = {
  ISSUER_COLD:
    'cold cache: tokens are refused at once (401, KeySetUnavailableError) after the one failed warm-up fetch',
  ISSUER_WARM:
    'warm cache past its ttl: tokens verify with the last good keys (stale, counted), after one failed refetch',
  KEY_RETIRED:
    'keys removed (one key retired): after the refresh, its tokens are refused (NoMatchingKeyError); the others verify',
  KEYS_ROTATED:
    'keys rotated: a token with the new kid makes one refetch (past the cooldown) and verifies; the old kid still verifies',
  TOKEN_COLD:
    'cold cache: ensureToken rejects with the endpoint status and OAuth error; the next call requests again, a third within the backoff sends no request',
  TOKEN_EXPIRED: 'warm cache, expired: the expired token is never handed out; ensureToken rejects after one request',
  TOKEN_REFRESH_AHEAD:
    'warm cache, in the refresh-ahead window: the cached token keeps being served while the refresh fails',
  OPAQUE_DEFAULT: 'by default: handed out but never cached, so each call requests again',
  OPAQUE_REJECTED: 'with rejectUnparsable: TokenUnusableError, counted as a failure',
  OUTAGE_LOGS: 'an outage past the ttl logs one fetch warning and one stale warning per minute, not one per request',
  GUARD_FLOOD: 'a cold outage: 20 refused requests write at most one guard warning',
} as const;

/** One log for the whole matrix: checked at the end for tokens and secrets. */
const logs = new CapturingLogger();
const secrets: string[] = [CLIENT.clientSecret];

/** Background retries far away, so every count below is exact. */
function jwksOptions(idp: LocalIssuer): JwksCacheModuleOptions {
  return {
    issuers: [{ issuer: idp.issuer, jwksUri: idp.jwksUri }],
    jwks: {
      ttl: TTL,
      refreshAhead: 0,
      timeout: JWKS_TIMEOUT,
      maxResponseBytes: MAX_RESPONSE_BYTES,
      retryBackoff: { initial: 600_000, max: 600_000, jitter: 0 },
    },
  };
}

function collect<E extends keyof JwksCacheEventMap>(guarded: GuardedApp, event: E): JwksCacheEventMap[E][] {
  const seen: JwksCacheEventMap[E][] = [];
  guarded.events.on(event, (payload) => seen.push(payload));
  return seen;
}

async function rejectionOf(promise: Promise<unknown>): Promise<JwksCacheError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: JwksCacheError) => error,
  );
}

function guardedGet(guarded: GuardedApp, token: string) {
  return request(guarded.server).get('/guarded').set('Authorization', `Bearer ${token}`);
}

interface IssuerFault {
  scenario: string;
  inject(idp: LocalIssuer, elsewhere: ScriptedServer): void;
  /** The `FetchError` subclass of the failed fetch (as `jwks.fetch_failed` carries it). */
  expected: ErrorClass;
  status?: number;
}

/** Issuer faults that make a fetch fail. `docs/faults.md` lists them with these test names. */
const ISSUER_FAULTS: IssuerFault[] = [
  { scenario: 'issuer down (503)', inject: (idp) => idp.fail({ status: 503 }), expected: FetchError, status: 503 },
  { scenario: 'JWKS not found (404)', inject: (idp) => idp.fail({ status: 404 }), expected: FetchError, status: 404 },
  { scenario: 'slow beyond the timeout', inject: (idp) => idp.slow(JWKS_TIMEOUT * 10), expected: FetchTimeoutError },
  { scenario: 'connection reset', inject: (idp) => idp.resetConnections(), expected: FetchError },
  { scenario: 'garbage body', inject: (idp) => idp.garbage(), expected: InvalidResponseError },
  {
    scenario: 'oversized body',
    inject: (idp) => idp.oversized(MAX_RESPONSE_BYTES * 2),
    expected: ResponseTooLargeError,
  },
  { scenario: 'invalid JWKS shape', inject: (idp) => idp.invalidShape(), expected: InvalidResponseError },
  {
    scenario: 'redirect to another origin',
    inject: (idp, elsewhere) => idp.redirect(`${elsewhere.origin}/jwks`),
    expected: InvalidResponseError,
    status: 302,
  },
  {
    scenario: 'keys removed (empty key set)',
    inject: (idp) => idp.publishedKids().forEach((kid) => idp.retire(kid)),
    expected: InvalidResponseError,
  },
];

interface TokenFault {
  scenario: string;
  inject(idp: LocalIssuer): void;
  status?: number;
  oauthError?: string;
}
/** Token endpoint faults. `docs/faults.md` lists them with these test names. */
const TOKEN_FAULTS: TokenFault[] = [
  {
    scenario: 'token endpoint 5xx (503)',
    inject: (idp) => idp.failTokenEndpoint({ status: 503 }),
    status: 503,
    oauthError: 'temporarily_unavailable',
  },
  {
    scenario: 'token endpoint 400 (invalid_scope)',
    inject: (idp) => idp.failTokenEndpoint({ status: 400, error: 'invalid_scope' }),
    status: 400,
    oauthError: 'invalid_scope',
  },
  { scenario: 'token endpoint slow beyond the timeout', inject: (idp) => idp.slowTokenEndpoint(TOKEN_TIMEOUT * 10) },
];

const UNPARSABLE_TOKEN = 'token endpoint answers an unparsable token (not a JWT, no expires_in)';

describe('fault matrix', () => {
  let idp: LocalIssuer | undefined;
  let elsewhere: ScriptedServer | undefined;
  let guarded: GuardedApp | undefined;

  afterEach(async () => {
    restoreClock();
    await guarded?.close();
    await Promise.all([idp?.close(), elsewhere?.close()]);
    guarded = undefined;
    idp = undefined;
    elsewhere = undefined;
  });

  /** Starts an issuer (with `faultBeforeStart` already injected) and the app; `token` was minted before the fault. */
  async function start(
    faultBeforeStart?: IssuerFault,
  ): Promise<{ idp: LocalIssuer; elsewhere: ScriptedServer; guarded: GuardedApp; token: string }> {
    idp = await LocalIssuer.start({ algorithms: ISSUER_ALGORITHMS });
    elsewhere = await ScriptedServer.start();
    elsewhere.serve(JSON.stringify(idp.jwks()));
    const token = await idp.mint();
    faultBeforeStart?.inject(idp, elsewhere);
    guarded = await startGuardedApp(jwksOptions(idp), logs);
    return { idp, elsewhere, guarded, token };
  }

  describe('issuer (JWKS) faults', () => {
    describe.each(ISSUER_FAULTS.map((fault) => [fault.scenario, fault] as const))('%s', (_scenario, fault) => {
      it(TITLES.ISSUER_COLD, async () => {
        const { idp, elsewhere, guarded, token } = await start(fault);
        const failed = collect(guarded, 'jwks.fetch_failed');

        for (let i = 0; i < 5; i++) expect((await guardedGet(guarded, token)).status).toBe(401);
        const error = await rejectionOf(guarded.provider.verify(token));
        expect(error).toBeInstanceOf(KeySetUnavailableError);

        // Only the warm-up reached the issuer: requests do not wait on (or hammer) a failing IdP.
        expect(idp.requests.jwks).toBe(1);
        expect(elsewhere.requests).toBe(0);
        expect(failed).toHaveLength(0); // no further fetch attempt, hence no further failure
        const stats = guarded.provider.stats().issuers[idp.issuer];
        expect(stats).toMatchObject({ state: 'empty', keys: 0, fetches: 1, fetchErrors: 1 });
      });

      it(TITLES.ISSUER_WARM, async () => {
        const { idp, elsewhere, guarded, token } = await start();
        const goodKeys = (await guarded.provider.getJwks(idp.issuer)).keys;
        const failed = collect(guarded, 'jwks.fetch_failed');
        fault.inject(idp, elsewhere);
        fakeClock(Date.now() + TTL + 1_000);

        for (let i = 0; i < 5; i++) expect((await guardedGet(guarded, token)).status).toBe(200);
        await expect(guarded.provider.verify(token)).resolves.toMatchObject({ issuer: idp.issuer });

        expect(failed).toHaveLength(1);
        expect(failed[0].error).toBeInstanceOf(fault.expected);
        expect(failed[0].error.code).toBe(fault.expected.code);
        if (fault.status !== undefined) expect((failed[0].error as FetchError).status).toBe(fault.status);
        // The warm-up and one refetch; the other requests were served stale without waiting.
        expect(idp.requests.jwks).toBe(2);
        expect(elsewhere.requests).toBe(0);
        const stats = guarded.provider.stats().issuers[idp.issuer];
        expect(stats).toMatchObject({ state: 'stale', fetches: 2, fetchErrors: 1, staleServes: 6 });
        expect((await guarded.provider.getJwks(idp.issuer)).keys).toEqual(goodKeys);
      });
    });

    it(TITLES.KEY_RETIRED, async () => {
      const { idp, guarded } = await start();
      const [retiredKid, keptKid] = idp.publishedKids();
      const retiredToken = await idp.mint({}, { kid: retiredKid });
      const keptToken = await idp.mint({}, { kid: keptKid });
      await expect(guarded.provider.verify(retiredToken)).resolves.toBeDefined();

      idp.retire(retiredKid);
      fakeClock(Date.now() + TTL + 1_000);

      expect((await guardedGet(guarded, retiredToken)).status).toBe(401);
      expect(await rejectionOf(guarded.provider.verify(retiredToken))).toBeInstanceOf(NoMatchingKeyError);
      await expect(guarded.provider.verify(keptToken)).resolves.toBeDefined();
      expect(idp.requests.jwks).toBe(2);
    });

    it(TITLES.KEYS_ROTATED, async () => {
      const { idp, guarded } = await start();
      const oldToken = await idp.mint();
      const { kid } = await idp.rotate();
      const newToken = await idp.mint({}, { kid });
      fakeClock(Date.now() + 31_000);

      for (let i = 0; i < 5; i++) expect((await guardedGet(guarded, newToken)).status).toBe(200);
      expect((await guardedGet(guarded, oldToken)).status).toBe(200);
      expect(idp.requests.jwks).toBe(2);
    });
  });

  describe('token endpoint faults (TokenCacheService, client credentials)', () => {
    async function startTokens(): Promise<{ idp: LocalIssuer; guarded: GuardedApp }> {
      idp = await LocalIssuer.start({
        algorithms: ISSUER_ALGORITHMS,
        clients: [CLIENT],
        tokenLifetime: TOKEN_LIFETIME_S,
      });
      guarded = await startGuardedApp(
        {
          tokens: {
            inventory: { clientCredentials: { tokenEndpoint: idp.tokenEndpoint, ...CLIENT, timeout: TOKEN_TIMEOUT } },
          },
        },
        logs,
      );
      return { idp, guarded };
    }

    function expectTokenError(error: JwksCacheError, fault: TokenFault): void {
      expect(error).toBeInstanceOf(TokenRequestError);
      expect((error as TokenRequestError).status).toBe(fault.status);
      expect((error as TokenRequestError).error).toBe(fault.oauthError);
      expect(error.message).not.toContain(CLIENT.clientSecret);
    }

    describe.each(TOKEN_FAULTS.map((fault) => [fault.scenario, fault] as const))('%s', (_scenario, fault) => {
      it(TITLES.TOKEN_COLD, async () => {
        const { idp, guarded } = await startTokens();
        const failed = collect(guarded, 'token.failed');
        fault.inject(idp);
        fakeClock(); // a still clock: the third call falls inside the backoff at any speed

        expectTokenError(await rejectionOf(guarded.tokens.ensureToken('inventory')), fault);
        // A first failure is not cached: the next call requests at once.
        expectTokenError(await rejectionOf(guarded.tokens.ensureToken('inventory')), fault);
        expect(idp.requests.token).toBe(2);
        // From the second consecutive failure on, the backoff answers with the last error.
        const third = await rejectionOf(guarded.tokens.ensureToken('inventory'));
        expectTokenError(third, fault);
        expect(third).toBe(failed[1]?.error);

        expect(idp.requests.token).toBe(2);
        expect(failed).toHaveLength(2);
        expect(guarded.tokens.stats().inventory).toMatchObject({ fetched: 0, failures: 2 });
      });

      it(TITLES.TOKEN_EXPIRED, async () => {
        const { idp, guarded } = await startTokens();
        const first = await guarded.tokens.ensureToken('inventory');
        secrets.push(first);
        fault.inject(idp);
        fakeClock(Date.now() + TOKEN_LIFETIME_S * 1000);

        expectTokenError(await rejectionOf(guarded.tokens.ensureToken('inventory')), fault);
        expect(idp.requests.token).toBe(2);
      });

      it(TITLES.TOKEN_REFRESH_AHEAD, async () => {
        const { idp, guarded } = await startTokens();
        const first = await guarded.tokens.ensureToken('inventory');
        secrets.push(first);
        const failedOnce = new Promise<void>((resolve) => guarded.events.on('token.failed', () => resolve()));
        fault.inject(idp);
        // 90 s before expiry: inside refreshAhead (60 s) before exp − leeway (60 s).
        fakeClock(Date.now() + (TOKEN_LIFETIME_S - 90) * 1000);

        await expect(guarded.tokens.ensureToken('inventory')).resolves.toBe(first);
        await failedOnce;
        await expect(guarded.tokens.ensureToken('inventory')).resolves.toBe(first);
        expect(idp.requests.token).toBe(2);
        expect(guarded.tokens.stats().inventory).toMatchObject({ fetched: 1, failures: 1, refreshedAhead: 1 });
      });
    });

    describe(UNPARSABLE_TOKEN, () => {
      let endpoint: ScriptedServer | undefined;
      afterEach(async () => {
        await endpoint?.close();
        endpoint = undefined;
      });

      async function startOpaque(
        rejectUnparsable: boolean,
      ): Promise<{ endpoint: ScriptedServer; guarded: GuardedApp }> {
        endpoint = await ScriptedServer.start();
        endpoint.serve(JSON.stringify({ access_token: 'opaque-token-value-0123456789', token_type: 'Bearer' }));
        guarded = await startGuardedApp(
          {
            tokens: {
              opaque: { clientCredentials: { tokenEndpoint: `${endpoint.origin}/token`, ...CLIENT }, rejectUnparsable },
            },
          },
          logs,
        );
        secrets.push('opaque-token-value-0123456789');
        return { endpoint, guarded };
      }

      it(TITLES.OPAQUE_DEFAULT, async () => {
        const { endpoint, guarded } = await startOpaque(false);
        await expect(guarded.tokens.ensureToken('opaque')).resolves.toBe('opaque-token-value-0123456789');
        await expect(guarded.tokens.ensureToken('opaque')).resolves.toBe('opaque-token-value-0123456789');
        expect(endpoint.requests).toBe(2);
      });

      it(TITLES.OPAQUE_REJECTED, async () => {
        const { endpoint, guarded } = await startOpaque(true);
        expect(await rejectionOf(guarded.tokens.ensureToken('opaque'))).toBeInstanceOf(TokenUnusableError);
        expect(endpoint.requests).toBe(1);
        expect(guarded.tokens.stats().opaque).toMatchObject({ fetched: 0, failures: 1 });
      });
    });
  });

  describe('logs', () => {
    it(TITLES.OUTAGE_LOGS, async () => {
      const { idp, guarded, token } = await start();
      idp.fail({ status: 503 });
      const clock = fakeClock(Date.now() + TTL + 1_000);
      const before = logs.lines.length;

      for (let i = 0; i < 20; i++) await guarded.provider.verify(token);
      const burst = logs.lines.slice(before);
      expect(burst.filter((line) => line.includes('Fetching the keys of issuer'))).toHaveLength(1);
      expect(burst.filter((line) => line.includes('with its last good keys'))).toHaveLength(1);

      clock.advance(61_000);
      await guarded.provider.verify(token);
      const next = logs.lines.slice(before + burst.length).filter((line) => line.includes('with its last good keys'));
      expect(next).toHaveLength(1);
      expect(next[0]).toContain('(19 similar messages suppressed)');
    });

    // JwtGuard rate-limits the outage warning: a cold outage writes one line, not one per request.
    it(TITLES.GUARD_FLOOD, async () => {
      const { guarded, token } = await start(ISSUER_FAULTS[0]);
      const before = logs.lines.length;
      for (let i = 0; i < 20; i++) expect((await guardedGet(guarded, token)).status).toBe(401);
      const guardWarnings = logs.lines
        .slice(before)
        .filter((line) => line.startsWith('[warn]') && line.includes(KeySetUnavailableError.code));
      expect(guardWarnings.length).toBeLessThanOrEqual(1);
    });

    afterAll(() => {
      // Runs after every scenario above: no token, no client secret, in any line.
      expect(logs.lines.length).toBeGreaterThan(0);
      expect(logs.leaked(secrets)).toEqual([]);
    });
  });

  describe('docs/faults.md', () => {
    it('lists every scenario of this matrix with its exact test names, and nothing else', () => {
      const doc = readFileSync(fileURLToPath(new URL('../../docs/faults.md', import.meta.url)), 'utf8');
      const expected = [
        ...ISSUER_FAULTS.flatMap(({ scenario }) => [
          `${scenario} › ${TITLES.ISSUER_COLD}`,
          `${scenario} › ${TITLES.ISSUER_WARM}`,
        ]),
        TITLES.KEY_RETIRED,
        TITLES.KEYS_ROTATED,
        ...TOKEN_FAULTS.flatMap(({ scenario }) =>
          [TITLES.TOKEN_COLD, TITLES.TOKEN_EXPIRED, TITLES.TOKEN_REFRESH_AHEAD].map(
            (title) => `${scenario} › ${title}`,
          ),
        ),
        `${UNPARSABLE_TOKEN} › ${TITLES.OPAQUE_DEFAULT}`,
        `${UNPARSABLE_TOKEN} › ${TITLES.OPAQUE_REJECTED}`,
        TITLES.OUTAGE_LOGS,
        TITLES.GUARD_FLOOD,
      ];
      const documented = [...doc.matchAll(/^\|.*\|\s*`([^`]+)`\s*\|\s*$/gm)].map((match) => match[1]);
      expect(documented).toEqual(expected);
    });
  });
});
