import { LocalIssuer } from '@jwks-cache/testing';
import type { JwksCacheModuleOptions } from '@jwks-cache/nestjs';
import type { BenchMode } from '../mode.js';
import { startOurs, startOursSharingRedis, type OurInstance } from '../ours.js';
import { startRedis } from '../redis.js';
import { barVerdict, type Cell, type Section } from '../report.js';
import { runSection } from '../section.js';
import { measureRounds, opsPerSecond } from '../stats.js';

/** Bars: the hot path ≥ 1 000 000 ops/s; one token request for the whole fleet. */
const HOT_PATH_OPS = 1_000_000;

/** A client of the local issuer's token endpoint; the secret is a throw-away value of this run. */
const CLIENT = { clientId: 'bench-client', clientSecret: 'bench-only-client-secret' };

function tokenOptions(idp: LocalIssuer): JwksCacheModuleOptions {
  return {
    tokens: {
      default: { clientCredentials: { tokenEndpoint: idp.tokenEndpoint, ...CLIENT, scope: 'inventory:read' } },
    },
  };
}

async function hotPath(idp: LocalIssuer, mode: BenchMode): Promise<Array<Record<string, Cell>>> {
  const ours = await startOurs(tokenOptions(idp));
  try {
    const token = await ours.tokens.ensureToken();
    const cached = (): Promise<string> => Promise.resolve(token);
    const measure = (operation: () => Promise<unknown>) =>
      measureRounds(
        mode.rounds,
        () => opsPerSecond(operation, mode.outbound.warmupMs),
        () => opsPerSecond(operation, mode.outbound.roundMs),
      );
    const ensure = await measure(() => ours.tokens.ensureToken());
    const floor = await measure(cached);
    return [
      {
        scenario: 'hot path, sequential calls (ops/s)',
        contender: 'jwks-cache `ensureToken()`',
        median: ensure.median,
        min: ensure.min,
        max: ensure.max,
        target: `≥ ${HOT_PATH_OPS.toLocaleString('en-US')} ops/s`,
        bar: barVerdict(ensure.median >= HOT_PATH_OPS),
      },
      {
        scenario: 'hot path, sequential calls (ops/s)',
        contender: 'floor: an async function returning a cached string',
        median: floor.median,
        min: floor.min,
        max: floor.max,
        target: null,
        bar: null,
      },
    ];
  } finally {
    await ours.close();
  }
}

/** Every instance of the fleet gets its share of the calls, all fired at once. */
async function fleetCalls(idp: LocalIssuer, mode: BenchMode, redisUrl: string): Promise<Record<string, Cell>> {
  const { fleetSize, fleetCalls: calls } = mode.outbound;
  const instances: OurInstance[] = [];
  for (let i = 0; i < fleetSize; i++) instances.push(await startOursSharingRedis(tokenOptions(idp), redisUrl));
  try {
    const before = idp.requests.token;
    const perInstance = Math.ceil(calls / fleetSize);
    const outcomes = await Promise.allSettled(
      instances.flatMap((instance) => Array.from({ length: perInstance }, () => instance.tokens.ensureToken())),
    );
    const requests = idp.requests.token - before;
    const failed = outcomes.filter((outcome) => outcome.status === 'rejected').length;
    return {
      scenario: `${(perInstance * fleetSize).toLocaleString('en-US')} concurrent calls across ${fleetSize} instances sharing Redis (token requests)`,
      contender: 'jwks-cache `ensureToken()`',
      median: requests,
      min: null,
      max: null,
      failed,
      target: '1 token request',
      bar: barVerdict(requests === 1 && failed === 0),
    };
  } finally {
    await Promise.all(instances.map((instance) => instance.close()));
  }
}

/** Outbound tokens: the cost of a cached `ensureToken`, and how many token requests a fleet makes. */
export async function runOutboundSection(mode: BenchMode, log: (line: string) => void): Promise<Section> {
  const idp = await LocalIssuer.start({ algorithms: ['ES256'], clients: [CLIENT] });
  const redis = await startRedis();
  try {
    return await runSection(
      {
        id: 'outbound',
        title: 'Outbound tokens (`TokenCacheService.ensureToken`)',
        scenarios: [
          { name: 'hot path', measure: () => hotPath(idp, mode) },
          { name: 'fleet', measure: async () => [await fleetCalls(idp, mode, redis.url)] },
        ],
        notes: [
          `Client credentials against the local issuer's token endpoint. Hot path: sequential \`await ensureToken()\` with a cached token, ${mode.rounds} rounds of ${mode.outbound.roundMs} ms.`,
          'Fleet: the instances share a `redis-server` started for the run; every call is fired at once, before any answer; the figure is the number of requests the token endpoint received.',
        ],
        columns: [
          { key: 'scenario', label: 'scenario', format: 'text' },
          { key: 'contender', label: 'contender', format: 'text' },
          { key: 'median', label: 'figure (median)' },
          { key: 'min', label: 'min' },
          { key: 'max', label: 'max' },
          { key: 'failed', label: 'failed calls' },
          { key: 'target', label: 'target', format: 'text' },
          { key: 'bar', label: 'bar', format: 'text' },
        ],
      },
      log,
    );
  } finally {
    await redis.stop();
    await idp.close();
  }
}
