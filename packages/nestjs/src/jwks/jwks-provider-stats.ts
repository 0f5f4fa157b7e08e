import type { DynamicIssuerStats, IssuerTemplateStats } from './dynamic-issuers.js';
import type { IssuerKeyStats } from './key-set-state-types.js';
import type { KeySetStats } from './key-sets-by-uri.js';

/** What `JwksProvider.stats()` reports. */
export interface JwksProviderStats {
  /**
   * Per configured issuer, and per live issuer of an issuer template (with its `template`,
   * `params` and `jwksUri`; its counters are those of its key set, shared by JWKS URI).
   */
  issuers: Record<string, IssuerKeyStats | DynamicIssuerStats>;
  /** The issuer templates' key sets, by JWKS URI, with the live issuers using each. */
  keySets: Record<string, KeySetStats>;
  /** Per issuer template (as configured): live issuers and the counters of its bounds. */
  templates: Record<string, IssuerTemplateStats>;
  verifiedTokens: { size: number; hits: number; misses: number };
  /** Entries of the imported-key cache (`0` with `importedKeyCache: false`, an adapter's own `size` else `0`). */
  importedKeys: { size: number };
}
