import { UnknownIssuerError } from '../errors.js';
import type { IssuerOptions, TenantParams, VerifyOverrides } from '../config/options.js';
import type { JwksCacheEvents } from '../observability/jwks-cache-events.js';
import type { CacheStore } from '../store/cache-store.js';
import { DynamicIssuers, type DynamicIssuer } from './dynamic-issuers.js';
import { IssuerKeyState } from './issuer-key-state.js';
import type { IssuerSettings } from './issuer-settings.js';
import { isIssuerTemplate } from './issuer-template.js';
import { KeySetsByUri } from './key-sets-by-uri.js';
import type { UsableKey } from './key-set.js';

/** An issuer found by its `iss`: a configured one (no params), or a live one of a template. */
export interface FoundIssuer {
  settings: IssuerSettings;
  state: IssuerKeyState;
  dynamic?: DynamicIssuer;
}

/** What a token's `iss` matched: a configured issuer, or an issuer template (its issuer not made yet). */
export interface ClaimedIssuer {
  /** A configured issuer's settings, or the issuer template's that matched. */
  settings: IssuerSettings;
  /** Set when an issuer template matched `iss`: the issuer is made (or found) only after every check of the token. */
  dynamic?: { template: DynamicIssuers; iss: string; params: TenantParams };
}

/** What the directory needs from outside. */
export interface IssuerDirectoryDependencies {
  store: CacheStore;
  events: JwksCacheEvents;
  /** The JWKS URL of an issuer: configured, or discovered (a `FetchError` when discovery fails). */
  jwksUriOf: (settings: IssuerSettings) => Promise<string>;
  /** Drops an issuer's cached discovery document (a template issuer that goes). */
  forgetDiscovery: (issuer: string) => void;
}

/**
 * Who the issuers are: the configured ones with their key sets (one `IssuerKeyState` each), and
 * the issuer templates with their live issuers (key sets shared by JWKS URI). Lookups only — a
 * template's issuer is made by {@link madeIssuer}, within the template's bounds.
 */
export class IssuerDirectory {
  private readonly configured = new Map<string, IssuerSettings>();
  private readonly states = new Map<string, IssuerKeyState>();
  /** The issuer templates, in configuration order (tried after the configured issuers). */
  private readonly templates: DynamicIssuers[] = [];
  /** The templates' key sets, shared by JWKS URI. */
  readonly keySets: KeySetsByUri;

  /**
   * @param settings every issuer's resolved settings, in configuration order.
   * @param options the same issuers as configured (templates and seeds).
   * @param onSeed a configured issuer's `seed`, to install on its key state.
   */
  constructor(
    settings: readonly IssuerSettings[],
    options: readonly IssuerOptions[],
    dependencies: IssuerDirectoryDependencies,
    onSeed: (state: IssuerKeyState, issuer: string, seed: unknown) => void,
  ) {
    const { store, events } = dependencies;
    this.keySets = new KeySetsByUri(store, events);
    const templateDependencies = {
      keySets: this.keySets,
      events,
      discoverJwksUri: dependencies.jwksUriOf,
      forgetDiscovery: dependencies.forgetDiscovery,
    };
    settings.forEach((issuerSettings, i) => {
      const configured = options[i];
      if (isIssuerTemplate(issuerSettings.issuer)) {
        this.templates.push(new DynamicIssuers(configured, issuerSettings, templateDependencies));
        return;
      }
      this.configured.set(issuerSettings.issuer, issuerSettings);
      const state = new IssuerKeyState(issuerSettings, {
        store,
        events,
        jwksUri: () => dependencies.jwksUriOf(issuerSettings),
      });
      this.states.set(issuerSettings.issuer, state);
      if (configured.seed !== undefined) onSeed(state, issuerSettings.issuer, configured.seed);
    });
  }

  /** The configured issuers, in configuration order. */
  configuredIssuers(): IssuerSettings[] {
    return [...this.configured.values()];
  }

  /** The configured issuers' settings, then the templates'. */
  allSettings(): IssuerSettings[] {
    return [...this.configured.values(), ...this.templates.map((template) => template.settings)];
  }

