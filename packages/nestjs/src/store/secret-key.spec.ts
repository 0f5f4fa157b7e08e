import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { parseSecretKey } from './secret-key.js';

const PATH = 'integrityKey';

describe('parseSecretKey', () => {
  const bytes = randomBytes(32);

  it.each([
    ['openssl rand -base64 32 (44 characters, padded)', bytes.toString('base64')],
    ['base64 without its padding', bytes.toString('base64').replace(/=$/, '')],
    ['base64url (43 characters)', bytes.toString('base64url')],
    ['openssl rand -hex 32 (64 characters)', bytes.toString('hex')],
    ['hex in capitals', bytes.toString('hex').toUpperCase()],
    ['a Uint8Array of 32 bytes', new Uint8Array(bytes)],
    ['a Buffer of 32 bytes', Buffer.from(bytes)],
  ])('accepts %s, as the same 32 bytes', (_, key) => {
    expect(parseSecretKey(key, PATH).equals(bytes)).toBe(true);
  });

  it('accepts base64 whose alphabet characters + and / (or - and _) are all present', () => {
    const special = Buffer.from(Array.from({ length: 32 }, () => 0xfb)); // encodes to +/ in base64
    expect(special.toString('base64')).toMatch(/[+/]/);
    expect(parseSecretKey(special.toString('base64'), PATH).equals(special)).toBe(true);
    expect(parseSecretKey(special.toString('base64url'), PATH).equals(special)).toBe(true);
  });

  it.each([
    [
      '32 printable characters (their UTF-8 bytes are far less than 256 random bits)',
      '0123456789abcdef0123456789abcdef',
    ],
    ['a password', 'correct horse battery staple!!!!'],
    ['base64 of 31 bytes', randomBytes(31).toString('base64')],
    ['base64 of 33 bytes', randomBytes(33).toString('base64')],
    ['base64 of 64 bytes (openssl rand -base64 64)', randomBytes(64).toString('base64').replace(/\n/g, '')],
    ['hex of 31 bytes', randomBytes(31).toString('hex')],
    ['hex of 33 bytes', randomBytes(33).toString('hex')],
    ['base64 with a trailing newline', `${bytes.toString('base64')}\n`],
    ['base64 with leading spaces', `  ${bytes.toString('base64')}`],
    ['base64 mixing both alphabets', `+_${bytes.toString('base64url').slice(2)}`],
    [
      'base64 with non-zero trailing bits (not what any encoder prints)',
      `${bytes.toString('base64url').slice(0, 42)}B`,
    ],
    ['base64 with two padding characters', `${bytes.toString('base64url')}==`],
    ['the empty string', ''],
    ['a Uint8Array of 16 bytes', new Uint8Array(16)],
    ['a Uint8Array of 64 bytes', new Uint8Array(64)],
    ['a number', 42],
    ['an array of 32 numbers', Array.from({ length: 32 }, () => 1)],
    ['null', null],
  ])('refuses %s with a TypeError that shows the openssl command', (_, key) => {
    expect(() => parseSecretKey(key, PATH)).toThrow(TypeError);
    expect(() => parseSecretKey(key, PATH)).toThrow(/^JwksCacheModule: option integrityKey must be 32 random bytes/);
    expect(() => parseSecretKey(key, PATH)).toThrow(/openssl rand -base64 32/);
  });

  it('never echoes the refused key, and says what the string looked like', () => {
    const key = 'correct horse battery staple!!!!';
    let message = '';
    try {
      parseSecretKey(key, 'encryptionKey.k1');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^JwksCacheModule: option encryptionKey\.k1 /);
    expect(message).toContain('a string of 32 characters');
    expect(message).not.toContain(key);
    expect(message).not.toContain('horse');
  });

  it('says when a string carries whitespace around an otherwise good key', () => {
    expect(() => parseSecretKey(`${bytes.toString('base64')}\n`, PATH)).toThrow(/leading or trailing whitespace/);
  });
});
