import { createHash } from 'node:crypto';

/** The fixed, readable prefix of every key this library writes (lets Redis ACLs scope it). */
export const STORE_KEY_PREFIX = 'jwks-cache:v1:';

/** What is stored: key sets, discovery documents, outbound tokens, DPoP server nonces and seen proof `jti`s. */
export type StoreEntryKind = 'jwks' | 'discovery' | 'token' | 'dpop-nonce' | 'dpop-jti';

/** The store key for an entry of `kind` identified by `parts` (hashed): `jwks-cache:v1:<kind>:<hash>`. */
export function storeKey(kind: StoreEntryKind, ...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\u0000')).digest('base64url');
  return `${STORE_KEY_PREFIX}${kind}:${digest}`;
}

/** The kind segment of a key built by {@link CacheStore.key} (`'custom'` for any other key). */
export function kindOf(key: string): string {
  if (!key.startsWith(STORE_KEY_PREFIX)) return 'custom';
  const rest = key.slice(STORE_KEY_PREFIX.length);
  const separator = rest.indexOf(':');
  return separator > 0 ? rest.slice(0, separator) : 'custom';
}

/** `jwks-cache:v1:lock:<kind>:<hash>` — still under the prefix, never colliding with an entry. */
export function lockKeyOf(key: string): string {
  const rest = key.startsWith(STORE_KEY_PREFIX)
    ? key.slice(STORE_KEY_PREFIX.length)
    : createHash('sha256').update(key).digest('base64url');
  return `${STORE_KEY_PREFIX}lock:${rest}`;
}
