import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isIPv6 } from 'node:net';
import { type AnswerFault, faultyAnswer } from './faults.js';
import { signWith } from './forge.js';
import { BodyTooLargeError, type HttpAnswer, methodNotAllowed, readBody, send } from './http.js';
import { type IssuerKey, KeyRing } from './key-ring.js';
import { discoveryDocument, type IssuerUrls, issuerUrls, type ResolvedOptions, resolveOptions } from './resolve-options.js';
import { TokenEndpoint, tokenFailureAnswer } from './token-endpoint.js';
import type {
  LocalIssuerOptions,
  MintClaims,
  MintOptions,
  PublicJwks,
  RequestCounters,
  SigningKey,
  TestAlgorithm,
  TokenEndpointFailure,
  TokenRequestRecord,
} from './types.js';

type Route = 'jwks' | 'discovery' | 'token' | 'other';

const TOKEN_BODY_LIMIT_BYTES = 64 * 1024;
const DEFAULT_LIFETIME_SECONDS = 3600;
const DEFAULT_SUBJECT = 'test-user';

/**
 * A local OAuth 2.0 / OpenID Connect issuer for tests: it serves a JWKS, discovery metadata and a
 * client-credentials token endpoint on a loopback address, mints tokens with any alg, claims and
 * kid, rotates keys, counts requests and injects faults.
 *
 * ```ts
 * const idp = await LocalIssuer.start();
 * const token = await idp.mint({ aud: 'orders-api' });
 * // ... point the code under test at idp.issuer / idp.jwksUri
 * await idp.close();
 * ```
 */
export class LocalIssuer {
  /** Live counters, updated in place as requests arrive (before any fault applies). */
  readonly requests: RequestCounters = { jwks: 0, discovery: 0, token: 0, other: 0, total: 0 };

