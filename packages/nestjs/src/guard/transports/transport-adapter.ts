import type { ExecutionContext, HttpException } from '@nestjs/common';
import type { RequestWithHeaders } from '../extract-bearer-token.js';

/** What the guard reads the token from and puts the user on, whatever the transport. */
export interface TransportRequest extends RequestWithHeaders {
  user?: unknown;
}

/**
 * How `JwtGuard` and `@JwtClaims` meet one Nest transport other than HTTP (`context.getType()`):
 * where the request (headers in, `user` out) is, and what a refusal is on that transport.
 */
export interface TransportAdapter {
  /** The `context.getType()` it serves: `graphql`, `rpc` or `ws`. */
  readonly type: string;
  /**
   * The request of this call: the same object for the guard and for `@JwtClaims` of one call, so
   * the claims the guard puts on `user` are the ones the handler gets.
   */
  request(context: ExecutionContext): TransportRequest;
  /**
   * The transport's answer to a refusal already mapped to its HTTP meaning (the status, and for a
   * `BearerChallengeException` the RFC 6750 challenge), e.g. a `GraphQLError` or an
   * `RpcException`; resolves to the error to throw.
   * @throws MissingPeerDependencyError when the transport's package is not installed.
   */
  rejection(exception: HttpException, context: ExecutionContext): Promise<Error>;
}
