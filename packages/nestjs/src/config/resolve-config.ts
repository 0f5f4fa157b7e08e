import type { IssuerSettings } from '../jwks/issuer-settings.js';
import { deepFreeze } from '../internal/deep-freeze.js';
import { jwtContextEnabled } from './jwt-context-enabled.js';
import {
  ASYMMETRIC_ALGORITHMS,
  DEFAULT_DPOP_OPTIONS,
  DEFAULT_JWKS_OPTIONS,
  DEFAULT_MAX_TENANTS_PER_TOKEN,
  DEFAULT_STORE_OPTIONS,
  DEFAULT_TOKEN_TIMING,
  DEFAULT_VERIFY_OPTIONS,
  SYMMETRIC_ALGORITHMS,
  type DpopMode,
  type DpopOptions,
  type IssuerOptions,
  type JwksCacheModuleOptions,
  type ResolvedJwksOptions,
  type StoreOptions,
  type TokenTimingOptions,
} from './options.js';

/** The timing every token source starts from: every member set but `tenantFrom`, which has no default. */
export type ResolvedTokenTiming = Required<Omit<TokenTimingOptions, 'tenantFrom'>> &
  Pick<TokenTimingOptions, 'tenantFrom'>;

/** The top-level `verify` block with every default filled in. */
export type ResolvedVerifyOptions = typeof DEFAULT_VERIFY_OPTIONS;

/**
 * The module's options with every default filled in, made once per options object (the module
 * makes it at start, after validation) and frozen: the one place where defaults meet the
 * configuration. Services read their settings here and never merge defaults themselves.
 */
export interface ResolvedConfig {
  /** The top-level `jwks` block (`importedKeyCache` stays on the options: it is not a value). */
  readonly jwks: ResolvedJwksOptions;
  /** The top-level `verify` block. */
  readonly verify: ResolvedVerifyOptions;
  /** Every configured issuer, in configuration order: defaults, top-level blocks and its own overrides merged. */
  readonly issuers: readonly IssuerSettings[];
  /** The timing every token source starts from (`tokenDefaults` over the defaults). */
  readonly tokenDefaults: ResolvedTokenTiming;
  /** Tenants per token name held in process. */
  readonly maxTenantsPerToken: number;
  /** The store layer's tuning. */
  readonly storeOptions: Required<StoreOptions>;
  /** Whether the request context is on (`guard.context`, or a `tenantFrom` that needs it: `jwtContextEnabled`). */
  readonly jwtContext: boolean;
  /** DPoP (RFC 9449) per configured issuer, by issuer; `fallback` for an issuer made at run time. */
  readonly dpop: {
    readonly issuers: Readonly<Record<string, ResolvedDpopSettings>>;
    readonly fallback: ResolvedDpopSettings;
  };
}

/** One issuer's DPoP settings (`issuers[i].dpop`), defaults filled in. */
export interface ResolvedDpopSettings {
  readonly mode: DpopMode;
  /** Whether the issuer configures `dpop` itself (answers without a token then offer the DPoP scheme). */
  readonly configured: boolean;
  /** Algorithms a proof may use (asymmetric only), in configuration order (for the challenge's `algs`). */
  readonly algorithms: readonly string[];
  /** Oldest accepted proof from its `iat`, in ms. */
  readonly maxProofAge: number;
  /** Rotation period of server nonces in ms, or `undefined` when nonces are off. */
  readonly nonceRotation: number | undefined;
  /** The issuer's `verify.clockTolerance` (over the top level's and the default), in ms. */
  readonly clockTolerance: number;
}

const resolved = new WeakMap<JwksCacheModuleOptions, ResolvedConfig>();

/**
 * The resolved, frozen configuration of `options` — made on the first call, the same object on
 * every later one. `options` must have passed `validateOptions`.
 */
export function resolveConfig(options: JwksCacheModuleOptions): ResolvedConfig {
  let config = resolved.get(options);
  if (config === undefined) {
    config = deepFreeze({
      jwks: resolveJwksOptions(options),
      verify: mergeDefined(DEFAULT_VERIFY_OPTIONS, options.verify),
      issuers: (options.issuers ?? []).map((issuer) => resolveIssuerSettings(options, issuer)),
      tokenDefaults: mergeDefined<ResolvedTokenTiming>(DEFAULT_TOKEN_TIMING, options.tokenDefaults),
      maxTenantsPerToken: options.maxTenantsPerToken ?? DEFAULT_MAX_TENANTS_PER_TOKEN,
      storeOptions: mergeDefined(DEFAULT_STORE_OPTIONS, options.storeOptions),
      dpop: resolveDpop(options),
      jwtContext: jwtContextEnabled(options),
    });
    resolved.set(options, config);
  }
  return config;
}

