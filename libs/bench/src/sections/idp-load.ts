import type { JwksOptions } from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';
import { targetOf, type Contender } from '../contenders.js';
import type { BenchMode } from '../mode.js';
import { startOurs, startOursSharingRedis } from '../ours.js';
import { startRedis } from '../redis.js';
import {
  JWKS_RSA_README_SETTINGS,
  joseRemoteVerifier,
  jwksRsaVerifier,
  type JoseRemoteSettings,
  type JwksRsaSettings,
} from '../references.js';
import { barVerdict, type Cell, type Column, type Section } from '../report.js';
import { runSection } from '../section.js';
import { AUDIENCE, mintDistinct, mintUnknownKid } from '../tokens.js';

/** The algorithm of this section: request counts do not depend on it, and EC keys are quick to generate. */
const ALG = 'ES256';
const DEFAULT_COOLDOWN_MS = 30_000;
const SHORT_COOLDOWN_MS = 2_000;
const OUTAGE_TTL_MS = 1_000;

type IdpContenderId = 'jwks-cache' | 'jose-remote' | 'jwks-rsa';

const LABELS: Record<IdpContenderId, string> = {
  'jwks-cache': 'jwks-cache',
  'jose-remote': 'jose `createRemoteJWKSet`',
  'jwks-rsa': 'jwks-rsa (README settings)',
};

/** Per-scenario settings of each contender; absent fields keep each library's defaults. */
interface ContenderSettings {
  ours?: JwksOptions;
  jose?: JoseRemoteSettings;
  jwksRsa?: JwksRsaSettings;
  redisUrl?: string;
}

async function createIdpContender(
  id: IdpContenderId,
  idp: LocalIssuer,
  settings: ContenderSettings,
): Promise<Contender> {
  const target = targetOf(idp, [ALG]);
  switch (id) {
    case 'jwks-cache': {
      const options = {
        issuers: [
          { issuer: target.issuer, jwksUri: target.jwksUri, audience: AUDIENCE, algorithms: [ALG] as ['ES256'] },
        ],
        jwks: settings.ours,
      };
      const ours = settings.redisUrl
        ? await startOursSharingRedis(options, settings.redisUrl)
        : await startOurs(options);
      return { verify: (token) => ours.provider.verify(token), close: () => ours.close() };
    }
    case 'jose-remote':
      return { verify: joseRemoteVerifier(target, settings.jose), close: async () => {} };
    case 'jwks-rsa':
      return {
        verify: jwksRsaVerifier(target, { ...JWKS_RSA_README_SETTINGS, ...settings.jwksRsa }),
        close: async () => {},
      };
  }
}

/** JWKS and discovery requests the issuer has received so far. */
function keyRequests(idp: LocalIssuer): number {
  return idp.requests.jwks + idp.requests.discovery;
}

/** How long verifications still pending at the end of a scenario are waited for before they count as unanswered. */
const GRACE_MS = 5_000;

type Settlement = 'verified' | 'rejected' | 'unanswered';

/**
 * Waits for every verification, but at most {@link GRACE_MS} from now: a library that leaves
 * some of them pending forever (jwks-rsa does, under concurrent unknown kids) must not hang the run.
 */
async function settleAll(pending: Array<Promise<Settlement>>): Promise<Settlement[]> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Settlement>((resolve) => {
    timer = setTimeout(() => resolve('unanswered'), GRACE_MS);
  });
  try {
    return await Promise.all(pending.map((settlement) => Promise.race([settlement, deadline])));
  } finally {
    clearTimeout(timer);
  }
}

/** Observes a verification at once, so that no rejection goes unhandled while others are still being sent. */
function settlementOf(verification: Promise<unknown>): Promise<Settlement> {
  return verification.then(
    (): Settlement => 'verified',
    (): Settlement => 'rejected',
  );
}

function count(settlements: Settlement[], kind: Settlement): number {
  return settlements.filter((settlement) => settlement === kind).length;
}

