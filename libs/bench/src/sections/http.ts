import { LocalIssuer } from '@jwks-cache/testing';
import { targetOf } from '../contenders.js';
import type { BenchMode, Platform } from '../mode.js';
import { barVerdict, type Cell, type Section } from '../report.js';
import { summarize, type RoundStats } from '../stats.js';
import { mintDistinct } from '../tokens.js';
import { sendLoad, type LoadRound } from '../http/load.js';
import { RESOURCE_PATH, ROUTE_KINDS, ROUTE_LABELS, type RouteKind } from '../http/route-kinds.js';
import { startServerProcess, type ServerProcess } from '../http/server-process.js';

type TokenMode = 'repeated' | 'distinct';

/** Bars: repeated ≥ 0.90× the bare route; distinct ≥ 2× passport + jwks-rsa and ≥ 1.0× the jose guard. */
const REPEATED_VS_BARE = 0.9;
const DISTINCT_VS_PASSPORT = 2;
const DISTINCT_VS_JOSE = 1;

interface ScenarioFigures {
  requestsPerSecond: RoundStats;
  p99: RoundStats;
  non2xx: number;
  errors: number;
}

/** Each route's server, started fresh for one platform and token mode. */
type Servers = Map<RouteKind, ServerProcess>;

async function startServers(platform: Platform, idp: LocalIssuer): Promise<Servers> {
  const servers: Servers = new Map();
  try {
    for (const route of ROUTE_KINDS) servers.set(route, await startServerProcess({ platform, route, target: targetOf(idp, ['RS256']) }));
  } catch (error) {
    await stopServers(servers);
    throw error;
  }
  return servers;
}

async function stopServers(servers: Servers): Promise<void> {
  await Promise.all([...servers.values()].map((server) => server.stop()));
}

/** `routes` turned by `by` places: round i starts with the i-th route. */
function rotated<T>(routes: readonly T[], by: number): T[] {
  const start = by % routes.length;
  return [...routes.slice(start), ...routes.slice(0, start)];
}

function figuresOf(rounds: LoadRound[]): ScenarioFigures {
  return {
    requestsPerSecond: summarize(rounds.map((round) => round.requestsPerSecond)),
    p99: summarize(rounds.map((round) => round.p99)),
    non2xx: rounds.reduce((sum, round) => sum + round.non2xx, 0),
    errors: rounds.reduce((sum, round) => sum + round.errors, 0),
  };
}

/**
 * Every route of one platform and token mode, each in its own server process. The rounds are
 * interleaved (round 1 of every route, then round 2 ...), so that a machine whose speed drifts
 * during the run (a shared host) slows every route alike instead of the one measured then.
 */
async function measureRoutes(platform: Platform, idp: LocalIssuer, tokens: string[], mode: BenchMode, log: (line: string) => void): Promise<Map<RouteKind, ScenarioFigures>> {
  const { connections, warmupSeconds, roundSeconds, rounds } = mode.http;
  const servers = await startServers(platform, idp);
  try {
    const urlOf = (route: RouteKind): string => `http://127.0.0.1:${(servers.get(route) as ServerProcess).port}${RESOURCE_PATH}`;
    const measured = new Map<RouteKind, LoadRound[]>(ROUTE_KINDS.map((route) => [route, []]));
    for (const route of ROUTE_KINDS) await sendLoad(urlOf(route), tokens, warmupSeconds, connections);
    for (let round = 0; round < rounds; round++) {
      log(`http: ${platform}, round ${round + 1} of ${rounds}`);
      for (const route of rotated(ROUTE_KINDS, round)) {
        (measured.get(route) as LoadRound[]).push(await sendLoad(urlOf(route), tokens, roundSeconds, connections));
      }
    }
    return new Map(ROUTE_KINDS.map((route) => [route, figuresOf(measured.get(route) as LoadRound[])]));
  } finally {
    await stopServers(servers);
  }
}

function ratio(figures: Map<RouteKind, ScenarioFigures>, route: RouteKind, reference: RouteKind): number {
  return (figures.get(route) as ScenarioFigures).requestsPerSecond.median / (figures.get(reference) as ScenarioFigures).requestsPerSecond.median;
}

function barOf(tokenMode: TokenMode, figures: Map<RouteKind, ScenarioFigures>): { target: string; met: boolean } {
  const ours = figures.get('jwt-guard') as ScenarioFigures;
  const allAnswered = ours.non2xx === 0 && ours.errors === 0;
  if (tokenMode === 'repeated') {
    return { target: `≥ ${REPEATED_VS_BARE}× bare`, met: allAnswered && ratio(figures, 'jwt-guard', 'bare') >= REPEATED_VS_BARE };
  }
  const met = ratio(figures, 'jwt-guard', 'passport-jwks-rsa') >= DISTINCT_VS_PASSPORT && ratio(figures, 'jwt-guard', 'jose-guard') >= DISTINCT_VS_JOSE;
  return { target: `≥ ${DISTINCT_VS_PASSPORT}× passport, ≥ ${DISTINCT_VS_JOSE}× jose guard`, met: allAnswered && met };
}

