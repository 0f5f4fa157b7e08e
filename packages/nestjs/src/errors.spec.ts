import { describe, expect, it } from '@jest/globals';
import * as errors from './errors.js';
import { JwksCacheError, KeySetUnavailableError, TokenRejectedError, type JwksCacheErrorCode } from './errors.js';

/** Every JwksCacheError class errors.ts exports. */
const ERROR_CLASSES = Object.values(errors).filter(
  (value): value is typeof JwksCacheError =>
    typeof value === 'function' && (value === JwksCacheError || value.prototype instanceof JwksCacheError),
);

describe('errors', () => {
  it('gives each class its own code, and each instance its class’s code', () => {
    expect(ERROR_CLASSES.length).toBeGreaterThan(20);
    const codes = ERROR_CLASSES.map((errorClass) => errorClass.code);
    expect(new Set(codes).size).toBe(codes.length);
    for (const errorClass of ERROR_CLASSES) {
      const instance = Object.create(errorClass.prototype) as JwksCacheError;
      expect(instance).toBeInstanceOf(JwksCacheError);
    }
    const unavailable = new KeySetUnavailableError('keys unavailable');
    const code: JwksCacheErrorCode = unavailable.code;
    expect(code).toBe('ERR_JWKS_UNAVAILABLE');
    expect(unavailable.name).toBe('KeySetUnavailableError');
  });

  it('does not count an outage (no usable key set) as a token rejection', () => {
    const unavailable = new KeySetUnavailableError('keys unavailable');
    expect(unavailable).toBeInstanceOf(JwksCacheError);
    expect(unavailable).not.toBeInstanceOf(TokenRejectedError);
  });
});
