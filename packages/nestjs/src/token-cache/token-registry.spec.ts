import { describe, expect, it } from '@jest/globals';
import { UnknownTokenSourceError } from '../errors.js';
import { DEFAULT_TOKEN_TIMING } from '../config/options.js';
import { TokenRegistry } from './token-registry.js';
import type { KeyState } from './token-slot.js';

const tokenFunction = () => 'token';

function registry(maxTenants: number, loading: Set<KeyState> = new Set()) {
  const tokens = new TokenRegistry(DEFAULT_TOKEN_TIMING, maxTenants, (state) => loading.has(state));
  tokens.add('x', { tokenFunction });
  return tokens;
}

describe('TokenRegistry', () => {
  it('holds one slot per tenant (no tenant included) and returns the same one until it is evicted', () => {
    const tokens = registry(3);
    const a = tokens.slotFor('x', 'a');
    const none = tokens.slotFor('x', undefined);
    expect(tokens.slotFor('x', 'a')).toBe(a);
    expect(tokens.held('x', undefined)).toBe(none);
    expect(tokens.stats().x!.tenants).toBe(2);
    expect(() => tokens.slotFor('nope', undefined)).toThrow(UnknownTokenSourceError);
  });

  it('keeps maxTenantsPerToken slots, the least recently used out first, with its key state', () => {
    const tokens = registry(2);
    tokens.slotFor('x', 'a');
    tokens.slotFor('x', 'b');
    tokens.held('x', 'a'); // 'a' is used again: 'b' is now the least recent
    tokens.slotFor('x', 'c');
    expect(tokens.held('x', 'b')).toBeUndefined();
    expect(tokens.held('x', 'a')).toBeDefined();
    expect(tokens.states.size).toBe(2);
  });

  it('keeps the key state of an evicted slot while its load is under way, and forgets it after', () => {
    const loading = new Set<KeyState>();
    const tokens = registry(1, loading);
    const a = tokens.slotFor('x', 'a');
    loading.add(a.state);
    tokens.slotFor('x', 'b');
    expect(tokens.states.size).toBe(2);
    loading.delete(a.state);
    tokens.forgetIfOrphaned(a);
    expect(tokens.states.size).toBe(1);
  });

  it('re-resolves the slots of a replaced source, and names the shared keys of a forgotten token function', () => {
    const tokens = registry(5);
    tokens.add('shared', { tokenFunction, shareKey: 'k' });
    const before = tokens.slotFor('shared', 't');
    expect(tokens.forgetTokensOf('shared')).toHaveLength(2); // tenant t, and the no-tenant entry
    tokens.add('shared', { tokenFunction, shareKey: 'k' });
    expect(tokens.slotFor('shared', 't')).not.toBe(before);
  });
});
