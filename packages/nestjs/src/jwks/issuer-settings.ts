import type { ResolvedJwksOptions } from '../config/options.js';

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

/** Everything the provider needs to know about one configured issuer, resolved once at start-up (`config/resolve-config.ts`). */
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
