import type { DynamicIssuerStats, IssuerTemplateStats } from './dynamic-issuers.js';
import type { ImportedKeyCache } from './imported-key-cache.js';
import type { IssuerDirectory } from './issuer-directory.js';
import type { IssuerKeyStats } from './key-set-state-types.js';
import type { KeySetStats } from './key-sets-by-uri.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';

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

/**
 * Assembles {@link JwksProviderStats}: the configured issuers first, then the live issuers of the
 * templates (a configured issuer keeps its own entry), the templates' key sets, the templates, the
 * verified-token cache and the imported keys. No network call.
 */
export function collectProviderStats(
  directory: IssuerDirectory,
  verifiedTokens: VerifiedTokenCache,
  importedKeys: ImportedKeyCache,
): JwksProviderStats {
  const issuers: Record<string, IssuerKeyStats | DynamicIssuerStats> = {};
  for (const [issuer, state] of directory.configuredStates()) issuers[issuer] = state.stats();
  const templates: Record<string, IssuerTemplateStats> = {};
  for (const template of directory.templateList()) {
    for (const [issuer, stats] of Object.entries(template.issuerStats())) issuers[issuer] ??= stats;
    templates[template.source] = template.stats();
  }
  return {
    issuers,
    keySets: directory.keySets.stats(),
    templates,
    verifiedTokens: verifiedTokens.stats(),
    importedKeys: { size: importedKeys.size },
  };
}
