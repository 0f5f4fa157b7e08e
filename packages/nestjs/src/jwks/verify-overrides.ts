import type { VerifyOverrides } from '../config/options.js';
import { InvalidVerifyOverridesError } from '../errors.js';
import type { IssuerSettings } from './issuer-settings.js';

export { InvalidVerifyOverridesError } from '../errors.js';

const OVERRIDE_NAMES = new Set([
  'audience',
  'typ',
  'requiredClaims',
  'clockTolerance',
  'maxTokenAge',
  'algorithms',
  'issuer',
]);

/** Checks the types of `overrides` (no configuration needed: `@JwtVerify` runs it when applied). */
export function assertOverridesShape(overrides: unknown, where: string): asserts overrides is VerifyOverrides {
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides))
    throw invalid(where, 'the overrides must be an object');
  const given = overrides as Record<string, unknown>;
  for (const name of Object.keys(given))
    if (!OVERRIDE_NAMES.has(name)) throw invalid(where, `unknown override "${name}"`);
  const { audience, typ, requiredClaims, clockTolerance, maxTokenAge, algorithms, issuer } = given;
  if (audience !== undefined && !isNonEmptyString(audience) && !isNonEmptyStringArray(audience))
    throw invalid(where, 'audience must be a non-empty string or array of strings');
  if (typ !== undefined && !isNonEmptyString(typ)) throw invalid(where, 'typ must be a non-empty string');
  if (issuer !== undefined && !isNonEmptyString(issuer)) throw invalid(where, 'issuer must be a non-empty string');
  if (requiredClaims !== undefined && !(Array.isArray(requiredClaims) && requiredClaims.every(isNonEmptyString)))
    throw invalid(where, 'requiredClaims must be an array of claim names');
  if (algorithms !== undefined && !isNonEmptyStringArray(algorithms))
    throw invalid(where, 'algorithms must be a non-empty array');
  for (const [name, value] of [
    ['clockTolerance', clockTolerance],
    ['maxTokenAge', maxTokenAge],
  ] as const) {
    if (value !== undefined && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0))
      throw invalid(where, `${name} must be a whole number of milliseconds, 0 or more`);
  }
}

/**
 * Throws {@link InvalidVerifyOverridesError} unless `overrides` only add checks to `settings`:
 * an audience within the issuer's (when it sets one), a `typ` only where the issuer sets none (or
 * the same one), a clock tolerance no larger, a `maxTokenAge` no longer, algorithms within the
 * allow-list. `requiredClaims` only ever add.
 */
export function assertNarrowing(settings: IssuerSettings, overrides: VerifyOverrides, where: string): void {
  assertOverridesShape(overrides, where);
  const { issuer, audience: issuerAudience, algorithms: allowed, verify } = settings;
  const widens = (what: string): InvalidVerifyOverridesError =>
    invalid(where, `${what} would widen what issuer ${issuer} allows (overrides only narrow)`);
  if (overrides.audience !== undefined && issuerAudience !== undefined) {
    const permitted = new Set(toArray(issuerAudience));
    if (!toArray(overrides.audience).every((audience) => permitted.has(audience))) throw widens('audience');
  }
  if (
    overrides.typ !== undefined &&
    verify.typ !== undefined &&
    normalizeTyp(overrides.typ) !== normalizeTyp(verify.typ)
  )
    throw widens('typ');
  if (overrides.clockTolerance !== undefined && overrides.clockTolerance > verify.clockTolerance)
    throw widens('clockTolerance');
  if (
    overrides.maxTokenAge !== undefined &&
    verify.maxTokenAge !== undefined &&
    overrides.maxTokenAge > verify.maxTokenAge
  )
    throw widens('maxTokenAge');
  if (overrides.algorithms !== undefined && !overrides.algorithms.every((alg) => allowed.has(alg)))
    throw widens('algorithms');
}

/** As jose compares `typ`: case-insensitive, `application/` optional (RFC 7515 §4.1.9). */
function normalizeTyp(typ: string): string {
  return typ.toLowerCase().replace(/^application\//, '');
}

function toArray(value: string | string[]): string[] {
  return typeof value === 'string' ? [value] : value;
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

function isNonEmptyStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every(isNonEmptyString);
}

function invalid(where: string, reason: string): InvalidVerifyOverridesError {
  return new InvalidVerifyOverridesError(`${where}: ${reason}`);
}
