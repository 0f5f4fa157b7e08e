import { describe, expect, it } from '@jest/globals';
import { createCipheriv, randomBytes } from 'node:crypto';
import { EntryCipher, type SealedValue } from './entry-cipher.js';

const KEY = Buffer.from('0123456789abcdef0123456789abcdef', 'utf8');
const AAD = 'jwks-cache:v1:token:abc';

/** Encrypts as an attacker holding the key material could, with any IV and tag length. */
function sealWith(ivBytes: number, tagBytes: number): SealedValue {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', KEY, iv, { authTagLength: tagBytes });
  cipher.setAAD(Buffer.from(AAD, 'utf8'));
  const data = Buffer.concat([cipher.update('{"token":"t"}', 'utf8'), cipher.final()]);
  return {
    kid: 'default',
    iv: iv.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
    data: data.toString('base64url'),
  };
}

describe('EntryCipher', () => {
  const cipher = new EntryCipher(new Uint8Array(KEY));

  it('round-trips with a 12-byte IV and a 16-byte tag, bound to its key', () => {
    const sealed = cipher.encrypt('{"token":"t"}', AAD);
    expect(Buffer.from(sealed.iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(sealed.tag, 'base64url')).toHaveLength(16);
    expect(cipher.decrypt(sealed, AAD)).toBe('{"token":"t"}');
    expect(cipher.decrypt(sealed, `${AAD}x`)).toBeUndefined();
  });

  it.each([4, 8, 12, 15])('refuses the genuine tag truncated to %i bytes (GCM would accept it)', (bytes) => {
    const sealed = cipher.encrypt('{"token":"t"}', AAD);
    const truncated = Buffer.from(sealed.tag, 'base64url').subarray(0, bytes).toString('base64url');
    expect(cipher.decrypt({ ...sealed, tag: truncated }, AAD)).toBeUndefined();
  });

  it('refuses a tag that is longer than 16 bytes', () => {
    const sealed = cipher.encrypt('{"token":"t"}', AAD);
    const longer = Buffer.concat([Buffer.from(sealed.tag, 'base64url'), Buffer.from([0])]).toString('base64url');
    expect(cipher.decrypt({ ...sealed, tag: longer }, AAD)).toBeUndefined();
  });

  it.each([
    [8, 16],
    [16, 16],
    [1, 16],
    [12, 4],
  ])('refuses a %i-byte IV with a %i-byte tag, even correctly encrypted under the key', (ivBytes, tagBytes) => {
    expect(cipher.decrypt(sealWith(ivBytes, tagBytes), AAD)).toBeUndefined();
  });

  it('decrypts a well-formed ciphertext made elsewhere with the key (the check is on lengths only)', () => {
    expect(cipher.decrypt(sealWith(12, 16), AAD)).toBe('{"token":"t"}');
  });
});