function rowsOf(platform: Platform, tokenMode: TokenMode, poolSize: number, figures: Map<RouteKind, ScenarioFigures>): Array<Record<string, Cell>> {
  const bar = barOf(tokenMode, figures);
  return ROUTE_KINDS.map((route) => {
    const { requestsPerSecond, p99, non2xx, errors } = figures.get(route) as ScenarioFigures;
    return {
      platform,
      tokens: tokenMode === 'repeated' ? 'one, repeated' : `${poolSize.toLocaleString('en-US')} distinct, rotated`,
      route: ROUTE_LABELS[route],
      median: requestsPerSecond.median,
      min: requestsPerSecond.min,
      max: requestsPerSecond.max,
      p99: p99.median,
      failed: non2xx + errors,
      vsBare: ratio(figures, route, 'bare'),
      vsPassport: ratio(figures, route, 'passport-jwks-rsa'),
      vsJose: ratio(figures, route, 'jose-guard'),
      target: route === 'jwt-guard' ? bar.target : null,
      bar: route === 'jwt-guard' ? barVerdict(bar.met) : null,
    };
  });
}

/** HTTP: req/s and p99 of each kind of route, on each platform, one server process per scenario. */
export async function runHttpSection(mode: BenchMode, log: (line: string) => void): Promise<Section> {
  const idp = await LocalIssuer.start({ algorithms: ['RS256'] });
  const rows: Array<Record<string, Cell>> = [];
  try {
    const pool = await mintDistinct(idp, 'RS256', mode.http.distinctTokens);
    for (const platform of mode.http.platforms) {
      for (const tokenMode of ['repeated', 'distinct'] as const) {
        const tokens = tokenMode === 'repeated' ? pool.slice(0, 1) : pool;
        log(`http: ${platform}, ${tokenMode} tokens`);
        const figures = await measureRoutes(platform, idp, tokens, mode, log);
        rows.push(...rowsOf(platform, tokenMode, pool.length, figures));
      }
    }
  } finally {
    await idp.close();
  }
  const { connections, roundSeconds, warmupSeconds, rounds } = mode.http;
  return {
    id: 'http',
    title: 'HTTP (req/s, p99 latency)',
    notes: [
      `autocannon on 127.0.0.1, ${connections} connections, ${rounds} rounds of ${roundSeconds} s after a ${warmupSeconds} s warm-up; each server runs in its own child process, one per scenario, started fresh. The rounds are interleaved: round 1 of every route, then round 2, each round starting one route further on, so a host whose speed drifts slows every route alike.`,
      'Every route answers `{"ok":true}` with Nest 12; RS256 tokens; every request carries a bearer token (the bare route ignores it). p99 is in whole ms, as autocannon records latencies. "failed" counts non-2xx answers and connection errors over the rounds (a guarded route must have none).',
      'floor: a guard that only sets `request.user` to a constant, i.e. what any authenticating guard costs at least (Nest\'s guard pipeline; on Express, also the new V8 map a property added to a request builds, as Express re-prototypes every request).',
      'passport: `@nestjs/passport` `AuthGuard(\'jwt\')` with a passport-jwt strategy whose `secretOrKeyProvider` is jwks-rsa `passportJwtSecret` (cache, rate limit). jose guard: a `CanActivate` calling `jwtVerify` with `createRemoteJWKSet`.',
      `Bars: one token repeated, \`JwtGuard\` ≥ ${REPEATED_VS_BARE}× the bare route; distinct tokens, ≥ ${DISTINCT_VS_PASSPORT}× passport + jwks-rsa and ≥ ${DISTINCT_VS_JOSE}× the jose guard.`,
    ],
    columns: [
      { key: 'platform', label: 'platform', format: 'text' },
      { key: 'tokens', label: 'tokens', format: 'text' },
      { key: 'route', label: 'route', format: 'text' },
      { key: 'median', label: 'req/s (median)' },
      { key: 'min', label: 'min' },
      { key: 'max', label: 'max' },
      { key: 'p99', label: 'p99 ms' },
      { key: 'failed', label: 'failed' },
      { key: 'vsBare', label: 'vs bare', format: 'ratio' },
      { key: 'vsPassport', label: 'vs passport', format: 'ratio' },
      { key: 'vsJose', label: 'vs jose guard', format: 'ratio' },
      { key: 'target', label: 'target', format: 'text' },
      { key: 'bar', label: 'bar', format: 'text' },
    ],
    rows,
  };
}