  /** The configured issuers' key states, by issuer. */
  configuredStates(): ReadonlyMap<string, IssuerKeyState> {
    return this.states;
  }

  /** The issuer templates, in configuration order. */
  templateList(): readonly DynamicIssuers[] {
    return this.templates;
  }

  /**
   * The settings `overrides.issuer` names (a configured issuer, or the template it matches);
   * every issuer's and template's without one; `undefined` when it names neither.
   */
  settingsNamed(named: unknown): IssuerSettings[] | undefined {
    if (named === undefined) return this.allSettings();
    if (typeof named !== 'string') return undefined;
    const settings =
      this.configured.get(named) ?? this.templates.find((candidate) => candidate.match(named) !== undefined)?.settings;
    return settings === undefined ? undefined : [settings];
  }

  /** Every key held now, with the settings of the issuer holding it (configured, then live template issuers). */
  heldKeys(): { settings: IssuerSettings; key: UsableKey }[] {
    const held = this.configuredIssuers().map((settings) => ({ settings, state: this.states.get(settings.issuer)! }));
    for (const template of this.templates)
      for (const { settings, keys } of template.issuers()) held.push({ settings, state: keys! });
    return held.flatMap(({ settings, state }) => state.heldKeys().map((key) => ({ settings, key })));
  }

  /**
   * A configured issuer equal to `iss`, else the first issuer template matching it (and its
   * `claimsMatch`). Only string work: the template's issuer is made (or refused) later, after the
   * remaining checks, so a token failing any of them costs no admission and no request.
   */
  issuerOfClaims(claims: Record<string, unknown>, overrides: VerifyOverrides | undefined): ClaimedIssuer {
    const iss = claims.iss;
    const settings = typeof iss === 'string' ? this.configured.get(iss) : undefined;
    if (settings !== undefined) {
      if (overrides?.issuer !== undefined && overrides.issuer !== settings.issuer)
        throw new UnknownIssuerError('The token issuer is not the expected one');
      return { settings };
    }
    if (typeof iss === 'string') {
      for (const template of this.templates) {
        const params = template.match(iss);
        if (params === undefined) continue;
        if (overrides?.issuer !== undefined && overrides.issuer !== iss)
          throw new UnknownIssuerError('The token issuer is not the expected one');
        template.checkClaims(params, claims);
        return { settings: template.settings, dynamic: { template, iss, params } };
      }
    }
    // The token's iss is attacker-controlled: it is never echoed into the message.
    throw new UnknownIssuerError('The token issuer is not configured');
  }

  /** A configured issuer, or a live (ready) issuer of a template; never makes one. */
  found(issuer: string): FoundIssuer {
    const settings = this.configured.get(issuer);
    if (settings !== undefined) return { settings, state: this.states.get(issuer)! };
    const live = this.liveIssuer(issuer);
    if (live === undefined)
      throw new UnknownIssuerError(`Issuer ${issuer} is not configured (nor a live issuer of an issuer template)`);
    return live;
  }

  /** The key state of a configured issuer, or of a live template issuer (its shared set); never makes one. */
  keyStateOf(issuer: string): IssuerKeyState | undefined {
    return this.states.get(issuer) ?? this.liveIssuer(issuer)?.state;
  }

  /** The template's issuer for a token: live, or made now within the template's bounds (see `DynamicIssuers.resolve`). */
  async madeIssuer({ template, iss, params }: NonNullable<ClaimedIssuer['dynamic']>): Promise<FoundIssuer> {
    const dynamic = template.resolve(iss, params);
    const state = dynamic.keys ?? (await dynamic.ready);
    return { settings: dynamic.settings, state, dynamic };
  }

  /** Stops background retries and drops the templates' issuers. */
  close(): void {
    for (const state of this.states.values()) state.close();
    for (const template of this.templates) template.close();
    this.keySets.close();
  }

  /** The live, ready issuer of a template for `issuer`, if any. */
  private liveIssuer(issuer: string): FoundIssuer | undefined {
    for (const template of this.templates) {
      const dynamic = template.peek(issuer);
      if (dynamic !== undefined) return { settings: dynamic.settings, state: dynamic.keys!, dynamic };
    }
    return undefined;
  }
}
