/**
 * The attack corpus: hostile tokens, one per row, each with the reason it must fail and the typed
 * error `JwksProvider.verify` must throw. Rows are data; `attack-corpus.spec.ts` runs every row
 * through `JwtGuard` (401) and `JwksProvider.verify` (typed error) and counts the network calls.
 */
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { JWK } from 'jose';
import { signWith, unsignedToken, type AttackerKey, type SigningKey } from '@jwks-cache/testing';
import {
  AlgorithmNotAllowedError,
  ClaimValidationError,
  HeaderNotAllowedError,
  NoMatchingKeyError,
  SignatureInvalidError,
  TokenExpiredError,
  TokenMalformedError,
  TokenTooLargeError,
  UnknownIssuerError,
  type JwksCacheError,
} from '@jwks-cache/nestjs';

/** One of the configured issuer's signing keys. */
export interface IssuerKeyHandle {
  kid: string;
  privateKey: SigningKey;
  publicJwk: JWK;
}

/** Everything a row needs to build its token. */
export interface AttackContext {
  /** The configured issuer (exact string). */
  issuer: string;
  /** The configured audience. */
  audience: string;
  /** The configured `typ`. */
  typ: string;
  /** The issuer's keys by algorithm. */
  keys: { RS256: IssuerKeyHandle; PS256: IssuerKeyHandle; ES256: IssuerKeyHandle; EdDSA: IssuerKeyHandle };
  /** A second configured issuer that allows HS256 (and publishes only an RS256 key). */
  hsIssuer: { issuer: string; rsa: IssuerKeyHandle };
  /** Keys no issuer knows. */
  attacker: { RS256: AttackerKey; ES256: AttackerKey };
  /** The attacker's own issuer (a live server whose request counters must stay at 0). */
  attackerIssuer: string;
  /** Its JWKS URL, publishing the attacker's RS256 key under {@link attackerKid}. */
  attackerJwksUri: string;
  /** The kid of the attacker's published RS256 key (signed by `attacker.RS256`). */
  attackerKid: string;
  /** Now, in seconds. */
  now: number;
}

/** An error class of `errors.ts`, with its stable static `code`. */
export type ErrorClass = (abstract new (...args: never[]) => JwksCacheError) & { readonly code: string };

/** A row of the corpus. */
export interface AttackCase {
  /** Group and short name, used as the test name. */
  name: string;
  /** Why this must be rejected, in one line. */
  reason: string;
  /** The error class `JwksProvider.verify` must throw (its `code` is asserted too). */
  expected: ErrorClass;
  /** For a `ClaimValidationError`, the claim it must name. */
  claim?: string;
  /**
   * The guard's HTTP status: 401, except 400 (`invalid_request`, RFC 6750 §3.1) when the
   * `Authorization` header is not even `Bearer <b64token>` syntax.
   * @default 401
   */
  httpStatus?: 400 | 401;
  /**
   * A known gap, reported and not fixed yet: the row runs as `it.failing`, so it turns red (and
   * this field must go) the day the library refuses the token.
   */
  knownGap?: string;
  /** Builds the token. */
  token(context: AttackContext): string;
}

const encode = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

/** A valid header for the issuer's RS256 key. */
function header(context: AttackContext, patch: Record<string, unknown> = {}): Record<string, unknown> {
  return { alg: 'RS256', kid: context.keys.RS256.kid, typ: context.typ, ...patch };
}

/** Valid claims for the configured issuer and audience. */
function claims(context: AttackContext, patch: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    iss: context.issuer,
    aud: context.audience,
    sub: 'mallory',
    iat: context.now,
    exp: context.now + 600,
    ...patch,
  };
}

/** Signed with the issuer's own RS256 key: only the deliberate flaw makes it invalid. */
function issuerSigned(
  context: AttackContext,
  headerPatch: Record<string, unknown> = {},
  claimsPatch: Record<string, unknown> = {},
): string {
  return signWith(context.keys.RS256.privateKey, header(context, headerPatch), claims(context, claimsPatch));
}

