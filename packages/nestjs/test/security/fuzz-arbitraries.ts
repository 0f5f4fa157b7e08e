/**
 * fast-check arbitraries for the security fuzz suite: hostile strings, hand-built compact JWS
 * shapes with random headers and claims, mutations of a valid token, and random JWKS bodies.
 * Pure data: nothing here touches the network.
 */
import fc from 'fast-check';

const encoder = new TextEncoder();

/** base64url of UTF-8 text or bytes, the way a compact JWS encodes its parts. */
export function base64url(input: string | Uint8Array): string {
  return Buffer.from(typeof input === 'string' ? encoder.encode(input) : input).toString('base64url');
}

/** What the fuzzed tokens may claim to be, so some runs reach the deep end of the pipeline. */
export interface TokenUniverse {
  /** The configured issuer: tokens claiming it pass the issuer check. */
  issuer: string;
  /** An issuer nobody configured (an attacker's server). */
  foreignIssuer: string;
  /** Kids the configured issuer publishes. */
  knownKids: string[];
  /** The expected audience. */
  audience: string;
}

const ALGORITHMS = [
  'none',
  'None',
  'NONE',
  'nOnE',
  '',
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'ES256K',
  'EdDSA',
  'Ed25519',
  'RSA-OAEP',
  'A128KW',
  'dir',
];

const HOSTILE_KIDS = ['../../etc/passwd', "' OR '1'='1", '%00', '\u0000', '__proto__', 'constructor', 'a'.repeat(512)];

/** A JSON value of any kind, small. */
const anyJson = fc.jsonValue({ maxDepth: 2 });

/** Seconds-since-epoch claims of every type a hostile token may carry. */
function timeClaim(): fc.Arbitrary<unknown> {
  const now = Math.floor(Date.now() / 1000);
  return fc.oneof(
    fc.integer({ min: now - 10 * 365 * 86_400, max: now + 10 * 365 * 86_400 }),
    fc.constantFrom(0, -1, Number.MAX_SAFE_INTEGER, 1e300, -1e300, 0.5),
    fc.constantFrom('9999999999', null, true, [], {}),
  );
}

/** Header parameters other than `alg` / `kid`: `typ`, `crit`, the never-followed key headers, noise. */
export function headerExtrasArbitrary(universe: TokenUniverse): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      typ: fc.oneof(fc.constantFrom('JWT', 'at+jwt', 'application/at+jwt', 'JOSE'), anyJson),
      crit: fc.oneof(fc.constant(['b64']), fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }), anyJson),
      b64: fc.boolean(),
      jku: fc.constant(`${universe.foreignIssuer}/jwks`),
      x5u: fc.constant(`${universe.foreignIssuer}/cert.pem`),
      jwk: fc.record({ kty: fc.constantFrom('RSA', 'EC', 'OKP', 'oct'), k: fc.base64String({ maxLength: 16 }) }),
      x5c: fc.array(fc.base64String({ maxLength: 32 }), { maxLength: 2 }),
      extra: anyJson,
    },
    { requiredKeys: [] },
  );
}

/** A protected header: a random (often hostile) `alg` and `kid` plus {@link headerExtrasArbitrary}. */
export function headerArbitrary(universe: TokenUniverse): fc.Arbitrary<Record<string, unknown>> {
  const core = fc.record(
    {
      alg: fc.oneof(fc.constantFrom(...ALGORITHMS), fc.string({ maxLength: 12 }), anyJson),
      kid: fc.oneof(fc.constantFrom(...universe.knownKids, ...HOSTILE_KIDS), fc.string({ maxLength: 40 }), anyJson),
    },
    { requiredKeys: ['alg'] },
  );
  return fc.tuple(core, headerExtrasArbitrary(universe)).map(([coreHeader, extras]) => ({ ...extras, ...coreHeader }));
}

