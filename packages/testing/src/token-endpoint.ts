import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { DpopNonces } from './dpop-nonces.js';
import type { HttpAnswer } from './http.js';
import { TokenDpop } from './token-dpop.js';
import type {
  ClientAuthMethod,
  LocalClient,
  TokenDpopOptions,
  TokenEndpointFailure,
  TokenRequestRecord,
} from './types.js';

const BOTH_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];
const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** The credentials a token request presented. */
type Credentials =
  | { method: ClientAuthMethod; clientId: string; clientSecret: string }
  | { method: 'none'; clientId?: string }
  | { method: 'malformed'; description: string };

/** A token request as received: its form parameters and credentials. */
export interface ReceivedTokenRequest {
  isForm: boolean;
  params: URLSearchParams;
  credentials: Credentials;
  /** The values of the `DPoP` headers (RFC 9449 §4.3 wants exactly one when any). */
  dpopProofs: readonly string[];
  /** Its record, completed with the DPoP outcome once checked. */
  record: TokenRequestRecord;
}

/** What the endpoint needs from the issuer. */
export interface TokenEndpointContext {
  issuer: string;
  /** The endpoint's own URL, which a DPoP proof's `htu` must match. */
  tokenEndpoint: string;
  dpop: Required<TokenDpopOptions>;
  nonces: DpopNonces;
  clients: readonly LocalClient[];
  /** Access token lifetime, seconds. */
  tokenLifetime: number;
  /** Signs the access token claims with the issuer's default key and `typ: at+jwt`. */
  signAccessToken(claims: Record<string, unknown>): Promise<string>;
}

/** RFC 6749 §2.3.1: the id and secret inside Basic are form-urlencoded first. */
function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

function basicCredentials(authorization: string): Credentials {
  const encoded = authorization.slice('basic '.length).trim();
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const separator = decoded.indexOf(':');
  if (separator < 0) return { method: 'malformed', description: 'malformed Basic credentials' };
  try {
    return {
      method: 'client_secret_basic',
      clientId: formDecode(decoded.slice(0, separator)),
      clientSecret: formDecode(decoded.slice(separator + 1)),
    };
  } catch {
    return { method: 'malformed', description: 'malformed Basic credentials' };
  }
}

function credentialsOf(headers: IncomingHttpHeaders, params: URLSearchParams): Credentials {
  const authorization = headers.authorization;
  const usesBasic = authorization !== undefined && /^basic /i.test(authorization);
  const postedSecret = params.get('client_secret');
  if (usesBasic && postedSecret !== null) {
    return { method: 'malformed', description: 'more than one client authentication method used' };
  }
  if (usesBasic) return basicCredentials(authorization);
  const clientId = params.get('client_id') ?? undefined;
  if (postedSecret !== null && clientId !== undefined) {
    return { method: 'client_secret_post', clientId, clientSecret: postedSecret };
  }
  return { method: 'none', clientId };
}

