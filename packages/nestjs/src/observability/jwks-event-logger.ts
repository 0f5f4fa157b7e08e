import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { JwksCacheEvents } from './jwks-cache-events.js';
import { RateLimitedLogger } from './rate-limited-logger.js';

/**
 * Turns the key-set events into log lines, rate-limited per issuer: during an outage a service
 * logs one warning per issuer per minute (with the count of suppressed ones), not one per
 * request. Lines name the issuer, the error `code` and message — never a token or a key.
 *
 * - `jwks.fetch_failed` → a warning (except the first failure of an issuer that never had keys,
 *   i.e. the start-up fetch, which `JwksProvider` logs itself);
 * - `jwks.stale_served` → a warning (requests are verified with the last good keys);
 * - `jwks.fetched` after failures → one line saying the issuer is back.
 */
@Injectable()
export class JwksEventLogger implements OnModuleDestroy {
  private readonly lines = new RateLimitedLogger(new Logger('JwksCache'));
  /** Issuers whose keys were obtained at least once. */
  private readonly obtained = new Set<string>();
  /** Issuers whose last fetch failed, so that the recovery is logged once. */
  private readonly failing = new Set<string>();
  private readonly unsubscribe: Array<() => void>;

  constructor(events: JwksCacheEvents) {
    this.unsubscribe = [
      events.on('jwks.fetch_failed', ({ issuer, error, template }) => {
        // A template's sets come and go with its issuers: one line per template and minute, nothing kept per set.
        if (template !== undefined)
          return this.lines.warn(
            `template:${template}`,
            `Fetching the keys at ${issuer} (an issuer of ${template}) failed: ${error.code} ${error.message}`,
          );
        const key = `fetch:${issuer}`;
        const firstWithoutKeys = !this.obtained.has(issuer) && !this.failing.has(issuer);
        this.failing.add(issuer);
        // JwksProvider logs the failed start-up fetch itself: that line opens the burst.
        if (firstWithoutKeys) this.lines.touch(key);
        else this.lines.warn(key, `Fetching the keys of issuer ${issuer} failed: ${error.code} ${error.message}`);
      }),
      events.on('jwks.stale_served', ({ issuer, staleForMs, template }) => {
        if (template !== undefined)
          return this.lines.warn(
            `template-stale:${template}`,
            `Verifying tokens of issuers of ${template} with the last good keys of ${issuer}, stale for ${Math.round(staleForMs / 1000)} s`,
          );
        this.lines.warn(
          `stale:${issuer}`,
          `Verifying tokens of issuer ${issuer} with its last good keys, stale for ${Math.round(staleForMs / 1000)} s`,
        );
      }),
      events.on('jwks.fetched', ({ issuer, source, template }) => {
        if (template !== undefined) return;
        this.obtained.add(issuer);
        if (!this.failing.delete(issuer)) return;
        this.lines.forget(`stale:${issuer}`);
        this.lines.log(`fetch:${issuer}`, `The keys of issuer ${issuer} were obtained again (from the ${source})`);
      }),
    ];
  }

  onModuleDestroy(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
  }
}
