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
export function quoted(value: string): string {
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
  /** Other headers of the answer (e.g. `DPoP-Nonce`). */
  readonly extraHeaders: Readonly<Record<string, string>>;

  /**
   * @param options.challenge the whole `WWW-Authenticate` value, when it is not the Bearer one of
   *   `params` (DPoP answers: `DPoP error="invalid_dpop_proof", algs="…"`, possibly with a Bearer one).
   * @param options.headers other headers of the answer.
   */
  constructor(
    status: HttpStatus,
    params: BearerChallengeParams,
    options?: { cause?: unknown; challenge?: string; headers?: Record<string, string> },
  ) {
    const statusText = STATUS_TEXT[status] ?? 'Error';
    const body =
      params.error === undefined && params.error_description === undefined
        ? HttpException.createBody(null, statusText, status)
        : HttpException.createBody(params.error_description ?? statusText, statusText, status);
    super(body, status, options?.cause === undefined ? undefined : { cause: options.cause });
    this.challenge = options?.challenge ?? formatBearerChallenge(params);
    this.extraHeaders = Object.freeze({ ...options?.headers });
  }

  /** The same answer (status, body, cause, headers) with another `WWW-Authenticate` value. */
  withChallenge(challenge: string): BearerChallengeException {
    const copy = Object.create(BearerChallengeException.prototype) as BearerChallengeException;
    Object.assign(copy, this, { challenge });
    copy.stack = this.stack;
    return copy;
  }

  /** The headers to send with this exception's response. */
  getHeaders(): Record<string, string> {
    return { ...this.extraHeaders, [BearerChallengeException.header]: this.challenge };
  }
}
