import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type ProviderInstance from 'oidc-provider';
import { createOidcProvider } from './load-oidc-provider.js';
import { providerConfiguration } from './provider-configuration.js';
import { clientDefinitions, DEFAULT_DEMO_CLIENT_SECRET, type ClientDefinition } from './resource-servers.js';
import { generateSigningKey, type SigningKey } from './signing-key.js';

/** Options of {@link EmbeddedIdentityProvider.start}. */
export interface EmbeddedIdentityProviderOptions {
  /** Port on 127.0.0.1. @default 0 (a free port) */
  port?: number;
  /** Lifetime of issued access tokens, in seconds. @default 600 (10 min) */
  accessTokenTtlSeconds?: number;
  /** Secret of the demo client. @default {@link DEFAULT_DEMO_CLIENT_SECRET} */
  demoClientSecret?: string;
}

/** Requests served, counted per endpoint, and access tokens issued, per client. */
export interface IdentityProviderStats {
  discoveryRequests: number;
  jwksRequests: number;
  tokenRequests: number;
  /** `Date.now()` of the last JWKS request, if any. */
  lastJwksRequestAt?: number;
  /** Successful token responses by client id. */
  tokensIssued: Record<string, number>;
}

/** Which keys are published in the JWKS and which one signs. */
export interface KeyState {
  /** `kid`s published in the JWKS, oldest first. */
  published: string[];
  /** `kid` of the key that signs new access tokens. */
  signing: string;
}

const HOST = '127.0.0.1';
const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 600;

/**
 * A real OpenID provider (`oidc-provider`) on 127.0.0.1 for the sample app: discovery, JWKS and
 * client-credentials tokens as RFC 9068 JWTs. Keys are generated at start and kept in memory.
 *
 * `oidc-provider` takes its key set at construction, so every key change builds a new provider
 * instance and swaps it in behind the same HTTP server: the issuer, port and clients stay.
 */
export class EmbeddedIdentityProvider {
  private readonly keys: SigningKey[];
  private signingKid: string;
  private handler: ReturnType<ProviderInstance['callback']>;
  private keyChange: Promise<void> = Promise.resolve();
  private readonly counts: IdentityProviderStats = {
    discoveryRequests: 0,
    jwksRequests: 0,
    tokenRequests: 0,
    tokensIssued: {},
  };

  private constructor(
    private readonly server: Server,
    /** The issuer identifier (`iss` of every token), e.g. `http://127.0.0.1:4000`. */
    readonly issuer: string,
    /** The registered clients, secrets included: for wiring the sample app, never for logs. */
    readonly clients: readonly ClientDefinition[],
    private readonly accessTokenTtlSeconds: number,
    private readonly cookieKeys: string[],
    firstKey: SigningKey,
    firstProvider: ProviderInstance,
  ) {
    this.keys = [firstKey];
    this.signingKid = firstKey.kid;
    this.handler = firstProvider.callback();
  }

  /** Starts the provider on 127.0.0.1 with one freshly generated signing key. */
  static async start(options: EmbeddedIdentityProviderOptions = {}): Promise<EmbeddedIdentityProvider> {
    const server = createServer();
    await listen(server, options.port ?? 0);
    const issuer = `http://${HOST}:${(server.address() as AddressInfo).port}`;
    const clients = clientDefinitions({
      sampleApp: randomBytes(24).toString('base64url'),
      demo: options.demoClientSecret ?? DEFAULT_DEMO_CLIENT_SECRET,
    });
    const ttl = options.accessTokenTtlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
    const cookieKeys = [randomBytes(32).toString('base64url')];
    const firstKey = await generateSigningKey();
    const provider = await buildProvider(issuer, {
      clients,
      keys: [firstKey],
      signingKid: firstKey.kid,
      ttl,
      cookieKeys,
    });
    const idp = new EmbeddedIdentityProvider(server, issuer, clients, ttl, cookieKeys, firstKey, provider);
    idp.countIssuedTokens(provider);
    server.on('request', (request: IncomingMessage, response: ServerResponse) => idp.handle(request, response));
    return idp;
  }

  /** The token endpoint (client credentials). */
  get tokenEndpoint(): string {
    return `${this.issuer}/token`;
  }

  /** The JWKS endpoint. */
  get jwksUri(): string {
    return `${this.issuer}/jwks`;
  }

  /** The registered client with this id. */
  client(clientId: string): ClientDefinition {
    const client = this.clients.find((candidate) => candidate.clientId === clientId);
    if (client === undefined) throw new Error(`no client ${clientId} at the embedded identity provider`);
    return client;
  }

