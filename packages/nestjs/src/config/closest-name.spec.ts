import { describe, expect, it } from '@jest/globals';
import { closestName } from './closest-name.js';

describe('closestName', () => {
  const known = ['ttl', 'timeout', 'cooldown', 'refreshAhead', 'issuers', 'clientId', 'max', 'min'];

  it.each([
    ['issuer', 'issuers'],
    ['ttlMs', 'ttl'],
    ['TTL', 'ttl'],
    ['timout', 'timeout'],
    ['coolDown', 'cooldown'],
    ['refresh_ahead', 'refreshAhead'],
    ['client_id', 'clientId'],
    ['maximum', 'max'],
  ])('suggests %s → %s', (name, expected) => {
    expect(closestName(name, known)).toBe(expected);
  });

  it.each(['frobnicate', 'x', 'audience', 'secret'])('suggests nothing for %s', (name) => {
    expect(closestName(name, known)).toBeUndefined();
  });

  it('prefers the nearest of several close names', () => {
    expect(closestName('timeoutt', ['time', 'timeout'])).toBe('timeout');
    expect(closestName('maz', ['max', 'maxAgeBounds'])).toBe('max');
  });
});