/** The `jwks` settings that apply to `issuer`: its own when configured, else the top level's. */
export function jwksSettingsFor(config: ResolvedConfig, issuer: string): ResolvedJwksOptions {
  return config.issuers.find((settings) => settings.issuer === issuer)?.jwks ?? config.jwks;
}

const SYMMETRIC = new Set<string>(SYMMETRIC_ALGORITHMS);

/** Merges defaults, the top-level blocks and the issuer's own overrides (undefined never overrides). */
function resolveIssuerSettings(options: JwksCacheModuleOptions, issuer: IssuerOptions): IssuerSettings {
  const algorithms = new Set<string>(issuer.algorithms ?? ASYMMETRIC_ALGORITHMS);
  const allowSymmetric = issuer.allowSymmetricAlgorithms === true && [...algorithms].some((alg) => SYMMETRIC.has(alg));
  if (!allowSymmetric) for (const alg of SYMMETRIC) algorithms.delete(alg);
  const verify = mergeDefined(DEFAULT_VERIFY_OPTIONS, options.verify, issuer.verify);
  return {
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    audience: Array.isArray(issuer.audience) ? [...issuer.audience] : issuer.audience,
    algorithms,
    allowSymmetric,
    jwks: resolveJwksOptions(options, issuer),
    verify: {
      clockTolerance: verify.clockTolerance,
      maxTokenBytes: verify.maxTokenBytes,
      typ: verify.typ,
      requiredClaims: verify.requiredClaims ?? [],
      maxTokenAge: verify.maxTokenAge,
    },
  };
}

/** The `jwks` options of an issuer (or, without one, the top level's), defaults filled in. */
function resolveJwksOptions(options: JwksCacheModuleOptions, issuer?: IssuerOptions): ResolvedJwksOptions {
  const { importedKeyCache: _providerWide, ...topLevel } = options.jwks ?? {};
  const { importedKeyCache: _ignored, ...own } = issuer?.jwks ?? {};
  return mergeDefined(DEFAULT_JWKS_OPTIONS, topLevel, own);
}

/**
 * `base` with each layer's defined members over it, later layers winning. Plain objects and
 * arrays are copied, so that freezing the result never freezes the caller's options.
 */
function mergeDefined<T extends object>(base: T, ...layers: (Partial<T> | undefined)[]): T {
  const merged = copyPlain(base) as Record<string, unknown>;
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer ?? {})) if (value !== undefined) merged[name] = copyPlain(value);
  }
  return merged as T;
}

function copyPlain<T>(value: T): T {
  if (Array.isArray(value)) return value.map(copyPlain) as T;
  if (value === null || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return value;
  return Object.fromEntries(Object.entries(value).map(([name, member]) => [name, copyPlain(member)])) as T;
}

/** `issuers[i].dpop` of every issuer (a mode or the object form) with the defaults of {@link DEFAULT_DPOP_OPTIONS}. */
function resolveDpop(options: JwksCacheModuleOptions): ResolvedConfig['dpop'] {
  const topLevelTolerance = mergeDefined(DEFAULT_VERIFY_OPTIONS, options.verify).clockTolerance;
  const issuers: Record<string, ResolvedDpopSettings> = {};
  for (const issuer of options.issuers ?? []) {
    const clockTolerance = mergeDefined(DEFAULT_VERIFY_OPTIONS, options.verify, issuer.verify).clockTolerance;
    issuers[issuer.issuer] = resolveDpopSettings(issuer.dpop, clockTolerance);
  }
  return { issuers, fallback: resolveDpopSettings(undefined, topLevelTolerance) };
}

/** One issuer's `dpop` option with the defaults (exported for its unit test). */
export function resolveDpopSettings(
  dpop: DpopMode | DpopOptions | undefined,
  clockTolerance: number = DEFAULT_VERIFY_OPTIONS.clockTolerance,
): ResolvedDpopSettings {
  const options: DpopOptions = typeof dpop === 'string' ? { mode: dpop } : (dpop ?? {});
  const nonce = options.nonce;
  const nonceRotation =
    nonce === undefined || nonce === false
      ? undefined
      : nonce === true
        ? DEFAULT_DPOP_OPTIONS.nonceRotation
        : (nonce.rotation ?? DEFAULT_DPOP_OPTIONS.nonceRotation);
  return {
    mode: options.mode ?? DEFAULT_DPOP_OPTIONS.mode,
    configured: dpop !== undefined,
    algorithms: [...(options.algorithms ?? ASYMMETRIC_ALGORITHMS)],
    maxProofAge: options.maxProofAge ?? DEFAULT_DPOP_OPTIONS.maxProofAge,
    nonceRotation,
    clockTolerance,
  };
}
