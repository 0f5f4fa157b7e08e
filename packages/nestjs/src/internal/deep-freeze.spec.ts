import { describe, expect, it } from '@jest/globals';
import { deepFreeze } from './deep-freeze.js';

describe('deepFreeze', () => {
  it('freezes plain objects and arrays at every depth', () => {
    const value = deepFreeze({ a: { b: [1, { c: 2 }] } });
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a.b)).toBe(true);
    expect(Object.isFrozen(value.a.b[1])).toBe(true);
    expect(() => {
      (value.a as { b: unknown }).b = [];
    }).toThrow(TypeError);
  });

  it('leaves class instances, functions and typed arrays alone', () => {
    class Store {
      entries = 0;
    }
    const value = deepFreeze({ store: new Store(), key: new Uint8Array(2), fn: () => 1 });
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.store)).toBe(false);
    expect(Object.isFrozen(value.fn)).toBe(false);
    value.store.entries = 1;
    value.key[0] = 1;
    expect(value.store.entries).toBe(1);
  });
});
