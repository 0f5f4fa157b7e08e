import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { JwksCacheEvents } from './jwks-cache-events.js';

afterEach(() => {
  jest.restoreAllMocks();
});

describe('JwksCacheEvents', () => {
  it('delivers a payload to every listener, and stops after unsubscribing', () => {
    const events = new JwksCacheEvents();
    const seen: string[] = [];
    const off = events.on('jwks.unknown_kid', ({ issuer }) => seen.push(`a:${issuer}`));
    events.on('jwks.unknown_kid', ({ issuer }) => seen.push(`b:${issuer}`));
    events.emit('jwks.unknown_kid', { issuer: 'i1', refetched: false });
    off();
    events.emit('jwks.unknown_kid', { issuer: 'i2', refetched: false });
    expect(seen).toEqual(['a:i1', 'b:i1', 'b:i2']);
  });

  it('logs a listener that throws, naming the event, and still calls the other listeners', () => {
    const logged = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const events = new JwksCacheEvents();
    const after = jest.fn();
    events.on('store.error', () => {
      throw new Error('listener bug');
    });
    events.on('store.error', after);
    expect(() => events.emit('store.error', { operation: 'get', error: undefined as never })).not.toThrow();
    expect(after).toHaveBeenCalledTimes(1);
    expect(logged).toHaveBeenCalledTimes(1);
    expect(String(logged.mock.calls[0]![0])).toMatch(/listener of store\.error threw: Error: listener bug/);
  });

  it('logs a listener that keeps throwing once per minute per event, not once per event emitted', () => {
    const logged = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const events = new JwksCacheEvents();
    events.on('jwks.unknown_kid', () => {
      throw new Error('again');
    });
    for (let i = 0; i < 50; i++) events.emit('jwks.unknown_kid', { issuer: 'i', refetched: false });
    expect(logged).toHaveBeenCalledTimes(1);
  });
});
