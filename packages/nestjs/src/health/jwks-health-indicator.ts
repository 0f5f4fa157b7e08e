import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { JwksProvider } from '../jwks/jwks-provider.js';
import { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import { clock } from '../internal/clock.js';

/**
 * How current one issuer's keys are, as the health indicator reports it:
 * - `fresh`: usable keys within their freshness, or past it while no fetch has failed since the
 *   last good one (an idle service: the next request refreshes them, nothing is wrong);
 * - `stale`: the issuer fails and requests are verified with the last good keys
 *   (stale-if-error, up to `jwks.staleIfError`);
 * - `empty`: no usable keys (never obtained, or stale for longer than `jwks.staleIfError`):
 *   every token of this issuer is refused.
 */
export type IssuerFreshness = 'fresh' | 'stale' | 'empty';

/** What the indicator reports for one issuer, besides its {@link IssuerFreshness}. */
export interface IssuerHealthDetails {
  freshness: IssuerFreshness;
  /** Usable keys in the current set. */
  keys: number;
  /** Epoch ms until which the current set is fresh; absent without keys. */
  freshUntil?: number;
  /** Epoch ms of the last fetch attempt; absent before the first. */
  lastFetchAt?: number;
  /** Epoch ms of the first failed fetch since the last good one; absent while fetches succeed. */
  failingSince?: number;
  /** Stable code of the last fetch failure since the last good one, e.g. `ERR_FETCH_TIMEOUT`. */
  lastErrorCode?: string;
}

/** Failures seen since the last good fetch, per issuer. */
interface FailureRecord {
  since: number;
  code: string;
}

/**
 * A `@nestjs/terminus` health indicator over every configured issuer's key set. It reads only
 * in-memory state (`JwksProvider.issuerState()` / `stats()` and the fetch events it listens to):
 * a health check never makes a request to an issuer, so probes cannot load the IdP.
 *
 * Status: `up` when every issuer is `fresh`; `degraded` (HTTP 200, terminus 12) when some issuer
 * is `stale` — tokens still verify, with the last good keys; `down` (HTTP 503) when some issuer is
 * `empty` — its tokens are all refused.
 *
 * Register it next to `TerminusModule` (it needs `HealthIndicatorService`, `JwksProvider` and
 * `JwksCacheEvents`, so `JwksCacheModule` must be global or imported by that module):
 *
 * ```ts
 * import { JwksHealthIndicator } from '@jwks-cache/nestjs/health';
 *
 * @Module({ imports: [TerminusModule], providers: [JwksHealthIndicator], controllers: [HealthController] })
 * class HealthModule {}
 *
 * @Controller('health')
 * class HealthController {
 *   constructor(private readonly health: HealthCheckService, private readonly jwks: JwksHealthIndicator) {}
 *   @Get() @HealthCheck()
 *   check() { return this.health.check([() => this.jwks.isHealthy()]); }
 * }
 * ```
 */
@Injectable()
export class JwksHealthIndicator implements OnModuleDestroy {
  private readonly failures = new Map<string, FailureRecord>();
  private readonly unsubscribe: Array<() => void>;

  constructor(
    private readonly healthIndicatorService: HealthIndicatorService,
    private readonly provider: JwksProvider,
    events: JwksCacheEvents,
  ) {
    this.unsubscribe = [
      // Only configured issuers are reported: a template's key sets come and go with its issuers.
      events.on(
        'jwks.fetch_failed',
        ({ issuer, error, template }) => template === undefined && this.recordFailure(issuer, error.code),
      ),
      events.on('jwks.fetched', ({ issuer }) => this.failures.delete(issuer)),
    ];
  }

  /**
   * The health of every configured issuer's keys, under `key`.
   * @param key the key of the result in the health check's `info` / `error` / `details`.
   * @default 'jwks'
   * @returns `{ [key]: { status, issuers: { [issuer]: IssuerHealthDetails } } }`.
   */
  isHealthy<const Key extends string = 'jwks'>(key: Key = 'jwks' as Key): HealthIndicatorResult<Key> {
    const issuers = this.report();
    const freshness = Object.values(issuers).map((details) => details.freshness);
    const indicator = this.healthIndicatorService.check(key);
    if (freshness.includes('empty')) return indicator.down({ issuers });
    if (freshness.includes('stale')) return indicator.degraded({ issuers });
    return indicator.up({ issuers });
  }

  /** The details of every configured issuer, by issuer, read from memory. */
  report(): Record<string, IssuerHealthDetails> {
    const { issuers } = this.provider.stats();
    const report: Record<string, IssuerHealthDetails> = {};
    for (const issuer of this.provider.issuerIds()) {
      const stats = issuers[issuer];
      const failure = this.failures.get(issuer);
      report[issuer] = {
        freshness: this.freshnessOf(issuer, failure),
        keys: stats?.keys ?? 0,
        ...definedOnly({
          freshUntil: stats?.freshUntil,
          lastFetchAt: stats?.lastFetchAt,
          failingSince: failure?.since,
          lastErrorCode: failure?.code,
        }),
      };
    }
    return report;
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
  }

  private freshnessOf(issuer: string, failure: FailureRecord | undefined): IssuerFreshness {
    switch (this.provider.issuerState(issuer)) {
      case 'fresh':
        return 'fresh';
      case 'stale-serving':
        // Past freshness without a failure is an idle cache, not an outage.
        return failure === undefined ? 'fresh' : 'stale';
      case 'no-keys':
        return 'empty';
    }
  }

  private recordFailure(issuer: string, code: string): void {
    const since = this.failures.get(issuer)?.since ?? clock.now();
    this.failures.set(issuer, { since, code });
  }
}

function definedOnly<T extends Record<string, unknown>>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
