import {
  JwksCacheEvents,
  type JwksCacheEventMap,
  type JwksCacheEventName,
} from '../observability/jwks-cache-events.js';
import { CacheStore } from '../store/cache-store.js';
import { IssuerKeyState, type IssuerKeyStats } from './issuer-key-state.js';
import type { IssuerSettings } from './issuer-settings.js';

/** What `stats().keySets` reports for one key set of the issuer templates. */
export interface KeySetStats extends IssuerKeyStats {
  /** Live dynamic issuers using it. */
  issuers: number;
}

interface SharedKeySet {
  uri: string;
  state: IssuerKeyState;
  /** Live dynamic issuers holding it; closed and dropped at 0. */
  users: number;
}

/**
 * The key sets of the issuer templates, keyed by JWKS URI: issuers that resolve to one URI share
 * one `IssuerKeyState` — one fetch, one cooldown, one entry in the shared store (Entra ID's common
 * keys: any number of tenants, one JWKS request). Reference-counted by the live issuers, so a set
 * no issuer uses any more stops its background retries and is forgotten: memory follows the
 * issuers' bound. Sets are shared only between templates with the same key-set settings (`jwks`
 * block, symmetric keys or not); otherwise each keeps its own under the same URI.
 */
export class KeySetsByUri {
  private readonly sets = new Map<string, SharedKeySet>();

  constructor(
    private readonly store: CacheStore,
    private readonly events: JwksCacheEvents,
  ) {}

  /** The key set of `uri` for an issuer of `template` (made on first use), counted as one more user. */
  acquire(uri: string, settings: IssuerSettings, template: string): IssuerKeyState {
    const id = identityOf(uri, settings);
    let shared = this.sets.get(id);
    if (shared === undefined) {
      // Labelled by its URI in messages and events; its own store key, apart from configured issuers'.
      const keySetSettings: IssuerSettings = { ...settings, issuer: uri, jwksUri: uri };
      const state = new IssuerKeyState(keySetSettings, {
        store: this.store,
        events: new TemplateKeySetEvents(this.events, template),
        jwksUri: () => Promise.resolve(uri),
        storeKey: CacheStore.key('jwks', 'jwks-uri', id),
      });
      shared = { uri, state, users: 0 };
      this.sets.set(id, shared);
    }
    shared.users++;
    return shared.state;
  }

  /** One user fewer; the last one closes the set (no more background retries) and forgets it. */
  release(uri: string, settings: IssuerSettings): void {
    const id = identityOf(uri, settings);
    const shared = this.sets.get(id);
    if (shared === undefined || --shared.users > 0) return;
    shared.state.close();
    this.sets.delete(id);
  }

  /** Counters and state by JWKS URI (a URI shared by templates of different settings is listed once per set, `#2` on). */
  stats(): Record<string, KeySetStats> {
    const report: Record<string, KeySetStats> = {};
    for (const { uri, state, users } of this.sets.values()) {
      let label = uri;
      for (let n = 2; Object.hasOwn(report, label); n++) label = `${uri} #${n}`;
      report[label] = { ...state.stats(), issuers: users };
    }
    return report;
  }

  /** How many sets are held. */
  get size(): number {
    return this.sets.size;
  }

  /** Stops every set's background retries. */
  close(): void {
    for (const { state } of this.sets.values()) state.close();
  }
}

/** The URI plus what makes two sets of one URI differ (their `jwks` settings, symmetric keys). */
function identityOf(uri: string, settings: IssuerSettings): string {
  const { ttl, maxAgeBounds, refreshAhead, cooldown, staleIfError, timeout, maxResponseBytes, retryBackoff } =
    settings.jwks;
  const tuning = [
    ttl,
    maxAgeBounds.min,
    maxAgeBounds.max,
    refreshAhead,
    cooldown,
    staleIfError,
    timeout,
    maxResponseBytes,
    retryBackoff.initial,
    retryBackoff.max,
    retryBackoff.jitter,
  ];
  return `${uri}\n${settings.allowSymmetric ? 'sym' : 'asym'}\n${tuning.join(',')}`;
}

/** Forwards a key set's events tagged with its template, so listeners can tell (and bound) them. */
class TemplateKeySetEvents extends JwksCacheEvents {
  constructor(
    private readonly target: JwksCacheEvents,
    private readonly template: string,
  ) {
    super();
  }

  override emit<E extends JwksCacheEventName>(event: E, payload: JwksCacheEventMap[E]): void {
    this.target.emit(event, { ...payload, template: this.template });
  }
}
