/**
 * Checks on the public key material of a JWK, beyond its shape: a key that parses may still be
 * one no signature should be checked with. An RSA key with `e = 1` makes the PKCS#1 v1.5 encoding
 * of any hash a valid "signature"; an Ed25519 key of small order (the identity) accepts R =
 * identity, S = 0 for every message in OpenSSL; a short modulus is breakable. Pure arithmetic on
 * `bigint`s, run once per member when a key set is parsed, never per token.
 */

/** Smallest accepted RSA modulus, in bits (RFC 7518 §3.3, and what jose requires at verify time). */
export const MIN_RSA_MODULUS_BITS = 2048;
/** Largest accepted RSA modulus, in bits: a bigger one only makes every verification slower. */
export const MAX_RSA_MODULUS_BITS = 16_384;

/** Why the member's key material is unusable, or `undefined` when it passes. */
export function publicKeyProblem(jwk: Record<string, unknown>): string | undefined {
  switch (jwk.kty) {
    case 'RSA':
      return rsaProblem(jwk.n as string, jwk.e as string);
    case 'EC':
      return ecProblem(jwk.crv as string, jwk.x as string, jwk.y as string);
    case 'OKP':
      return ed25519Problem(jwk.x as string);
    case 'oct':
      return decodeBase64url(jwk.k as string) === undefined ? 'k is not base64url' : undefined;
    default:
      return 'unknown kty';
  }
}

function rsaProblem(n: string, e: string): string | undefined {
  const modulus = decodeInteger(n);
  const exponent = decodeInteger(e);
  if (modulus === undefined || exponent === undefined) return 'n or e is not base64url';
  const bits = modulus.toString(2).length;
  if (bits < MIN_RSA_MODULUS_BITS) return `modulus of ${bits} bits, below ${MIN_RSA_MODULUS_BITS}`;
  if (bits > MAX_RSA_MODULUS_BITS) return `modulus of ${bits} bits, above ${MAX_RSA_MODULUS_BITS}`;
  // A modulus is a product of two odd primes.
  if (modulus % 2n === 0n) return 'even modulus';
  if (exponent < 3n || exponent % 2n === 0n || exponent >= modulus)
    return 'public exponent not odd, ≥ 3 and below the modulus';
  return undefined;
}

/** Short Weierstrass curves y² = x³ − 3x + b over GF(p) (FIPS 186-4 D.1.2). */
const WEIERSTRASS_CURVES: Record<string, { bytes: number; p: bigint; b: bigint }> = {
  'P-256': {
    bytes: 32,
    p: 2n ** 256n - 2n ** 224n + 2n ** 192n + 2n ** 96n - 1n,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  'P-384': {
    bytes: 48,
    p: 2n ** 384n - 2n ** 128n - 2n ** 96n + 2n ** 32n - 1n,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
  'P-521': {
    bytes: 66,
    p: 2n ** 521n - 1n,
    b: 0x0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf073573df883d2c34f1ef451fd46b503f00n,
  },
};

function ecProblem(crv: string, x: string, y: string): string | undefined {
  const curve = WEIERSTRASS_CURVES[crv];
  if (curve === undefined) return 'unknown curve';
  const xBytes = decodeBase64url(x);
  const yBytes = decodeBase64url(y);
  // RFC 7518 §6.2.1.2: each coordinate is the full length of the field, zero-padded.
  if (xBytes?.length !== curve.bytes || yBytes?.length !== curve.bytes)
    return `coordinates not ${curve.bytes} bytes long`;
  const { p, b } = curve;
  const px = toBigInt(xBytes);
  const py = toBigInt(yBytes);
  if (px >= p || py >= p) return 'coordinate not below the field prime';
  const left = (py * py) % p;
  const right = mod(px * px * px - 3n * px + b, p);
  return left === right ? undefined : 'point not on the curve';
}

const ED25519_P = 2n ** 255n - 19n;
const ED25519_D = mod(-121_665n * modPow(121_666n, ED25519_P - 2n, ED25519_P), ED25519_P);
const SQRT_MINUS_ONE = modPow(2n, (ED25519_P - 1n) / 4n, ED25519_P);

/** RFC 8032 §5.1.3 decoding, then a check that the point's order is not small ([8]A ≠ identity). */
function ed25519Problem(x: string): string | undefined {
  const bytes = decodeBase64url(x);
  if (bytes?.length !== 32) return 'x not 32 bytes long';
  const p = ED25519_P;
  const sign = bytes[31] >> 7;
  const encoded = Buffer.from(bytes);
  encoded[31] &= 0x7f;
  const py = toBigInt(Buffer.from(encoded).reverse());
  if (py >= p) return 'non-canonical point encoding';
  const u = mod(py * py - 1n, p);
  const v = mod(ED25519_D * py * py + 1n, p);
  let px = mod(u * modPow(v, 3n, p) * modPow(u * modPow(v, 7n, p), (p - 5n) / 8n, p), p);
  const vx2 = mod(v * px * px, p);
  if (vx2 === mod(-u, p) && vx2 !== u) px = mod(px * SQRT_MINUS_ONE, p);
  else if (vx2 !== u) return 'not a point of the curve';
  if (px === 0n && sign === 1) return 'non-canonical point encoding';
  if (sign !== Number(px & 1n)) px = p - px;
  return hasSmallOrder(px, py) ? 'point of small order' : undefined;
}

/** [8]P is the identity: three doublings in extended coordinates (a = −1, "dbl-2008-hwcd"). */
function hasSmallOrder(x: bigint, y: bigint): boolean {
  const p = ED25519_P;
  let [X, Y, Z] = [x, y, 1n];
  for (let i = 0; i < 3; i++) {
    const A = (X * X) % p;
    const B = (Y * Y) % p;
    const C = (2n * Z * Z) % p;
    const D = mod(-A, p);
    const E = mod((X + Y) * (X + Y) - A - B, p);
    const G = (D + B) % p;
    const F = mod(G - C, p);
    const H = mod(D - B, p);
    [X, Y, Z] = [(E * F) % p, (G * H) % p, (F * G) % p];
  }
  return X === 0n && Y === Z;
}

/** Strict base64url (no padding, no other alphabet, canonical trailing bits), or `undefined`. */
function decodeBase64url(value: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(value) || value.length % 4 === 1) return undefined;
  const bytes = Buffer.from(value, 'base64url');
  return bytes.toString('base64url') === value ? bytes : undefined;
}

function decodeInteger(value: string): bigint | undefined {
  const bytes = decodeBase64url(value);
  return bytes === undefined ? undefined : toBigInt(bytes);
}

/** Big-endian bytes as an unsigned integer. */
function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
}

function mod(value: bigint, modulus: bigint): bigint {
  const rest = value % modulus;
  return rest < 0n ? rest + modulus : rest;
}

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let square = mod(base, modulus);
  for (let rest = exponent; rest > 0n; rest >>= 1n) {
    if (rest & 1n) result = (result * square) % modulus;
    square = (square * square) % modulus;
  }
  return result;
}
