import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryMismatchError, InvalidResponseError } from '../errors.js';
import { JWKS_CACHE_CONFIG } from '../jwks-cache.module-definition.js';
import type { JwksCacheModuleOptions, ResolvedJwksOptions } from '../config/options.js';
import { jwksSettingsFor, resolveConfig, type ResolvedConfig } from '../config/resolve-config.js';
import { CacheStore } from '../store/cache-store.js';
import { freshnessFor } from '../internal/max-age.js';
import { SingleFlight } from '../internal/single-flight.js';
import { fetchJson } from '../internal/fetch-json.js';
import { clock } from '../internal/clock.js';

/** The members of an issuer's metadata this library uses (RFC 8414 / OpenID Connect Discovery). */
export interface DiscoveryDocument {
  issuer: string;
  /** Always an absolute http(s) URL when present. */
  jwks_uri?: string;
  token_endpoint?: string;
  [member: string]: unknown;
}

interface CachedDocument {
  document: DiscoveryDocument;
  /** Epoch ms of the fetch that produced it. */
  fetchedAt: number;
  /** Epoch ms until which the document is fresh. */
  freshUntil: number;
  /** The response's `Cache-Control: max-age` in ms, unclamped; absent when it had none. */
  maxAge?: number;
}

/**
 * OIDC / RFC 8414 discovery: `<issuer>/.well-known/openid-configuration`, then
 * `<origin>/.well-known/oauth-authorization-server<path>`. The document must name the configured
 * issuer exactly (else {@link DiscoveryMismatchError}: a mix-up could hand over another issuer's
 * keys). Documents are cached in memory and in the `CacheStore`, fresh for the response's
 * `max-age` (clamped) or the issuer's `jwks.ttl`, and still used for `staleIfError` when a
 * refetch fails. Concurrent discoveries of one issuer share one request.
 *
 * A document names where keys are fetched and where the client secret is sent, so the
 * `CacheStore` shares it only with an `integrityKey` (in process otherwise), and one read back
 * is fresh only for what this process grants it, whatever its stored `freshUntil` says.
 */
@Injectable()
export class OidcDiscovery {
  private readonly documents = new Map<string, CachedDocument>();
  private readonly loads = new SingleFlight<string, DiscoveryDocument>();
  private readonly config: ResolvedConfig;

  constructor(
    @Inject(JWKS_CACHE_CONFIG) options: JwksCacheModuleOptions,
    private readonly store: CacheStore,
  ) {
    this.config = resolveConfig(options);
  }

  /**
   * The issuer's metadata document, from cache when fresh. Throws a typed `FetchError`.
   * @param jwks the fetch settings, for an issuer that is not configured as such (one an issuer
   *   template made); a configured issuer's own, or the top level's, when absent.
   */
  async discover(issuer: string, jwks?: ResolvedJwksOptions): Promise<DiscoveryDocument> {
    const cached = this.documents.get(issuer);
    if (cached !== undefined && clock.now() < cached.freshUntil) return cached.document;
    return this.loads.run(issuer, () => this.load(issuer, jwks));
  }

  /** Drops the in-process copy of an issuer's document (an issuer template's issuer that is no longer live). */
  forget(issuer: string): void {
    this.documents.delete(issuer);
  }

  private async load(issuer: string, jwks: ResolvedJwksOptions | undefined): Promise<DiscoveryDocument> {
    const settings = jwks ?? this.jwksOptionsOf(issuer);
    const stored = await this.readStore(issuer, settings);
    if (stored !== undefined) return stored.document;
    try {
      const fetched = await this.fetchDocument(issuer, settings);
      this.remember(issuer, fetched, settings);
      return fetched.document;
    } catch (error) {
      const previous = this.documents.get(issuer);
      if (previous !== undefined && clock.now() < previous.freshUntil + settings.staleIfError) return previous.document;
      throw error;
    }
  }

  private async fetchDocument(
    issuer: string,
    settings: ResolvedJwksOptions,
  ): Promise<{ document: DiscoveryDocument; maxAge: number | undefined }> {
    const [openid, oauth] = wellKnownUrls(issuer);
    try {
      return await this.fetchValidated(openid, issuer, settings);
    } catch (error) {
      if (error instanceof DiscoveryMismatchError) throw error;
      return this.fetchValidated(oauth, issuer, settings);
    }
  }

  private async fetchValidated(
    url: string,
    issuer: string,
    settings: ResolvedJwksOptions,
  ): Promise<{ document: DiscoveryDocument; maxAge: number | undefined }> {
    const { body, maxAge } = await fetchJson(url, settings);
    return { document: validateDocument(body, issuer, url), maxAge };
  }

