/** Backoff after failed token requests: the first delay, doubled per failure up to `max`, ±`jitter`. */
export interface BackoffPolicy {
  /** Delay after the first failure, in ms. */
  initial: number;
  /** Upper bound of the delay, in ms. */
  max: number;
  /** Randomness applied to each delay, as a fraction (0.2 = ±20 %). */
  jitter: number;
}

/** 1 s after the first failure, then 2 s, 4 s, … up to 60 s, each ±20 %. */
export const TOKEN_RETRY_BACKOFF: BackoffPolicy = { initial: 1_000, max: 60_000, jitter: 0.2 };

/**
 * The failure history of one cache key. Within the window after a failure, callers that have no
 * usable token get the last error at once instead of sending a new request, so a failing token
 * endpoint is not hammered by every incoming request.
 */
export class RetryBackoff {
  private failures = 0;
  private retryAt = 0;
  private error: Error | undefined;

  constructor(private readonly policy: BackoffPolicy = TOKEN_RETRY_BACKOFF) {}

  /** The last error while the backoff window is open, else `undefined` (a request may go out). */
  blockingError(now: number): Error | undefined {
    return now < this.retryAt ? this.error : undefined;
  }

  recordFailure(error: Error, now: number): void {
    this.failures += 1;
    this.error = error;
    this.retryAt = now + this.delayFor(this.failures);
  }

  recordSuccess(): void {
    this.failures = 0;
    this.retryAt = 0;
    this.error = undefined;
  }

  private delayFor(failures: number): number {
    const { initial, max, jitter } = this.policy;
    const base = Math.min(max, initial * 2 ** (failures - 1));
    return base * (1 + jitter * (2 * Math.random() - 1));
  }
}
