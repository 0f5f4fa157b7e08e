import { HttpStatus, type ExecutionContext } from '@nestjs/common';
import { BearerChallengeException } from '../bearer-challenge-exception.js';
import { type ResponseWithHeaders, setChallengeOnResponse } from '../set-challenge-header.js';
import { loadPeer } from './load-peer.js';
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
}

/** A resolver's arguments are `(root, args, context, info)`: what `GqlExecutionContext` reads, without loading it. */
const CONTEXT_ARG = 2;

const FEATURE = 'JwtGuard on a GraphQL resolver';

function graphqlContext(context: ExecutionContext): GraphQLContext {
  const gqlContext = context.getArgByIndex<GraphQLContext | undefined>(CONTEXT_ARG);
  if (gqlContext?.req === undefined) {
    throw new TypeError(`${FEATURE}: the GraphQL context has no "req"; a custom \`context\` factory of GraphQLModule must keep the request as \`req\``);
  }
  return gqlContext;
}

/**
 * GraphQL over HTTP (Apollo on Express or Fastify, Mercurius): the token comes from the HTTP
 * request in the GraphQL context, the claims go on `context.req.user`. A refusal is a
 * `GraphQLError` with `extensions.code` `FORBIDDEN` (missing scope) or `UNAUTHENTICATED`
 * (anything else), and the RFC 6750 challenge goes on the HTTP response: through the context's
 * `res`, Express's `req.res` or Mercurius's `reply`, else through Apollo's `extensions.http`.
 */
export const graphqlTransport: TransportAdapter = {
  type: 'graphql',
  request: (context) => graphqlContext(context).req as TransportRequest,
  async rejection(exception: BearerChallengeException, context: ExecutionContext): Promise<Error> {
    const { GraphQLError } = await loadPeer('graphql', FEATURE, () => import('graphql'));
    const gqlContext = graphqlContext(context);
    const response = gqlContext.res ?? gqlContext.reply ?? gqlContext.req?.res;
    setChallengeOnResponse(response, exception);
    const code = exception.getStatus() === HttpStatus.FORBIDDEN ? 'FORBIDDEN' : 'UNAUTHENTICATED';
    // Without a response in the context (Apollo on Fastify), Apollo Server sets the headers of
    // `extensions.http` on the response and leaves them out of the answer's errors.
    const http = response === undefined ? { http: { headers: new Map([[BearerChallengeException.header, exception.challenge]]) } } : {};
    return new GraphQLError(exception.message, { extensions: { code, ...http } });
  },
};
