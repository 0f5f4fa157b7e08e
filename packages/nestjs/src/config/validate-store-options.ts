import type { JwksCacheModuleOptions } from './options.js';
import { STORE_OPTION_KEYS } from './known-option-keys.js';
import { checkKeys, checkObject, fail, MAX_TIMER_MS, validateCount, validateDuration } from './option-checks.js';
import { parseSecretKey } from '../store/secret-key.js';

/** `storeOptions`: the L1's bounds, the shared store's timeout and its log interval. */
export function validateStoreOptions(store: NonNullable<JwksCacheModuleOptions['storeOptions']>): void {
  checkObject(store, 'storeOptions');
  checkKeys(store, STORE_OPTION_KEYS, 'storeOptions');
  validateDuration(store.l1Ttl, 'storeOptions.l1Ttl', 1);
  validateCount(store.l1MaxEntries, 'storeOptions.l1MaxEntries', 1);
  validateDuration(store.timeout, 'storeOptions.timeout', 1, MAX_TIMER_MS);
  validateDuration(store.logInterval, 'storeOptions.logInterval');
}

/** Each key is 32 random bytes, and no bytes serve both as HMAC and as encryption key. */
export function validateSecretKeys(options: JwksCacheModuleOptions): void {
  const integrity =
    options.integrityKey === undefined ? undefined : parseSecretKey(options.integrityKey, 'integrityKey');
  if (options.encryptionKey === undefined) return;
  for (const [path, key] of encryptionKeys(options.encryptionKey)) {
    const bytes = parseSecretKey(key, path);
    if (integrity?.equals(bytes)) {
      fail(
        path,
        'must differ from integrityKey: one key must not serve both HMAC and encryption; make each with `openssl rand -base64 32`',
      );
    }
  }
}

function encryptionKeys(key: NonNullable<JwksCacheModuleOptions['encryptionKey']>): [string, unknown][] {
  if (typeof key === 'string' || key instanceof Uint8Array) return [['encryptionKey', key]];
  if (key === null || typeof key !== 'object' || Array.isArray(key) || Object.keys(key).length === 0) {
    fail('encryptionKey', 'must be a 32-byte key or a non-empty { kid: key } map');
  }
  return Object.entries(key).map(([kid, value]) => [`encryptionKey.${kid}`, value]);
}
