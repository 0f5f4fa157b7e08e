import { ConsoleLogger, Logger } from '@nestjs/common';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  JwksCacheEvents,
  type JwksCacheEventMap,
  type JwksCacheEventName,
} from '../../src/observability/jwks-cache-events.js';
import type { JwksCacheModuleOptions } from '../../src/config/options.js';
import { CacheStore } from '../../src/store/cache-store.js';
import { TokenCacheService } from '../../src/token-cache/token-cache-service.js';
import { OidcDiscovery } from '../../src/discovery/oidc-discovery.js';
import { JwksProvider } from '../../src/jwks/jwks-provider.js';

/** A request as a test server received it. */
export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
}

/** What a test server answers. */
export interface TestAnswer {
  status: number;
  body: unknown;
}

/** A small HTTP server on 127.0.0.1 that records requests and answers with `respond`. */
export interface TestServer {
  url: string;
  received: ReceivedRequest[];
  respond: (request: ReceivedRequest, index: number) => TestAnswer;
  close(): Promise<void>;
}

export async function startTestServer(respond: TestServer['respond']): Promise<TestServer> {
  const server: Server = createServer();
  const state: TestServer = {
    url: '',
    received: [],
    respond,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  server.on('request', (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const received = { headers: request.headers, body: Buffer.concat(chunks).toString('utf8') };
      state.received.push(received);
      const answer = state.respond(received, state.received.length - 1);
      const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  return state;
}

/** An unsigned JWT-shaped token: enough for expiry reading, which never verifies. */
export function unsignedJwt(claims: Record<string, unknown>): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode(claims)}.c2ln`;
}

/** A token endpoint answer with a JWT valid for `lifetimeSeconds` from the (possibly faked) clock, numbered by `index`. */
export function jwtAnswer(index: number, lifetimeSeconds = 3600): TestAnswer {
  const now = Math.floor(Date.now() / 1000);
  return {
    status: 200,
    body: { access_token: unsignedJwt({ n: index, iat: now, exp: now + lifetimeSeconds }), token_type: 'Bearer' },
  };
}

/** The service outside a Nest container, built with every dependency as the module would: its own events, store, discovery and JwksProvider. */
export function createService(options: JwksCacheModuleOptions): {
  service: TokenCacheService;
  events: JwksCacheEvents;
  store: CacheStore;
} {
  const events = new JwksCacheEvents();
  const store = new CacheStore(options, events);
  const discovery = new OidcDiscovery(options, store);
  const provider = new JwksProvider(options, store, events, discovery);
  return { service: new TokenCacheService(options, store, events, provider, discovery), events, store };
}

/** Resolves with the payload of the next `event`. */
export function nextEvent<E extends JwksCacheEventName>(
  events: JwksCacheEvents,
  event: E,
): Promise<JwksCacheEventMap[E]> {
  return new Promise((resolve) => {
    const off = events.on(event, (payload) => {
      off();
      resolve(payload);
    });
  });
}

/** Captures everything the Nest `Logger` prints, until `restore()`. */
export function captureLogs(): { lines: string[]; restore(): void } {
  const lines: string[] = [];
  const record = (...parts: unknown[]) => {
    lines.push(parts.map((part) => (typeof part === 'string' ? part : JSON.stringify(part))).join(' '));
  };
  Logger.overrideLogger({ log: record, error: record, warn: record, debug: record, verbose: record, fatal: record });
  return {
    lines,
    restore: () => {
      Logger.overrideLogger(new ConsoleLogger());
    },
  };
}