async function countFailures(
  verify: (token: string) => Promise<unknown>,
  tokens: string[],
): Promise<{ failed: number; unanswered: number }> {
  const settlements = await settleAll(tokens.map((token) => settlementOf(verify(token))));
  return {
    failed: count(settlements, 'rejected') + count(settlements, 'unanswered'),
    unanswered: count(settlements, 'unanswered'),
  };
}

interface Measured {
  requests: number;
  /** Verifications that did not give the expected answer (unanswered ones included). */
  failed: number;
  /** Verifications still pending {@link GRACE_MS} after the scenario. */
  unanswered: number;
  of: number;
}

/** Runs `scenario` for every contender at once, each against its own issuer, and collects the counts. */
async function forEachContender(
  ids: IdpContenderId[],
  scenario: (id: IdpContenderId, idp: LocalIssuer) => Promise<Measured>,
): Promise<Map<IdpContenderId, Measured>> {
  const results = await Promise.all(
    ids.map(async (id) => {
      const idp = await LocalIssuer.start({ algorithms: [ALG] });
      try {
        return [id, await scenario(id, idp)] as const;
      } finally {
        await idp.close();
      }
    }),
  );
  return new Map(results);
}

const ALL: IdpContenderId[] = ['jwks-cache', 'jose-remote', 'jwks-rsa'];

async function coldStart(mode: BenchMode): Promise<Map<IdpContenderId, Measured>> {
  return forEachContender(ALL, async (id, idp) => {
    const tokens = await mintDistinct(idp, ALG, mode.idp.coldConcurrency, 'cold');
    const contender = await createIdpContender(id, idp, { ours: { warmUp: false } });
    try {
      const failures = await countFailures(contender.verify, tokens);
      return { requests: keyRequests(idp), ...failures, of: tokens.length };
    } finally {
      await contender.close();
    }
  });
}

