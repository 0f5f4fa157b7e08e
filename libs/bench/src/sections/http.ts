import { LocalIssuer } from '@jwks-cache/testing';
import { targetOf } from '../contenders.js';
import type { BenchMode, Platform } from '../mode.js';
import type { Column, Section } from '../report.js';
import { interleavedRounds, pairedRatio, pairedRatios, ratioList } from '../rounds.js';
import { barCells, runSection, type Row, type Scenario } from '../section.js';
import { summarize } from '../stats.js';
import { mintDistinct } from '../tokens.js';
import { sendLoad, type LoadRound } from '../http/load.js';
import { RESOURCE_PATH, ROUTE_KINDS, ROUTE_LABELS, type RouteKind } from '../http/route-kinds.js';
import { startServerProcess, type ServerProcess } from '../http/server-process.js';

type TokenMode = 'repeated' | 'pool';

/**
 * Bars. One token repeated, paired per round: `JwtGuard` ÷ the floor guard ≥ 0.90 on every
 * platform, and `JwtGuard` ÷ bare ≥ 0.90 on Express. A rotated pool: ≥ 2× passport + jwks-rsa and
 * ≥ 1.0× the jose guard.
 */
const REPEATED_VS_FLOOR = 0.9;
const REPEATED_VS_BARE = 0.9;
const REPEATED_VS_BARE_PLATFORMS: Platform[] = ['express'];
const POOL_VS_PASSPORT = 2;
const POOL_VS_JOSE = 1;

/** Each route's server, started fresh for one platform and token mode. */
type Servers = Map<RouteKind, ServerProcess>;

async function startServers(platform: Platform, idp: LocalIssuer): Promise<Servers> {
  const servers: Servers = new Map();
  try {
    for (const route of ROUTE_KINDS)
      servers.set(route, await startServerProcess({ platform, route, target: targetOf(idp, ['RS256']) }));
  } catch (error) {
    await stopServers(servers);
    throw error;
  }
  return servers;
}

async function stopServers(servers: Servers): Promise<void> {
  await Promise.all([...servers.values()].map((server) => server.stop()));
}

/** Every route of one platform and token mode, each in its own server process, in interleaved rounds. */
async function measureRoutes(
  platform: Platform,
  idp: LocalIssuer,
  tokens: string[],
  mode: BenchMode,
  log: (line: string) => void,
): Promise<Map<RouteKind, LoadRound[]>> {
  const { connections, warmupSeconds, roundSeconds, rounds } = mode.http;
  const servers = await startServers(platform, idp);
  try {
    const urlOf = (route: RouteKind): string =>
      `http://127.0.0.1:${(servers.get(route) as ServerProcess).port}${RESOURCE_PATH}`;
    for (const route of ROUTE_KINDS) await sendLoad(urlOf(route), tokens, warmupSeconds, connections);
    const series = await interleavedRounds(
      ROUTE_KINDS,
      rounds,
      (route) => sendLoad(urlOf(route), tokens, roundSeconds, connections),
      {
        warmupRounds: 0,
        onRound: (round) => log(`http: ${platform}, round ${round + 1} of ${rounds}`),
      },
    );
    return new Map(
      [...series].map(([route, outcome]) => {
        if ('failure' in outcome) throw new Error(`${platform}/${route}: ${outcome.failure}`);
        return [route, outcome.rounds];
      }),
    );
  } finally {
    await stopServers(servers);
  }
}

function rowsOf(
  platform: Platform,
  tokenMode: TokenMode,
  poolSize: number,
  measured: Map<RouteKind, LoadRound[]>,
): Row[] {
  const rps = (route: RouteKind): number[] =>
    (measured.get(route) as LoadRound[]).map((round) => round.requestsPerSecond);
  const ours = measured.get('jwt-guard') as LoadRound[];
  const allAnswered = ours.every((round) => round.non2xx === 0 && round.errors === 0);
  const vsFloorRounds = pairedRatios(rps('jwt-guard'), rps('guard-floor'));
  const vsBareRounds = pairedRatios(rps('jwt-guard'), rps('bare'));
  const vs = (route: RouteKind, reference: RouteKind): number => pairedRatio(rps(route), rps(reference)) as number;
  let bar: Row;
  if (tokenMode === 'repeated') {
    const checksBare = REPEATED_VS_BARE_PLATFORMS.includes(platform);
    const floorMet = summarize(vsFloorRounds).median >= REPEATED_VS_FLOOR;
    const bareMet = !checksBare || summarize(vsBareRounds).median >= REPEATED_VS_BARE;
    const target = `≥ ${REPEATED_VS_FLOOR}× floor guard${checksBare ? `, ≥ ${REPEATED_VS_BARE}× bare` : ''} (paired)`;
    bar = barCells(true, target, allAnswered && floorMet && bareMet);
  } else {
    const met =
      vs('jwt-guard', 'passport-jwks-rsa') >= POOL_VS_PASSPORT && vs('jwt-guard', 'jose-guard') >= POOL_VS_JOSE;
    bar = barCells(true, `≥ ${POOL_VS_PASSPORT}× passport, ≥ ${POOL_VS_JOSE}× jose guard`, allAnswered && met);
  }
  return ROUTE_KINDS.map((route) => {
    const rounds = measured.get(route) as LoadRound[];
    const requestsPerSecond = summarize(rounds.map((round) => round.requestsPerSecond));
    const isOurs = route === 'jwt-guard';
    return {
      platform,
      tokens:
        tokenMode === 'repeated'
          ? 'one, repeated'
          : `pool of ${poolSize.toLocaleString('en-US')}, rotated (verified-token cache hits)`,
      route: ROUTE_LABELS[route],
      median: requestsPerSecond.median,
      min: requestsPerSecond.min,
      max: requestsPerSecond.max,
      p99: summarize(rounds.map((round) => round.p99)).median,
      failed: rounds.reduce((sum, round) => sum + round.non2xx + round.errors, 0),
      vsBare: vs(route, 'bare'),
      vsFloor: vs(route, 'guard-floor'),
      vsPassport: vs(route, 'passport-jwks-rsa'),
      vsJose: vs(route, 'jose-guard'),
      perRoundVsFloor: isOurs ? ratioList(vsFloorRounds) : null,
      perRoundVsBare: isOurs ? ratioList(vsBareRounds) : null,
      ...(isOurs ? bar : barCells(false, undefined)),
    };
  });
}

