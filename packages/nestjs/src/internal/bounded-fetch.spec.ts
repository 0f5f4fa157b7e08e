import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLargeError, RedirectRefusedError } from '../errors.js';
import { boundedFetch, readBoundedText } from './bounded-fetch.js';

let server: Server;
let base: string;
const hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url!);
    const url = new URL(req.url!, 'http://localhost');
    if (url.pathname === '/hop') {
      const left = Number(url.searchParams.get('n'));
      res.writeHead(302, { location: left > 0 ? `/hop?n=${left - 1}` : '/body?bytes=2' }).end();
    } else if (url.pathname === '/away') res.writeHead(302, { location: 'http://192.0.2.1/' }).end();
    else if (url.pathname === '/nowhere') res.writeHead(302).end();
    else if (url.pathname === '/chunked') {
      // No content-length: the limit must hold while streaming.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(600));
      res.end('x'.repeat(600));
    } else
      res.writeHead(200, { 'content-type': 'text/plain' }).end('y'.repeat(Number(url.searchParams.get('bytes') ?? 0)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const options = (maxRedirects: number) => ({ signal: AbortSignal.timeout(5_000), maxRedirects });

describe('boundedFetch', () => {
  it('follows redirects on the same origin up to maxRedirects', async () => {
    const response = await boundedFetch(`${base}/hop?n=2`, options(3));
    expect(await response.text()).toBe('yy');
  });

  it('refuses one redirect more than maxRedirects, one to another origin, one without Location', async () => {
    await expect(boundedFetch(`${base}/hop?n=3`, options(3))).rejects.toMatchObject({
      reason: 'too-many',
      status: 302,
    });
    const before = hits.length;
    await expect(boundedFetch(`${base}/away`, options(3))).rejects.toBeInstanceOf(RedirectRefusedError);
    await expect(boundedFetch(`${base}/away`, options(3))).rejects.toMatchObject({ reason: 'other-origin' });
    expect(hits.length).toBe(before + 2);
    await expect(boundedFetch(`${base}/nowhere`, options(3))).rejects.toMatchObject({ reason: 'no-location' });
  });

  it('with maxRedirects 0, follows none (fetch rejects rather than resend)', async () => {
    const before = hits.length;
    await expect(boundedFetch(`${base}/hop?n=0`, options(0))).rejects.toThrow('fetch failed');
    expect(hits.slice(before)).toEqual(['/hop?n=0']);
  });
});

describe('readBoundedText', () => {
  it('reads a body within the limit', async () => {
    expect(await readBoundedText(await fetch(`${base}/body?bytes=1000`), 1_000)).toBe('y'.repeat(1_000));
  });

  it('refuses a larger body from its content-length, and while streaming without one', async () => {
    await expect(readBoundedText(await fetch(`${base}/body?bytes=1001`), 1_000)).rejects.toBeInstanceOf(
      BodyTooLargeError,
    );
    await expect(readBoundedText(await fetch(`${base}/chunked`), 1_000)).rejects.toMatchObject({ limit: 1_000 });
  });
});
