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

/**
 * Sets the challenge (and the exception's other headers, e.g. `DPoP-Nonce`) on an Express response
 * or a Fastify reply; nothing for `undefined` or a sent one.
 */
export function setChallengeOnResponse(
  response: ResponseWithHeaders | undefined,
  exception: BearerChallengeException,
): void {
  if (!isWritable(response)) return;
  for (const [name, value] of Object.entries(exception.getHeaders())) setResponseHeader(response, name, value);
}

/** Sets one header of an Express or Fastify response (nothing outside HTTP or once it is sent). */
export function setHttpHeader(context: ExecutionContext, name: string, value: string): void {
  if (context.getType() !== 'http') return;
  const response = context.switchToHttp().getResponse<ResponseWithHeaders | undefined>();
  if (isWritable(response)) setResponseHeader(response, name, value);
}

function isWritable(response: ResponseWithHeaders | undefined): response is ResponseWithHeaders {
  return response !== undefined && response !== null && response.headersSent !== true && response.sent !== true;
}

function setResponseHeader(response: ResponseWithHeaders, name: string, value: string): void {
  if (typeof response.setHeader === 'function') response.setHeader(name, value);
  else if (typeof response.header === 'function') response.header(name, value);
}
