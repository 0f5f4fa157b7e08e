import type { LoggerService } from '@nestjs/common';
import { inspect } from 'node:util';

/**
 * A Nest `LoggerService` that keeps every line (message, extra parameters, stacks) in memory, so
 * a test can assert that no token, secret or key material was ever written to the logs.
 */
export class CapturingLogger implements LoggerService {
  /** Every line logged, at every level, with its parameters rendered as text. */
  readonly lines: string[] = [];

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.capture('log', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.capture('error', message, optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.capture('warn', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.capture('debug', message, optionalParams);
  }

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.capture('verbose', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.capture('fatal', message, optionalParams);
  }

  /**
   * The secrets among `needles` that appear in any captured line. Each needle is also searched
   * by its longest dot-separated part, so a log line holding only a token's signature or payload
   * is caught too.
   */
  leaked(needles: Iterable<string>): string[] {
    const text = this.lines.join('\n');
    const found: string[] = [];
    for (const needle of needles) {
      const fragments = [needle, ...needle.split('.').filter((part) => part.length >= 16)];
      if (fragments.some((fragment) => fragment.length > 0 && text.includes(fragment))) found.push(needle);
    }
    return found;
  }

  private capture(level: string, message: unknown, optionalParams: unknown[]): void {
    const rendered = [message, ...optionalParams].map((part) =>
      typeof part === 'string' ? part : inspect(part, { depth: 5 }),
    );
    this.lines.push(`[${level}] ${rendered.join(' ')}`);
  }
}
