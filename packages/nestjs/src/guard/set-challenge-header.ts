import type { ExecutionContext } from '@nestjs/common';
import { BearerChallengeException } from './bearer-challenge-exception.js';

/** Express `res.setHeader()` or Fastify `reply.header()`. */
export interface ResponseWithHeaders {
  setHeader?: (name: string, value: string) => unknown;
  header?: (name: string, value: string) => unknown;
  headersSent?: boolean;
  sent?: boolean;
}

/**
 * Sets the exception's `WWW-Authenticate` challenge on the HTTP response itself, as Nest's default
 * exception filter does not copy headers from an exception: `res.setHeader()` on Express,
 * `reply.header()` on Fastify. Does nothing outside HTTP or once the response is sent.
 */
export function setChallengeHeader(context: ExecutionContext, exception: BearerChallengeException): void {
  if (context.getType() !== 'http') return;
  setChallengeOnResponse(context.switchToHttp().getResponse<ResponseWithHeaders | undefined>(), exception);
}

/** Sets the challenge on an Express response or a Fastify reply; nothing for `undefined` or a sent one. */
export function setChallengeOnResponse(response: ResponseWithHeaders | undefined, exception: BearerChallengeException): void {
  if (response === undefined || response === null || response.headersSent === true || response.sent === true) return;
  if (typeof response.setHeader === 'function') response.setHeader(BearerChallengeException.header, exception.challenge);
  else if (typeof response.header === 'function') response.header(BearerChallengeException.header, exception.challenge);
}
