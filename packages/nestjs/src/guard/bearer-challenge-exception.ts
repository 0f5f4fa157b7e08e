import { HttpException, HttpStatus } from '@nestjs/common';

/** The `auth-param`s of a Bearer challenge (RFC 6750 §3), in the order they are written. */
export interface BearerChallengeParams {
  realm?: string;
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope';
  error_description?: string;
  scope?: string;
}

const STATUS_TEXT: Record<number, string> = {
  [HttpStatus.BAD_REQUEST]: 'Bad Request',
  [HttpStatus.UNAUTHORIZED]: 'Unauthorized',
  [HttpStatus.FORBIDDEN]: 'Forbidden',
};

/** RFC 7230 quoted-string: escape `\` and `"`, drop control characters. */
function quoted(value: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${value.replace(/[\x00-\x1F\x7F]/g, '').replace(/[\\"]/g, '\\$&')}"`;
}

/** Formats `Bearer realm="…", error="…", …`, leaving out absent parameters. */
export function formatBearerChallenge(params: BearerChallengeParams): string {
  const order: (keyof BearerChallengeParams)[] = ['realm', 'error', 'error_description', 'scope'];
  const parts = order.flatMap((name) => (params[name] === undefined ? [] : [`${name}=${quoted(params[name])}`]));
  return parts.length === 0 ? 'Bearer' : `Bearer ${parts.join(', ')}`;
}

/**
 * An `HttpException` that carries its RFC 6750 `WWW-Authenticate` challenge, so an exception
 * filter can set it even when the response was not reachable. Its body is Nest's usual one:
 * `{ statusCode, message }` for a bare challenge (missing token), `{ statusCode, message, error }`
 * otherwise, with `message` the fixed, safe `error_description`.
 */
export class BearerChallengeException extends HttpException {
  /** The name of the header the challenge goes in. */
  static readonly header = 'WWW-Authenticate';
  /** The header value, e.g. `Bearer error="invalid_token", error_description="The access token expired"`. */
  readonly challenge: string;

  constructor(status: HttpStatus, params: BearerChallengeParams, options?: { cause?: unknown }) {
    const statusText = STATUS_TEXT[status] ?? 'Error';
    const body = params.error === undefined
      ? HttpException.createBody(null, statusText, status)
      : HttpException.createBody(params.error_description ?? statusText, statusText, status);
    super(body, status, options);
    this.challenge = formatBearerChallenge(params);
  }
}
