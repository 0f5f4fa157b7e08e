import type { IncomingMessage, ServerResponse } from 'node:http';
import { DpopNonces } from './dpop-nonces.js';
import { type AnswerFault, faultyAnswer } from './faults.js';
import { signWith } from './forge.js';
import { BodyTooLargeError, type HttpAnswer, methodNotAllowed, readBody, send } from './http.js';
import type { KeyRing } from './key-ring.js';
import type { PendingDelays } from './pending-delays.js';
import { discoveryDocument, type IssuerUrls, type ResolvedOptions } from './resolve-options.js';
import { TokenEndpoint, tokenFailureAnswer } from './token-endpoint.js';
import type { RequestCounters, TokenEndpointFailure } from './types.js';

/** What a request path is, for one issuer. */
export type Route = 'jwks' | 'discovery' | 'token' | 'other';

const TOKEN_BODY_LIMIT_BYTES = 64 * 1024;

/** What one issuer (the root one or a realm) is made of. */
export interface SiteSetup {
  options: ResolvedOptions;
  urls: IssuerUrls;
  keys: KeyRing;
  delays: PendingDelays;
  /** Whether it serves `urls.jwksUri` itself; not when the JWKS is another issuer's (shared keys). */
  servesJwks: boolean;
}

/** Counters all at 0. */
export function zeroCounters(): RequestCounters {
  return { jwks: 0, discovery: 0, token: 0, other: 0, total: 0 };
}

/**
 * One issuer served by a LocalIssuer's HTTP server: its routes, counters, faults and token endpoint.
 * The public handles (LocalIssuer, LocalRealm) set its fault fields; the server hands it requests.
 */
export class IssuerSite {
  /** Live counters, updated in place as requests arrive (before any fault applies). */
  readonly requests: RequestCounters = zeroCounters();
  readonly tokens: TokenEndpoint;
  readonly nonces = new DpopNonces();
  readonly options: ResolvedOptions;
  readonly urls: IssuerUrls;
  readonly keys: KeyRing;
  answerFault: AnswerFault | undefined;
  answerDelayMs = 0;
  cacheControlValue: string | undefined;
  tokenFailure: TokenEndpointFailure | undefined;
  tokenDelayMs = 0;

  private readonly routes: Map<string, Route>;
  private readonly delays: PendingDelays;

  constructor(setup: SiteSetup) {
    ({ options: this.options, urls: this.urls, keys: this.keys, delays: this.delays } = setup);
    this.cacheControlValue = this.options.cacheControl;
    this.routes = this.routeTable(setup.servesJwks);
    this.tokens = new TokenEndpoint({
      issuer: this.urls.issuer,
      tokenEndpoint: this.urls.tokenEndpoint,
      clients: this.options.clients,
      tokenLifetime: this.options.tokenLifetime,
      dpop: this.options.dpop,
      nonces: this.nonces,
      signAccessToken: (claims) => Promise.resolve(this.signAccessToken(claims)),
    });
  }

  /** The route of `pathname` on this issuer, or `undefined` when it is none of its paths. */
  routeOf(pathname: string): Route | undefined {
    return this.routes.get(pathname);
  }

  /** Counts the request, then answers it. */
  async handle(route: Route, req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests[route] += 1;
    this.requests.total += 1;
    if (route === 'other') return send(res, { status: 404, body: { error: 'not_found' } });
    if (route === 'token') return this.serveToken(req, res);
    const body = route === 'jwks' ? this.keys.jwks() : discoveryDocument(this.urls, this.keys.algorithms, this.options);
    return this.serveMetadata(req, res, body);
  }

  /** Sets the counters back to 0 and forgets the recorded token requests. */
  resetCounters(): void {
    Object.assign(this.requests, zeroCounters());
    this.tokens.clearRecords();
  }

  /** Clears the JWKS/discovery faults; `Cache-Control` goes back to the option. */
  clearFaults(): void {
    this.answerFault = undefined;
    this.answerDelayMs = 0;
    this.cacheControlValue = this.options.cacheControl;
  }

  /** Clears the token endpoint faults. */
  clearTokenFaults(): void {
    this.tokenFailure = undefined;
    this.tokenDelayMs = 0;
  }

  private routeTable(servesJwks: boolean): Map<string, Route> {
    const { discovery } = this.options;
    const table = new Map<string, Route>([[new URL(this.urls.tokenEndpoint).pathname, 'token']]);
    if (servesJwks) table.set(new URL(this.urls.jwksUri).pathname, 'jwks');
    if (discovery === 'openid' || discovery === 'both')
      table.set(new URL(this.urls.openidConfigurationUrl).pathname, 'discovery');
    if (discovery === 'oauth' || discovery === 'both')
      table.set(new URL(this.urls.oauthMetadataUrl).pathname, 'discovery');
    return table;
  }

  private async serveMetadata(req: IncomingMessage, res: ServerResponse, body: object): Promise<void> {
    if (req.method !== 'GET') return send(res, methodNotAllowed('GET'));
    await this.delays.wait(this.answerDelayMs);
    const cacheControl = this.cacheControlValue === undefined ? {} : { 'Cache-Control': this.cacheControlValue };
    const answer: HttpAnswer | 'reset' = this.answerFault
      ? faultyAnswer(this.answerFault, body)
      : { status: 200, body };
    if (answer === 'reset') {
      req.socket.destroy();
      return;
    }
    send(res, { ...answer, headers: { ...cacheControl, ...answer.headers } });
  }

  private async serveToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return send(res, methodNotAllowed('POST'));
    let body: string;
    try {
      body = await readBody(req, TOKEN_BODY_LIMIT_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return send(res, { status: 413, body: { error: 'invalid_request' } });
      throw error;
    }
    const received = this.tokens.receive(req.headers, body, req.headersDistinct.dpop ?? []);
    await this.delays.wait(this.tokenDelayMs);
    if (this.tokenFailure) return send(res, tokenFailureAnswer(this.tokenFailure));
    send(res, await this.tokens.answer(received));
  }

  /** Access tokens are signed with the current key of the default algorithm, typed per RFC 9068. */
  private signAccessToken(claims: Record<string, unknown>): string {
    const key = this.keys.current(this.keys.defaultAlgorithm);
    return signWith(key.privateKey, { alg: key.alg, kid: key.kid, typ: 'at+jwt' }, claims);
  }
}
