import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FetchError, FetchTimeoutError, InvalidResponseError, ResponseTooLargeError } from '../errors.js';
import { fetchJson } from './fetch-json.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ server: Server; url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

const LIMITS = { timeout: 2_000, maxResponseBytes: 1_024 };

describe('fetchJson', () => {
  let main: Awaited<ReturnType<typeof serve>>;
  let elsewhere: Awaited<ReturnType<typeof serve>>;

  beforeAll(async () => {
    elsewhere = await serve((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":[]}'),
    );
    main = await serve((req, res) => {
      const path = req.url ?? '/';
      const hop = /^\/hop\/(\d+)$/.exec(path);
      if (hop) {
        const left = Number(hop[1]);
        res.writeHead(302, { location: left === 0 ? '/json' : `/hop/${left - 1}` }).end();
      } else if (path === '/json') {
        res
          .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=120' })
          .end('{"ok":true}');
      } else if (path === '/elsewhere') {
        res.writeHead(302, { location: `${elsewhere.url}/jwks` }).end();
      } else if (path === '/declared-large') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '5000' }).end('x'.repeat(5000));
      } else if (path === '/streamed-large') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('['.padEnd(800, ' '));
        res.end(']'.padStart(800, ' '));
      } else if (path === '/slow') {
        setTimeout(() => res.writeHead(200).end('{}'), 1_000).unref();
      } else if (path.startsWith('/typed/')) {
        // The media type to answer with, URL-encoded in the path ('-' for no content-type at all).
        const type = decodeURIComponent(path.slice('/typed/'.length));
        res.writeHead(200, type === '-' ? {} : { 'content-type': type }).end('{"keys":[]}');
      } else if (path === '/down') {
        res.writeHead(503).end('unavailable');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>not json</html>');
      }
    });
  });

  afterAll(async () => {
    main.server.closeAllConnections();
    await new Promise((resolve) => main.server.close(resolve));
    await new Promise((resolve) => elsewhere.server.close(resolve));
  });

  it('parses JSON and the max-age in ms', async () => {
    await expect(fetchJson(`${main.url}/json`, LIMITS)).resolves.toEqual({ body: { ok: true }, maxAge: 120_000 });
  });

  it('follows up to 3 same-origin redirects', async () => {
    const before = main.hits();
    await expect(fetchJson(`${main.url}/hop/2`, LIMITS)).resolves.toMatchObject({ body: { ok: true } });
    expect(main.hits() - before).toBe(4);
  });

  it('gives up after 3 redirects', async () => {
    const before = main.hits();
    await expect(fetchJson(`${main.url}/hop/3`, LIMITS)).rejects.toThrow(/More than 3 redirects/);
    expect(main.hits() - before).toBe(4);
  });

  it('never follows a redirect to another origin', async () => {
    const error = await fetchJson(`${main.url}/elsewhere`, LIMITS).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(elsewhere.hits()).toBe(0);
  });

  it('rejects a body whose content-length exceeds the limit', async () => {
    await expect(fetchJson(`${main.url}/declared-large`, LIMITS)).rejects.toBeInstanceOf(ResponseTooLargeError);
  });

  it('rejects a streamed body once it exceeds the limit', async () => {
    await expect(fetchJson(`${main.url}/streamed-large`, LIMITS)).rejects.toBeInstanceOf(ResponseTooLargeError);
  });

  it('times out', async () => {
    await expect(fetchJson(`${main.url}/slow`, { ...LIMITS, timeout: 100 })).rejects.toBeInstanceOf(FetchTimeoutError);
  });

  it('reports an HTTP error with its status', async () => {
    const error = (await fetchJson(`${main.url}/down`, LIMITS).catch((caught: unknown) => caught)) as FetchError;
    expect(error).toBeInstanceOf(FetchError);
    expect(error.status).toBe(503);
  });

  it('rejects a body that is not JSON', async () => {
    await expect(fetchJson(`${main.url}/garbage`, LIMITS)).rejects.toBeInstanceOf(InvalidResponseError);
  });

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/jwk-set+json',
    'application/jwk-set+json; charset=utf-8',
    'Application/JSON',
    'application/oauth-authorization-server+json',
  ])('accepts a JSON media type: %s', async (type) => {
    await expect(fetchJson(`${main.url}/typed/${encodeURIComponent(type)}`, LIMITS)).resolves.toEqual({
      body: { keys: [] },
      maxAge: undefined,
    });
  });

  it.each([
    'text/html',
    'text/plain; charset=utf-8',
    'application/javascript',
    'application/jsonp',
    'application/json-seq',
    'text/html; x=application/json',
    '-',
  ])('refuses a body that is not labelled JSON, even when it parses: %s', async (type) => {
    const error = await fetchJson(`${main.url}/typed/${encodeURIComponent(type)}`, LIMITS).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect((error as Error).message).toMatch(/content-type/);
  });

  it('reports a refused connection as a FetchError', async () => {
    const closed = await serve(() => undefined);
    await new Promise((resolve) => closed.server.close(resolve));
    await expect(fetchJson(`${closed.url}/json`, LIMITS)).rejects.toBeInstanceOf(FetchError);
  });
});
