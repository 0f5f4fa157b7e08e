import { LRUCache } from 'lru-cache';
import { clock } from '../internal/clock.js';
import type { JWTVerifyOptions } from 'jose';
import { ClaimValidationError, KeySetUnavailableError, UnknownIssuerError } from '../errors.js';
import type { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import type { IssuerOptions, TenantParams } from '../config/options.js';
import { DEFAULT_TEMPLATE_BOUNDS } from './template-bounds.js';
import { AdmissionWindow } from './admission-window.js';
import type { IssuerKeyState, IssuerKeyStats } from './issuer-key-state.js';
import type { IssuerSettings } from './issuer-settings.js';
import { IssuerTemplate } from './issuer-template.js';
import type { KeySetsByUri } from './key-sets-by-uri.js';

/** One issuer an issuer template made, live until the template's LRU drops it. */
export interface DynamicIssuer {
  /** The token's `iss`, matched by the template. */
  readonly issuer: string;
  /** The placeholder values. */
  readonly params: TenantParams;
  /** The template's settings, for this issuer (its `issuer`, its `jwksUri` when the template has one). */
  readonly settings: IssuerSettings;
  /** Settles once `tenants` admitted it and its key set was obtained; rejects with why not. */
  readonly ready: Promise<IssuerKeyState>;
  /** Its key set (shared by JWKS URI), once ready. */
  keys: IssuerKeyState | undefined;
  /** The JWKS URI it resolved to, once ready. */
  jwksUri: string | undefined;
  /** jose options per alg, built once per issuer (dropped with it). */
  readonly verifyOptions: Map<string, JWTVerifyOptions>;
}

/** What `stats().issuers` adds for a dynamic issuer (its counters are its key set's, shared by JWKS URI). */
export interface DynamicIssuerStats extends IssuerKeyStats {
  template: string;
  params: TenantParams;
  jwksUri: string;
}

/** Counters of one issuer template, in `stats().templates`. */
export interface IssuerTemplateStats {
  /** Dynamic issuers live now (at most `maxIssuers`). */
  live: number;
  /** Issuers made (admitted by `tenants`, keys obtained). */
  created: number;
  /** New issuers `tenants` refused (or threw for). */
  refused: number;
  /** New issuers refused by `newIssuersPerSecond`, with no network request. */
  rateLimited: number;
  /** Live issuers dropped by the `maxIssuers` LRU. */
  evicted: number;
  /** New issuers whose discovery or key set failed. */
  failed: number;
  /** Tokens rejected at once because their issuer was refused or failed less than `jwks.cooldown` ago. */
  negativeHits: number;
}

/** What an issuer template needs from the provider. */
export interface DynamicIssuerDependencies {
  keySets: KeySetsByUri;
  events: JwksCacheEvents;
  /** The `jwks_uri` of `settings.issuer` by discovery (a `FetchError` when it fails). */
  discoverJwksUri: (settings: IssuerSettings) => Promise<string>;
  /** Drops what discovery holds for an issuer that is no longer live. */
  forgetDiscovery: (issuer: string) => void;
}

interface Refusal {
  until: number;
  reason: 'tenants' | 'failed';
}

/**
 * One issuer template (`issuers[i]` with `{placeholders}`) and the issuers it makes, bounded so
 * that tokens minted with random tenants cost nothing: matching is string work; a new issuer is
 * admitted at most `newIssuersPerSecond` times per second (then `UnknownIssuerError`, no network
 * request, no `tenants` call); `tenants` is asked once per new issuer; a refused or failed issuer
 * is remembered for `jwks.cooldown`; at most `maxIssuers` live (LRU), and as many refusals.
 */
export class DynamicIssuers {
  /** The template as configured (`issuers[i].issuer`). */
  readonly source: string;
  private readonly template: IssuerTemplate;
  private readonly jwksTemplate: IssuerTemplate | undefined;
  private readonly tenants: IssuerOptions['tenants'];
  private readonly claimsMatch: readonly (readonly [claim: string, placeholder: string])[];
  private readonly live: LRUCache<string, DynamicIssuer>;
  private readonly refusals: LRUCache<string, Refusal>;
  private readonly admission: AdmissionWindow;
  private readonly counters = { created: 0, refused: 0, rateLimited: 0, evicted: 0, failed: 0, negativeHits: 0 };

  /**
   * @param options the template entry (validated at start).
   * @param settings its resolved settings (`issuer` is the template itself).
   */
  constructor(
    options: IssuerOptions,
    /** The template's resolved settings; each issuer gets a copy with its own `issuer`. */
    readonly settings: IssuerSettings,
    private readonly dependencies: DynamicIssuerDependencies,
  ) {
    this.source = options.issuer;
    this.template = IssuerTemplate.parse(options.issuer, 'issuer');
    this.jwksTemplate =
      options.jwksUri === undefined ? undefined : IssuerTemplate.parse(options.jwksUri, 'jwksUri', this.template.names);
    this.tenants = options.tenants;
    this.claimsMatch = Object.entries(options.claimsMatch ?? {});
    const maxIssuers = options.maxIssuers ?? DEFAULT_TEMPLATE_BOUNDS.maxIssuers;
    this.live = new LRUCache<string, DynamicIssuer>({
      max: maxIssuers,
      dispose: (entry, _issuer, reason) => this.dropped(entry, reason),
    });
    this.refusals = new LRUCache<string, Refusal>({ max: maxIssuers });
    this.admission = new AdmissionWindow(options.newIssuersPerSecond ?? DEFAULT_TEMPLATE_BOUNDS.newIssuersPerSecond);
  }

  /** The placeholder values when `iss` matches the template; no side effect. */
  match(iss: string): TenantParams | undefined {
    return this.template.match(iss);
  }

  /** `claimsMatch`: each listed claim must equal its placeholder's value. Throws {@link ClaimValidationError}. */
  checkClaims(params: TenantParams, claims: Record<string, unknown>): void {
    for (const [claim, placeholder] of this.claimsMatch) {
      if (claims[claim] !== params[placeholder]) {
        throw new ClaimValidationError(
          `The "${claim}" claim does not match the {${placeholder}} of the token issuer`,
          claim,
          'check_failed',
        );
      }
    }
  }

  /**
   * The live issuer for `iss` (made now when new and admitted), synchronously; its `keys` are set
   * once it is ready, else await `ready`. Throws, with no network request, an
   * {@link UnknownIssuerError} when `iss` was refused less than `cooldown` ago or the
   * `newIssuersPerSecond` bound is reached, a {@link KeySetUnavailableError} when it failed less
   * than `cooldown` ago.
   */
  resolve(iss: string, params: TenantParams): DynamicIssuer {
    const existing = this.live.get(iss);
    if (existing !== undefined) return existing;
    const refusal = this.refusals.get(iss);
    if (refusal !== undefined && clock.now() < refusal.until) {
      this.counters.negativeHits++;
      throw refusal.reason === 'tenants'
        ? new UnknownIssuerError(`The token issuer is not an admitted tenant of ${this.source}`)
        : new KeySetUnavailableError(
            `The keys of the token issuer (of ${this.source}) could not be obtained recently; retried after the cooldown`,
          );
    }
    if (!this.admission.tryAdmit()) {
      this.counters.rateLimited++;
      this.dependencies.events.emit('jwks.issuer_refused', {
        template: this.source,
        issuer: iss,
        reason: 'rate_limited',
      });
      throw new UnknownIssuerError(
        `Too many new issuers of ${this.source} per second: the token issuer is not admitted now`,
      );
    }
    const settings: IssuerSettings = { ...this.settings, issuer: iss, jwksUri: this.jwksTemplate?.expand(params) };
    const entry: { -readonly [K in keyof DynamicIssuer]: DynamicIssuer[K] } = {
      issuer: iss,
      params,
      settings,
      keys: undefined,
      jwksUri: undefined,
      verifyOptions: new Map(),
      ready: undefined as never,
    };
    entry.ready = this.admit(entry);
    // Callers await `ready`; this branch only keeps an unawaited failure from being "unhandled".
    entry.ready.catch(() => undefined);
    this.live.set(iss, entry);
    return entry;
  }

  /** The live, ready issuer for `iss` (marked as recently used), or `undefined`; never makes one. */
  peek(iss: string): DynamicIssuer | undefined {
    const entry = this.live.get(iss);
    return entry?.keys === undefined ? undefined : entry;
  }

  /** The live, ready issuers. */
  *issuers(): IterableIterator<DynamicIssuer> {
    for (const entry of this.live.values()) if (entry.keys !== undefined) yield entry;
  }

  /** Each live issuer with its key set's counters. */
  issuerStats(): Record<string, DynamicIssuerStats> {
    const report: Record<string, DynamicIssuerStats> = {};
    for (const entry of this.issuers())
      report[entry.issuer] = {
        ...entry.keys!.stats(),
        template: this.source,
        params: entry.params,
        jwksUri: entry.jwksUri!,
      };
    return report;
  }

  /** The template's counters. */
  stats(): IssuerTemplateStats {
    return { live: this.live.size, ...this.counters };
  }

  /** Drops every live issuer (their key sets are released). */
  close(): void {
    this.live.clear();
  }

  /** `tenants`, then the JWKS URI (configured or discovered), then the key set, loaded once. */
  private async admit(
    entry: DynamicIssuer & { keys: IssuerKeyState | undefined; jwksUri: string | undefined },
  ): Promise<IssuerKeyState> {
    const { issuer, params, settings } = entry;
    if (this.tenants !== undefined && !(await this.askTenants(params))) {
      this.refuse(entry, 'tenants');
      throw new UnknownIssuerError(`The token issuer is not an admitted tenant of ${this.source}`);
    }
    let uri: string;
    try {
      uri = settings.jwksUri ?? (await this.dependencies.discoverJwksUri(settings));
    } catch (error) {
      this.refuse(entry, 'failed');
      throw new KeySetUnavailableError(`The metadata of an issuer of ${this.source} could not be obtained`, {
        cause: error,
      });
    }
    const keys = this.dependencies.keySets.acquire(uri, settings, this.source);
    try {
      await keys.keySet();
    } catch (error) {
      this.dependencies.keySets.release(uri, settings);
      this.refuse(entry, 'failed');
      throw error;
    }
    if (this.live.peek(issuer) !== entry) {
      // Dropped meanwhile (evicted): this verification still gets the keys, nothing keeps them.
      this.dependencies.keySets.release(uri, settings);
      if (this.jwksTemplate === undefined) this.dependencies.forgetDiscovery(issuer);
      return keys;
    }
    entry.keys = keys;
    entry.jwksUri = uri;
    this.counters.created++;
    this.dependencies.events.emit('jwks.issuer_created', { template: this.source, issuer, params, jwksUri: uri });
    return keys;
  }

  /** A throwing `tenants` refuses, as `false` does (the error is not kept: it may say anything). */
  private async askTenants(params: TenantParams): Promise<boolean> {
    try {
      return (await this.tenants!(params)) === true;
    } catch {
      return false;
    }
  }

  private refuse(entry: DynamicIssuer, reason: Refusal['reason']): void {
    if (this.live.peek(entry.issuer) === entry) this.live.delete(entry.issuer);
    this.refusals.set(entry.issuer, { until: clock.now() + this.settings.jwks.cooldown, reason });
    if (reason === 'tenants') this.counters.refused++;
    else this.counters.failed++;
    this.dependencies.events.emit('jwks.issuer_refused', { template: this.source, issuer: entry.issuer, reason });
  }

  /** The LRU's dispose: a dropped issuer releases its key set and its discovery document. */
  private dropped(entry: DynamicIssuer, reason: LRUCache.DisposeReason): void {
    if (reason === 'evict') this.counters.evicted++;
    if (entry.keys === undefined) return;
    this.dependencies.keySets.release(entry.jwksUri!, entry.settings);
    if (this.jwksTemplate === undefined) this.dependencies.forgetDiscovery(entry.issuer);
  }
}