/** Spreads the unknown-kid tokens evenly over the flood, in ticks of 100 ms, without waiting for answers. */
async function flood(
  verify: (token: string) => Promise<unknown>,
  tokens: string[],
  seconds: number,
): Promise<Settlement[]> {
  const ticks = Math.max(1, Math.round(seconds * 10));
  const perTick = Math.ceil(tokens.length / ticks);
  const pending: Array<Promise<Settlement>> = [];
  for (let tick = 0; tick < ticks; tick++) {
    for (const token of tokens.slice(tick * perTick, (tick + 1) * perTick)) pending.push(settlementOf(verify(token)));
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return settleAll(pending);
}

async function unknownKidFlood(mode: BenchMode, settings: ContenderSettings): Promise<Map<IdpContenderId, Measured>> {
  return forEachContender(ALL, async (id, idp) => {
    const [valid] = await mintDistinct(idp, ALG, 1, 'flood-warm');
    const tokens = await mintUnknownKid(idp, ALG, mode.idp.floodTokens);
    const contender = await createIdpContender(id, idp, settings);
    try {
      await contender.verify(valid);
      const before = keyRequests(idp);
      const settlements = await flood(contender.verify, tokens, mode.idp.floodSeconds);
      // Every unknown-kid token must be rejected; "failed" counts those that were not (accepted or unanswered).
      const failed = tokens.length - count(settlements, 'rejected');
      return {
        requests: keyRequests(idp) - before,
        failed,
        unanswered: count(settlements, 'unanswered'),
        of: tokens.length,
      };
    } finally {
      await contender.close();
    }
  });
}

/** A fleet of instances, started one after another or all at once; each verifies one token once started. */
async function fleet(mode: BenchMode, redisUrl: string, together: boolean): Promise<Map<IdpContenderId, Measured>> {
  const ids: IdpContenderId[] = together ? ['jwks-cache'] : ALL;
  return forEachContender(ids, async (id, idp) => {
    const tokens = await mintDistinct(idp, ALG, mode.idp.fleetSize, 'fleet');
    const startAndVerify = async (token: string): Promise<Contender & { settlement: Settlement }> => {
      const contender = await createIdpContender(id, idp, { redisUrl });
      const [settlement] = await settleAll([settlementOf(contender.verify(token))]);
      return { ...contender, settlement };
    };
    const instances: Array<Contender & { settlement: Settlement }> = [];
    if (together) instances.push(...(await Promise.all(tokens.map(startAndVerify))));
    else for (const token of tokens) instances.push(await startAndVerify(token));
    await Promise.all(instances.map((instance) => instance.close()));
    const settlements = instances.map((instance) => instance.settlement);
    return {
      requests: keyRequests(idp),
      failed: settlements.length - count(settlements, 'verified'),
      unanswered: count(settlements, 'unanswered'),
      of: instances.length,
    };
  });
}

async function outage(mode: BenchMode): Promise<Map<IdpContenderId | 'jwks-rsa-fallback', Measured>> {
  const settings: ContenderSettings = {
    ours: { ttl: OUTAGE_TTL_MS, refreshAhead: 0 },
    jose: { cacheMaxAge: OUTAGE_TTL_MS },
    jwksRsa: { cacheMaxAge: OUTAGE_TTL_MS },
  };
  const run = async (id: IdpContenderId, idp: LocalIssuer, contenderSettings: ContenderSettings): Promise<Measured> => {
    const [warm, ...tokens] = await mintDistinct(idp, ALG, mode.idp.outageTokens + 1, 'outage');
    const contender = await createIdpContender(id, idp, contenderSettings);
    try {
      await contender.verify(warm);
      idp.fail();
      const before = keyRequests(idp);
      await new Promise((resolve) => setTimeout(resolve, OUTAGE_TTL_MS + 300));
      const failures = await countFailures(contender.verify, tokens);
      return { requests: keyRequests(idp) - before, ...failures, of: tokens.length };
    } finally {
      await contender.close();
    }
  };
  const main = await forEachContender(ALL, (id, idp) => run(id, idp, settings));
  const fallback = await forEachContender(['jwks-rsa'], (id, idp) =>
    run(id, idp, { jwksRsa: { cacheMaxAge: OUTAGE_TTL_MS, cacheMaxAgeFallback: 86_400_000 } }),
  );
  return new Map([...main, ['jwks-rsa-fallback', fallback.get('jwks-rsa') as Measured]]);
}

interface ScenarioRows {
  scenario: string;
  results: Map<string, Measured>;
  labels?: Record<string, string>;
  /** The bar of jwks-cache's row; absent for an informative scenario. */
  target?: string;
  met?: (ours: Measured) => boolean;
}

function rowsOf({ scenario, results, labels = {}, target, met }: ScenarioRows): Array<Record<string, Cell>> {
  return [...results].map(([id, measured]) => ({
    scenario,
    contender: labels[id] ?? LABELS[id as IdpContenderId],
    requests: measured.requests,
    failed: `${measured.failed} / ${measured.of}`,
    unanswered: measured.unanswered,
    target: id === 'jwks-cache' ? (target ?? 'informative') : null,
    bar: id === 'jwks-cache' ? barVerdict(met ? met(measured) : null) : null,
  }));
}

const COLUMNS: Column[] = [
  { key: 'scenario', label: 'scenario', format: 'text' },
  { key: 'contender', label: 'contender', format: 'text' },
  { key: 'requests', label: 'JWKS requests' },
  { key: 'failed', label: 'failed', format: 'text' },
  { key: 'unanswered', label: 'unanswered' },
  { key: 'target', label: 'target', format: 'text' },
  { key: 'bar', label: 'bar', format: 'text' },
];

/** Identity-provider load: how many JWKS requests each contender makes, and how many verifications fail. */
export async function runIdpLoadSection(mode: BenchMode, log: (line: string) => void): Promise<Section> {
  const { coldConcurrency, floodTokens, floodSeconds, fleetSize, outageTokens } = mode.idp;
  const floodLabel = `${floodTokens.toLocaleString('en-US')} unknown-kid tokens over ${floodSeconds} s`;
  const allowedIn = (cooldownMs: number): number => Math.ceil((floodSeconds * 1_000) / cooldownMs);
  const redis = await startRedis();
  const scenarios: Array<Omit<ScenarioRows, 'results'> & { measure: () => Promise<ScenarioRows['results']> }> = [
    {
      scenario: `cold start, ${coldConcurrency.toLocaleString('en-US')} concurrent verifications`,
      measure: () => coldStart(mode),
      target: '1 JWKS request',
      met: (ours) => ours.requests === 1 && ours.failed === 0,
    },
    {
      scenario: `flood: ${floodLabel}, default cooldowns`,
      measure: () => unknownKidFlood(mode, {}),
      target: `≤ ${allowedIn(DEFAULT_COOLDOWN_MS)} (1 per 30 s cooldown)`,
      met: (ours) => ours.requests <= allowedIn(DEFAULT_COOLDOWN_MS) && ours.failed === 0,
    },
    {
      scenario: `flood: ${floodLabel}, cooldown 2 s (jwks-cache, jose)`,
      measure: () =>
        unknownKidFlood(mode, { ours: { cooldown: SHORT_COOLDOWN_MS }, jose: { cooldownDuration: SHORT_COOLDOWN_MS } }),
      target: `≤ ${allowedIn(SHORT_COOLDOWN_MS)} (1 per 2 s cooldown)`,
      met: (ours) => ours.requests <= allowedIn(SHORT_COOLDOWN_MS) && ours.failed === 0,
    },
    {
      scenario: `fleet of ${fleetSize} instances started one after another (jwks-cache: shared Redis)`,
      measure: () => fleet(mode, redis.url, false),
      target: '1 JWKS request',
      met: (ours) => ours.requests === 1 && ours.failed === 0,
    },
    {
      scenario: `fleet of ${fleetSize} instances started at once (jwks-cache: shared Redis)`,
      measure: () => fleet(mode, redis.url, true),
    },
    {
      scenario: `outage: issuer answers 503 after a 1 s ttl, ${outageTokens} valid tokens`,
      measure: () => outage(mode),
      labels: { 'jwks-rsa-fallback': 'jwks-rsa + `cacheMaxAgeFallback` (opt-in)' },
      target: '0 failed',
      met: (ours) => ours.failed === 0,
    },
  ];
  try {
    return await runSection(
      {
        id: 'idp-load',
        title: 'Identity-provider load (request counts at the local issuer)',
        columns: COLUMNS,
        scenarios: scenarios.map(({ measure, ...rows }) => ({
          name: rows.scenario,
          measure: async () => rowsOf({ ...rows, results: await measure() }),
        })),
        notes: [
          `ES256 keys; every contender gets its own \`LocalIssuer\`; "requests" counts JWKS (and discovery) requests the issuer received in the scenario; "failed" counts verifications that did not give the expected answer.`,
          `"unanswered" counts verifications still pending ${GRACE_MS / 1_000} s after the scenario ended (counted as failed too).`,
          'Cold start: jwks-cache with `warmUp: false`, so the verifications meet an empty cache; the references have no warm-up.',
          `Flood: one valid token is verified first (its fetch is not counted), then the unknown-kid tokens arrive in ticks of 100 ms${mode.name === 'full' ? '' : ` (${mode.name} mode: ${floodSeconds} s instead of 10 s)`}. With default cooldowns the last fetch has just happened, so 0 is possible; the 2 s row shows the cooldown at work. jwks-rsa always uses its README rate limit (5 requests/min).`,
          'Fleet: jwks-cache instances share a `redis-server` started for the run (a Keyv store); the references have no shared store, each instance fetches.',
          'Outage: ttl 1 s (jwks-cache `jwks.ttl`, jose `cacheMaxAge`, jwks-rsa `cacheMaxAge`), the issuer then answers 503 and the tokens are verified once the ttl is over.',
        ],
      },
      log,
    );
  } finally {
    await redis.stop();
  }
}
