import { type ExecutionContext, type HttpException, HttpStatus } from '@nestjs/common';
import { GRPC_PERMISSION_DENIED, GRPC_UNAUTHENTICATED } from '../../internal/grpc-status.js';
import { loadPeer } from '../../internal/load-peer.js';
import type { TransportAdapter, TransportRequest } from './transport-adapter.js';

/** `@grpc/grpc-js` `Metadata`: `get(key)` gives every value of a key. */
interface GrpcMetadata {
  get(key: string): unknown[];
  getMap(): unknown;
}
/** `NatsContext`: the message's headers (`MsgHdrs`, `get(key)` gives `''` when absent). */
interface NatsContextLike {
  getSubject(): unknown;
  getHeaders(): { get(key: string): string } | undefined;
}
/** `RmqContext`: the AMQP message, whose `properties.headers` the publisher set. */
interface RmqContextLike {
  getChannelRef(): unknown;
  getMessage(): { properties?: { headers?: Record<string, unknown> } } | undefined;
}
/** `TcpContext` and `RedisContext` of Nest 12: out-of-band packet metadata (`ClientProxy#setOnDispatchHook`). */
interface MetadataContextLike {
  getMetadata(): Record<string, unknown> | undefined;
}

const FEATURE = 'JwtGuard on a microservice handler';

function has<T>(value: unknown, method: keyof T): value is T {
  return (
    typeof value === 'object' && value !== null && typeof (value as Record<PropertyKey, unknown>)[method] === 'function'
  );
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The `Authorization` value of a message, by transport:
 * - gRPC: the `authorization` metadata;
 * - NATS: the `authorization` header of the message (a `NatsRecord`'s headers);
 * - RabbitMQ: `properties.headers.authorization` (an `RmqRecord`'s `headers` option);
 * - TCP, Redis and any transport without message headers: the packet metadata's `authorization`
 *   (Nest 12), else the payload's `headers.authorization` field.
 */
function authorizationOf(context: ExecutionContext): string | undefined {
  const transportContext = context.getArgByIndex<unknown>(1);
  if (has<GrpcMetadata>(transportContext, 'getMap')) return text(transportContext.get('authorization')[0]);
  if (has<NatsContextLike>(transportContext, 'getSubject') && has<NatsContextLike>(transportContext, 'getHeaders')) {
    const headers = transportContext.getHeaders();
    return text(headers?.get('authorization')) ?? text(headers?.get('Authorization'));
  }
  if (has<RmqContextLike>(transportContext, 'getChannelRef')) {
    const headers = transportContext.getMessage()?.properties?.headers;
    return text(headers?.authorization) ?? text(headers?.Authorization);
  }
  const metadata = has<MetadataContextLike>(transportContext, 'getMetadata')
    ? transportContext.getMetadata()
    : undefined;
  const payload = context.getArgByIndex<{ headers?: { authorization?: unknown } } | undefined>(0);
  return (
    text(metadata?.authorization) ??
    (typeof payload === 'object' && payload !== null ? text(payload.headers?.authorization) : undefined)
  );
}

/** One request per message: the transport context (gRPC: the call's metadata) is one object per message. */
const requests = new WeakMap<object, TransportRequest>();

/**
 * Microservices (`@nestjs/microservices`): the token comes from the message's metadata (see
 * {@link authorizationOf}), as `Bearer <token>`; the claims go on a request object kept for the
 * message, which `@JwtClaims` reads. A refusal is an `RpcException` whose error is
 * `{ status: 'error', code, statusCode, message }`: `code` the gRPC status (`UNAUTHENTICATED` 16,
 * `PERMISSION_DENIED` 7 for a missing scope), `statusCode` the HTTP one (401, 403, 400),
 * `message` the fixed description of the refusal.
 */
export const rpcTransport: TransportAdapter = {
  type: 'rpc',
  request(context: ExecutionContext): TransportRequest {
    const key = context.getArgByIndex<unknown>(1);
    const cached = typeof key === 'object' && key !== null ? requests.get(key) : undefined;
    if (cached !== undefined) return cached;
    const authorization = authorizationOf(context);
    const request: TransportRequest = { headers: authorization === undefined ? {} : { authorization } };
    if (typeof key === 'object' && key !== null) requests.set(key, request);
    return request;
  },
  async rejection(exception: HttpException): Promise<Error> {
    const { RpcException } = await loadPeer('@nestjs/microservices', FEATURE, () => import('@nestjs/microservices'));
    const statusCode: HttpStatus = exception.getStatus();
    const code = statusCode === HttpStatus.FORBIDDEN ? GRPC_PERMISSION_DENIED : GRPC_UNAUTHENTICATED;
    return new RpcException({ status: 'error', code, statusCode, message: exception.message });
  },
};