  private readonly sockets = new Set<Socket>();
  private readonly pendingDelays = new Set<{ timer: NodeJS.Timeout }>();
  private readonly routes: Map<string, Route>;
  private readonly tokens: TokenEndpoint;
  private answerFault: AnswerFault | undefined;
  private answerDelayMs = 0;
  private cacheControlValue: string | undefined;
  private tokenFailure: TokenEndpointFailure | undefined;
  private tokenDelayMs = 0;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly keys: KeyRing,
    private readonly options: ResolvedOptions,
    private readonly urls: IssuerUrls,
  ) {
    this.cacheControlValue = options.cacheControl;
    this.routes = this.routeTable();
    this.tokens = new TokenEndpoint({
      issuer: urls.issuer,
      clients: options.clients,
      tokenLifetime: options.tokenLifetime,
      signAccessToken: async (claims) => this.signAccessToken(claims),
    });
  }

  /**
   * Generates the keys and starts listening.
   * @throws TypeError for invalid options (a non-loopback host, an unknown algorithm, ...).
   */
  static async start(options: LocalIssuerOptions = {}): Promise<LocalIssuer> {
    const resolved = resolveOptions(options);
    const keys = await KeyRing.create(resolved.algorithms);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(resolved.port, resolved.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const hostInUrl = isIPv6(resolved.host) ? `[${resolved.host}]` : resolved.host;
    const issuer = new LocalIssuer(server, keys, resolved, issuerUrls(`http://${hostInUrl}:${port}`, resolved));
    issuer.listen();
    return issuer;
  }

  /** The issuer identifier (`iss`): `http://HOST:PORT` + `issuerPath`. */
  get issuer(): string {
    return this.urls.issuer;
  }

  /** The URL of the JWKS. */
  get jwksUri(): string {
    return this.urls.jwksUri;
  }

  /** The URL of the token endpoint (`POST`, client credentials grant). */
  get tokenEndpoint(): string {
    return this.urls.tokenEndpoint;
  }

  /**
   * The URL of the metadata document: the OIDC one for `discovery: 'openid' | 'both' | 'none'`
   * (not served for `'none'`), the RFC 8414 one for `'oauth'`.
   */
  get discoveryUrl(): string {
    return this.options.discovery === 'oauth' ? this.urls.oauthMetadataUrl : this.urls.openidConfigurationUrl;
  }

  /** The URL of the OpenID Connect discovery document (`{issuer}/.well-known/openid-configuration`). */
  get openidConfigurationUrl(): string {
    return this.urls.openidConfigurationUrl;
  }

  /** The URL of the RFC 8414 metadata (`{origin}/.well-known/oauth-authorization-server{issuerPath}`). */
  get oauthMetadataUrl(): string {
    return this.urls.oauthMetadataUrl;
  }

  /** The port listened on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The configured algorithms, the first being the default. */
  get algorithms(): readonly TestAlgorithm[] {
    return this.keys.algorithms;
  }

  /**
   * Mints a signed JWT. Default claims: `iss` = issuer, `sub` = `'test-user'`, `iat` = now,
   * `exp` = now + `expiresIn` (1 h), all from `Date.now()` so a faked clock applies. Given claims
   * override them; `options.omit` drops them.
   */
  async mint(claims: MintClaims = {}, options: MintOptions = {}): Promise<string> {
    const namedKey = options.kid === undefined ? undefined : this.keys.byKid(options.kid);
    const alg = options.alg ?? namedKey?.alg ?? this.keys.defaultAlgorithm;
    const issuerKey = namedKey && namedKey.alg === alg ? namedKey : this.keys.current(alg);
    const kidHeader = options.noKid ? {} : { kid: options.kid ?? issuerKey.kid };
    const header: Record<string, unknown> = { alg, ...kidHeader, ...options.header };
    return signWith(options.key ?? issuerKey.privateKey, header, this.payloadOf(claims, options));
  }

  /**
   * Adds a new key for `alg` (default: the first algorithm): published, and the one that signs
   * for `alg` from now on. The old key stays published until {@link retire}.
   */
  async rotate(alg: TestAlgorithm = this.keys.defaultAlgorithm): Promise<{ kid: string }> {
    const { kid } = await this.keys.add(alg);
    return { kid };
  }

  /**
   * Removes a key from the JWKS. When it was the current key of its alg, the newest remaining one
   * of that alg signs from now on. `mint({ kid })` can still sign with it, for "removed key" tests.
   * @throws Error when no published key has this kid.
   */
  retire(kid: string): void {
    this.keys.retire(kid);
  }

  /** The kids in the JWKS, in publication order. */
  publishedKids(): string[] {
    return this.keys.publishedKids();
  }

  /** The JWKS as served without faults: public parts only. */
  jwks(): PublicJwks {
    return this.keys.jwks();
  }

  /** The current signing key of `alg` (default: the first algorithm), e.g. to build tokens with {@link signWith}. */
  signingKey(alg: TestAlgorithm = this.keys.defaultAlgorithm): { kid: string; alg: TestAlgorithm; privateKey: SigningKey } {
    const { kid, privateKey } = this.keys.current(alg);
    return { kid, alg, privateKey };
  }

  /** Sets every counter in {@link requests} back to 0 (the same object stays live). */
  resetCounters(): void {
    Object.assign(this.requests, { jwks: 0, discovery: 0, token: 0, other: 0, total: 0 });
    this.tokens.clearRecords();
  }

  /** What the token endpoint received since start or {@link resetCounters}, without secrets. */
  tokenRequests(): TokenRequestRecord[] {
    return this.tokens.records();
  }

  /** JWKS and discovery answer `status` (default 503) until cleared. Replaces any other answer fault. */
  fail(options: { status?: number } = {}): void {
    this.answerFault = { kind: 'fail', status: options.status ?? 503 };
  }

  /** JWKS and discovery answers wait `ms` milliseconds (before any other fault) until cleared. */
  slow(ms: number): void {
    this.answerDelayMs = ms;
  }

  /** JWKS and discovery answer 200 with a body that is not JSON (labelled `application/json`) until cleared. */
  garbage(): void {
    this.answerFault = { kind: 'garbage' };
  }

  /** JWKS and discovery answer 200 with their valid JSON padded to at least `bytes` bytes until cleared. */
  oversized(bytes: number): void {
    this.answerFault = { kind: 'oversized', bytes };
  }

  /** JWKS and discovery answer 200 with `{ "keys": "nope" }` until cleared. */
  invalidShape(): void {
    this.answerFault = { kind: 'invalidShape' };
  }

  /** JWKS and discovery requests get their connection destroyed without an answer until cleared. */
  resetConnections(): void {
    this.answerFault = { kind: 'resetConnections' };
  }

  /** JWKS and discovery answer `302 Location: to` until cleared. */
  redirect(to: string): void {
    this.answerFault = { kind: 'redirect', to };
  }

  /** Sets (or with `undefined` removes) the `Cache-Control` header of JWKS and discovery answers. */
  cacheControl(value: string | undefined): void {
    this.cacheControlValue = value;
  }

  /** Clears every JWKS/discovery fault (`fail`, `slow`, `garbage`, ...); `cacheControl` goes back to the option. */
  clearFaults(): void {
    this.answerFault = undefined;
    this.answerDelayMs = 0;
    this.cacheControlValue = this.options.cacheControl;
  }

  /** The token endpoint answers `status` (default 503) with an OAuth error body until cleared. */
  failTokenEndpoint(failure: TokenEndpointFailure = {}): void {
    this.tokenFailure = { ...failure };
  }

  /** Token endpoint answers wait `ms` milliseconds until cleared. */
  slowTokenEndpoint(ms: number): void {
    this.tokenDelayMs = ms;
  }

  /** Clears the token endpoint faults. */
  clearTokenFaults(): void {
    this.tokenFailure = undefined;
    this.tokenDelayMs = 0;
  }

  /** Stops listening and destroys every open connection; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      for (const pending of this.pendingDelays) clearTimeout(pending.timer);
      this.pendingDelays.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  private listen(): void {
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('request', (req, res) => {
      this.handle(req, res).catch(() => {
        send(res, { status: 500, body: { error: 'server_error' } });
      });
    });
  }

  private routeTable(): Map<string, Route> {
    const { discovery } = this.options;
    const table = new Map<string, Route>([
      [new URL(this.urls.jwksUri).pathname, 'jwks'],
      [new URL(this.urls.tokenEndpoint).pathname, 'token'],
    ]);
    if (discovery === 'openid' || discovery === 'both') table.set(new URL(this.urls.openidConfigurationUrl).pathname, 'discovery');
    if (discovery === 'oauth' || discovery === 'both') table.set(new URL(this.urls.oauthMetadataUrl).pathname, 'discovery');
    return table;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = this.routes.get(new URL(req.url ?? '/', 'http://localhost').pathname) ?? 'other';
    this.requests[route] += 1;
    this.requests.total += 1;
    if (route === 'other') return send(res, { status: 404, body: { error: 'not_found' } });
    if (route === 'token') return this.serveToken(req, res);
    return this.serveMetadata(req, res, route === 'jwks' ? this.keys.jwks() : discoveryDocument(this.urls, this.keys.algorithms));
  }

  private async serveMetadata(req: IncomingMessage, res: ServerResponse, body: object): Promise<void> {
    if (req.method !== 'GET') return send(res, methodNotAllowed('GET'));
    await this.delay(this.answerDelayMs);
    const cacheControl = this.cacheControlValue === undefined ? {} : { 'Cache-Control': this.cacheControlValue };
    const answer: HttpAnswer | 'reset' = this.answerFault ? faultyAnswer(this.answerFault, body) : { status: 200, body };
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
    const received = this.tokens.receive(req.headers, body);
    await this.delay(this.tokenDelayMs);
    if (this.tokenFailure) return send(res, tokenFailureAnswer(this.tokenFailure));
    send(res, await this.tokens.answer(received));
  }

  /** Waits `ms`; a wait still pending at close never resolves, so no answer is written after close. */
  private delay(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const pending = {
        timer: setTimeout(() => {
          this.pendingDelays.delete(pending);
          resolve();
        }, ms),
      };
      this.pendingDelays.add(pending);
    });
  }

  private payloadOf(claims: MintClaims, options: MintOptions): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    const defaults: Record<string, unknown> = {
      iss: this.issuer,
      sub: DEFAULT_SUBJECT,
      iat: now,
      exp: now + (options.expiresIn ?? DEFAULT_LIFETIME_SECONDS),
    };
    for (const name of options.omit ?? []) delete defaults[name];
    return { ...defaults, ...claims };
  }

  /** Access tokens are signed with the current key of the default algorithm, typed per RFC 9068. */
  private signAccessToken(claims: Record<string, unknown>): string {
    const key: IssuerKey = this.keys.current(this.keys.defaultAlgorithm);
    return signWith(key.privateKey, { alg: key.alg, kid: key.kid, typ: 'at+jwt' }, claims);
  }
}
