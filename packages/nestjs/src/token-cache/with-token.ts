import { ClientNats, ClientRMQ, NatsRecord, RmqRecord } from '@nestjs/microservices';
import { catchError, connectable, defer, from, type Observable, Subject, switchMap, tap, throwError } from 'rxjs';
import { GRPC_UNAUTHENTICATED } from '../internal/grpc-status.js';
import { loadPeer } from '../internal/load-peer.js';
import type { TokenCacheService, TokenFetchOptions } from './token-cache-service.js';

/** The part of a `ClientProxy` that {@link withToken} wraps. */
export interface MessageClient {
  send<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult>;
  emit<TResult = unknown, TInput = unknown>(pattern: unknown, data: TInput): Observable<TResult>;
}

/** NATS `MsgHdrs`, the part used to copy a record's headers. */
interface NatsHeaders {
  keys(): string[];
  values(key: string): string[];
  append(key: string, value: string): void;
  set(key: string, value: string): void;
}

const FEATURE = 'withToken on a NATS client';

async function natsHeaders(from: NatsHeaders | undefined, authorization: string): Promise<NatsHeaders> {
  const nats = await loadPeer('@nats-io/transport-node', FEATURE, () => import('@nats-io/transport-node'));
  const headers = nats.headers() as unknown as NatsHeaders;
  for (const key of from?.keys() ?? []) for (const value of from!.values(key)) headers.append(key, value);
  headers.set('authorization', authorization);
  return headers;
}

function payloadWithHeader(data: unknown, authorization: string): object {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new TypeError(
      "withToken: on this transport the token travels in the payload's `headers.authorization` field, so the payload must be an object",
    );
  }
  const { headers } = data as { headers?: unknown };
  return { ...data, headers: { ...(typeof headers === 'object' && headers !== null ? headers : {}), authorization } };
}

/**
 * The message to send, carrying `authorization`: in the headers of a `NatsRecord` (NATS) or of an
 * `RmqRecord` (RabbitMQ), keeping a record's own data, headers and options; on TCP, Redis and
 * other transports without message headers, in the payload's `headers.authorization` field.
 * @throws TypeError on a transport without headers, for a payload that is not an object.
 */
async function messageWithToken(client: MessageClient, data: unknown, authorization: string): Promise<unknown> {
  if (client instanceof ClientNats) {
    const record = data instanceof NatsRecord ? data : undefined;
    return new NatsRecord(
      record === undefined ? data : record.data,
      await natsHeaders(record?.headers as NatsHeaders | undefined, authorization),
    );
  }
  if (client instanceof ClientRMQ) {
    const record = data instanceof RmqRecord ? data : new RmqRecord(data);
    return new RmqRecord(record.data, { ...record.options, headers: { ...record.options?.headers, authorization } });
  }
  return payloadWithHeader(data, authorization);
}

/** Options of {@link withToken}. */
export interface WithTokenOptions extends TokenFetchOptions {
  /**
   * After an `UNAUTHENTICATED` refusal of a `send` (see {@link isUnauthenticated}), invalidate the
   * token and send the message once more with a new one, as `TokenCacheService.fetch()` does
   * after a 401. `false`: the refusal reaches the caller as it is.
   * @default true
   */
  retryOnUnauthenticated?: boolean;
}

/**
 * Whether a reply error is the refusal `JwtGuard` sends for a missing, invalid or expired token:
 * the `RpcException` error `{ status: 'error', code: 16, statusCode: 401, … }` (`code`
 * `UNAUTHENTICATED`; a `statusCode` other than 401, e.g. 400 for a malformed request, is not).
 * `PERMISSION_DENIED` (7, 403) and every other error are not.
 */
function isUnauthenticated(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  return code === GRPC_UNAUTHENTICATED && (statusCode === undefined || statusCode === 401);
}

