import { WsAdapter } from '@nestjs/platform-ws';
import type { IncomingMessage } from 'node:http';
import { keepUpgradeHeaders } from '../guard/transports/ws-handshake.js';

/**
 * Nest's `ws` adapter (`@nestjs/platform-ws`'s `WsAdapter`) that keeps each connection's upgrade
 * request headers for `JwtGuard`, which reads the `Authorization` header (or `guard.cookie`)
 * there: the stock adapter drops them once the connection is open.
 *
 * ```ts
 * app.useWebSocketAdapter(new JwtWsAdapter(app));
 * ```
 */
export class JwtWsAdapter extends WsAdapter {
  override bindClientConnect(
    server: { on(event: 'connection', listener: (client: object, request: IncomingMessage) => void): unknown },
    callback: (...args: unknown[]) => void,
  ): void {
    server.on('connection', (client: object, request: IncomingMessage) => {
      keepUpgradeHeaders(client, request.headers);
      callback(client, request);
    });
  }
}