/** A claims set: the usual claims, each of a random (often wrong) type, plus noise. */
export function claimsArbitrary(universe: TokenUniverse): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      iss: fc.oneof(
        fc.constantFrom(universe.issuer, universe.foreignIssuer, `${universe.issuer}/`, universe.issuer.toUpperCase()),
        fc.string({ maxLength: 30 }),
        anyJson,
      ),
      aud: fc.oneof(
        fc.constantFrom(universe.audience, 'someone-else'),
        fc.array(fc.string({ maxLength: 10 })),
        anyJson,
      ),
      sub: fc.oneof(fc.string({ maxLength: 20 }), anyJson),
      exp: timeClaim(),
      nbf: timeClaim(),
      iat: timeClaim(),
      scope: fc.string({ maxLength: 30 }),
      extra: anyJson,
    },
    { requiredKeys: [] },
  );
}

/**
 * Valid claims with a random subset replaced by random (often wrong) values or removed, so that
 * many runs pass every check but one — and some pass them all.
 */
export function perturbedClaimsArbitrary(
  universe: TokenUniverse,
  valid: () => Record<string, unknown>,
): fc.Arbitrary<Record<string, unknown>> {
  const names = ['iss', 'aud', 'sub', 'exp', 'nbf', 'iat'];
  return fc.tuple(claimsArbitrary(universe), fc.subarray(names, { maxLength: 2 })).map(([random, replaced]) => {
    const claims = valid();
    for (const name of replaced) {
      if (name in random) claims[name] = random[name];
      else delete claims[name];
    }
    return claims;
  });
}

/** At most two hostile header parameters at a time, often none. */
export function sparseHeaderExtrasArbitrary(universe: TokenUniverse): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(headerExtrasArbitrary(universe), fc.integer({ min: 0, max: 2 }))
    .map(([extras, count]) => Object.fromEntries(Object.entries(extras).slice(0, count)));
}

/** A segment: JSON of a value (object or not), raw text, or raw bytes — all base64url-encoded. */
function segmentOf(objects: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: objects.map((value) => base64url(JSON.stringify(value))) },
    { weight: 1, arbitrary: anyJson.map((value) => base64url(JSON.stringify(value) ?? 'undefined')) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((text) => base64url(text)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes) => base64url(bytes)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
  );
}

/** A random signature part: empty, random bytes of plausible sizes, or not base64url at all. */
const signatureSegment = fc.oneof(
  fc.constant(''),
  fc.uint8Array({ minLength: 32, maxLength: 64 }).map((bytes) => base64url(bytes)),
  fc.uint8Array({ minLength: 256, maxLength: 256 }).map((bytes) => base64url(bytes)),
  fc.string({ maxLength: 20 }),
);

/** Compact-JWS-shaped strings: 3 parts of base64url JSON with random headers/claims and signatures. */
export function forgedTokenArbitrary(universe: TokenUniverse): fc.Arbitrary<string> {
  return fc
    .tuple(segmentOf(headerArbitrary(universe)), segmentOf(claimsArbitrary(universe)), signatureSegment)
    .map(([header, payload, signature]) => `${header}.${payload}.${signature}`);
}

/** Anything a client can put after `Bearer `: text of every kind, dots included. */
export const arbitraryTokenText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.array(fc.string({ maxLength: 30 }), { maxLength: 7 }).map((parts) => parts.join('.')),
  fc.stringMatching(/^[A-Za-z0-9_=+/.-]{0,300}$/),
);

/** One edit of a valid token. Every mutation is described so a failure report is readable. */
export type TokenMutation =
  | { kind: 'flip'; index: number; bit: number }
  | { kind: 'replace'; index: number; char: string }
  | { kind: 'swap'; first: number; second: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'duplicate-part'; part: number }
  | { kind: 'drop-part'; part: number }
  | { kind: 'insert'; index: number; text: string };

