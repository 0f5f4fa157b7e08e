import type { Logger } from '@nestjs/common';
import { clock } from '../internal/clock.js';

/** The first line of a burst is written; repeats within the interval are only counted. */
export const LOG_INTERVAL_MS = 60_000;

/**
 * Writes at most one line per `key` per interval through a Nest `Logger`; the next line written
 * for that key says how many were suppressed meanwhile. Keeps one entry per key (keys are
 * issuers or token names: a configured, bounded set).
 */
export class RateLimitedLogger {
  private readonly lastWrittenAt = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  /**
   * @param logger where lines go.
   * @param intervalMs the minimum time between two lines of one key, in ms. @default 60_000
   */
  constructor(
    private readonly logger: Logger,
    private readonly intervalMs = LOG_INTERVAL_MS,
  ) {}

  /** A warning, unless one for `key` was written less than the interval ago. */
  warn(key: string, message: string): void {
    const now = clock.now();
    const last = this.lastWrittenAt.get(key);
    if (last !== undefined && now - last < this.intervalMs) {
      this.suppressed.set(key, (this.suppressed.get(key) ?? 0) + 1);
      return;
    }
    this.lastWrittenAt.set(key, now);
    this.logger.warn(`${message}${this.takeSuppressed(key)}`);
  }

  /** A line that ends a burst (e.g. "recovered"): always written, and the key starts afresh. */
  log(key: string, message: string): void {
    const suffix = this.takeSuppressed(key);
    this.lastWrittenAt.delete(key);
    this.logger.log(`${message}${suffix}`);
  }

  /** Starts the interval of `key` now without writing: a line written elsewhere opened the burst. */
  touch(key: string): void {
    this.lastWrittenAt.set(key, clock.now());
  }

  /** Drops what is known of `key`: its next line is written at once, with no suppressed count. */
  forget(key: string): void {
    this.lastWrittenAt.delete(key);
    this.suppressed.delete(key);
  }

  private takeSuppressed(key: string): string {
    const count = this.suppressed.get(key) ?? 0;
    this.suppressed.delete(key);
    return count === 0 ? '' : ` (${count} similar message${count === 1 ? '' : 's'} suppressed)`;
  }
}