/** Signed with the issuer's RS256 key over a raw (possibly non-JSON-object) payload text. */
function issuerSignedRaw(
  context: AttackContext,
  payloadText: string,
  headerPatch: Record<string, unknown> = {},
): string {
  return signWith(context.keys.RS256.privateKey, header(context, headerPatch), payloadText);
}

/** Signed with the attacker's RS256 key, claiming the issuer's kid. */
function attackerSigned(
  context: AttackContext,
  headerPatch: Record<string, unknown> = {},
  claimsPatch: Record<string, unknown> = {},
): string {
  return signWith(context.attacker.RS256.privateKey, header(context, headerPatch), claims(context, claimsPatch));
}

/** An RSA public key in the forms an HS* confusion attack would use as the secret. */
function publicKeyAs(
  handle: IssuerKeyHandle,
  form: 'spki-pem' | 'pkcs1-pem' | 'spki-der' | 'jwk-json',
): string | Uint8Array {
  const key = createPublicKey({ key: handle.publicJwk as JsonWebKey, format: 'jwk' });
  switch (form) {
    case 'spki-pem':
      return key.export({ type: 'spki', format: 'pem' });
    case 'pkcs1-pem':
      return key.export({ type: 'pkcs1', format: 'pem' });
    case 'spki-der':
      return key.export({ type: 'spki', format: 'der' });
    case 'jwk-json':
      return JSON.stringify(handle.publicJwk);
  }
}

/** A valid issuer token whose header was rewritten after signing (the signature is kept). */
function withRewrittenHeader(context: AttackContext, patch: Record<string, unknown>): string {
  const [, payload, signature] = issuerSigned(context).split('.');
  return `${encode(JSON.stringify(header(context, patch)))}.${payload}.${signature}`;
}

/** A valid issuer token with one part replaced by `replace(part)`. */
function withPart(context: AttackContext, index: 0 | 1 | 2, replace: (part: string) => string): string {
  const parts = issuerSigned(context).split('.');
  parts[index] = replace(parts[index]);
  return parts.join('.');
}

