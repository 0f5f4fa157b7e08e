import { isIP } from 'node:net';
import {
  type DiscoveryMode,
  type LocalClient,
  type LocalIssuerOptions,
  type RealmsOptions,
  SUPPORTED_ALGORITHMS,
  type TestAlgorithm,
  type TokenDpopMode,
  type TokenDpopOptions,
} from './types.js';
import { checkRealmName } from './realm-name.js';

/** {@link LocalIssuerOptions} with every default applied and checked. */
export interface ResolvedOptions {
  algorithms: TestAlgorithm[];
  host: string;
  port: number;
  issuerPath: string;
  jwksPath: string;
  cacheControl: string | undefined;
  discovery: DiscoveryMode;
  clients: LocalClient[];
  tokenLifetime: number;
  realms: Required<RealmsOptions>;
  dpop: Required<TokenDpopOptions>;
}

/** The URLs of a started issuer. */
export interface IssuerUrls {
  issuer: string;
  jwksUri: string;
  tokenEndpoint: string;
  openidConfigurationUrl: string;
  oauthMetadataUrl: string;
}

const DEFAULT_ALGORITHMS: TestAlgorithm[] = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'];
const DISCOVERY_MODES: readonly DiscoveryMode[] = ['openid', 'oauth', 'both', 'none'];
const DPOP_MODES: readonly TokenDpopMode[] = ['off', 'allowed', 'required'];

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  const ipv4 = host.startsWith('::ffff:') ? host.slice('::ffff:'.length) : host;
  return isIP(ipv4) === 4 && ipv4.startsWith('127.');
}

function checkAlgorithms(algorithms: TestAlgorithm[]): TestAlgorithm[] {
  if (!algorithms.length) throw new TypeError('LocalIssuer: algorithms must not be empty');
  const unknown = algorithms.filter((alg) => !SUPPORTED_ALGORITHMS.includes(alg));
  if (unknown.length) throw new TypeError(`LocalIssuer: unsupported algorithms ${unknown.join(', ')}`);
  if (new Set(algorithms).size !== algorithms.length) throw new TypeError('LocalIssuer: algorithms must be unique');
  return [...algorithms];
}

function checkPath(name: string, path: string, allowEmpty: boolean): string {
  const valid = (allowEmpty && path === '') || (path.startsWith('/') && !path.endsWith('/') && !/[?#\s]/.test(path));
  if (!valid) throw new TypeError(`LocalIssuer: ${name} must start with "/" and not end with "/" (got "${path}")`);
  return path;
}

function checkClients(clients: LocalClient[]): LocalClient[] {
  const ids = clients.map((client) => client.clientId);
  if (new Set(ids).size !== ids.length) throw new TypeError('LocalIssuer: client ids must be unique');
  return clients.map((client) => ({ ...client }));
}

function checkRealms(realms: RealmsOptions): Required<RealmsOptions> {
  const names = (realms.names ?? []).map(checkRealmName);
  if (new Set(names).size !== names.length) throw new TypeError('LocalIssuer: realm names must be unique');
  return { names, onDemand: realms.onDemand ?? false, sharedKeys: realms.sharedKeys ?? false };
}

function checkDpop(dpop: TokenDpopOptions): Required<TokenDpopOptions> {
  const maxProofAge = dpop.maxProofAge ?? 300;
  if (!Number.isInteger(maxProofAge) || maxProofAge <= 0) {
    throw new TypeError('LocalIssuer: dpop.maxProofAge must be a positive integer (seconds)');
  }
  const mode = dpop.mode ?? 'allowed';
  if (!DPOP_MODES.includes(mode)) throw new TypeError(`LocalIssuer: unknown dpop.mode "${mode}"`);
  return { mode, nonce: dpop.nonce ?? false, maxProofAge };
}

/**
 * Applies the defaults and validates.
 * @throws TypeError for a non-loopback host or any other invalid option.
 */
export function resolveOptions(options: LocalIssuerOptions): ResolvedOptions {
  const host = options.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new TypeError(`LocalIssuer: host must be a loopback address (got "${host}")`);
  const discovery = options.discovery ?? 'openid';
  if (!DISCOVERY_MODES.includes(discovery)) throw new TypeError(`LocalIssuer: unknown discovery mode "${discovery}"`);
  const tokenLifetime = options.tokenLifetime ?? 3600;
  if (!Number.isInteger(tokenLifetime) || tokenLifetime <= 0) {
    throw new TypeError('LocalIssuer: tokenLifetime must be a positive integer (seconds)');
  }
  return {
    algorithms: checkAlgorithms(options.algorithms ?? DEFAULT_ALGORITHMS),
    host,
    port: options.port ?? 0,
    issuerPath: checkPath('issuerPath', options.issuerPath ?? '', true),
    jwksPath: checkPath('jwksPath', options.jwksPath ?? '/jwks', false),
    cacheControl: options.cacheControl,
    discovery,
    clients: checkClients(options.clients ?? []),
    tokenLifetime,
    realms: checkRealms(options.realms ?? {}),
    dpop: checkDpop(options.dpop ?? {}),
  };
}

/**
 * An issuer's URLs. OIDC Discovery §4 appends the well-known suffix to the issuer; RFC 8414 §3
 * inserts it between the origin and the issuer's path.
 * @param issuerPath the issuer's path on the origin (`''`, `/realms/acme`).
 * @param jwksUri where its JWKS is, when not under the issuer (a key set shared by realms).
 */
export function issuerUrls(origin: string, issuerPath: string, options: ResolvedOptions, jwksUri?: string): IssuerUrls {
  const issuer = `${origin}${issuerPath}`;
  return {
    issuer,
    jwksUri: jwksUri ?? `${issuer}${options.jwksPath}`,
    tokenEndpoint: `${issuer}/token`,
    openidConfigurationUrl: `${issuer}/.well-known/openid-configuration`,
    oauthMetadataUrl: `${origin}/.well-known/oauth-authorization-server${issuerPath}`,
  };
}

/** The metadata document, the same for OIDC discovery and RFC 8414. */
export function discoveryDocument(
  urls: IssuerUrls,
  algorithms: readonly TestAlgorithm[],
  options: ResolvedOptions,
): Record<string, unknown> {
  return {
    issuer: urls.issuer,
    jwks_uri: urls.jwksUri,
    token_endpoint: urls.tokenEndpoint,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    id_token_signing_alg_values_supported: [...algorithms],
    ...(options.dpop.mode === 'off' ? {} : { dpop_signing_alg_values_supported: [...SUPPORTED_ALGORITHMS] }),
  };
}