/**
 * A `ClientProxy` whose messages carry a token of {@link TokenCacheService} as
 * `Authorization: Bearer <token>`, where `JwtGuard` on the receiving service reads it (NATS and
 * RabbitMQ headers, the payload's `headers.authorization` on TCP). Each `send` and `emit` asks
 * `ensureToken(options.token, options.tenant)` for the token, so a cached one is reused until
 * shortly before it expires. When the receiving side refuses a `send` as `UNAUTHENTICATED`
 * before its first reply value, the token is invalidated and the message sent once more with a
 * new one (`TokenCacheService.tokenAfterRejection`, the retry step of `fetch()`); a second refusal
 * reaches the caller unchanged, as does every other error, and so does the refusal of a token
 * itself obtained for a retry. `emit` gets no reply, so it is never retried. For gRPC, see
 * {@link tokenMetadata}.
 *
 * ```ts
 * const inventory = withToken(this.client, this.tokens, { token: 'inventory' });
 * const stock = await lastValueFrom(inventory.send('stock.get', { sku }));
 * ```
 * @param options the token name (default `'default'`) and tenant; `retryOnUnauthenticated`.
 */
export function withToken(
  client: MessageClient,
  tokens: TokenCacheService,
  options: WithTokenOptions = {},
): MessageClient {
  const { retryOnUnauthenticated = true, ...tokenOptions } = options;
  const name = tokenOptions.token ?? 'default';
  const message = async (data: unknown, token?: string): Promise<{ token: string; packet: unknown }> => {
    token ??= await tokens.ensureToken(name, tokenOptions.tenant);
    return { token, packet: await messageWithToken(client, data, `Bearer ${token}`) };
  };
  /** One send with `token` (else the cached one); `retry`: whether an UNAUTHENTICATED refusal may be retried. */
  const send = <TResult>(
    pattern: unknown,
    data: unknown,
    token: string | undefined,
    retry: boolean,
  ): Observable<TResult> =>
    defer(() => message(data, token)).pipe(
      switchMap(({ token: sent, packet }) => {
        let replied = false;
        const reply = client.send<TResult>(pattern, packet).pipe(tap(() => (replied = true)));
        if (!retry) return reply;
        return reply.pipe(
          catchError((error: unknown) =>
            replied || !isUnauthenticated(error)
              ? throwError(() => error)
              : from(tokens.tokenAfterRejection(sent, tokenOptions)).pipe(
                  switchMap((fresh) =>
                    fresh === undefined ? throwError(() => error) : send<TResult>(pattern, data, fresh, false),
                  ),
                ),
          ),
        );
      }),
    );
  return {
    send: <TResult>(pattern: unknown, data: unknown) => send<TResult>(pattern, data, undefined, retryOnUnauthenticated),
    // As ClientProxy#emit: dispatched at once, whether or not anyone subscribes.
    emit: <TResult>(pattern: unknown, data: unknown) => {
      const source = connectable(
        defer(() => message(data)).pipe(switchMap(({ packet }) => client.emit<TResult>(pattern, packet))),
        {
          connector: () => new Subject<TResult>(),
          resetOnDisconnect: false,
        },
      );
      source.connect();
      return source;
    },
  };
}

/** gRPC `Metadata` (`@grpc/grpc-js`), the part {@link tokenMetadata} uses. */
export interface MetadataLike {
  set(key: string, value: string): void;
}

/**
 * Sets `authorization: Bearer <token>` (a token of {@link TokenCacheService}) on gRPC metadata and
 * returns it, for a call of a `ClientGrpc` service: `service.getOrder(request, await
 * tokenMetadata(new Metadata(), tokens, { token: 'orders' }))`.
 * @param options the token name (default `'default'`) and tenant.
 */
export async function tokenMetadata<TMetadata extends MetadataLike>(
  metadata: TMetadata,
  tokens: TokenCacheService,
  options: TokenFetchOptions = {},
): Promise<TMetadata> {
  const token = await tokens.ensureToken(options.token ?? 'default', options.tenant);
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}
