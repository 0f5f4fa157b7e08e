import { type ExecutionContext, type HttpException, HttpStatus } from '@nestjs/common';
import { loadPeer } from '../../internal/load-peer.js';
import type { TransportAdapter, TransportRequest } from './transport-adapter.js';
import { upgradeHeadersOf } from './ws-handshake.js';

/** A socket.io `Socket`: the handshake it was opened with. */
interface SocketIoClient {
  handshake: { headers?: TransportRequest['headers']; auth?: { token?: unknown } };
  disconnect(close?: boolean): unknown;
}
/** A `ws` `WebSocket`. */
interface WsClient {
  readyState: number;
  close(code?: number, reason?: string): void;
}

const FEATURE = 'JwtGuard on a WebSocket gateway';
/** RFC 6455 §7.4.1: "policy violation", the close code of a refused handshake. */
const POLICY_VIOLATION = 1008;
const NO_HANDSHAKE =
  `${FEATURE}: this connection's handshake is unknown: for \`ws\`, use the adapter that keeps it, ` +
  "`app.useWebSocketAdapter(new JwtWsAdapter(app))` from @jwks-cache/nestjs/websockets (Nest's WsAdapter drops the upgrade request's headers)";

function isSocketIo(client: unknown): client is SocketIoClient {
  return typeof (client as SocketIoClient | undefined)?.handshake === 'object';
}

/**
 * The handshake as a request: its headers, with `Authorization: Bearer <auth.token>` when the
 * socket.io client sent `auth: { token }` (which wins over an `Authorization` header).
 */
function handshakeRequest(client: object): TransportRequest {
  const headers = isSocketIo(client) ? (client.handshake.headers ?? {}) : upgradeHeadersOf(client);
  if (headers === undefined) throw new TypeError(NO_HANDSHAKE);
  const token = isSocketIo(client) ? client.handshake.auth?.token : undefined;
  if (typeof token !== 'string' || token === '') return { headers };
  return { headers: { ...headers, authorization: /^bearer /i.test(token) ? token : `Bearer ${token}` } };
}

/** One request per connection: its token is the handshake's, verified once, then a verified-token cache hit per message. */
const requests = new WeakMap<object, TransportRequest>();

function disconnect(client: object): void {
  if (isSocketIo(client)) client.disconnect(true);
  else (client as WsClient).close(POLICY_VIOLATION, 'Unauthorized');
}

/**
 * WebSockets (`@nestjs/websockets`, socket.io or ws): the token comes from the handshake
 * (socket.io `auth.token`, else the `Authorization` header; for ws, the upgrade request's
 * headers kept by `JwtWsAdapter`); the claims go on a request kept for the connection. Every
 * guarded message re-checks the token's `exp` (a verified-token cache hit, or a verification).
 * A refusal is a `WsException` whose error, `{ status: 'error', code, statusCode, message }`, Nest
 * sends to the client as an `exception` event (`code` `UNAUTHENTICATED` or `FORBIDDEN`). A
 * connection whose handshake token was never admitted is then disconnected (ws: close code 1008);
 * one whose token has since expired stays open, its messages refused with the reason.
 */
export const wsTransport: TransportAdapter = {
  type: 'ws',
  request(context: ExecutionContext): TransportRequest {
    const client = context.getArgByIndex<object>(0);
    let request = requests.get(client);
    if (request === undefined) requests.set(client, (request = handshakeRequest(client)));
    return request;
  },
  async rejection(exception: HttpException, context: ExecutionContext): Promise<Error> {
    const { WsException } = await loadPeer('@nestjs/websockets', FEATURE, () => import('@nestjs/websockets'));
    const statusCode: HttpStatus = exception.getStatus();
    const client = context.getArgByIndex<object>(0);
    if (statusCode !== HttpStatus.FORBIDDEN && requests.get(client)?.user === undefined) {
      // After Nest's exception filter has sent the `exception` event, which runs once this rejects.
      setImmediate(() => disconnect(client));
    }
    const code = statusCode === HttpStatus.FORBIDDEN ? 'FORBIDDEN' : 'UNAUTHENTICATED';
    return new WsException({ status: 'error', code, statusCode, message: exception.message });
  },
};