const BASE64URL_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A mutation with indexes in [0, 1) scaled to the token when applied, so it fits any token. */
export const mutationArbitrary: fc.Arbitrary<{ kind: TokenMutation['kind']; at: number; other: number; text: string }> =
  fc.record({
    kind: fc.constantFrom('flip', 'replace', 'swap', 'truncate', 'duplicate-part', 'drop-part', 'insert'),
    at: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    other: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    text: fc.oneof(fc.constantFrom('.', '=', ' ', '\t', '+', '/', '%'), fc.string({ minLength: 1, maxLength: 4 })),
  });

/** Applies a mutation drawn by {@link mutationArbitrary} to `token`. */
export function mutate(
  token: string,
  drawn: { kind: TokenMutation['kind']; at: number; other: number; text: string },
): string {
  const index = Math.floor(drawn.at * token.length);
  const parts = token.split('.');
  const part = Math.floor(drawn.at * parts.length);
  switch (drawn.kind) {
    case 'flip': {
      const flipped = String.fromCharCode(token.charCodeAt(index) ^ (1 << Math.floor(drawn.other * 7)));
      return token.slice(0, index) + flipped + token.slice(index + 1);
    }
    case 'replace': {
      const char = BASE64URL_CHARS[Math.floor(drawn.other * BASE64URL_CHARS.length)];
      return token.slice(0, index) + char + token.slice(index + 1);
    }
    case 'swap': {
      const other = Math.floor(drawn.other * parts.length);
      [parts[part], parts[other]] = [parts[other], parts[part]];
      return parts.join('.');
    }
    case 'truncate':
      return token.slice(0, index);
    case 'duplicate-part':
      return [...parts.slice(0, part + 1), parts[part], ...parts.slice(part + 1)].join('.');
    case 'drop-part':
      return parts.filter((_, i) => i !== part).join('.');
    case 'insert':
      return token.slice(0, index) + drawn.text + token.slice(index);
  }
}

/** A JWK-shaped object with random members: sometimes usable, mostly not. */
function jwkLike(): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(
    {
      kty: fc.oneof(fc.constantFrom('RSA', 'EC', 'OKP', 'oct', 'rsa', ''), anyJson),
      kid: fc.oneof(fc.string({ maxLength: 12 }), anyJson),
      use: fc.oneof(fc.constantFrom('sig', 'enc'), anyJson),
      alg: fc.oneof(fc.constantFrom(...ALGORITHMS), anyJson),
      n: fc.oneof(fc.base64String({ maxLength: 64 }), anyJson),
      e: fc.constantFrom('AQAB', 'AAEAAQ', '', 1),
      crv: fc.constantFrom('P-256', 'P-384', 'Ed25519', 'X25519', 'secp256k1', 'P-999'),
      x: fc.base64String({ maxLength: 64 }),
      y: fc.base64String({ maxLength: 64 }),
      d: fc.base64String({ maxLength: 64 }),
      k: fc.base64String({ maxLength: 32 }),
      key_ops: fc.oneof(fc.constantFrom(['verify'], ['sign'], ['encrypt'], []), anyJson),
    },
    { requiredKeys: [] },
  );
}

/**
 * A JWKS response body: JSON of any shape, a `keys` array of random JWK-like members (optionally
 * with `validKeys` mixed in, which makes some sets acceptable), or not JSON at all.
 */
export function jwksBodyArbitrary(validKeys: Record<string, unknown>[]): fc.Arbitrary<string> {
  const keysArray = fc
    .tuple(fc.array(jwkLike(), { maxLength: 6 }), fc.subarray(validKeys))
    .chain(([random, valid]) =>
      fc.shuffledSubarray([...random, ...valid], { minLength: random.length + valid.length }),
    );
  return fc.oneof(
    { weight: 4, arbitrary: keysArray.map((keys) => JSON.stringify({ keys })) },
    { weight: 1, arbitrary: fc.record({ keys: anyJson }).map((body) => JSON.stringify(body)) },
    { weight: 1, arbitrary: anyJson.map((body) => JSON.stringify(body) ?? '') },
    { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
  );
}
