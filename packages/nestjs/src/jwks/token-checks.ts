import { AlgorithmNotAllowedError, ClaimValidationError } from '../errors.js';
import type { VerifyOverrides } from '../config/options.js';
import type { IssuerSettings } from './issuer-settings.js';
import { keyTypeOf } from './key-selection.js';

export function checkAlgorithm(alg: unknown, settings: IssuerSettings, overrides: VerifyOverrides | undefined): string {
  if (typeof alg !== 'string' || alg.toLowerCase() === 'none')
    throw new AlgorithmNotAllowedError('The token algorithm is not allowed');
  const allowed =
    settings.algorithms.has(alg) &&
    (overrides?.algorithms === undefined || overrides.algorithms.includes(alg as never));
  if (!allowed || keyTypeOf(alg) === undefined)
    throw new AlgorithmNotAllowedError('The token algorithm is not allowed');
  return alg;
}

/** jose only checks that `exp`/`nbf`/`iat` are numbers: `1e400` parses to Infinity, never expiring. */
export function checkNumericDates(claims: Record<string, unknown>): void {
  for (const claim of ['exp', 'nbf', 'iat'] as const) {
    const value = claims[claim];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
      throw new ClaimValidationError(`The "${claim}" claim is not a finite number`, claim, 'invalid');
    }
  }
}
