import type { Logger } from '@nestjs/common';

/**
 * Logs at most one warning per `intervalMs` per topic (e.g. per store operation); the lines in
 * between are counted and the next line says how many were suppressed. Callers pass messages
 * that never contain a cached value.
 */
export class RateLimitedLog {
  private readonly lastLoggedAt = new Map<string, number>();
  private readonly suppressed = new Map<string, number>();

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly intervalMs: number,
  ) {}

  warn(topic: string, message: string): void {
    const now = Date.now();
    const last = this.lastLoggedAt.get(topic);
    if (last !== undefined && now - last < this.intervalMs) {
      this.suppressed.set(topic, (this.suppressed.get(topic) ?? 0) + 1);
      return;
    }
    const skipped = this.suppressed.get(topic) ?? 0;
    this.suppressed.delete(topic);
    this.lastLoggedAt.set(topic, now);
    this.logger.warn(skipped > 0 ? `${message} (${skipped} similar suppressed)` : message);
  }
}
