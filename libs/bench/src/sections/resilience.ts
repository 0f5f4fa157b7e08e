import { DEFAULT_VERIFY_OPTIONS, type JwksOptions } from '@jwks-cache/nestjs';
import { LocalIssuer } from '@jwks-cache/testing';
import { targetOf } from '../contenders.js';
import type { BenchMode, Platform } from '../mode.js';
import type { Column, Section } from '../report.js';
import { barCells, runSection, type Row, type Scenario } from '../section.js';
import { sendLoadFrom, type LoadRound } from '../http/load.js';
import { RESOURCE_PATH } from '../http/route-kinds.js';
import { startServerProcess } from '../http/server-process.js';
import { mintDistinct } from '../tokens.js';

/** EC keys and signatures are quick to make, and the pools below are large. */
const ALG = 'ES256';
/** A pool cycled in order and larger than the verified-token cache (an LRU) misses it on every request: each one looks its key up. */
const POOL_SIZE = Math.ceil(DEFAULT_VERIFY_OPTIONS.verifiedTokenCacheSize * 1.1);
/** The unknown-kid cooldown of the rotation server, in ms: shorter than its steady window, so the new kid may refetch. */
const ROTATION_COOLDOWN_MS = 1_000;
/** The key-set ttl of the outage server, in ms: it runs out during the outage. */
const OUTAGE_TTL_MS = 1_000;
/** Bar: no failed request, and the p99 of the event window at most this many times the steady window's. */
const P99_VS_STEADY = 2;

/** A token source that cycles a list, which can be swapped while the load runs. */
class TokenFeed {
  private next = 0;
  constructor(private list: readonly string[]) {}
  readonly token = (): string => this.list[this.next++ % this.list.length];
  switchTo(list: readonly string[]): void {
    this.list = list;
    this.next = 0;
  }
}

interface Window {
  load: LoadRound;
  jwksRequests: number;
}

/** One load window against `url`; `during` runs once the load has started. */
async function window(
  idp: LocalIssuer,
  url: string,
  feed: TokenFeed,
  mode: BenchMode,
  during: () => void = () => {},
): Promise<Window> {
  const before = idp.requests.jwks;
  const loading = sendLoadFrom(url, feed.token, mode.resilience.windowSeconds, mode.http.connections);
  during();
  const load = await loading;
  return { load, jwksRequests: idp.requests.jwks - before };
}

/**
 * Starts a `JwtGuard` server with `jwks`, measures a steady window, then `event` (which prepares,
 * and returns what to do once the event window's load has started) and its window.
 */
async function steadyThenEvent(
  platform: Platform,
  idp: LocalIssuer,
  jwks: JwksOptions,
  feed: TokenFeed,
  mode: BenchMode,
  event: () => Promise<() => void>,
  after: () => void = () => {},
): Promise<[Window, Window]> {
  const server = await startServerProcess({ platform, route: 'jwt-guard', target: targetOf(idp, [ALG]), jwks });
  try {
    const url = `http://127.0.0.1:${server.port}${RESOURCE_PATH}`;
    // A fresh server is slow until its code is compiled: the steady window must not include that.
    await sendLoadFrom(url, feed.token, mode.http.warmupSeconds, mode.http.connections);
    const steady = await window(idp, url, feed, mode);
    const start = await event();
    try {
      return [steady, await window(idp, url, feed, mode, start)];
    } finally {
      after();
    }
  } finally {
    await server.stop();
  }
}

function rowsOf(platform: Platform, scenario: string, eventLabel: string, [steady, event]: [Window, Window]): Row[] {
  const row = (label: string, measured: Window): Row => ({
    platform,
    scenario,
    window: label,
    requestsPerSecond: measured.load.requestsPerSecond,
    p99: measured.load.p99,
    failed: measured.load.non2xx + measured.load.errors,
    jwksRequests: measured.jwksRequests,
  });
  const failed = event.load.non2xx + event.load.errors;
  const met = failed === 0 && event.load.p99 <= P99_VS_STEADY * steady.load.p99;
  return [
    { ...row('steady state, just before', steady), ...barCells(false, undefined) },
    {
      ...row(eventLabel, event),
      p99VsSteady: steady.load.p99 > 0 ? event.load.p99 / steady.load.p99 : null,
      ...barCells(true, `0 failed, p99 ≤ ${P99_VS_STEADY}× steady`, met),
    },
  ];
}

