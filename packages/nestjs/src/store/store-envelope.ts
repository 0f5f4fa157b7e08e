import { createHmac, timingSafeEqual } from 'node:crypto';
import { EntryCipher, isSealedValue, type SealedValue } from './entry-cipher.js';
import { parseSecretKey } from './secret-key.js';
import { clock } from '../internal/clock.js';

/**
 * What is written to a shared store: the value with its kind and absolute expiry, optionally
 * an HMAC over all of it (`mac`), and for tokens optionally encrypted (`enc` instead of `value`).
 */
export interface StoreEnvelope {
  v: 1;
  kind: string;
  /** Absolute expiry, epoch ms. The reader ignores the entry after it, whatever the store's ttl. */
  exp: number;
  value?: unknown;
  enc?: SealedValue;
  /** base64url HMAC-SHA-256 over (key, kind, exp, serialized value or ciphertext). */
  mac?: string;
}

/** Why an entry read from a shared store was not used. */
export type RejectionReason = 'shape' | 'version' | 'kind' | 'integrity' | 'decryption' | 'unencrypted';

export type OpenedEntry =
  { status: 'ok'; value: unknown } | { status: 'expired' } | { status: 'rejected'; reason: RejectionReason };

/** Kinds whose entries are encrypted when an `encryptionKey` is configured. */
const ENCRYPTED_KINDS = new Set(['token']);

/**
 * Seals values into {@link StoreEnvelope}s and opens them again, trusting nothing read back:
 * version, kind and shape are checked, then the HMAC (with an `integrityKey`), then the
 * ciphertext (with an `encryptionKey`).
 */
export class EnvelopeCodec {
  private readonly integrityKey: Buffer | undefined;

  constructor(
    integrityKey: string | Uint8Array | undefined,
    private readonly cipher: EntryCipher | undefined,
  ) {
    this.integrityKey = integrityKey === undefined ? undefined : parseSecretKey(integrityKey, 'integrityKey');
  }

  /** @param confidential encrypt whatever the kind (the caller checked that a cipher is set). */
  seal(key: string, kind: string, value: unknown, exp: number, confidential = false): StoreEnvelope {
    const envelope: StoreEnvelope = { v: 1, kind, exp };
    if (this.encrypts(kind, confidential)) envelope.enc = this.cipher!.encrypt(JSON.stringify(value), key);
    else envelope.value = value;
    if (this.integrityKey !== undefined) envelope.mac = this.mac(key, envelope);
    return envelope;
  }

  /** @param confidential only an encrypted entry is accepted (a clear one was planted). */
  open(key: string, kind: string, raw: unknown, confidential = false): OpenedEntry {
    const shapeProblem = checkShape(raw, kind);
    if (shapeProblem !== undefined) return { status: 'rejected', reason: shapeProblem };
    const envelope = raw as StoreEnvelope;
    if (this.integrityKey !== undefined && !this.macMatches(key, envelope))
      return { status: 'rejected', reason: 'integrity' };
    if (envelope.exp <= clock.now()) return { status: 'expired' };
    if (envelope.enc !== undefined) return this.decrypt(key, envelope.enc);
    if (this.encrypts(kind, confidential)) return { status: 'rejected', reason: 'unencrypted' };
    return { status: 'ok', value: envelope.value };
  }

  private encrypts(kind: string, confidential: boolean): boolean {
    return this.cipher !== undefined && (confidential || ENCRYPTED_KINDS.has(kind));
  }

  private decrypt(key: string, sealed: SealedValue): OpenedEntry {
    const plaintext = this.cipher?.decrypt(sealed, key);
    if (plaintext === undefined) return { status: 'rejected', reason: 'decryption' };
    try {
      return { status: 'ok', value: JSON.parse(plaintext) as unknown };
    } catch {
      return { status: 'rejected', reason: 'decryption' };
    }
  }

  private mac(key: string, envelope: StoreEnvelope): string {
    const payload = JSON.stringify(envelope.enc ?? envelope.value);
    // A JSON array frames the fields unambiguously (no separator can be forged inside one).
    const input = JSON.stringify([key, envelope.kind, envelope.exp, payload]);
    return createHmac('sha256', this.integrityKey!).update(input, 'utf8').digest('base64url');
  }

  private macMatches(key: string, envelope: StoreEnvelope): boolean {
    if (typeof envelope.mac !== 'string') return false;
    const expected = Buffer.from(this.mac(key, envelope), 'utf8');
    const actual = Buffer.from(envelope.mac, 'utf8');
    return expected.length === actual.length && timingSafeEqual(expected, actual);
  }
}

function checkShape(raw: unknown, kind: string): RejectionReason | undefined {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return 'shape';
  const envelope = raw as Record<string, unknown>;
  if (envelope.v !== 1) return 'version';
  if (envelope.kind !== kind) return 'kind';
  if (typeof envelope.exp !== 'number' || !Number.isFinite(envelope.exp)) return 'shape';
  const hasValue = envelope.value !== undefined;
  const hasCiphertext = envelope.enc !== undefined;
  if (hasValue === hasCiphertext) return 'shape';
  if (hasCiphertext && !isSealedValue(envelope.enc)) return 'shape';
  if (envelope.mac !== undefined && typeof envelope.mac !== 'string') return 'shape';
  return undefined;
}
