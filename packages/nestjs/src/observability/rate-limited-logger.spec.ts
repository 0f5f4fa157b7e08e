import { afterEach, describe, expect, it } from '@jest/globals';
import type { Logger } from '@nestjs/common';
import { RateLimitedLogger } from './rate-limited-logger.js';
import { fakeClock, restoreClock } from '../../../../test/support/fake-clock.js';

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = {
    warn: (message: string) => lines.push(`warn ${message}`),
    log: (message: string) => lines.push(`log ${message}`),
  };
  return { logger: logger as unknown as Logger, lines };
}

describe('RateLimitedLogger', () => {
  afterEach(() => {
    restoreClock();
  });

  it('writes one line per key per interval and reports how many were suppressed', () => {
    const clock = fakeClock(1_000_000);
    const { logger, lines } = recordingLogger();
    const limited = new RateLimitedLogger(logger, 60_000);

    for (let i = 0; i < 10; i++) limited.warn('a', 'issuer a fails');
    limited.warn('b', 'issuer b fails');
    expect(lines).toEqual(['warn issuer a fails', 'warn issuer b fails']);

    clock.set(1_060_000);
    limited.warn('a', 'issuer a fails');
    expect(lines.at(-1)).toBe('warn issuer a fails (9 similar messages suppressed)');
  });

  it('log() always writes, carries the suppressed count, and lets the next warning through at once', () => {
    const { logger, lines } = recordingLogger();
    const limited = new RateLimitedLogger(logger, 60_000);
    limited.warn('a', 'down');
    limited.warn('a', 'down');
    limited.log('a', 'back');
    limited.warn('a', 'down again');
    expect(lines).toEqual(['warn down', 'log back (1 similar message suppressed)', 'warn down again']);
  });

  it('forget() drops a key: its next warning is written at once, with no count', () => {
    const { logger, lines } = recordingLogger();
    const limited = new RateLimitedLogger(logger, 60_000);
    limited.warn('a', 'stale');
    limited.warn('a', 'stale');
    limited.forget('a');
    limited.warn('a', 'stale');
    expect(lines).toEqual(['warn stale', 'warn stale']);
  });
});
