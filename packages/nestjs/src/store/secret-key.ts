/** Length of `integrityKey` and of every `encryptionKey`: 256 random bits. */
export const SECRET_KEY_BYTES = 32;

const HEX = /^[0-9a-fA-F]{64}$/;
// 32 bytes are 43 base64 characters (the last holding 2 bits of padding) plus one optional `=`;
// one alphabet or the other, never a mix.
const BASE64 = /^[A-Za-z0-9+/]{43}=?$/;
const BASE64URL = /^[A-Za-z0-9_-]{43}=?$/;

/**
 * The 32 bytes of a configured secret key (`integrityKey`, `encryptionKey` and each value of an
 * `encryptionKey` map): a `Uint8Array` of 32 bytes, or a string holding them in base64, base64url
 * or hex, as `openssl rand -base64 32` and `openssl rand -hex 32` print them. Anything else — a
 * passphrase above all, whose UTF-8 bytes carry far fewer than 256 random bits — is a `TypeError`
 * that names the option and says how to make a key, never showing the value.
 */
export function parseSecretKey(value: unknown, path: string): Buffer {
  if (value instanceof Uint8Array) {
    if (value.byteLength === SECRET_KEY_BYTES) return Buffer.from(value);
    refuse(path, `got a Uint8Array of ${value.byteLength} bytes`);
  }
  if (typeof value !== 'string') refuse(path, `got ${value === null ? 'null' : typeof value}`);
  if (HEX.test(value)) return Buffer.from(value, 'hex');
  if (BASE64.test(value) || BASE64URL.test(value)) {
    const bytes = Buffer.from(
      value.replace(/=$/, ''),
      value.includes('+') || value.includes('/') ? 'base64' : 'base64url',
    );
    // Node ignores non-zero trailing bits: only the canonical spelling of 32 bytes is a key.
    if (
      bytes.byteLength === SECRET_KEY_BYTES &&
      bytes.toString('base64url') === value.replace(/=$/, '').replace(/\+/g, '-').replace(/\//g, '_')
    )
      return bytes;
  }
  const whitespace = value.trim() !== value ? ' with leading or trailing whitespace' : '';
  refuse(
    path,
    `got a string of ${value.length} characters${whitespace}, which is neither 32 bytes in base64 (43 or 44 characters) nor in hex (64)`,
  );
}

function refuse(path: string, problem: string): never {
  throw new TypeError(
    `JwksCacheModule: option ${path} must be 32 random bytes: a Uint8Array, or a string of them in base64, base64url or hex ` +
      `(make one with \`openssl rand -base64 32\` or \`openssl rand -hex 32\`); ${problem}`,
  );
}
