import type { ResolvedTokenTiming } from '../config/resolve-config.js';
import { CacheStore } from '../store/cache-store.js';
import { DpopProofSigner } from '../dpop/dpop-proof-signer.js';
import {
  DEFAULT_TOKEN_FUNCTION_TIMEOUT,
  type ClientCredentialsOptions,
  type RetryBackoffOptions,
  type TokenFunction,
  type TokenSourceOptions,
  type TokenTimingOptions,
} from '../config/options.js';
import { validateClientCredentials, validateTokenSource } from '../config/validate-token-options.js';
import type { TokenWindow } from './cached-token.js';
import { scopeString, toArray } from './client-credentials-request.js';

/** A token source as registered: its options, with the timing defaults applied. */
export interface RegisteredTokenSource {
  name: string;
  options: TokenSourceOptions;
  window: TokenWindow;
  rejectUnparsable: boolean;
  /** Backoff after consecutive failures, or `false` for none. */
  retryBackoff: RetryBackoffOptions | false;
  /** The longest a token is taken to live, in ms. */
  maxTokenLifetime: number;
  /** Issuer to verify obtained tokens against, if any. */
  verifyIssuer: string | undefined;
  /** DPoP: the source's key and proofs, when its tokens are DPoP-bound. */
  dpop: DpopProofSigner | undefined;
  /** Whether DPoP-bound tokens may go to the shared store: a configured key and an `encryptionKey`. */
  dpopShareable: boolean;
  /** The tenant of a call that gives none, from the request's claims (`tenantFrom`), if set. */
  tenantFrom: TokenTimingOptions['tenantFrom'];
}

/**
 * How the token of one name + tenant is obtained, the key it is cached and single-flighted under,
 * and whether that key is shared through the module's stores (else the token stays in process).
 */
export type ResolvedTokenSource =
  | { kind: 'clientCredentials'; credentials: ClientCredentialsOptions; storeKey: string; shared: boolean }
  | {
      kind: 'tokenFunction';
      tokenFunction: TokenFunction;
      /** ms one call may take. */ timeout: number;
      storeKey: string;
      shared: boolean;
    };

/**
 * The source's own timing over `defaults` (the resolved `tokenDefaults`, every member set).
 * `encryptsTokens`: the store encrypts tokens (`encryptionKey`), so a token bound to a configured
 * DPoP key may be shared.
 */
export function registeredSource(
  name: string,
  options: TokenSourceOptions,
  defaults: ResolvedTokenTiming,
  encryptsTokens = false,
): RegisteredTokenSource {
  const dpop = options.dpop === undefined ? undefined : DpopProofSigner.fromOption(options.dpop);
  return {
    dpop,
    // A key made at start exists in this process only, and so does its token; a configured key
    // is the same everywhere, and the token it is bound to travels only encrypted.
    dpopShareable: dpop !== undefined && dpop.configured && encryptsTokens,
    name,
    options,
    window: {
      leeway: options.leeway ?? defaults.leeway,
      refreshAhead: options.refreshAhead ?? defaults.refreshAhead,
    },
    rejectUnparsable: options.rejectUnparsable ?? defaults.rejectUnparsable,
    retryBackoff: options.retryBackoff ?? defaults.retryBackoff,
    maxTokenLifetime: options.maxTokenLifetime ?? defaults.maxTokenLifetime,
    verifyIssuer: options.verify,
    tenantFrom: options.tenantFrom ?? defaults.tenantFrom,
  };
}

/**
 * The settings for one tenant. Per-tenant client-credentials settings (a function of the tenant)
 * are validated here, since they could not be checked at start-up.
 */
export function resolveTokenSource(source: RegisteredTokenSource, tenant: string | undefined): ResolvedTokenSource {
  const { name, options } = source;
  if (options.tokenFunction !== undefined) {
    return {
      kind: 'tokenFunction',
      tokenFunction: options.tokenFunction,
      timeout: options.timeout ?? DEFAULT_TOKEN_FUNCTION_TIMEOUT,
      // Two apps may both name a function `default`: only an explicit shareKey says they hand
      // out the same token. Without one, the key (name + tenant) is unique in this process only.
      storeKey:
        options.shareKey === undefined
          ? CacheStore.key('token', 'function', name, tenantPart(tenant))
          : CacheStore.key('token', 'shared-function', options.shareKey, tenantPart(tenant)),
      shared: options.shareKey !== undefined,
    };
  }
  const configured = options.clientCredentials;
  const credentials = typeof configured === 'function' ? configured(tenant) : configured;
  if (typeof configured === 'function') {
    validateClientCredentials(
      credentials,
      `tokens.${name}.clientCredentials(${tenant === undefined ? '' : JSON.stringify(tenant)})`,
    );
  }
  const dpop = source.dpop;
  if (dpop === undefined)
    return {
      kind: 'clientCredentials',
      credentials,
      storeKey: clientCredentialsKey(name, tenant, credentials),
      shared: true,
    };
  // Bound to one key: stored under its thumbprint too, never mixed with Bearer tokens or another key's.
  const storeKey = CacheStore.key('token', 'dpop', dpop.jkt, clientCredentialsKey(name, tenant, credentials));
  return { kind: 'clientCredentials', credentials, storeKey, shared: source.dpopShareable };
}

/**
 * Everything that changes which token the endpoint issues is part of the key, so that apps sharing
 * one store never mix tokens; the secret is not (rotating it must not orphan a cached token, and
 * it must never reach the store in any form). `CacheStore.key` hashes the parts.
 */
function clientCredentialsKey(name: string, tenant: string | undefined, credentials: ClientCredentialsOptions): string {
  return CacheStore.key(
    'token',
    'client_credentials',
    name,
    tenantPart(tenant),
    credentials.clientId,
    credentials.tokenEndpoint !== undefined
      ? `endpoint=${credentials.tokenEndpoint}`
      : `issuer=${credentials.issuer ?? ''}`,
    scopeString(credentials.scope) ?? '',
    credentials.audience ?? '',
    toArray(credentials.resource).join(' '),
    JSON.stringify(Object.entries(credentials.extraParams ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    `auth=${credentials.authMethod ?? 'client_secret_basic'}`,
  );
}

/** Keeps "no tenant" apart from every tenant string, the empty one included. */
function tenantPart(tenant: string | undefined): string {
  return tenant === undefined ? '-' : `tenant=${tenant}`;
}

/**
 * `register()`'s check of a source added at run time: the start-up rules and messages (a
 * `TypeError` naming the option), plus a usable name.
 */
export function validateRegisteredSource(
  name: unknown,
  options: TokenSourceOptions,
  configuredIssuers: ReadonlySet<string>,
): void {
  if (typeof name !== 'string' || name.length === 0)
    throw new TypeError('JwksCacheModule: option tokens needs a non-empty token name');
  validateTokenSource(options, `tokens.${name}`, configuredIssuers);
}