const algorithmConfusion: AttackCase[] = [
  {
    name: 'alg "none", empty signature',
    reason: 'an unsigned token proves nothing',
    expected: AlgorithmNotAllowedError,
    token: (c) => unsignedToken(header(c, { alg: 'none' }), claims(c)),
  },
  {
    name: 'alg "None"',
    reason: '"none" in any case is still no signature',
    expected: AlgorithmNotAllowedError,
    token: (c) => unsignedToken(header(c, { alg: 'None' }), claims(c)),
  },
  {
    name: 'alg "NONE"',
    reason: '"none" in any case is still no signature',
    expected: AlgorithmNotAllowedError,
    token: (c) => unsignedToken(header(c, { alg: 'NONE' }), claims(c)),
  },
  {
    name: 'alg "none" with a signature part',
    reason: 'a stray signature must not turn "none" into a signed token',
    expected: AlgorithmNotAllowedError,
    token: (c) => `${unsignedToken(header(c, { alg: 'none' }), claims(c))}${issuerSigned(c).split('.')[2]}`,
  },
  {
    name: 'HS256 keyed with the public key (SPKI PEM)',
    reason: 'a public key is never an HMAC secret (classic RS→HS confusion)',
    expected: AlgorithmNotAllowedError,
    token: (c) => signWith(publicKeyAs(c.keys.RS256, 'spki-pem'), header(c, { alg: 'HS256' }), claims(c)),
  },
  {
    name: 'HS384 keyed with the public key (SPKI PEM)',
    reason: 'HS* is not in the allow-list; a public key is never an HMAC secret',
    expected: AlgorithmNotAllowedError,
    token: (c) => signWith(publicKeyAs(c.keys.RS256, 'spki-pem'), header(c, { alg: 'HS384' }), claims(c)),
  },
  {
    name: 'HS512 keyed with the public key (SPKI PEM)',
    reason: 'HS* is not in the allow-list; a public key is never an HMAC secret',
    expected: AlgorithmNotAllowedError,
    token: (c) => signWith(publicKeyAs(c.keys.RS256, 'spki-pem'), header(c, { alg: 'HS512' }), claims(c)),
  },
  {
    name: 'HS256 keyed with the public key (PKCS#1 PEM)',
    reason: 'same confusion, other PEM flavour',
    expected: AlgorithmNotAllowedError,
    token: (c) => signWith(publicKeyAs(c.keys.RS256, 'pkcs1-pem'), header(c, { alg: 'HS256' }), claims(c)),
  },
  {
    name: 'HS256 keyed with the public key (DER)',
    reason: 'same confusion with the raw DER bytes',
    expected: AlgorithmNotAllowedError,
    token: (c) => signWith(publicKeyAs(c.keys.RS256, 'spki-der'), header(c, { alg: 'HS256' }), claims(c)),
  },
  {
    name: 'HS256 keyed with the public JWK (JSON text)',
    reason: 'same confusion with the JWK as served',
    expected: AlgorithmNotAllowedError,
    token: (c) => signWith(publicKeyAs(c.keys.RS256, 'jwk-json'), header(c, { alg: 'HS256' }), claims(c)),
  },
  {
    name: 'HS256 keyed with the public key, no kid',
    reason: 'without a kid no key may be tried as an HMAC secret either',
    expected: AlgorithmNotAllowedError,
    token: (c) => signWith(publicKeyAs(c.keys.RS256, 'spki-pem'), { alg: 'HS256', typ: c.typ }, claims(c)),
  },
  {
    name: 'HS256 keyed with the public PEM, at an issuer that allows HS256',
    reason: 'even where HS256 is allowed, only oct keys are HMAC secrets, never a public key',
    expected: NoMatchingKeyError,
    token: (c) =>
      signWith(
        publicKeyAs(c.hsIssuer.rsa, 'spki-pem'),
        { alg: 'HS256', kid: c.hsIssuer.rsa.kid, typ: c.typ },
        claims(c, { iss: c.hsIssuer.issuer }),
      ),
  },
  {
    name: 'HS256 keyed with the public DER, at an issuer that allows HS256',
    reason: 'even where HS256 is allowed, a public key is never an HMAC secret',
    expected: NoMatchingKeyError,
    token: (c) =>
      signWith(
        publicKeyAs(c.hsIssuer.rsa, 'spki-der'),
        { alg: 'HS256', kid: c.hsIssuer.rsa.kid, typ: c.typ },
        claims(c, { iss: c.hsIssuer.issuer }),
      ),
  },
  {
    name: 'HS256 keyed with the public JWK, no kid, at an issuer that allows HS256',
    reason: 'without a kid, HS256 tries oct keys only, and this issuer has none',
    expected: NoMatchingKeyError,
    token: (c) =>
      signWith(
        publicKeyAs(c.hsIssuer.rsa, 'jwk-json'),
        { alg: 'HS256', typ: c.typ },
        claims(c, { iss: c.hsIssuer.issuer }),
      ),
  },
  {
    name: 'RS256 token relabelled PS256',
    reason: 'the key is published for RS256 only (JWK alg), so an alg swap finds no key',
    expected: NoMatchingKeyError,
    token: (c) => withRewrittenHeader(c, { alg: 'PS256' }),
  },
  {
    name: 'PS256 header on the RS256 kid, signed PS256 by the attacker',
    reason: 'RS/PS swap: the RS256 key must not verify PS256',
    expected: NoMatchingKeyError,
    token: (c) => signWith(c.attacker.RS256.privateKey, header(c, { alg: 'PS256' }), claims(c)),
  },
  {
    name: 'ES256 header on the RSA kid',
    reason: 'alg/kty mismatch: an EC algorithm never uses an RSA key',
    expected: NoMatchingKeyError,
    token: (c) => signWith(c.attacker.ES256.privateKey, header(c, { alg: 'ES256' }), claims(c)),
  },
  {
    name: 'RS256 header on the EC kid',
    reason: 'alg/kty mismatch: an RSA algorithm never uses an EC key',
    expected: NoMatchingKeyError,
    token: (c) => attackerSigned(c, { kid: c.keys.ES256.kid }),
  },
  {
    name: 'ES384 header on the P-256 kid',
    reason: 'curve mismatch: ES384 needs P-384',
    expected: NoMatchingKeyError,
    token: (c) => signWith(c.attacker.ES256.privateKey, header(c, { alg: 'ES384', kid: c.keys.ES256.kid }), claims(c)),
  },
  {
    name: 'EdDSA header on the RSA kid',
    reason: 'alg/kty mismatch: EdDSA needs an OKP key',
    expected: NoMatchingKeyError,
    token: (c) => withRewrittenHeader(c, { alg: 'EdDSA' }),
  },
  {
    name: 'alg is a key-management algorithm (RSA-OAEP)',
    reason: 'only signature algorithms of the allow-list are accepted',
    expected: AlgorithmNotAllowedError,
    token: (c) => withRewrittenHeader(c, { alg: 'RSA-OAEP' }),
  },
  {
    name: 'alg is not a string',
    reason: 'a non-string alg is not in any allow-list',
    expected: AlgorithmNotAllowedError,
    token: (c) => withRewrittenHeader(c, { alg: ['RS256'] }),
  },
  {
    name: 'attacker key under the issuer kid',
    reason: 'key substitution: the signature must verify with the published key',
    expected: SignatureInvalidError,
    token: (c) => attackerSigned(c),
  },
];

