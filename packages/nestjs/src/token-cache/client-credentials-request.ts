import { BodyTooLargeError, TokenRequestError, TokenUnusableError } from '../errors.js';
import { boundedFetch, readBoundedText } from '../internal/bounded-fetch.js';
import type { ClientCredentialsOptions } from '../config/options.js';
import { readExpiresIn, type ObtainedToken } from './cached-token.js';
import { formUrlEncode, redact, secretForms } from './secret-redaction.js';
import type { DpopProofSigner } from '../dpop/dpop-proof-signer.js';

/** Timeout of one token request when `clientCredentials.timeout` is not set, in ms. */
const DEFAULT_TOKEN_REQUEST_TIMEOUT = 5_000;
/** Token endpoint answers larger than this are refused (a token response is a few KiB). */
const MAX_TOKEN_RESPONSE_BYTES = 65_536;
const MAX_ERROR_CODE_LENGTH = 100;
const MAX_ERROR_DESCRIPTION_LENGTH = 200;

/** The settings of one client-credentials request, with the token endpoint already known. */
export interface ClientCredentialsRequest {
  /** The token name, for errors. */
  tokenName: string;
  tokenEndpoint: string;
  credentials: ClientCredentialsOptions;
  /** DPoP: a proof goes with the request, and the token must come back as a DPoP token. */
  dpop?: DpopProofSigner;
}

/**
 * Sends one RFC 6749 §4.4 client-credentials request and reads the token out of the answer.
 * Every failure is a {@link TokenRequestError} whose message, fields and `cause` hold neither
 * the client secret nor a token. Redirects are refused: following one would resend the client's
 * credentials to wherever the redirect points.
 */
export async function requestClientCredentialsToken(request: ClientCredentialsRequest): Promise<ObtainedToken> {
  let answer = await sendTokenRequest(request);
  // RFC 9449 §8: a token endpoint that wants a nonce answers 400 use_dpop_nonce with one; retried once.
  if (
    request.dpop !== undefined &&
    request.dpop.noteAnswer(request.tokenEndpoint, answer.response, parseJsonObject(answer.text)?.error)
  ) {
    answer = await sendTokenRequest(request);
    request.dpop.noteAnswer(request.tokenEndpoint, answer.response);
  }
  const { response, text } = answer;
  if (!response.ok) throw endpointError(request, response.status, text);
  return parseTokenResponse(request, response.status, text);
}

async function sendTokenRequest(request: ClientCredentialsRequest): Promise<{ response: Response; text: string }> {
  const { credentials } = request;
  const timeout = tokenRequestTimeout(credentials);
  try {
    const headers = requestHeaders(credentials);
    if (request.dpop !== undefined)
      headers.dpop = await request.dpop.proof({ method: 'POST', url: request.tokenEndpoint });
    const response = await boundedFetch(request.tokenEndpoint, {
      init: { method: 'POST', headers, body: tokenRequestBody(credentials) },
      signal: AbortSignal.timeout(timeout),
      maxRedirects: 0,
    });
    return { response, text: await readBoundedText(response, MAX_TOKEN_RESPONSE_BYTES) };
  } catch (error) {
    throw transportError(request, error, timeout);
  }
}

/** How long one token request may take, in ms (`clientCredentials.timeout`, else 5 s). */
export function tokenRequestTimeout(credentials: ClientCredentialsOptions): number {
  return credentials.timeout ?? DEFAULT_TOKEN_REQUEST_TIMEOUT;
}

/** The form body: `grant_type`, `scope`, `audience`, `resource` (repeated), extras, and with `client_secret_post` the credentials. */
function tokenRequestBody(credentials: ClientCredentialsOptions): URLSearchParams {
  const body = new URLSearchParams(credentials.extraParams ?? {});
  body.set('grant_type', 'client_credentials');
  const scope = scopeString(credentials.scope);
  if (scope !== undefined) body.set('scope', scope);
  if (credentials.audience !== undefined) body.set('audience', credentials.audience);
  for (const resource of toArray(credentials.resource)) body.append('resource', resource);
  if (credentials.authMethod === 'client_secret_post') {
    body.set('client_id', credentials.clientId);
    body.set('client_secret', credentials.clientSecret);
  }
  return body;
}