function secretsEqual(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

function oauthError(
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): HttpAnswer {
  return {
    status,
    headers: { 'Cache-Control': 'no-store', ...headers },
    body: { error, error_description: description },
  };
}

/** The answer of a token endpoint fault set with `failTokenEndpoint`. */
export function tokenFailureAnswer(failure: TokenEndpointFailure): HttpAnswer {
  const status = failure.status ?? 503;
  const error = failure.error ?? (status >= 500 ? 'temporarily_unavailable' : 'invalid_request');
  const body: Record<string, string> = { error };
  if (failure.error_description !== undefined) body.error_description = failure.error_description;
  return { status, headers: { 'Cache-Control': 'no-store' }, body };
}

/** The OAuth 2.0 token endpoint of the local issuer: client credentials grant only (RFC 6749 §4.4). */
export class TokenEndpoint {
  private readonly received: TokenRequestRecord[] = [];
  private readonly dpop: TokenDpop;

  constructor(private readonly context: TokenEndpointContext) {
    this.dpop = new TokenDpop(context.dpop, context.nonces, context.tokenEndpoint);
  }

  /** Parses a request and records it (without secrets). */
  receive(headers: IncomingHttpHeaders, body: string, dpopProofs: readonly string[] = []): ReceivedTokenRequest {
    const mediaType = (headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const isForm = mediaType === FORM_CONTENT_TYPE;
    const params = new URLSearchParams(isForm ? body : '');
    const credentials = credentialsOf(headers, params);
    const record = this.record(params, credentials);
    return { isForm, params, credentials, dpopProofs, record };
  }

  /** Every request received so far, oldest first, without secrets. */
  records(): TokenRequestRecord[] {
    return this.received.map((record) => ({
      ...record,
      params: { ...record.params },
      ...(record.dpop ? { dpop: { ...record.dpop } } : {}),
    }));
  }

  /** Forgets the recorded requests. */
  clearRecords(): void {
    this.received.length = 0;
  }

  /** Decides the answer: an access token (DPoP-bound with a valid proof), or an RFC 6749 §5.2 / RFC 9449 §5 error. */
  async answer(request: ReceivedTokenRequest): Promise<HttpAnswer> {
    if (!request.isForm) return oauthError(400, 'invalid_request', `the body must be ${FORM_CONTENT_TYPE}`);
    const { credentials, params } = request;
    if (credentials.method === 'malformed') return oauthError(400, 'invalid_request', credentials.description);
    const client = this.authenticate(credentials);
    if (!client) return this.invalidClient(credentials.method);
    const grantType = params.get('grant_type');
    if (grantType === null) return oauthError(400, 'invalid_request', 'grant_type is required');
    if (grantType !== 'client_credentials') {
      return oauthError(400, 'unsupported_grant_type', 'only client_credentials is supported');
    }
    const binding = await this.dpop.check(request.dpopProofs);
    if ('error' in binding) {
      request.record.dpop = { error: binding.error, reason: binding.description };
      return oauthError(400, binding.error, binding.description, binding.headers);
    }
    if (binding.jkt !== undefined) request.record.dpop = { jkt: binding.jkt };
    const scope = this.grantedScope(client, params.get('scope'));
    if (scope === false) return oauthError(400, 'invalid_scope', 'a requested scope is not allowed for this client');
    return this.issue(client, scope, params, binding.jkt);
  }

  private record(params: URLSearchParams, credentials: Credentials): TokenRequestRecord {
    const recorded: Record<string, string> = {};
    for (const [name, value] of params) {
      if (name !== 'client_secret' && !(name in recorded)) recorded[name] = value;
    }
    const authMethod = credentials.method === 'malformed' ? 'none' : credentials.method;
    const clientId = 'clientId' in credentials ? credentials.clientId : undefined;
    const record: TokenRequestRecord = {
      authMethod,
      ...(clientId === undefined ? {} : { clientId }),
      params: recorded,
    };
    this.received.push(record);
    return record;
  }

  private authenticate(credentials: Credentials): LocalClient | undefined {
    if (credentials.method !== 'client_secret_basic' && credentials.method !== 'client_secret_post') return undefined;
    const client = this.context.clients.find((candidate) => candidate.clientId === credentials.clientId);
    if (!client || !(client.authMethods ?? BOTH_AUTH_METHODS).includes(credentials.method)) return undefined;
    return secretsEqual(credentials.clientSecret, client.clientSecret) ? client : undefined;
  }

  /** RFC 6749 §5.2: 401 with a challenge when the client tried the Authorization header. */
  private invalidClient(method: Credentials['method']): HttpAnswer {
    const challenge = { 'WWW-Authenticate': 'Basic realm="token", charset="UTF-8"' };
    return oauthError(
      401,
      'invalid_client',
      'client authentication failed',
      method === 'client_secret_basic' ? challenge : {},
    );
  }

  /** The scope to grant, `undefined` for none, or `false` when a requested scope is not allowed. */
  private grantedScope(client: LocalClient, requested: string | null): string | undefined | false {
    const requestedScopes = (requested ?? '').split(' ').filter(Boolean);
    if (!client.scopes) return requestedScopes.length ? requestedScopes.join(' ') : undefined;
    if (!requestedScopes.length) return client.scopes.length ? client.scopes.join(' ') : undefined;
    const allowed = client.scopes;
    return requestedScopes.every((scope) => allowed.includes(scope)) ? requestedScopes.join(' ') : false;
  }

  private audienceOf(params: URLSearchParams): string | string[] {
    const requested = [...params.getAll('audience'), ...params.getAll('resource')];
    if (!requested.length) return this.context.issuer;
    return requested.length === 1 ? requested[0] : requested;
  }

  /** The access token answer; DPoP-bound (`cnf.jkt`, `token_type: 'DPoP'`) when `jkt` is given. */
  private async issue(
    client: LocalClient,
    scope: string | undefined,
    params: URLSearchParams,
    jkt: string | undefined,
  ): Promise<HttpAnswer> {
    const { issuer, tokenLifetime } = this.context;
    const now = Math.floor(Date.now() / 1000);
    const claims: Record<string, unknown> = {
      iss: issuer,
      sub: client.clientId,
      client_id: client.clientId,
      aud: this.audienceOf(params),
      ...(scope === undefined ? {} : { scope }),
      iat: now,
      exp: now + tokenLifetime,
      jti: randomUUID(),
      ...(jkt === undefined ? {} : { cnf: { jkt } }),
    };
    const accessToken = await this.context.signAccessToken(claims);
    return {
      status: 200,
      headers: {
        'Cache-Control': 'no-store',
        Pragma: 'no-cache',
        ...(jkt === undefined ? {} : this.dpop.answerHeaders()),
      },
      body: {
        access_token: accessToken,
        token_type: jkt === undefined ? 'Bearer' : 'DPoP',
        expires_in: tokenLifetime,
        ...(scope === undefined ? {} : { scope }),
      },
    };
  }
}
