import { type ExecutionContext, type HttpException, HttpStatus } from '@nestjs/common';
import { BearerChallengeException } from '../bearer-challenge-exception.js';
import { type ResponseWithHeaders, setChallengeOnResponse } from '../set-challenge-header.js';
import { loadPeer } from '../../internal/load-peer.js';
import type { TransportAdapter, TransportRequest } from './transport-adapter.js';

/**
 * The GraphQL context as `@nestjs/graphql`'s drivers build it: `req` is the HTTP request (Express
 * with Apollo, Fastify with Apollo or Mercurius); Mercurius adds `reply`; an app's own `context`
 * factory may add `res`.
 */
interface GraphQLContext {
  req?: TransportRequest & { res?: ResponseWithHeaders };
  res?: ResponseWithHeaders;
  reply?: ResponseWithHeaders;
  /** Mercurius subscriptions: the upgrade request, and the client's `connection_init` payload (Mercurius sets `_connectionInit`). */
  request?: TransportRequest;
  pubsub?: unknown;
  _connectionInit?: Record<string, unknown> | null;
}

/** A resolver's arguments are `(root, args, context, info)`: what `GqlExecutionContext` reads, without loading it. */
const CONTEXT_ARG = 2;

const FEATURE = 'JwtGuard on a GraphQL resolver';

/**
 * graphql-ws's context of one connection, which Nest's Apollo driver puts as `req` for
 * subscriptions: the client's `connectionParams` and the upgrade request.
 */
interface GraphQLWsContext {
  connectionParams?: Record<string, unknown> | null;
  extra?: { request?: TransportRequest };
}

/** One request per graphql-ws connection, so the claims stay with it. */
const subscriptionRequests = new WeakMap<object, TransportRequest>();

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * A subscription's request: the upgrade request's headers, with the token of the client's
 * connection parameters (`authorization`, or a raw `token`), kept under `key`.
 */
function subscriptionRequest(
  key: object,
  connectionParams: Record<string, unknown> | null | undefined,
  upgrade: TransportRequest | undefined,
): TransportRequest {
  let request = subscriptionRequests.get(key);
  if (request !== undefined) return request;
  const params = connectionParams ?? {};
  const token = text(params.token);
  const authorization =
    text(params.authorization) ?? text(params.Authorization) ?? (token === undefined ? undefined : `Bearer ${token}`);
  const headers = upgrade?.headers ?? {};
  request = { headers: authorization === undefined ? headers : { ...headers, authorization } };
  subscriptionRequests.set(key, request);
  return request;
}

function isSubscription(req: object): req is GraphQLWsContext {
  return (req as TransportRequest).headers === undefined && typeof (req as GraphQLWsContext).extra === 'object';
}

function requestOf(gqlContext: GraphQLContext): TransportRequest {
  const { req } = gqlContext;
  if (req === undefined) return subscriptionRequest(gqlContext, gqlContext._connectionInit, gqlContext.request);
  return isSubscription(req) ? subscriptionRequest(req, req.connectionParams, req.extra?.request) : req;
}

/** A Mercurius subscription's context: no `req`, the upgrade `request` and `pubsub` instead. */
function isMercuriusSubscription(gqlContext: GraphQLContext): boolean {
  return gqlContext.req === undefined && gqlContext.pubsub !== undefined && typeof gqlContext.request === 'object';
}

function graphqlContext(context: ExecutionContext): GraphQLContext {
  const gqlContext = context.getArgByIndex<GraphQLContext | undefined>(CONTEXT_ARG);
  if (gqlContext === undefined || (gqlContext.req === undefined && !isMercuriusSubscription(gqlContext))) {
    throw new TypeError(
      `${FEATURE}: the GraphQL context has no "req"; a custom \`context\` factory of GraphQLModule must keep the request as \`req\``,
    );
  }
  return gqlContext;
}

/**
 * GraphQL over HTTP (Apollo on Express or Fastify, Mercurius): the token comes from the HTTP
 * request in the GraphQL context, the claims go on `context.req.user`. A refusal is a
 * `GraphQLError` with `extensions.code` `FORBIDDEN` (missing scope) or `UNAUTHENTICATED`
 * (anything else), and the RFC 6750 challenge goes on the HTTP response: through the context's
 * `res`, Express's `req.res` or Mercurius's `reply`, else through Apollo's `extensions.http`.
 * Subscriptions (Apollo over graphql-ws, Mercurius): the token comes from the client's
 * connection parameters (`authorization: 'Bearer …'` or a raw `token`), else the upgrade
 * request's headers; the claims stay with the connection (Apollo) or the operation (Mercurius).
 */
export const graphqlTransport: TransportAdapter = {
  type: 'graphql',
  request: (context) => requestOf(graphqlContext(context)),
  async rejection(exception: HttpException, context: ExecutionContext): Promise<Error> {
    const { GraphQLError } = await loadPeer('graphql', FEATURE, () => import('graphql'));
    const gqlContext = graphqlContext(context);
    const status: HttpStatus = exception.getStatus();
    const code = status === HttpStatus.FORBIDDEN ? 'FORBIDDEN' : 'UNAUTHENTICATED';
    // A subscription's refusal goes over its WebSocket, with no HTTP response to challenge on; a
    // missing role has no challenge.
    const subscription = gqlContext.req === undefined || isSubscription(gqlContext.req);
    if (subscription || !(exception instanceof BearerChallengeException))
      return new GraphQLError(exception.message, { extensions: { code } });
    const response = gqlContext.res ?? gqlContext.reply ?? gqlContext.req?.res;
    setChallengeOnResponse(response, exception);
    // Without a response in the context (Apollo on Fastify), Apollo Server sets the headers of
    // `extensions.http` on the response and leaves them out of the answer's errors.
    const http =
      response === undefined
        ? { http: { headers: new Map([[BearerChallengeException.header, exception.challenge]]) } }
        : {};
    return new GraphQLError(exception.message, { extensions: { code, ...http } });
  },
};
