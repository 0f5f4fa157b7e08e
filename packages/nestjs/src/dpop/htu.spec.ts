import { describe, expect, it } from '@jest/globals';
import { normalizeHtu, requestUrl } from './htu.js';

describe('normalizeHtu (RFC 3986 §6.2.2 and §6.2.3, no query or fragment)', () => {
  it.each([
    ['HTTPS://API.Example.COM:443/orders', 'https://api.example.com/orders'],
    ['http://api.example.com:80', 'http://api.example.com/'],
    ['https://api.example.com:8443/a/./b/../c?x=1#f', 'https://api.example.com:8443/a/c'],
    ['https://api.example.com/%7euser/%2f/%e2%82%ac', 'https://api.example.com/~user/%2F/%E2%82%AC'],
  ])('%s → %s', (input, normalized) => {
    expect(normalizeHtu(input)).toBe(normalized);
  });

  it('refuses what is not an absolute http(s) URL without credentials', () => {
    for (const input of ['/orders', 'ftp://api.example.com/', 'https://user:pw@api.example.com/', ''])
      expect(normalizeHtu(input)).toBeUndefined();
  });
});

describe('requestUrl', () => {
  it('appends the original path to guard.publicUrl, ignoring Host and forwarded headers', () => {
    const request = {
      originalUrl: '/v1/orders?x=1',
      url: '/orders',
      protocol: 'http',
      headers: { host: '10.0.0.7:3000', 'x-forwarded-host': 'evil.example' },
    };
    expect(requestUrl(request, 'https://api.example.com/')).toBe('https://api.example.com/v1/orders?x=1');
    expect(requestUrl(request, undefined)).toBe('http://10.0.0.7:3000/v1/orders?x=1');
  });

  it('takes https from an encrypted socket, and gives up without a path or host', () => {
    expect(requestUrl({ url: '/a', headers: { host: 'h' }, socket: { encrypted: true } }, undefined)).toBe(
      'https://h/a',
    );
    expect(requestUrl({ url: '/a', headers: {} }, undefined)).toBeUndefined();
    expect(requestUrl({ headers: { host: 'h' } }, undefined)).toBeUndefined();
  });
});
