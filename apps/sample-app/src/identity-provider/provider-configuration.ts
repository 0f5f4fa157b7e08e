import type { Configuration, JWK, KoaContextWithOIDC } from 'oidc-provider';
import type { OidcProviderErrors } from './load-oidc-provider.js';
import type { ClientDefinition } from './resource-servers.js';
import { SIGNING_ALGORITHM } from './signing-key.js';

/** What one `oidc-provider` instance is built from. */
export interface ProviderSettings {
  /** Registered clients. */
  clients: readonly ClientDefinition[];
  /** Published private JWKs, in publication order. */
  publishedKeys: readonly JWK[];
  /** `kid` of the key access tokens are signed with (one of `publishedKeys`). */
  signingKid: string;
  /** Lifetime of client-credentials access tokens, in seconds. */
  accessTokenTtlSeconds: number;
  /** Keys of the provider's cookie signatures (unused by client credentials, set so none is defaulted). */
  cookieKeys: string[];
}

/**
 * The `oidc-provider` configuration: only discovery, JWKS and the token endpoint's
 * client-credentials grant, with resource indicators so access tokens are RFC 9068 JWTs
 * (`typ: at+jwt`) whose `aud` is the requested API, and DPoP (a request with a proof gets a
 * DPoP-bound token).
 */
export function providerConfiguration(settings: ProviderSettings, providerErrors: OidcProviderErrors): Configuration {
  const clientsById = new Map(settings.clients.map((client) => [client.clientId, client]));
  return {
    clients: settings.clients.map((client) => ({
      client_id: client.clientId,
      client_secret: client.clientSecret,
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: client.scope,
    })),
    // A client's `scope` must be made of scopes the provider declares.
    scopes: ['openid', ...new Set(settings.clients.flatMap((client) => client.scope.split(' ')))],
    jwks: { keys: [...settings.publishedKeys] },
    cookies: { keys: settings.cookieKeys },
    clientDefaults: { id_token_signed_response_alg: SIGNING_ALGORITHM },
    ttl: { ClientCredentials: settings.accessTokenTtlSeconds },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // RFC 9449: a token request with a DPoP proof gets a token bound to the proof's key (cnf.jkt).
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx: KoaContextWithOIDC, client) =>
          clientsById.get(client.clientId)?.resourceServers[0]?.resource,
        useGrantedResource: () => false,
        // oidc-provider awaits these helpers inside its own async code, so a synchronous throw is its rejection.
        getResourceServerInfo: (_ctx: KoaContextWithOIDC, resource: string, client) => {
          const server = clientsById
            .get(client.clientId)
            ?.resourceServers.find((candidate) => candidate.resource === resource);
          if (server === undefined)
            throw new providerErrors.InvalidTarget('this client may not request tokens for this resource');
          return {
            scope: server.scope,
            audience: server.audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: settings.accessTokenTtlSeconds,
            jwt: { sign: { alg: SIGNING_ALGORITHM, kid: settings.signingKid } },
          };
        },
      },
    },
  };
}
