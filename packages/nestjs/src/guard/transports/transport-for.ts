import type { ExecutionContext } from '@nestjs/common';
import type { BearerChallengeException } from '../bearer-challenge-exception.js';
import { graphqlTransport } from './graphql-transport.js';
import { rpcTransport } from './rpc-transport.js';
import { wsTransport } from './ws-transport.js';
import type { TransportAdapter, TransportRequest } from './transport-adapter.js';

const ADAPTERS: ReadonlyMap<string, TransportAdapter> = new Map([graphqlTransport, rpcTransport, wsTransport].map((adapter) => [adapter.type, adapter]));

/**
 * The adapter of a context type other than `http`.
 * @throws TypeError for a context type no adapter serves (a custom transport: subclass JwtGuard).
 */
export function transportFor(type: string): TransportAdapter {
  const adapter = ADAPTERS.get(type);
  if (adapter === undefined) {
    throw new TypeError(`JwtGuard: no request adapter for the "${type}" execution context; override getRequest() and handleError() in a subclass`);
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

/** Rejects with the transport's form of a refusal (see {@link TransportAdapter.rejection}). */
export async function rejectOnTransport(context: ExecutionContext, exception: BearerChallengeException): Promise<never> {
  throw await transportFor(context.getType()).rejection(exception, context);
}
