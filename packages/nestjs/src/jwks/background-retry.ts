import { backoffDelay, type BackoffPolicy } from '../internal/backoff.js';

/**
 * The background retries of one key set while its issuer fails: one timer at a time, each delay
 * from {@link backoffDelay} (the first after `initial` ms, doubling up to `max`, ±`jitter`). The
 * timer is unref'd, so a retry never keeps the process alive.
 */
export class BackgroundRetry {
  /** Failed attempts in a row while retrying; `0` when not retrying. */
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * @param policy the backoff (`jwks.retryBackoff`).
   * @param retry what one retry does; its failure is expected to call {@link schedule} again.
   */
  constructor(
    private readonly policy: BackoffPolicy,
    private readonly retry: () => void,
  ) {}

  /** Whether retries are under way: requests then never wait on the failing issuer. */
  get retrying(): boolean {
    return this.attempt > 0;
  }

  /** Schedules the next retry, unless one is scheduled already or {@link close} was called. */
  schedule(): void {
    if (this.closed || this.timer !== undefined) return;
    const delay = backoffDelay(this.attempt, this.policy);
    this.attempt++;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retry();
    }, delay);
    this.timer.unref();
  }

  /** After a success: no retry pending, the next failure starts from the first delay. */
  stop(): void {
    this.attempt = 0;
    this.cancel();
  }

  /** For good: the pending retry is cancelled and none is scheduled any more. */
  close(): void {
    this.closed = true;
    this.cancel();
  }

  private cancel(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
