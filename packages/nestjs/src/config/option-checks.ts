/*
 * The checks every option group is made of. Each throws a `TypeError` naming the option's path,
 * never its value unless that is a number (a refused value might be a secret).
 */

import type { JwksOptions } from './options.js';
import { closestName } from './closest-name.js';
import { RETRY_BACKOFF_KEYS } from './known-option-keys.js';

/**
 * The longest a timer can wait: Node keeps timer delays (`setTimeout`, `AbortSignal.timeout`) in
 * 31 bits, and a longer one fires after 1 ms with a `TimeoutOverflowWarning`.
 */
export const MAX_TIMER_MS = 2_147_483_647;

export function checkFunction(value: unknown, path: string): void {
  if (value !== undefined && typeof value !== 'function') fail(path, `must be a function, not ${describe(value)}`);
}

/** A backoff's delays go to a timer: each, with its jitter, must fit in one. */
export function validateRetryBackoff(backoff: NonNullable<JwksOptions['retryBackoff']>, path: string): void {
  checkObject(backoff, path);
  checkKeys(backoff, RETRY_BACKOFF_KEYS, path);
  validateDuration(backoff.initial, `${path}.initial`, 1, MAX_TIMER_MS, true);
  validateDuration(backoff.max, `${path}.max`, 1, MAX_TIMER_MS, true);
  const { jitter } = backoff;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 1))
    fail(`${path}.jitter`, 'must be a number from 0 to 1');
  if (backoff.initial > backoff.max) fail(`${path}.initial`, `must not exceed ${path}.max`);
  const longest = Math.ceil(backoff.max * (1 + jitter));
  if (longest > MAX_TIMER_MS) {
    fail(
      `${path}.max`,
      `with its jitter (±${Math.round(jitter * 100)} %) reaches ${longest} ms, more than a timer can wait (${MAX_TIMER_MS})`,
    );
  }
}

export function validateUrl(value: unknown, path: string, note = ''): void {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    fail(path, `must be an absolute http(s) URL ${note}`.trim());
  }
  if (url.username !== '' || url.password !== '') fail(path, 'must not carry credentials');
}

/** An http(s) origin: scheme, host and optional port, nothing after (a trailing `/` is tolerated). */
export function validateOrigin(value: unknown, path: string): void {
  validateUrl(value, path);
  const url = new URL(value as string);
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '') {
    fail(
      path,
      `must be an origin (scheme, host, port) with no path, query or fragment, e.g. https://api.example.com (got ${url.origin}${url.pathname === '/' ? '' : ' with a path'})`,
    );
  }
}

/**
 * A duration: whole milliseconds from `min` to `max`. Fractions are refused because the timers
 * they reach refuse them (`AbortSignal.timeout(0.5)` throws on every fetch).
 */
export function validateDuration(
  value: unknown,
  path: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
  required = false,
): void {
  if (value === undefined && !required) return;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return;
  const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
  fail(path, `must be a whole number of milliseconds ${range} (got ${describe(value)})`);
}

export function validateCount(value: unknown, path: string, min: number): void {
  if (value === undefined) return;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= min) return;
  fail(path, `must be a whole number ≥ ${min} (got ${describe(value)})`);
}

/** A refused number as written; anything else by its type only (it might be a secret). */
export function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : `a ${typeof value}`;
}

export function checkObject(value: unknown, path: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail(path, 'must be an object');
}

/**
 * Refuses a key no option has, which would otherwise be ignored in silence (`issuer` for
 * `issuers`, `ttlMs` for `ttl`), naming the closest known one.
 */
export function checkKeys(value: object, known: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const suggestion = closestName(key, known);
    const where = path === '' ? key : `${path}.${key}`;
    fail(
      where,
      suggestion === undefined
        ? `is not a known option (known: ${known.join(', ')})`
        : `is not a known option; did you mean ${suggestion}?`,
    );
  }
}

export function isStrings(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

export function isStringOrStrings(value: unknown): boolean {
  return typeof value === 'string' || (isStrings(value) && value.length > 0);
}

export function fail(path: string, problem: string): never {
  throw new TypeError(`JwksCacheModule: option ${path} ${problem}`);
}
