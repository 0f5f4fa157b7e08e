import { TokenMalformedError } from '../errors.js';

/** The header and claims of a compact JWS, decoded but NOT verified. */
export interface UnverifiedJws {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Decodes the header and payload of a compact JWS (exactly 3 parts; 5 parts is a JWE) to pick
 * the issuer and key before verifying. Strict on shape and alphabet, like jose's `decodeJwt`, but
 * with Node's native base64url decoder: this runs for every token not in the verified-token
 * cache, and jose decodes everything again while verifying.
 * @throws {TokenMalformedError}
 */
export function decodeCompactJws(token: string): UnverifiedJws {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1 || token.indexOf('.', second + 1) !== -1) {
    throw new TokenMalformedError(isJwe(token) ? 'Encrypted tokens (JWE) are not accepted' : 'The token is not a compact JWS (3 parts)');
  }
  // jose decodes the signature leniently on Node 20 (atob: '=' padding, whitespace), so check it here.
  if (!/^[A-Za-z0-9_-]*$/.test(token.slice(second + 1))) throw new TokenMalformedError('The token signature is not base64url');
  return { header: decodeSegment(token.slice(0, first), 'header'), claims: decodeSegment(token.slice(first + 1, second), 'payload') };
}

function decodeSegment(segment: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = BASE64URL.test(segment) ? JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) : undefined;
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TokenMalformedError(`The token ${name} is not base64url-encoded JSON object`);
  }
  return value as Record<string, unknown>;
}

function isJwe(token: string): boolean {
  return token.split('.', 6).length === 5;
}
