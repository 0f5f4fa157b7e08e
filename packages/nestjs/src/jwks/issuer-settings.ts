import {
  ASYMMETRIC_ALGORITHMS,
  DEFAULT_JWKS_OPTIONS,
  DEFAULT_VERIFY_OPTIONS,
  SYMMETRIC_ALGORITHMS,
  type IssuerOptions,
  type JwksCacheModuleOptions,
  type ResolvedJwksOptions,
} from '../options.js';

/** The verification settings of one issuer, after merging defaults, top level and its overrides. */
export interface IssuerVerifySettings {
  /** Tolerance on `exp` / `nbf` / `iat`, in ms. */
  clockTolerance: number;
  /** Largest accepted token, in bytes. */
  maxTokenBytes: number;
  typ: string | undefined;
  requiredClaims: string[];
  /** Maximum token age from `iat`, in ms. */
  maxTokenAge: number | undefined;
}

/** Everything the provider needs to know about one configured issuer, resolved once at start-up. */
export interface IssuerSettings {
  issuer: string;
  jwksUri: string | undefined;
  audience: string | string[] | undefined;
  /** The allow-list of signature algorithms (never contains `none`). */
  algorithms: ReadonlySet<string>;
  /** Whether `oct` keys (HS*) may be used: only when an HS* algorithm is allowed. */
  allowSymmetric: boolean;
  jwks: ResolvedJwksOptions;
  verify: IssuerVerifySettings;
}

const SYMMETRIC = new Set<string>(SYMMETRIC_ALGORITHMS);

/** Merges defaults, the top-level blocks and the issuer's own overrides (undefined never overrides). */
export function resolveIssuerSettings(options: JwksCacheModuleOptions, issuer: IssuerOptions): IssuerSettings {
  const algorithms = new Set<string>(issuer.algorithms ?? ASYMMETRIC_ALGORITHMS);
  const allowSymmetric = issuer.allowSymmetricAlgorithms === true && [...algorithms].some((alg) => SYMMETRIC.has(alg));
  if (!allowSymmetric) for (const alg of SYMMETRIC) algorithms.delete(alg);
  const verify = mergeDefined({ ...DEFAULT_VERIFY_OPTIONS }, options.verify, issuer.verify);
  return {
    issuer: issuer.issuer,
    jwksUri: issuer.jwksUri,
    audience: issuer.audience,
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
export function resolveJwksOptions(options: JwksCacheModuleOptions, issuer?: IssuerOptions): ResolvedJwksOptions {
  return mergeDefined({ ...DEFAULT_JWKS_OPTIONS }, options.jwks, issuer?.jwks);
}

function mergeDefined<T extends object>(base: T, ...layers: (Partial<T> | undefined)[]): T {
  const merged = { ...base } as Record<string, unknown>;
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer ?? {})) if (value !== undefined) merged[name] = value;
  }
  return merged as T;
}
