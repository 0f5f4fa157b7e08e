import { backoffDelay } from '../internal/backoff.js';
import type { RetryBackoffOptions } from '../config/options.js';

/**
 * The failure history of one token: a first failure never blocks (the next call requests at
 * once: it may have been a one-off, or the configuration was just corrected); from the second
 * consecutive failure on, callers that have no usable token get the last error at once for
 * `initial` ms, doubled per further failure up to `max`, each ±`jitter`, so a failing token
 * endpoint is not hammered by every incoming request. `false` turns the backoff off.
 */
export class RetryBackoff {
  private failures = 0;
  private retryAt = 0;
  private error: Error | undefined;

  /** `policy` comes from the resolved token source (defaults filled in by `config/`). */
  constructor(private readonly policy: RetryBackoffOptions | false) {}

  /** The last error while the backoff window is open, else `undefined` (a request may go out). */
  blockingError(now: number): Error | undefined {
    return now < this.retryAt ? this.error : undefined;
  }

  recordFailure(error: Error, now: number): void {
    this.failures += 1;
    this.error = error;
    this.retryAt = now + this.delayAfter(this.failures);
  }

  recordSuccess(): void {
    this.failures = 0;
    this.retryAt = 0;
    this.error = undefined;
  }

  /** 0 after the first failure, then `initial`, `2 · initial`, … up to `max`, ±`jitter`. */
  private delayAfter(failures: number): number {
    if (this.policy === false || failures < 2) return 0;
    return backoffDelay(failures - 2, this.policy);
  }
}