const headerInjection: AttackCase[] = [
  {
    name: 'jku to the attacker JWKS, attacker kid',
    reason: 'jku is never followed: the attacker kid is unknown to the configured issuer',
    expected: NoMatchingKeyError,
    token: (c) =>
      signWith(c.attacker.RS256.privateKey, header(c, { kid: c.attackerKid, jku: c.attackerJwksUri }), claims(c)),
  },
  {
    name: 'x5u to the attacker, attacker kid',
    reason: 'x5u is never followed',
    expected: NoMatchingKeyError,
    token: (c) =>
      signWith(
        c.attacker.RS256.privateKey,
        header(c, { kid: c.attackerKid, x5u: `${c.attackerIssuer}/cert.pem` }),
        claims(c),
      ),
  },
  {
    name: 'jku to the attacker JWKS, issuer kid',
    reason: "jku is never followed: the issuer's published key checks the signature",
    expected: SignatureInvalidError,
    token: (c) => attackerSigned(c, { jku: c.attackerJwksUri }),
  },
  {
    name: 'embedded attacker jwk, no kid',
    reason: "an embedded jwk is never trusted: only the issuer's keys are tried",
    expected: SignatureInvalidError,
    token: (c) =>
      signWith(c.attacker.RS256.privateKey, { alg: 'RS256', typ: c.typ, jwk: c.attacker.RS256.publicJwk }, claims(c)),
  },
  {
    name: 'x5c with the attacker key',
    reason: 'an embedded certificate chain is never trusted',
    expected: SignatureInvalidError,
    token: (c) =>
      attackerSigned(c, { x5c: [Buffer.from(JSON.stringify(c.attacker.RS256.publicJwk)).toString('base64')] }),
  },
  {
    name: 'kid path traversal',
    reason: 'a kid is an opaque lookup key, never a path',
    expected: NoMatchingKeyError,
    token: (c) => attackerSigned(c, { kid: '../../../../../../etc/passwd' }),
  },
  {
    name: 'kid SQL injection',
    reason: 'a kid is an opaque lookup key, never a query',
    expected: NoMatchingKeyError,
    token: (c) => attackerSigned(c, { kid: "x' UNION SELECT 'secret' --" }),
  },
  {
    name: 'kid of 10 000 characters',
    reason: 'a huge unknown kid is rejected without growing any cache',
    expected: NoMatchingKeyError,
    token: (c) => attackerSigned(c, { kid: 'k'.repeat(10_000) }),
  },
  {
    name: 'kid "__proto__"',
    reason: 'key lookup is not an object property lookup',
    expected: NoMatchingKeyError,
    token: (c) => attackerSigned(c, { kid: '__proto__' }),
  },
  {
    name: 'kid is a number',
    reason: 'a non-string kid matches no key',
    expected: TokenMalformedError,
    token: (c) => attackerSigned(c, { kid: 42 }),
  },
  {
    name: 'kid is an object',
    reason: 'a non-string kid matches no key',
    expected: TokenMalformedError,
    token: (c) => attackerSigned(c, { kid: { $ne: null } }),
  },
];

