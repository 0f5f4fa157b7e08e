import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { parseSecretKey } from './secret-key.js';

/** An AES-256-GCM ciphertext as stored in an envelope; every binary field is base64url. */
export interface SealedValue {
  /** Which configured key encrypted it (`'default'` for a single key). */
  kid: string;
  iv: string;
  tag: string;
  data: string;
}

type KeyMaterial = string | Uint8Array;

const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SINGLE_KEY_ID = 'default';

/**
 * AES-256-GCM for entries of a shared store: a random 96-bit IV per entry, 128-bit tags only, the cache key as
 * associated data (an entry moved to another key fails to decrypt), and key ids for rotation:
 * the first key of a `{ kid: key }` map encrypts, every key decrypts.
 */
export class EntryCipher {
  private readonly keys: Map<string, Buffer>;
  private readonly currentKid: string;

  constructor(encryptionKey: KeyMaterial | Record<string, KeyMaterial>) {
    const single = typeof encryptionKey === 'string' || encryptionKey instanceof Uint8Array;
    const entries: [string, KeyMaterial][] = single ? [[SINGLE_KEY_ID, encryptionKey]] : Object.entries(encryptionKey);
    this.keys = new Map(
      entries.map(([kid, key]) => [kid, parseSecretKey(key, single ? 'encryptionKey' : `encryptionKey.${kid}`)]),
    );
    this.currentKid = entries[0][0];
  }

  encrypt(plaintext: string, associatedData: string): SealedValue {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.keys.get(this.currentKid)!, iv);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      kid: this.currentKid,
      iv: iv.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
      data: data.toString('base64url'),
    };
  }

  /**
   * The plaintext, or `undefined` when the kid is unknown, the IV is not 12 bytes, the tag is not
   * 16 bytes, or authentication fails (the store counts and logs it as a rejected entry).
   */
  decrypt(sealed: SealedValue, associatedData: string): string | undefined {
    const key = this.keys.get(sealed.kid);
    if (key === undefined) return undefined;
    const iv = Buffer.from(sealed.iv, 'base64url');
    const tag = Buffer.from(sealed.tag, 'base64url');
    // GCM accepts tags cut down to 4 bytes (forgeable with ~2^32 tries) and IVs of any length:
    // only what `encrypt` writes is accepted.
    if (iv.byteLength !== IV_BYTES || tag.byteLength !== TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

/** Whether `value` has the shape of a {@link SealedValue}. */
export function isSealedValue(value: unknown): value is SealedValue {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.kid === 'string' && typeof v.iv === 'string' && typeof v.tag === 'string' && typeof v.data === 'string'
  );
}