  private remember(
    issuer: string,
    fetched: { document: DiscoveryDocument; maxAge: number | undefined },
    settings: ResolvedJwksOptions,
  ): void {
    const freshFor = freshnessFor(fetched.maxAge, settings);
    const fetchedAt = clock.now();
    const entry: CachedDocument = { document: fetched.document, fetchedAt, freshUntil: fetchedAt + freshFor };
    if (fetched.maxAge !== undefined) entry.maxAge = fetched.maxAge;
    this.documents.set(issuer, entry);
    // A store failure only costs other instances a request; it never fails discovery.
    void this.store.set(CacheStore.key('discovery', issuer), entry, freshFor + settings.staleIfError);
  }

  /** A fresh document another instance (or an earlier run) stored, validated again before use. */
  private async readStore(issuer: string, settings: ResolvedJwksOptions): Promise<CachedDocument | undefined> {
    const entry = await this.store.get<unknown>(CacheStore.key('discovery', issuer));
    if (!isCachedDocument(entry) || entry.fetchedAt > clock.now()) return undefined;
    // Never fresher than this process would have made it: a replayed entry cannot outlive `ttl` / the max-age clamp.
    const freshUntil = Math.min(entry.freshUntil, entry.fetchedAt + freshnessFor(entry.maxAge, settings));
    if (clock.now() >= freshUntil) return undefined;
    try {
      const document = validateDocument(entry.document, issuer, 'cache store');
      const validated: CachedDocument = { document, fetchedAt: entry.fetchedAt, freshUntil };
      if (entry.maxAge !== undefined) validated.maxAge = entry.maxAge;
      this.documents.set(issuer, validated);
      return validated;
    } catch {
      return undefined;
    }
  }

  private jwksOptionsOf(issuer: string): ResolvedJwksOptions {
    return jwksSettingsFor(this.config, issuer);
  }
}

function isCachedDocument(entry: unknown): entry is CachedDocument {
  if (entry === null || typeof entry !== 'object') return false;
  const { fetchedAt, freshUntil, maxAge } = entry as Partial<CachedDocument>;
  return (
    typeof fetchedAt === 'number' &&
    typeof freshUntil === 'number' &&
    (maxAge === undefined || (typeof maxAge === 'number' && Number.isFinite(maxAge) && maxAge >= 0))
  );
}

/** OpenID Connect Discovery's URL, then RFC 8414's (the well-known segment before the path). */
function wellKnownUrls(issuer: string): [string, string] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/$/, '');
  const openid = `${url.origin}${path}/.well-known/openid-configuration`;
  const oauth = `${url.origin}/.well-known/oauth-authorization-server${path}`;
  return [openid, oauth];
}

/** Longest part of the document's `issuer` an error shows: it comes from the network. */
const SHOWN_ISSUER_CHARS = 200;

/**
 * Says both issuers (configuration and a public document, not secrets), and names the trap of a
 * trailing slash: the comparison is exact, as with the tokens' `iss`.
 */
function issuerMismatchMessage(url: string, found: unknown, configured: string): string {
  const shown =
    typeof found === 'string'
      ? JSON.stringify(found.slice(0, SHOWN_ISSUER_CHARS)) + (found.length > SHOWN_ISSUER_CHARS ? '…' : '')
      : found === undefined
        ? 'no issuer'
        : `a non-string issuer (${typeof found})`;
  const message = `Discovery document at ${url} names the issuer ${shown}, not the configured ${JSON.stringify(configured)}`;
  const slashless = (value: string) => value.replace(/\/+$/, '');
  if (typeof found === 'string' && slashless(found) === slashless(configured)) {
    return `${message}: they differ only by a trailing slash. Issuers are compared exactly (here and with each token's iss): set the issuer exactly as the document names it`;
  }
  return message;
}

function validateDocument(body: unknown, issuer: string, url: string): DiscoveryDocument {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidResponseError(`Discovery document at ${url} is not a JSON object`, url);
  }
  const document = body as DiscoveryDocument;
  if (document.issuer !== issuer) {
    throw new DiscoveryMismatchError(issuerMismatchMessage(url, document.issuer, issuer), url);
  }
  for (const member of ['jwks_uri', 'token_endpoint'] as const) {
    if (document[member] !== undefined && !isHttpUrl(document[member])) {
      throw new InvalidResponseError(`Discovery document at ${url} has an invalid ${member}`, url);
    }
  }
  return document;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string' || !URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'https:' || protocol === 'http:';
}