  /** A copy of the request and token counters. */
  stats(): IdentityProviderStats {
    return { ...this.counts, tokensIssued: { ...this.counts.tokensIssued } };
  }

  /** The published and the signing `kid`s. */
  keyState(): KeyState {
    return { published: this.keys.map((key) => key.kid), signing: this.signingKid };
  }

  /**
   * Rotation, step 1: publishes a new key in the JWKS next to the current ones; tokens are still
   * signed with the current key, so verifiers can pick the new key up before it is used.
   * @returns the new key's `kid`
   */
  async publishNextKey(): Promise<string> {
    const next = await generateSigningKey();
    await this.changeKeys(() => this.keys.push(next));
    return next.kid;
  }

  /**
   * Rotation, step 2: signs new tokens with the most recently published key. The previous key
   * stays published, so tokens it signed keep verifying until they expire.
   */
  async activateNextKey(): Promise<void> {
    await this.changeKeys(() => {
      this.signingKid = this.keys[this.keys.length - 1].kid;
    });
  }

  /** Rotation, step 3: unpublishes every key but the signing one. */
  async retireOldKeys(): Promise<void> {
    await this.changeKeys(() =>
      this.keys.splice(0, this.keys.length, ...this.keys.filter((key) => key.kid === this.signingKid)),
    );
  }

  /**
   * Steps 1 and 2 in one: publish a new key, then sign with it, keeping the old key published.
   * A real provider waits (at least the verifiers' cache lifetime) between the two steps; use
   * {@link publishNextKey} and {@link activateNextKey} to do so.
   * @returns the new signing key's `kid`
   */
  async rotateSigningKey(): Promise<string> {
    const kid = await this.publishNextKey();
    await this.activateNextKey();
    return kid;
  }

  /** Obtains an access token from the token endpoint over HTTP, as any client would. */
  async requestToken(clientId: string, params: { scope?: string; resource?: string } = {}): Promise<string> {
    const client = this.client(clientId);
    const body = new URLSearchParams({ grant_type: 'client_credentials' });
    if (params.scope !== undefined) body.set('scope', params.scope);
    if (params.resource !== undefined) body.set('resource', params.resource);
    const response = await fetch(this.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
      },
      body,
    });
    const answer = (await response.json()) as { access_token?: string; error?: string; error_description?: string };
    if (!response.ok || answer.access_token === undefined) {
      throw new Error(
        `token request for ${clientId} failed: ${response.status} ${answer.error ?? ''} ${answer.error_description ?? ''}`.trim(),
      );
    }
    return answer.access_token;
  }

  /** Stops the HTTP server. */
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    this.countRequest(new URL(request.url ?? '/', this.issuer).pathname);
    void this.handler(request, response);
  }

  private countRequest(path: string): void {
    if (path === '/.well-known/openid-configuration') this.counts.discoveryRequests += 1;
    else if (path === '/jwks') {
      this.counts.jwksRequests += 1;
      this.counts.lastJwksRequestAt = Date.now();
    } else if (path === '/token') this.counts.tokenRequests += 1;
  }

  private countIssuedTokens(provider: ProviderInstance): void {
    provider.on('grant.success', (ctx) => {
      const clientId = ctx.oidc.client?.clientId ?? 'unknown';
      this.counts.tokensIssued[clientId] = (this.counts.tokensIssued[clientId] ?? 0) + 1;
    });
  }

  /** Applies a key change and swaps in a provider built with it; changes run one at a time. */
  private changeKeys(change: () => void): Promise<void> {
    this.keyChange = this.keyChange.then(async () => {
      change();
      const provider = await buildProvider(this.issuer, {
        clients: this.clients,
        keys: this.keys,
        signingKid: this.signingKid,
        ttl: this.accessTokenTtlSeconds,
        cookieKeys: this.cookieKeys,
      });
      this.countIssuedTokens(provider);
      this.handler = provider.callback();
    });
    return this.keyChange;
  }
}

interface BuildSettings {
  clients: readonly ClientDefinition[];
  keys: readonly SigningKey[];
  signingKid: string;
  ttl: number;
  cookieKeys: string[];
}

function buildProvider(issuer: string, settings: BuildSettings): Promise<ProviderInstance> {
  return createOidcProvider(issuer, (providerErrors) =>
    providerConfiguration(
      {
        clients: settings.clients,
        publishedKeys: settings.keys.map((key) => key.privateJwk),
        signingKid: settings.signingKid,
        accessTokenTtlSeconds: settings.ttl,
        cookieKeys: settings.cookieKeys,
      },
      providerErrors,
    ),
  );
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
