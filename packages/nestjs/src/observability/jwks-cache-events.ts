import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { JwksCacheError } from '../errors.js';
import { RateLimitedLogger } from './rate-limited-logger.js';

/** Every event this library emits, with its payload. Payloads never hold a token or a secret. */
export interface JwksCacheEventMap {
  /** A key set was obtained: from the issuer (`network`), a shared store (`store`) or a fresh seed (`seed`). */
  'jwks.fetched': {
    issuer: string;
    keys: number;
    skipped: number;
    source: 'network' | 'store' | 'seed';
    durationMs: number;
  } & KeySetOfTemplate;
  /** Fetching an issuer's key set (or its discovery document) failed. */
  'jwks.fetch_failed': { issuer: string; error: JwksCacheError } & KeySetOfTemplate;
  /** A request was served with a key set past its freshness, because the issuer fails. */
  'jwks.stale_served': { issuer: string; staleForMs: number } & KeySetOfTemplate;
  /** An unknown `kid` was seen; `refetched` tells whether it caused a fetch or hit the cooldown. */
  'jwks.unknown_kid': { issuer: string; refetched: boolean } & KeySetOfTemplate;
  /** An issuer template made a new issuer: `tenants` (if any) admitted it and its keys were obtained. */
  'jwks.issuer_created': {
    template: string;
    issuer: string;
    params: Readonly<Record<string, string>>;
    jwksUri: string;
  };
  /**
   * An issuer template refused a new issuer, with no network request for it unless `reason` is
   * `failed`: `tenants` said no, the `newIssuersPerSecond` bound was reached (`rate_limited`), or
   * its discovery or key set could not be obtained (`failed`, then remembered for `jwks.cooldown`).
   * `issuer` matched the template, so it is made of the template and placeholder-safe characters only.
   */
  'jwks.issuer_refused': { template: string; issuer: string; reason: 'tenants' | 'rate_limited' | 'failed' };
  /** An outbound token was obtained from its source. */
  'token.fetched': { name: string; tenant: string | undefined; expiresInMs: number | undefined; background: boolean };
  /** Obtaining an outbound token failed. */
  'token.failed': { name: string; tenant: string | undefined; error: JwksCacheError };
  /**
   * The fleet-wide DPoP replay cache could not be asked (Redis down or slow): proofs were checked
   * against this instance's own cache only, so a proof replayed to another instance would pass.
   */
  'dpop.replay_cache_degraded': { reason: 'store_unavailable' };
  /** A cache store failed or timed out; the operation was treated as a miss. */
  'store.error': { operation: 'get' | 'set' | 'delete'; error: JwksCacheError };
}

export type JwksCacheEventName = keyof JwksCacheEventMap;

/**
 * On the key-set events of an issuer template's key sets: the template (as configured), and then
 * `issuer` is the set's JWKS URI (one set serves every issuer that resolves to it). Absent for a
 * configured issuer's own set.
 */
export interface KeySetOfTemplate {
  template?: string;
}

/**
 * The events surface: inject it and `on('jwks.fetch_failed', …)`. A typed `EventEmitter`;
 * listeners that throw are isolated: the error is logged (a warning naming the event and the
 * error, at most once a minute per event) and never breaks a request or the other listeners, so
 * emit is safe on every path.
 */
@Injectable()
export class JwksCacheEvents {
  private readonly emitter = new EventEmitter();
  private readonly listenerFailures = new RateLimitedLogger(new Logger(JwksCacheEvents.name));

  on<E extends JwksCacheEventName>(event: E, listener: (payload: JwksCacheEventMap[E]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  emit<E extends JwksCacheEventName>(event: E, payload: JwksCacheEventMap[E]): void {
    if (this.emitter.listenerCount(event) === 0) return;
    for (const listener of this.emitter.listeners(event)) {
      try {
        (listener as (payload: JwksCacheEventMap[E]) => void)(payload);
      } catch (error) {
        // A subscriber's bug must not fail token verification; it is the subscriber's own error, not ours to hide.
        this.listenerFailures.warn(event, `A listener of ${event} threw: ${describe(error)}`);
      }
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : `a non-error value (${typeof error})`;
}
