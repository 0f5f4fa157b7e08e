import type { ResolvedTokenTiming } from '../config/resolve-config.js';
import { LRUCache } from 'lru-cache';
import { UnknownTokenSourceError } from '../errors.js';
import type { TokenSourceOptions } from '../config/options.js';
import { RetryBackoff } from './retry-backoff.js';
import type { KeyState, TokenCounters, TokenSlot, TokenStats } from './token-slot.js';
import { registeredSource, resolveTokenSource, type RegisteredTokenSource } from './token-source.js';

/** The tenant key of "no tenant": lru-cache keys cannot be `undefined`. */
const NO_TENANT = Symbol('no tenant');
type TenantKey = string | typeof NO_TENANT;
const tenantKey = (tenant: string | undefined): TenantKey => tenant ?? NO_TENANT;

/**
 * The token sources by name and what they resolved to per tenant: the slots `ensureToken` finds
 * on its hot path (at most `maxTenantsPerToken` per name, least recently used out first, on
 * `lru-cache`), the key state behind each store key, and the counters per name.
 */
export class TokenRegistry {
  private readonly sources = new Map<string, RegisteredTokenSource>();
  private readonly slots = new Map<string, LRUCache<TenantKey, TokenSlot>>();
  /** The state behind each store key; tests read its size (it must stay bounded). */
  readonly states = new Map<string, KeyState>();
  private readonly counters = new Map<string, TokenCounters>();

  /**
   * @param tokenDefaults the resolved `tokenDefaults` every source starts from.
   * @param maxTenantsPerToken slots held per token name.
   * @param isLoading whether a load of a key state is under way (its state then outlives an eviction).
   * @param encryptsTokens the store encrypts tokens (`encryptionKey`): a token bound to a configured DPoP key may be shared.
   */
  constructor(
    private readonly tokenDefaults: ResolvedTokenTiming,
    private readonly maxTenantsPerToken: number,
    private readonly isLoading: (state: KeyState) => boolean,
    private readonly encryptsTokens = false,
  ) {}

  /** The slot of `name` and `tenant` when it is held (the hot path), else `undefined`. */
  held(name: string, tenant: string | undefined): TokenSlot | undefined {
    return this.slots.get(name)?.get(tenantKey(tenant));
  }

  /** The slot of `name` and `tenant`, resolved now when it is not held. @throws UnknownTokenSourceError */
  slotFor(name: string, tenant: string | undefined): TokenSlot {
    return this.held(name, tenant) ?? this.createSlot(name, tenant);
  }

  /** The source registered under `name`, if any. */
  sourceOf(name: string): RegisteredTokenSource | undefined {
    return this.sources.get(name);
  }

  /** Adds (or replaces) a source; its slots are resolved again on their next use. */
  add(name: string, options: TokenSourceOptions): void {
    this.sources.set(name, registeredSource(name, options, this.tokenDefaults, this.encryptsTokens));
    this.slots.delete(name); // Settings may have changed: resolve them again on the next call.
    if (!this.counters.has(name)) {
      this.counters.set(name, { served: 0, fetched: 0, refreshedAhead: 0, failures: 0, invalidations: 0 });
    }
  }

  /**
   * A token function's key names no setting (only the name or shareKey, and the tenant): replaced,
   * its tokens would keep being handed out. Drops the key states of every tenant held in process
   * and of the no-tenant entry, and returns the store keys of theirs that are shared, for the
   * caller to delete. A load of the old function still in flight ends up in an orphaned state,
   * never in the store (see {@link isCurrent}).
   */
  forgetTokensOf(name: string): string[] {
    const source = this.sources.get(name)!;
    const slots = [...(this.slots.get(name)?.values() ?? [])];
    const resolved = slots.map((slot) => slot.resolved);
    if (!slots.some((slot) => slot.tenant === undefined)) resolved.push(resolveTokenSource(source, undefined));
    const shared: string[] = [];
    for (const { storeKey, shared: isShared } of resolved) {
      this.states.delete(storeKey);
      if (isShared) shared.push(storeKey);
    }
    return shared;
  }

  /** Whether `slot` still stands for its key and source (else `register()` replaced it meanwhile). */
  isCurrent(slot: TokenSlot): boolean {
    return this.states.get(slot.resolved.storeKey) === slot.state || this.sources.get(slot.name) === slot.source;
  }

  /**
   * Drops the key state of a slot evicted (by `maxTenantsPerToken` or `register`) while its load
   * was in flight, so that states stay bounded by the slots held plus the loads under way.
   */
  forgetIfOrphaned(slot: TokenSlot): void {
    const { storeKey } = slot.resolved;
    if (this.isLoading(slot.state) || this.states.get(storeKey) !== slot.state) return;
    if (this.slots.get(slot.name)?.peek(tenantKey(slot.tenant))?.state !== slot.state) this.states.delete(storeKey);
  }

  /** Counters per token name (copies). */
  stats(): Record<string, TokenStats> {
    return Object.fromEntries(
      [...this.counters].map(([name, stats]) => [name, { ...stats, tenants: this.slots.get(name)?.size ?? 0 }]),
    );
  }

  private createSlot(name: string, tenant: string | undefined): TokenSlot {
    const source = this.sources.get(name);
    if (source === undefined)
      throw new UnknownTokenSourceError(`No token source is registered under the name "${name}"`);
    const resolved = resolveTokenSource(source, tenant);
    let state = this.states.get(resolved.storeKey);
    if (state === undefined) {
      state = {
        entry: undefined,
        handedOut: undefined,
        backoff: new RetryBackoff(source.retryBackoff),
        invalidatedAfter401: undefined,
        retriedAfter401: undefined,
      };
      this.states.set(resolved.storeKey, state);
    }
    const slot: TokenSlot = { name, tenant, source, resolved, state, stats: this.counters.get(name)! };
    let byTenant = this.slots.get(name);
    if (byTenant === undefined) {
      byTenant = new LRUCache<TenantKey, TokenSlot>({
        max: this.maxTenantsPerToken,
        disposeAfter: (evicted, _tenant, reason) => {
          if (reason === 'evict') this.dropEvicted(evicted);
        },
      });
      this.slots.set(name, byTenant);
    }
    byTenant.set(tenantKey(tenant), slot);
    return slot;
  }

  /**
   * Keeps `maxTenantsPerToken`: an evicted slot's key state goes too, unless a request for it is
   * under way. Its token stays in the cache store, where the tenant finds it again.
   */
  private dropEvicted(slot: TokenSlot): void {
    const { storeKey } = slot.resolved;
    if (this.states.get(storeKey) === slot.state && !this.isLoading(slot.state)) this.states.delete(storeKey);
  }
}