function scenariosOf(
  platform: Platform,
  idp: LocalIssuer,
  pools: () => Promise<string[]>,
  mode: BenchMode,
): Scenario[] {
  const quarter = (mode.resilience.windowSeconds * 1_000) / 4;
  return [
    {
      name: `${platform}, key rotation`,
      measure: async () => {
        const feed = new TokenFeed(await pools());
        let rotated: string[] = [];
        const windows = await steadyThenEvent(
          platform,
          idp,
          { cooldown: ROTATION_COOLDOWN_MS },
          feed,
          mode,
          async () => {
            // The server started before the rotation: it knows only the old key. The new one is published now, signs from now on.
            await idp.rotate(ALG);
            rotated = await mintDistinct(idp, ALG, POOL_SIZE, `rotated-${platform}`);
            return () => void setTimeout(() => feed.switchTo(rotated), quarter);
          },
        );
        return rowsOf(platform, 'key rotation', 'new key: its tokens from 1/4 of the window on', windows);
      },
    },
    {
      name: `${platform}, IdP outage`,
      measure: async () => {
        const feed = new TokenFeed(await pools());
        const windows = await steadyThenEvent(
          platform,
          idp,
          { ttl: OUTAGE_TTL_MS, refreshAhead: 0 },
          feed,
          mode,
          () => Promise.resolve(() => idp.fail()),
          () => idp.clearFaults(),
        );
        return rowsOf(
          platform,
          'IdP outage',
          `issuer answers 503 (the ${OUTAGE_TTL_MS / 1_000} s ttl runs out during it)`,
          windows,
        );
      },
    },
  ];
}

const COLUMNS: Column[] = [
  { key: 'platform', label: 'platform', format: 'text' },
  { key: 'scenario', label: 'scenario', format: 'text' },
  { key: 'window', label: 'window', format: 'text' },
  { key: 'requestsPerSecond', label: 'req/s' },
  { key: 'p99', label: 'p99 ms' },
  { key: 'p99VsSteady', label: 'p99 vs steady', format: 'ratio' },
  { key: 'failed', label: 'failed' },
  { key: 'jwksRequests', label: 'JWKS requests' },
  { key: 'target', label: 'target', format: 'text' },
  { key: 'bar', label: 'bar', format: 'text' },
];

/** The guarded route's p99 through a key rotation and an outage of the issuer, each beside the steady state just before. */
export async function runResilienceSection(mode: BenchMode, log: (line: string) => void): Promise<Section> {
  const idp = await LocalIssuer.start({ algorithms: [ALG] });
  try {
    let pool: Promise<string[]> | undefined;
    const pools = (): Promise<string[]> => (pool ??= mintDistinct(idp, ALG, POOL_SIZE, 'steady'));
    const { windowSeconds } = mode.resilience;
    return await runSection(
      {
        id: 'resilience',
        title: 'Guarded route through a key rotation and an issuer outage (p99 latency)',
        columns: COLUMNS,
        scenarios: mode.http.platforms.flatMap((platform) => scenariosOf(platform, idp, pools, mode)),
        notes: [
          `\`JwtGuard\` on one route, in its own server process, started fresh for each scenario; autocannon with ${mode.http.connections} connections, after a ${mode.http.warmupSeconds} s warm-up a steady window of ${windowSeconds} s, then the window of the event, ${windowSeconds} s. One p99 per window, in whole ms as autocannon records latencies. "JWKS requests" counts those the issuer received in the window.`,
          `${ALG} tokens from a pool of ${POOL_SIZE.toLocaleString('en-US')}, cycled in order: more than the verified-token cache holds (${DEFAULT_VERIFY_OPTIONS.verifiedTokenCacheSize.toLocaleString('en-US')} by default, least recently used out first), so every request misses it and looks its key up: the path a rotation or an outage can slow.`,
          `Key rotation: the server starts knowing one key; the issuer then publishes a new one, and a quarter into the event window the requests switch to ${POOL_SIZE.toLocaleString('en-US')} tokens signed by it (an unknown kid: one refetch, the requests that meet it meanwhile wait for it). Unknown-kid cooldown ${ROTATION_COOLDOWN_MS / 1_000} s (default 30 s), so that the refetch is allowed this soon after start-up; other settings are the defaults.`,
          `Outage: key-set ttl ${OUTAGE_TTL_MS / 1_000} s with refresh-ahead off, the issuer answering 503 for the whole event window: the set goes stale during it and keeps serving (stale-if-error, default 24 h) while refetches are retried in the background.`,
          `Bar: 0 failed requests and a p99 within ${P99_VS_STEADY}× the steady window's.`,
        ],
      },
      log,
    );
  } finally {
    await idp.close();
  }
}
