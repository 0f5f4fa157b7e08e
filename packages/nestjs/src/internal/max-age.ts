/** `max-age` of a `Cache-Control` header, in ms (`no-store` / `no-cache` count as 0); `undefined` without one. */
export function parseMaxAge(cacheControl: string | null): number | undefined {
  if (cacheControl === null) return undefined;
  if (/(?:^|,)\s*no-(?:store|cache)\s*(?:,|$)/i.test(cacheControl)) return 0;
  const match = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?\s*(?:,|$)/i.exec(cacheControl);
  return match === null ? undefined : Number(match[1]) * 1000;
}

/** What decides how long a response stays fresh, in ms. */
export interface FreshnessSettings {
  /** Freshness of a response without `max-age`, used as given. */
  readonly ttl: number;
  /** The range a response's `max-age` is clamped to. */
  readonly maxAgeBounds: { readonly min: number; readonly max: number };
}

/**
 * How long a response stays fresh: its `max-age` clamped to `maxAgeBounds` wins; without one, the
 * configured `ttl` as given (tests set it to a second). In ms.
 */
export function freshnessFor(maxAge: number | undefined, settings: FreshnessSettings): number {
  const { ttl, maxAgeBounds } = settings;
  return maxAge === undefined ? ttl : Math.min(Math.max(maxAge, maxAgeBounds.min), maxAgeBounds.max);
}