const structure: AttackCase[] = [
  {
    name: 'two parts',
    reason: 'a compact JWS has exactly three parts',
    expected: TokenMalformedError,
    token: (c) => issuerSigned(c).split('.').slice(0, 2).join('.'),
  },
  {
    name: 'four parts',
    reason: 'a compact JWS has exactly three parts',
    expected: TokenMalformedError,
    token: (c) => `${issuerSigned(c)}.${encode('{}')}`,
  },
  {
    name: 'five parts (JWE shape)',
    reason: 'encrypted tokens are not accepted',
    expected: TokenMalformedError,
    token: (c) =>
      `${encode(JSON.stringify({ alg: 'dir', enc: 'A256GCM', kid: c.keys.RS256.kid }))}..${encode('iv')}.${encode('ct')}.${encode('tag')}`,
  },
  { name: 'only dots', reason: 'empty parts are not a token', expected: TokenMalformedError, token: () => '..' },
  {
    name: 'empty header part',
    reason: 'the header is required',
    expected: TokenMalformedError,
    token: (c) => withPart(c, 0, () => ''),
  },
  {
    name: 'empty payload part',
    reason: 'the claims are required',
    expected: TokenMalformedError,
    token: (c) => withPart(c, 1, () => ''),
  },
  {
    name: 'empty signature, RS256',
    reason: 'a missing signature never verifies',
    expected: SignatureInvalidError,
    token: (c) => withPart(c, 2, () => ''),
  },
  {
    name: 'header not base64url',
    reason: 'invalid base64url is rejected before any key lookup',
    expected: TokenMalformedError,
    httpStatus: 400,
    token: (c) => withPart(c, 0, () => '%%%###'),
  },
  {
    name: 'payload not base64url',
    reason: 'invalid base64url is rejected before any key lookup',
    expected: TokenMalformedError,
    httpStatus: 400,
    token: (c) => withPart(c, 1, () => '!!!*!!!'),
  },
  {
    name: 'padding "=" on the payload',
    reason: 'base64url in JWS is unpadded; the signature covers the exact bytes',
    expected: TokenMalformedError,
    httpStatus: 400,
    token: (c) => withPart(c, 1, (part) => `${part}==`),
  },
  {
    name: 'padding "=" on the signature',
    reason: 'base64url in JWS is unpadded: a second spelling of a token is not the token',
    expected: TokenMalformedError,
    token: (c) => withPart(c, 2, (part) => `${part}==`),
  },
  {
    name: 'standard base64 "+" in the signature',
    reason: 'the base64 alphabet is not the base64url one',
    expected: TokenMalformedError,
    token: (c) => withPart(c, 2, (part) => `+${part.slice(1)}`),
  },
  {
    name: 'whitespace inside the payload',
    reason: 'whitespace is not base64url; the signature covers the exact bytes',
    expected: TokenMalformedError,
    httpStatus: 400,
    token: (c) => withPart(c, 1, (part) => `${part.slice(0, 8)} ${part.slice(8)}`),
  },
  {
    name: 'whitespace inside the signature',
    reason: 'whitespace is not base64url, even where a lenient decoder would skip it',
    expected: TokenMalformedError,
    httpStatus: 400,
    token: (c) => withPart(c, 2, (part) => `${part.slice(0, 8)}\t${part.slice(8)}`),
  },
  {
    name: 'header is not JSON',
    reason: 'the header must be a JSON object',
    expected: TokenMalformedError,
    token: (c) => withPart(c, 0, () => encode('alg=RS256')),
  },
  {
    name: 'header is a JSON array',
    reason: 'the header must be a JSON object',
    expected: TokenMalformedError,
    token: (c) => withPart(c, 0, () => encode('["RS256"]')),
  },
  {
    name: 'duplicate "alg" in the header (last is none)',
    reason: 'duplicate keys resolve one way (last wins) for both the check and the use',
    expected: AlgorithmNotAllowedError,
    token: (c) =>
      withPart(c, 0, () => encode(`{"alg":"RS256","kid":"${c.keys.RS256.kid}","typ":"${c.typ}","alg":"none"}`)),
  },
  {
    name: 'duplicate "iss" in the payload (last is foreign)',
    reason: 'the issuer checked is the one used; no smuggling via duplicates',
    expected: UnknownIssuerError,
    token: (c) =>
      issuerSignedRaw(
        c,
        `{"iss":"${c.issuer}","aud":"${c.audience}","iat":${c.now},"exp":${c.now + 600},"iss":"${c.attackerIssuer}"}`,
      ),
  },
  {
    name: 'payload is a JSON array',
    reason: 'the claims set must be a JSON object',
    expected: TokenMalformedError,
    token: (c) => issuerSignedRaw(c, JSON.stringify([claims(c)])),
  },
  {
    name: 'payload is a JSON string',
    reason: 'the claims set must be a JSON object',
    expected: TokenMalformedError,
    token: (c) => issuerSignedRaw(c, JSON.stringify(JSON.stringify(claims(c)))),
  },
  {
    name: 'payload is a JSON number',
    reason: 'the claims set must be a JSON object',
    expected: TokenMalformedError,
    token: (c) => issuerSignedRaw(c, '42'),
  },
  {
    name: 'payload is JSON null',
    reason: 'the claims set must be a JSON object',
    expected: TokenMalformedError,
    token: (c) => issuerSignedRaw(c, 'null'),
  },
  {
    name: 'payload is not UTF-8',
    reason: 'the claims set must be valid UTF-8 JSON',
    expected: TokenMalformedError,
    token: (c) => withPart(c, 1, () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64url')),
  },
  {
    name: 'exp is a huge number (1e400 → Infinity)',
    reason: 'a non-finite exp is not a NumericDate',
    expected: ClaimValidationError,
    claim: 'exp',
    token: (c) => issuerSignedRaw(c, `{"iss":"${c.issuer}","aud":"${c.audience}","iat":${c.now},"exp":1e400}`),
  },
  {
    name: 'exp is a string',
    reason: 'exp must be a NumericDate',
    expected: ClaimValidationError,
    claim: 'exp',
    token: (c) => issuerSigned(c, {}, { exp: String(c.now + 600) }),
  },
];

const claimChecks: AttackCase[] = [
  {
    name: 'expired an hour ago',
    reason: 'exp has passed',
    expected: TokenExpiredError,
    token: (c) => issuerSigned(c, {}, { iat: c.now - 7200, exp: c.now - 3600 }),
  },
  {
    name: 'expired just beyond the clock tolerance',
    reason: 'exp has passed by more than the 5 s tolerance',
    expected: TokenExpiredError,
    token: (c) => issuerSigned(c, {}, { exp: c.now - 30 }),
  },
  {
    name: 'nbf in the future',
    reason: 'not valid yet',
    expected: ClaimValidationError,
    claim: 'nbf',
    token: (c) => issuerSigned(c, {}, { nbf: c.now + 3600 }),
  },
  {
    name: 'iat in the future beyond the tolerance',
    reason: 'jose checks iat only with maxTokenAge, which this issuer sets',
    expected: ClaimValidationError,
    claim: 'iat',
    token: (c) => issuerSigned(c, {}, { iat: c.now + 3600, exp: c.now + 7200 }),
  },
  {
    name: 'iss is the attacker',
    reason: 'an unconfigured issuer is rejected before any network call',
    expected: UnknownIssuerError,
    token: (c) =>
      signWith(c.attacker.RS256.privateKey, header(c, { kid: c.attackerKid }), claims(c, { iss: c.attackerIssuer })),
  },
  {
    name: 'iss is a prefix of the configured issuer',
    reason: 'issuers compare exactly, not by prefix',
    expected: UnknownIssuerError,
    token: (c) => issuerSigned(c, {}, { iss: c.issuer.slice(0, -1) }),
  },
  {
    name: 'iss extends the configured issuer',
    reason: 'issuers compare exactly, not by prefix',
    expected: UnknownIssuerError,
    token: (c) => issuerSigned(c, {}, { iss: `${c.issuer}.evil.example` }),
  },
  {
    name: 'iss in another case',
    reason: 'issuers compare exactly, case included',
    expected: UnknownIssuerError,
    token: (c) => issuerSigned(c, {}, { iss: c.issuer.toUpperCase() }),
  },
  {
    name: 'iss with a trailing slash',
    reason: 'issuers compare exactly, trailing slash included',
    expected: UnknownIssuerError,
    token: (c) => issuerSigned(c, {}, { iss: `${c.issuer}/` }),
  },
  {
    name: 'iss missing',
    reason: 'a token that names no issuer has no keys',
    expected: UnknownIssuerError,
    token: (c) => issuerSigned(c, {}, { iss: undefined }),
  },
  {
    name: 'iss is not a string',
    reason: 'a non-string iss names no issuer',
    expected: UnknownIssuerError,
    token: (c) => issuerSigned(c, {}, { iss: [c.issuer] }),
  },
  {
    name: 'aud is another API',
    reason: 'the token was issued for someone else',
    expected: ClaimValidationError,
    claim: 'aud',
    token: (c) => issuerSigned(c, {}, { aud: 'billing-api' }),
  },
  {
    name: 'aud missing',
    reason: 'an audience is configured, so it is required',
    expected: ClaimValidationError,
    claim: 'aud',
    token: (c) => issuerSigned(c, {}, { aud: undefined }),
  },
  {
    name: 'typ is "JWT" where "at+jwt" is required',
    reason: 'an ID token must not pass as an access token (RFC 9068)',
    expected: ClaimValidationError,
    claim: 'typ',
    token: (c) => issuerSigned(c, { typ: 'JWT' }),
  },
  {
    name: 'typ missing',
    reason: 'the configured typ is required',
    expected: ClaimValidationError,
    claim: 'typ',
    token: (c) => issuerSigned(c, { typ: undefined }),
  },
];

const extensionsAndSize: AttackCase[] = [
  {
    name: 'crit names an unknown extension',
    reason: 'an unknown critical header must be rejected (RFC 7515 §4.1.11)',
    expected: HeaderNotAllowedError,
    token: (c) => issuerSigned(c, { crit: ['http://example.com/unknown'], 'http://example.com/unknown': true }),
  },
  {
    name: 'crit b64=false (unencoded payload)',
    reason: 'JWTs never use the unencoded payload option',
    expected: HeaderNotAllowedError,
    token: (c) => issuerSigned(c, { crit: ['b64'], b64: false }),
  },
  {
    name: 'crit is not an array',
    reason: 'a malformed crit is rejected, not ignored',
    expected: HeaderNotAllowedError,
    token: (c) => issuerSigned(c, { crit: 'exp' }),
  },
  {
    name: 'token of 16 KiB + 1 byte',
    reason: 'rejected by size before any parsing',
    expected: TokenTooLargeError,
    token: (c) => padTo(issuerSigned(c), 16_385),
  },
  {
    name: 'token of 48 KiB',
    reason: 'rejected by size before any parsing',
    expected: TokenTooLargeError,
    token: (c) => padTo(issuerSigned(c), 48 * 1024),
  },
];

/** Grows a valid token's signature part to `bytes` characters: the size check must fire before the signature is read. */
function padTo(token: string, bytes: number): string {
  return token + 'A'.repeat(Math.max(0, bytes - token.length));
}

/** Every row, in a stable order. */
export const ATTACK_CASES: readonly AttackCase[] = [
  ...algorithmConfusion.map((row) => ({ ...row, name: `algorithm confusion: ${row.name}` })),
  ...headerInjection.map((row) => ({ ...row, name: `header injection: ${row.name}` })),
  ...structure.map((row) => ({ ...row, name: `structure: ${row.name}` })),
  ...claimChecks.map((row) => ({ ...row, name: `claims: ${row.name}` })),
  ...extensionsAndSize.map((row) => ({ ...row, name: `crit and size: ${row.name}` })),
];