const COLUMNS: Column[] = [
  { key: 'platform', label: 'platform', format: 'text' },
  { key: 'tokens', label: 'tokens', format: 'text' },
  { key: 'route', label: 'route', format: 'text' },
  { key: 'median', label: 'req/s (median)' },
  { key: 'min', label: 'min' },
  { key: 'max', label: 'max' },
  { key: 'p99', label: 'p99 ms' },
  { key: 'failed', label: 'failed' },
  { key: 'vsBare', label: 'vs bare', format: 'ratio' },
  { key: 'vsFloor', label: 'vs floor guard', format: 'ratio' },
  { key: 'vsPassport', label: 'vs passport', format: 'ratio' },
  { key: 'vsJose', label: 'vs jose guard', format: 'ratio' },
  { key: 'perRoundVsFloor', label: '÷ floor guard, per round', format: 'text' },
  { key: 'perRoundVsBare', label: '÷ bare, per round', format: 'text' },
  { key: 'target', label: 'target', format: 'text' },
  { key: 'bar', label: 'bar', format: 'text' },
];

/** HTTP: req/s and p99 of each kind of route, on each platform, one server process per route and scenario. */
export async function runHttpSection(mode: BenchMode, log: (line: string) => void): Promise<Section> {
  const idp = await LocalIssuer.start({ algorithms: ['RS256'] });
  try {
    let pool: Promise<string[]> | undefined;
    const poolOf = (): Promise<string[]> => (pool ??= mintDistinct(idp, 'RS256', mode.http.distinctTokens));
    const scenarios: Scenario[] = mode.http.platforms.flatMap((platform) =>
      (['repeated', 'pool'] as const).map((tokenMode) => ({
        name: `${platform}, ${tokenMode === 'repeated' ? 'one token repeated' : 'a rotated pool of tokens'}`,
        measure: async () => {
          const tokens = await poolOf();
          return rowsOf(
            platform,
            tokenMode,
            tokens.length,
            await measureRoutes(platform, idp, tokenMode === 'repeated' ? tokens.slice(0, 1) : tokens, mode, log),
          );
        },
      })),
    );
    const { connections, roundSeconds, warmupSeconds, rounds } = mode.http;
    return await runSection(
      {
        id: 'http',
        title: 'HTTP (req/s, p99 latency)',
        columns: COLUMNS,
        scenarios,
        notes: [
          `autocannon on 127.0.0.1, ${connections} connections, ${rounds} rounds of ${roundSeconds} s after a ${warmupSeconds} s warm-up; each server runs in its own child process, one per route and scenario, started fresh. The rounds are interleaved: round r of every route, each round starting one route further on, so a host whose speed drifts slows every route alike.`,
          'Every route answers `{"ok":true}` with Nest 12; RS256 tokens; every request carries a bearer token (the bare route ignores it). p99 is the median over the rounds of each round\'s p99, in whole ms as autocannon records latencies. "failed" counts non-2xx answers and connection errors over the rounds (a guarded route must have none).',
          "floor guard: a guard that only sets `request.user` to a constant, i.e. what any authenticating guard costs at least (Nest's guard pipeline; on Express, also the new V8 map a property added to a request builds, as Express re-prototypes every request).",
          "passport: `@nestjs/passport` `AuthGuard('jwt')` with a passport-jwt strategy whose `secretOrKeyProvider` is jwks-rsa `passportJwtSecret` (cache, rate limit). jose guard: a `CanActivate` calling `jwtVerify` with `createRemoteJWKSet`.",
          "The rotated pool fits in jwks-cache's verified-token cache, so after the warm-up `JwtGuard` serves it from there; passport and the jose guard verify every request.",
          `The "vs" columns are paired: the median over the rounds of the route's req/s ÷ the other route's req/s in the same round. The per-round ratios of \`JwtGuard\` are listed in run order. Bars: one token repeated, \`JwtGuard\` ÷ floor guard ≥ ${REPEATED_VS_FLOOR} on every platform and ÷ bare ≥ ${REPEATED_VS_BARE} on Express; a rotated pool, ≥ ${POOL_VS_PASSPORT}× passport + jwks-rsa and ≥ ${POOL_VS_JOSE}× the jose guard.`,
        ],
      },
      log,
    );
  } finally {
    await idp.close();
  }
}