/** Scopes as the space-delimited `scope` parameter (RFC 6749 §3.3), or `undefined` when none. */
export function scopeString(scope: string | string[] | undefined): string | undefined {
  const joined = toArray(scope).join(' ').trim();
  return joined.length > 0 ? joined : undefined;
}

export function toArray(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function requestHeaders(credentials: ClientCredentialsOptions): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (credentials.authMethod !== 'client_secret_post') {
    headers.authorization = basicAuthorization(credentials.clientId, credentials.clientSecret);
  }
  return headers;
}

/** RFC 6749 §2.3.1: id and secret are form-urlencoded before they are joined and base64-encoded. */
function basicAuthorization(clientId: string, clientSecret: string): string {
  const pair = `${formUrlEncode(clientId)}:${formUrlEncode(clientSecret)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

/** A network failure, timeout or oversized answer, as an error that carries no `cause`: the original could hold request details. */
function transportError(request: ClientCredentialsRequest, error: unknown, timeout: number): TokenRequestError {
  return new TokenRequestError(failureMessage(request, describeTransportFailure(error, timeout)), request.tokenName);
}

function describeTransportFailure(error: unknown, timeout: number): string {
  if (error instanceof BodyTooLargeError) return `the answer is larger than ${MAX_TOKEN_RESPONSE_BYTES} bytes`;
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${timeout} ms`;
  const code = (error as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? `network error (${code})` : 'network error';
}

function endpointError(request: ClientCredentialsRequest, status: number, text: string): TokenRequestError {
  const body = parseJsonObject(text);
  const forms = secretForms(request.credentials.clientId, request.credentials.clientSecret);
  const error = safeText(body?.error, MAX_ERROR_CODE_LENGTH, forms);
  const errorDescription = safeText(body?.error_description, MAX_ERROR_DESCRIPTION_LENGTH, forms);
  const reason = error === undefined ? `HTTP ${status}` : `HTTP ${status} ${error}`;
  return new TokenRequestError(failureMessage(request, reason), request.tokenName, { status, error, errorDescription });
}

function parseTokenResponse(request: ClientCredentialsRequest, status: number, text: string): ObtainedToken {
  const body = parseJsonObject(text);
  const token = body?.access_token;
  if (typeof token !== 'string' || token.length === 0) {
    throw new TokenRequestError(failureMessage(request, 'the answer holds no access_token'), request.tokenName, {
      status,
    });
  }
  const tokenType = body?.token_type;
  // With DPoP the token must be a DPoP one (RFC 9449 §5): a Bearer token would not be bound to the key.
  const expected = request.dpop === undefined ? 'bearer' : 'dpop';
  if (
    (tokenType !== undefined || expected === 'dpop') &&
    (typeof tokenType !== 'string' || tokenType.toLowerCase() !== expected)
  ) {
    throw new TokenUnusableError(
      failureMessage(request, `the token is not a ${expected === 'dpop' ? 'DPoP' : 'Bearer'} token`),
      request.tokenName,
      { status },
    );
  }
  return { token, expiresIn: readExpiresIn(body?.expires_in) };
}

function parseJsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Text from the endpoint, fit for an error: truncated, control characters removed, and the
 * client secret cut out, in every encoding it was sent in, in case a misbehaving server echoes
 * the request back. Redacted before truncation, so that no cut-off part of a secret remains.
 */
function safeText(value: unknown, maxLength: number, secretEncodings: readonly string[]): string | undefined {
  if (typeof value !== 'string' || value.length === 0) return undefined;
  // eslint-disable-next-line no-control-regex
  const clean = redact(value, secretEncodings).replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length > maxLength ? `${clean.slice(0, maxLength)}…` : clean;
}

function failureMessage(request: ClientCredentialsRequest, reason: string): string {
  return `Token request for "${request.tokenName}" to ${describeEndpoint(request.tokenEndpoint)} failed: ${reason}`;
}

/** The endpoint without its query, which could carry anything. */
function describeEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.origin}${url.pathname}`;
  } catch {
    return 'the token endpoint';
  }
}
