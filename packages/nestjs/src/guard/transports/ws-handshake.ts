import type { IncomingHttpHeaders } from 'node:http';

/**
 * The upgrade request's headers of each `ws` connection, kept by `JwtWsAdapter` (Nest's
 * `WsAdapter` hands them to `handleConnection` only, never to a message's guard). A WeakMap: a
 * closed connection's entry goes with it.
 */
const upgradeHeaders = new WeakMap<object, IncomingHttpHeaders>();

/** Called by `JwtWsAdapter` as each connection opens. */
export function keepUpgradeHeaders(client: object, headers: IncomingHttpHeaders): void {
  upgradeHeaders.set(client, headers);
}

/** The upgrade request's headers of a `ws` connection, or `undefined` when `JwtWsAdapter` did not see it open. */
export function upgradeHeadersOf(client: object): IncomingHttpHeaders | undefined {
  return upgradeHeaders.get(client);
}
