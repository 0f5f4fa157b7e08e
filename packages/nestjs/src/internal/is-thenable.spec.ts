import { describe, expect, it } from '@jest/globals';
import { isThenable } from './is-thenable.js';

describe('isThenable', () => {
  it('is true for a promise and for any object with a then method', () => {
    expect(isThenable(Promise.resolve(1))).toBe(true);
    expect(isThenable({ then: () => undefined })).toBe(true);
  });

  it('is false for values, null, undefined and a non-function then', () => {
    for (const value of [1, 'then', null, undefined, {}, { then: 1 }, false]) expect(isThenable(value)).toBe(false);
  });
});
