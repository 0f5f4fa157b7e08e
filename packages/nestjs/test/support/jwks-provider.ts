import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  JwksCacheEvents,
  type JwksCacheEventMap,
  type JwksCacheEventName,
} from '../../src/observability/jwks-cache-events.js';
import type { JwksCacheModuleOptions } from '../../src/config/options.js';
import { CacheStore } from '../../src/store/cache-store.js';
import { validateOptions } from '../../src/config/validate-options.js';
import { JwksProvider } from '../../src/jwks/jwks-provider.js';
import { OidcDiscovery } from '../../src/discovery/oidc-discovery.js';
import { DpopRequestVerifier } from '../../src/dpop/dpop-request-verifier.js';
import { fakeClock } from '../../../../test/support/fake-clock.js';
import { waitUntil } from '../../../../test/support/wait-until.js';

/** Fakes only `Date` (real timers and network keep working) and sets the clock. */
export function setClock(epochMs: number): void {
  fakeClock(epochMs);
}

/** Moves the (Date-only) fake clock forward. */
export function advanceClock(ms: number): void {
  fakeClock(Date.now() + ms);
}

/** A provider built by hand with every dependency, as the module would, with the events it emits recorded. */
export function createProvider(options: JwksCacheModuleOptions) {
  validateOptions(options);
  const events = new JwksCacheEvents();
  const store = new CacheStore(options, events);
  const provider = new JwksProvider(options, store, events, new OidcDiscovery(options, store));
  // As in the module: the DPoP request verifier attaches itself to the provider (JwksStrategy and JwtGuard find it there).
  new DpopRequestVerifier(options, store, events, provider);
  return { provider, events: recordEvents(events) };
}

/** Records every payload of the inbound events. */
export function recordEvents(events: JwksCacheEvents) {
  const names: JwksCacheEventName[] = ['jwks.fetched', 'jwks.fetch_failed', 'jwks.stale_served', 'jwks.unknown_kid'];
  const seen: { [E in JwksCacheEventName]?: JwksCacheEventMap[E][] } = {};
  for (const name of names) {
    seen[name] = [];
    events.on(name, (payload) => (seen[name] as unknown[]).push(payload));
  }
  return { emitter: events, of: <E extends JwksCacheEventName>(name: E) => seen[name] ?? [] };
}

/** A tiny JSON server on 127.0.0.1 answering `answer(path)`; counts requests. */
export async function serveJson(answer: (path: string) => { status?: number; body: unknown }) {
  let requests = 0;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests++;
    const { status = 200, body } = answer(req.url ?? '/');
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Polls (real time) until `condition` holds; fails after `timeoutMs`, a bound only a broken condition reaches. */
export function waitFor(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  return waitUntil(condition, timeoutMs);
}

/** Settles a verification into its result or its error. */
export async function outcome<T>(promise: Promise<T>): Promise<T | Error> {
  return promise.catch((error: Error) => error);
}
