import type { ConfigService } from '@nestjs/config';
import type { ClientCredentialsOptions, JwksCacheModuleOptions, JwksOptions } from '@jwks-cache/nestjs';
import KeyvRedis from '@keyv/redis';
import { Keyv } from 'keyv';
import {
  DEFAULT_API_AUDIENCE,
  DEFAULT_DOWNSTREAM_SCOPE,
  integerSetting,
  optionalSetting,
  requiredSetting,
} from './sample-environment.js';

/** Name of the outbound token the API uses to call the inventory service. */
export const INVENTORY_TOKEN = 'inventory';

/**
 * Name of the outbound token the API sends with its TCP messages to the inventory service: a
 * Bearer token, as a message has no HTTP method and URL for a DPoP proof to name (`docs/dpop.md`).
 */
export const INVENTORY_MESSAGES_TOKEN = 'inventory-messages';

/**
 * The `JwksCacheModule` options of the API, from its configuration (environment variables):
 * the trusted issuer, the shared store when `REDIS_URL` is set, and the client-credentials
 * sources of the `inventory` token (DPoP-bound, for HTTP) and the `inventory-messages` one (Bearer, for TCP).
 */
export function apiJwksCacheOptions(config: ConfigService): JwksCacheModuleOptions {
  const issuer = requiredSetting(config, 'ISSUER');
  const redisUrl = optionalSetting(config, 'REDIS_URL');
  return {
    issuers: [
      {
        issuer,
        jwksUri: optionalSetting(config, 'JWKS_URI'),
        audience: optionalSetting(config, 'AUDIENCE') ?? DEFAULT_API_AUDIENCE,
      },
    ],
    jwks: jwksTuning(config),
    ...(redisUrl === undefined ? {} : { stores: [new Keyv({ store: new KeyvRedis(redisUrl) })] }),
    // Each made with `openssl rand -base64 32`; with a shared Redis, set at least the first.
    integrityKey: optionalSetting(config, 'JWKS_CACHE_INTEGRITY_KEY'),
    encryptionKey: optionalSetting(config, 'JWKS_CACHE_ENCRYPTION_KEY'),
    tokens: {
      // A DPoP-bound token (RFC 9449), with a key made at start: stolen, it is useless without the key.
      [INVENTORY_TOKEN]: { clientCredentials: inventoryCredentials(config, issuer), dpop: true },
      [INVENTORY_MESSAGES_TOKEN]: { clientCredentials: inventoryCredentials(config, issuer) },
    },
  };
}

/** The API's client credentials at the inventory service's issuer. */
function inventoryCredentials(config: ConfigService, issuer: string): ClientCredentialsOptions {
  return {
    // Without TOKEN_ENDPOINT, the endpoint is discovered from the issuer.
    tokenEndpoint: optionalSetting(config, 'TOKEN_ENDPOINT'),
    issuer,
    clientId: requiredSetting(config, 'CLIENT_ID'),
    clientSecret: requiredSetting(config, 'CLIENT_SECRET'),
    scope: optionalSetting(config, 'DOWNSTREAM_SCOPE') ?? DEFAULT_DOWNSTREAM_SCOPE,
    resource: optionalSetting(config, 'DOWNSTREAM_RESOURCE'),
  };
}

/** `JWKS_TTL_MS` and `JWKS_COOLDOWN_MS` when set; the library's defaults otherwise. */
export function jwksTuning(config: Pick<ConfigService, 'get'>): JwksOptions {
  const ttl = integerSetting(config, 'JWKS_TTL_MS');
  const cooldown = integerSetting(config, 'JWKS_COOLDOWN_MS');
  return { ...(ttl === undefined ? {} : { ttl }), ...(cooldown === undefined ? {} : { cooldown }) };
}
