import type { KeyObject } from 'node:crypto';
import type { CryptoKey, JWK, JWTPayload } from 'jose';

/** The asymmetric JWS algorithms the local issuer can hold keys for. `EdDSA` uses an Ed25519 key. */
export type TestAlgorithm =
  'RS256' | 'RS384' | 'RS512' | 'PS256' | 'PS384' | 'PS512' | 'ES256' | 'ES384' | 'ES512' | 'EdDSA';

/** Every algorithm {@link TestAlgorithm} allows, in a stable order. */
export const SUPPORTED_ALGORITHMS: readonly TestAlgorithm[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** The client authentication methods of the token endpoint (RFC 6749 §2.3.1). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** Which well-known metadata documents the issuer serves. */
export type DiscoveryMode = 'openid' | 'oauth' | 'both' | 'none';

/** A client registered at the token endpoint (client credentials grant). */
export interface LocalClient {
  /** The `client_id`. */
  clientId: string;
  /** The `client_secret`; never logged, recorded or echoed. */
  clientSecret: string;
  /** The authentication methods this client may use. Default: both `client_secret_basic` and `client_secret_post`. */
  authMethods?: ClientAuthMethod[];
  /**
   * The scopes this client may request. A request for any other scope gets `invalid_scope`;
   * a request without `scope` is granted all of them. Default: unrestricted (the requested
   * scope is echoed as given, and no `scope` claim is set when none is requested).
   */
  scopes?: string[];
}

/** Options of {@link LocalIssuer.start}. Every field is optional. */
export interface LocalIssuerOptions {
  /**
   * One key pair per algorithm is generated at start; the first one is the default for
   * `mint`, `rotate` and the token endpoint.
   * Default: `['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA']`.
   */
  algorithms?: TestAlgorithm[];
  /** The address to listen on; only loopback addresses are accepted. Default: `'127.0.0.1'`. */
  host?: string;
  /** The port to listen on. Default: `0` (a free port chosen by the OS). */
  port?: number;
  /**
   * A path appended to the origin to form the issuer, e.g. `'/realms/test'`; empty or starting
   * with `/`, no trailing `/`. The JWKS and token endpoints live under it. Default: `''`
   * (issuer = `http://127.0.0.1:PORT`).
   */
  issuerPath?: string;
  /** The JWKS path, relative to the issuer. Default: `'/jwks'` (jwksUri = issuer + `/jwks`). */
  jwksPath?: string;
  /** The `Cache-Control` header of JWKS and discovery answers. Default: none (no header). */
  cacheControl?: string;
  /**
   * Which metadata documents are served: `'openid'` serves `{issuer}/.well-known/openid-configuration`
   * (OIDC Discovery §4), `'oauth'` serves `{origin}/.well-known/oauth-authorization-server{issuerPath}`
   * (RFC 8414 §3), `'both'` serves both, `'none'` neither. Default: `'openid'`.
   */
  discovery?: DiscoveryMode;
  /**
   * Clients of the token endpoint `POST {issuer}/token` (client credentials grant). The endpoint is
   * always served; without clients every request gets `invalid_client`. Default: `[]`.
   */
  clients?: LocalClient[];
  /** Lifetime of access tokens from the token endpoint, in seconds. Default: `3600`. */
  tokenLifetime?: number;
  /**
   * Realms: more issuers on the same port, each at `{origin}/realms/{name}` with its own discovery
   * document, JWKS and token endpoint, for tests of multi-tenant setups. Realms can also be added
   * later with `addRealm`. Default: no realm at start, none made on demand, keys per realm.
   */
  realms?: RealmsOptions;
  /** How the token endpoints (the issuer's and every realm's) handle DPoP proofs (RFC 9449). Default: see {@link TokenDpopOptions}. */
  dpop?: TokenDpopOptions;
}

/** Options of the realms of a {@link LocalIssuer}, see {@link LocalIssuerOptions.realms}. */
export interface RealmsOptions {
  /**
   * Realms created at start. A name is one path segment, `[A-Za-z0-9._~-]{1,128}`, never `.` or `..`.
   * Default: `[]`.
   */
  names?: string[];
  /**
   * Make a realm on its first request for any valid name, as a multi-tenant IdP where every tenant
   * exists (Entra ID). Its counters include that first request, so a test can tell which names were
   * asked for. Without it, requests for an unknown realm are answered 404 and counted in the
   * issuer's `requests.other`. Default: `false`.
   */
  onDemand?: boolean;
  /**
   * One key set for the issuer and every realm: the realms' discovery documents point at the
   * issuer's `jwksUri`, realms mint with the issuer's keys, and rotating any of them rotates it for
   * all (as Entra ID's common keys). Requests for that JWKS count, and fail, as the issuer's. Default: `false` (each realm generates its own keys, with kids
   * prefixed by the realm name, e.g. `acme-es256-1`).
   */
  sharedKeys?: boolean;
}

/** How a token endpoint treats DPoP proofs, see {@link TokenDpopOptions.mode}. */
export type TokenDpopMode = 'off' | 'allowed' | 'required';

/** DPoP at the token endpoints (RFC 9449 §5), see {@link LocalIssuerOptions.dpop}. */
export interface TokenDpopOptions {
  /**
   * `'allowed'`: a request with a valid proof gets a DPoP-bound token (`token_type: 'DPoP'`,
   * `cnf.jkt`), one without a proof a Bearer token. `'required'`: a request without a proof is
   * refused (`400 invalid_dpop_proof`). `'off'`: an endpoint that does not know DPoP (RFC 9449 §5):
   * `DPoP` headers are ignored, every token is a Bearer token, and the discovery document does not
   * list `dpop_signing_alg_values_supported`. Default: `'allowed'`.
   */
  mode?: TokenDpopMode;
  /**
   * Require a server nonce in proofs (RFC 9449 §8): a proof without the current nonce gets
   * `400 use_dpop_nonce` with a `DPoP-Nonce` header; every DPoP answer carries the current nonce.
   * `rotateDpopNonce()` makes the current one stale. Default: `false`.
   */
  nonce?: boolean;
  /** How old a proof's `iat` may be, and how far in the future, in seconds. Default: `300`. */
  maxProofAge?: number;
}

/** A private key to sign with: a WebCrypto key (as jose generates) or a Node `KeyObject`. */
export type SigningKey = CryptoKey | KeyObject;

/**
 * A key to forge with: a private key (or its PEM) for the asymmetric algorithms; for `HS*` any bytes
 * or string (a public key's PEM too, for algorithm-confusion tests), or a secret `KeyObject`.
 */
export type ForgeKey = SigningKey | Uint8Array | string;

/** Options of {@link LocalIssuer.mint}. */
export interface MintOptions {
  /**
   * The algorithm (and so the key) to sign with. Default: the algorithm of the key named by `kid`
   * when it is one of the issuer's keys, else the first configured algorithm.
   */
  alg?: TestAlgorithm;
  /**
   * The `kid` header. When it names one of the issuer's keys (published or retired), that key signs;
   * any other string is put in the header as given while the current key of `alg` signs.
   * Default: the kid of the current key of `alg`.
   */
  kid?: string;
  /** Leave the `kid` header out. Default: `false`. */
  noKid?: boolean;
  /** Merged into the protected header last (`typ`, `jku`, `crit`, even `alg`). Default: none. */
  header?: Record<string, unknown>;
  /** Lifetime in seconds: the default `exp` is `iat` + this. Default: `3600`. */
  expiresIn?: number;
  /**
   * Sign with this key instead of the issuer's (e.g. an attacker's). With `header: { alg: 'HS256' }`
   * it may be any secret, such as the issuer's public key PEM. Default: the issuer's key.
   */
  key?: ForgeKey;
  /** Default claims to drop, e.g. `['exp']` for a token that never expires. Default: none. */
  omit?: string[];
  /**
   * Bind the token to this DPoP key (RFC 9449 §6): adds `cnf: { jkt }`, the key's RFC 7638
   * thumbprint. A `cnf` in the claims wins. Default: none (a Bearer token).
   */
  dpop?: { readonly thumbprint: string };
}

/** Claims given to {@link LocalIssuer.mint}; they override the defaults. */
export type MintClaims = JWTPayload & Record<string, unknown>;

/** A public key set as served at the JWKS endpoint. */
export interface PublicJwks {
  keys: JWK[];
}

/** Live request counters, by endpoint. Every request is counted when it arrives, before any fault. */
export interface RequestCounters {
  /** Requests to the JWKS path. */
  jwks: number;
  /** Requests to the served well-known metadata paths. */
  discovery: number;
  /** Requests to the token endpoint. */
  token: number;
  /** Requests to any other path (answered 404). */
  other: number;
  /** All requests. */
  total: number;
}

/** What the token endpoint received, without any secret. */
export interface TokenRequestRecord {
  /** How the client authenticated; `'none'` when it sent no credentials. */
  authMethod: ClientAuthMethod | 'none';
  /** The client id it presented, if any. */
  clientId?: string;
  /** The form parameters (first value of each) without `client_secret`. */
  params: Record<string, string>;
  /**
   * The DPoP proof the request carried, if any: the thumbprint of its key when it passed the checks,
   * else the OAuth error it got and why.
   */
  dpop?: { jkt: string } | { error: string; reason: string };
}

/** A fault of the token endpoint's answers, see {@link LocalIssuer.failTokenEndpoint}. */
export interface TokenEndpointFailure {
  /** HTTP status. Default: `503`. */
  status?: number;
  /** OAuth `error` code in the JSON body. Default: `'temporarily_unavailable'` for 5xx, else `'invalid_request'`. */
  error?: string;
  /** OAuth `error_description` in the JSON body. Default: none. */
  error_description?: string;
}
