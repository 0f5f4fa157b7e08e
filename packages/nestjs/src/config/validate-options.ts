import type { JwksCacheModuleOptions } from './options.js';
import { GUARD_OPTION_KEYS, MODULE_OPTION_KEYS, TOKEN_TIMING_KEYS, VERIFY_OPTION_KEYS } from './known-option-keys.js';
import { checkKeys, checkObject, fail, validateCount, validateOrigin } from './option-checks.js';
import { validateGuard } from './validate-guard-options.js';
import { validateIssuer, validateJwks, validateVerify } from './validate-issuer-options.js';
import { validateSecretKeys, validateStoreOptions } from './validate-store-options.js';
import { validateTokenSource, validateTokenTiming } from './validate-token-options.js';
import { isIssuerTemplate } from '../jwks/issuer-template.js';

/**
 * Checks the module options once, at start-up, and throws a `TypeError` naming the first
 * option that is wrong. Secrets are never echoed: only the option's path is named.
 */
export function validateOptions(options: JwksCacheModuleOptions): void {
  checkObject(options, 'options');
  checkKeys(options, MODULE_OPTION_KEYS, '');
  const issuers = options.issuers ?? [];
  if (!Array.isArray(issuers)) fail('issuers', 'must be an array');
  const seen = new Set<string>();
  issuers.forEach((issuer, i) => {
    validateIssuer(issuer, `issuers[${i}]`);
    if (seen.has(issuer.issuer)) fail(`issuers[${i}].issuer`, `duplicates another issuer (${issuer.issuer})`);
    seen.add(issuer.issuer);
  });
  if (options.jwks !== undefined) validateJwks(options.jwks, 'jwks');
  if (options.verify !== undefined) validateVerify(options.verify, 'verify', VERIFY_OPTION_KEYS);
  if (options.tokenDefaults !== undefined) {
    checkObject(options.tokenDefaults, 'tokenDefaults');
    checkKeys(options.tokenDefaults, TOKEN_TIMING_KEYS, 'tokenDefaults');
    validateTokenTiming(options.tokenDefaults, 'tokenDefaults');
  }
  validateCount(options.maxTenantsPerToken, 'maxTenantsPerToken', 1);
  if (options.tokens !== undefined) checkObject(options.tokens, 'tokens');
  for (const [name, source] of Object.entries(options.tokens ?? {})) {
    // A token source verifies against one exact issuer: a template names none.
    validateTokenSource(source, `tokens.${name}`, new Set([...seen].filter((issuer) => !isIssuerTemplate(issuer))));
  }
  validateSecretKeys(options);
  if (options.storeOptions !== undefined) validateStoreOptions(options.storeOptions);
  if (options.guard !== undefined) {
    checkObject(options.guard, 'guard');
    checkKeys(options.guard, GUARD_OPTION_KEYS, 'guard');
    validateGuard(options);
    if (options.guard.publicUrl !== undefined) validateOrigin(options.guard.publicUrl, 'guard.publicUrl');
  }
  // Last, so that a wrong option is named before the module is called empty.
  if (issuers.length === 0 && options.tokens === undefined) {
    fail(
      'issuers',
      'is empty and no tokens are configured: the module would refuse every token. ' +
        'List at least one issuer; a module that only obtains outbound tokens sets tokens instead (an empty tokens: {} when every source is added with register())',
    );
  }
}
