import type { ExecutionContext, HttpException } from '@nestjs/common';
import { graphqlTransport } from './graphql-transport.js';
import { rpcTransport } from './rpc-transport.js';
import { wsTransport } from './ws-transport.js';
import type { TransportAdapter, TransportRequest } from './transport-adapter.js';

const ADAPTERS: ReadonlyMap<string, TransportAdapter> = new Map(
  [graphqlTransport, rpcTransport, wsTransport].map((adapter) => [adapter.type, adapter]),
);

/**
 * The adapter of a context type other than `http`.
 * @throws TypeError for a context type no adapter serves (a custom transport: subclass JwtGuard).
 */
export function transportFor(type: string): TransportAdapter {
  const adapter = ADAPTERS.get(type);
  if (adapter === undefined) {
    throw new TypeError(
      `JwtGuard: no request adapter for the "${type}" execution context; override getRequest() and handleError() in a subclass`,
    );
  }
  return adapter;
}

/**
 * The request the guard reads and `@JwtClaims` reads back. HTTP costs one `getType()` (a field
 * read) more than before: the request is the first argument, as `switchToHttp().getRequest()`
 * returns it, without the closures that allocates.
 */
export function transportRequest(context: ExecutionContext): TransportRequest {
  const type = context.getType();
  return type === 'http' ? context.getArgByIndex<TransportRequest>(0) : transportFor(type).request(context);
}

/**
 * {@link transportRequest}, or `undefined` where the call has none the guard could read: for what
 * runs on every call whether guarded or not (the `JwtContext` interceptor), which must not fail
 * on an unknown context type or a ws connection opened without `JwtWsAdapter`.
 */
export function transportRequestIfAny(context: ExecutionContext): TransportRequest | undefined {
  try {
    return transportRequest(context);
  } catch {
    return undefined;
  }
}

/** Rejects with the transport's form of a refusal (see {@link TransportAdapter.rejection}). */
export async function rejectOnTransport(context: ExecutionContext, exception: HttpException): Promise<never> {
  throw await transportFor(context.getType()).rejection(exception, context);
}
