/**
 * The APIs the embedded provider issues access tokens for, and the clients allowed to ask.
 * Resource indicators (RFC 8707) must be absolute URIs, so they are URNs; the token's `aud` is
 * the short audience name the APIs are configured with.
 */
export interface ResourceServerDefinition {
  /** RFC 8707 resource indicator, sent as `resource` in the token request. */
  readonly resource: string;
  /** The `aud` of tokens issued for it. */
  readonly audience: string;
  /** The scopes it understands (space-delimited); requested scopes are filtered to these. */
  readonly scope: string;
}

/** The sample API (`/me`, `/orders`, `/inventory`). */
export const ORDERS_API: ResourceServerDefinition = {
  resource: 'urn:jwks-cache:orders-api',
  audience: 'orders-api',
  scope: 'orders:read',
};

/** The downstream inventory service the sample API calls. */
export const INVENTORY_API: ResourceServerDefinition = {
  resource: 'urn:jwks-cache:inventory-api',
  audience: 'inventory-api',
  scope: 'inventory:read',
};

/** One registered client of the embedded provider (client-credentials only). */
export interface ClientDefinition {
  readonly clientId: string;
  readonly clientSecret: string;
  /** Scopes it may request (space-delimited). */
  readonly scope: string;
  /** Resource servers it may get tokens for; the first one is its default `resource`. */
  readonly resourceServers: readonly ResourceServerDefinition[];
}

/** Client id of the sample API itself, calling the inventory service. */
export const SAMPLE_APP_CLIENT_ID = 'sample-app';
/** Client id of the demo client, for humans with `curl` and for `npm run demo`. */
export const DEMO_CLIENT_ID = 'demo-client';
/**
 * Default secret of the demo client. It is a published development fixture of the embedded
 * provider (like a docker-compose example password), not a secret: set `DEMO_CLIENT_SECRET` to
 * use another one, which is then never printed.
 */
export const DEFAULT_DEMO_CLIENT_SECRET = 'demo-secret';

/** The clients of the embedded provider. */
export function clientDefinitions(secrets: { sampleApp: string; demo: string }): ClientDefinition[] {
  return [
    {
      clientId: SAMPLE_APP_CLIENT_ID,
      clientSecret: secrets.sampleApp,
      scope: INVENTORY_API.scope,
      resourceServers: [INVENTORY_API],
    },
    { clientId: DEMO_CLIENT_ID, clientSecret: secrets.demo, scope: ORDERS_API.scope, resourceServers: [ORDERS_API] },
  ];
}
