import { TokenMalformedError } from '../errors.js';

/** The header and claims of a compact JWS, decoded but NOT verified. */
export interface UnverifiedJws {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
}

/**
 * A compact JWS, checked in one pass: exactly 3 parts, base64url only (no padding, no whitespace),
 * header and payload not empty. jose decodes leniently on Node 20 (atob accepts `=` padding and
 * whitespace), so the strictness is ours; one regex over the token costs less than slicing it and
 * testing each part (this runs for every token the verified-token cache does not hold).
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Decodes the header and payload of a compact JWS (exactly 3 parts; 5 parts is a JWE) to pick
 * the issuer and key before verifying. Strict on shape and alphabet, like jose's `decodeJwt`, but
 * with Node's native base64url decoder: jose decodes everything again while verifying.
 * @throws {TokenMalformedError}
 */
export function decodeCompactJws(token: string): UnverifiedJws {
  if (!COMPACT_JWS.test(token)) throw new TokenMalformedError(describeShape(token));
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  return {
    header: decodeSegment(token.slice(0, first), 'header'),
    claims: decodeSegment(token.slice(first + 1, second), 'payload'),
  };
}

function decodeSegment(segment: string, name: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TokenMalformedError(`The token ${name} is not base64url-encoded JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Why a token is not a compact JWS, for the error (only reached for a malformed token). */
function describeShape(token: string): string {
  const parts = token.split('.', 6);
  if (parts.length === 5) return 'Encrypted tokens (JWE) are not accepted';
  if (parts.length !== 3) return 'The token is not a compact JWS (3 parts)';
  const name =
    parts[0] === '' || /[^A-Za-z0-9_-]/.test(parts[0])
      ? 'header'
      : parts[1] === '' || /[^A-Za-z0-9_-]/.test(parts[1])
        ? 'payload'
        : 'signature';
  return name === 'signature'
    ? 'The token signature is not base64url'
    : `The token ${name} is not base64url-encoded JSON object`;
}
