import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { isIPv6 } from 'node:net';
import { send } from './http.js';
import { IssuerHandle } from './issuer-handle.js';
import { IssuerSite } from './issuer-site.js';
import { KeyRing } from './key-ring.js';
import { LocalRealm } from './local-realm.js';
import { PendingDelays } from './pending-delays.js';
import { checkRealmName, realmNameOf, realmPath } from './realm-name.js';
import { type RealmEntry, RealmRegistry } from './realm-registry.js';
import { issuerUrls, type ResolvedOptions, resolveOptions } from './resolve-options.js';
import type { LocalIssuerOptions, RequestCounters } from './types.js';

/**
 * A local OAuth 2.0 / OpenID Connect issuer for tests: it serves a JWKS, discovery metadata and a
 * client-credentials token endpoint on a loopback address, mints tokens with any alg, claims and
 * kid (DPoP-bound ones too), rotates keys, counts requests and injects faults. It can serve many
 * realms on the same port (`/realms/{name}`), each an issuer of its own, for multi-tenant tests.
 *
 * ```ts
 * const idp = await LocalIssuer.start();
 * const token = await idp.mint({ aud: 'orders-api' });
 * // ... point the code under test at idp.issuer / idp.jwksUri
 * await idp.close();
 * ```
 *
 * On the issuer, `resetCounters()`, `clearFaults()` and `clearTokenFaults()` act on every realm
 * too; on a realm, only on that realm. Every other member acts on the issuer alone.
 */
export class LocalIssuer extends IssuerHandle {
  private readonly sockets = new Set<Socket>();
  private readonly realmRegistry: RealmRegistry;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    site: IssuerSite,
    private readonly originUrl: string,
    private readonly delays: PendingDelays,
  ) {
    super(site);
    this.realmRegistry = new RealmRegistry((name) => this.makeRealm(name), site.options.realms.onDemand);
  }

  /**
   * Generates the keys (the issuer's, and those of every realm in `realms.names`) and starts listening.
   * @throws TypeError for invalid options (a non-loopback host, an unknown algorithm, a bad realm name, ...).
   */
  static async start(options: LocalIssuerOptions = {}): Promise<LocalIssuer> {
    const resolved = resolveOptions(options);
    resolved.realms.names.forEach((name) => checkNoCollision(name, resolved));
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
    const origin = `http://${isIPv6(resolved.host) ? `[${resolved.host}]` : resolved.host}:${port}`;
    const delays = new PendingDelays();
    const site = new IssuerSite({
      options: resolved,
      urls: issuerUrls(origin, resolved.issuerPath, resolved),
      keys,
      delays,
      servesJwks: true,
    });
    const issuer = new LocalIssuer(server, site, origin, delays);
    issuer.listen();
    try {
      await Promise.all(resolved.realms.names.map((name) => issuer.addRealm(name)));
    } catch (error) {
      await issuer.close();
      throw error;
    }
    return issuer;
  }

  /** The origin, `http://HOST:PORT`: the issuer without `issuerPath`. */
  get origin(): string {
    return this.originUrl;
  }

  /** The port listened on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /**
   * A realm made at start, by {@link addRealm} or on demand.
   * @throws Error when no realm of that name exists (see {@link hasRealm}).
   */
  realm(name: string): LocalRealm {
    const entry = this.realmRegistry.get(name);
    if (!entry)
      throw new Error(
        `LocalIssuer: no realm "${name}" (realms: ${this.realmNames().join(', ') || 'none'}); add it with addRealm()`,
      );
    return entry.realm;
  }

  /** Whether a realm of that name exists: declared, added, or made on demand by a request. */
  hasRealm(name: string): boolean {
    return this.realmRegistry.get(name) !== undefined;
  }

  /**
   * The realm of `name`, made now (its keys generated, unless `realms.sharedKeys`) when it does not
   * exist yet; the same realm when it does.
   * @throws TypeError for an invalid name, or one whose issuer is the issuer's own.
   */
  async addRealm(name: string): Promise<LocalRealm> {
    checkNoCollision(checkRealmName(name), this.site.options);
    return (await this.realmRegistry.add(name)).realm;
  }

  /** The names of the realms, in the order they were made or first asked for. */
  realmNames(): string[] {
    return this.realmRegistry.names();
  }

  /**
   * The issuer identifier a realm of that name has (or would have): `{origin}/realms/{name}`, e.g. to mint
   * a token claiming a realm that does not exist.
   * @throws TypeError for an invalid realm name.
   */
  realmIssuer(name: string): string {
    return `${this.originUrl}${realmPath(checkRealmName(name))}`;
  }

  /** The realms' issuer as a template for multi-tenant configuration: `{origin}/realms/{tenant}` (placeholder name as given). */
  realmIssuerTemplate(placeholder = 'tenant'): string {
    return `${this.originUrl}${realmPath(`{${placeholder}}`)}`;
  }

  /** The sum of the issuer's counters and every realm's: e.g. `total` is every request the server received. */
  allRequests(): RequestCounters {
    const sum = { ...this.site.requests };
    for (const { site } of this.realmRegistry.entries()) {
      for (const route of Object.keys(sum) as (keyof RequestCounters)[]) sum[route] += site.requests[route];
    }
    return sum;
  }

  /** Sets the counters of the issuer and of every realm back to 0, and forgets their token requests. */
  override resetCounters(): void {
    this.eachSite((site) => site.resetCounters());
  }

  /** Clears the JWKS/discovery faults of the issuer and of every realm. */
  override clearFaults(): void {
    this.eachSite((site) => site.clearFaults());
  }

  /** Clears the token endpoint faults of the issuer and of every realm. */
  override clearTokenFaults(): void {
    this.eachSite((site) => site.clearTokenFaults());
  }

  /** Stops listening and destroys every open connection; safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.delays.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  private eachSite(action: (site: IssuerSite) => void): void {
    action(this.site);
    for (const { site } of this.realmRegistry.entries()) action(site);
  }

  private async makeRealm(name: string): Promise<RealmEntry> {
    const { options } = this.site;
    const shared = options.realms.sharedKeys;
    const keys = shared ? this.site.keys : await KeyRing.create(options.algorithms, `${name}-`);
    const urls = issuerUrls(this.originUrl, realmPath(name), options, shared ? this.jwksUri : undefined);
    const site = new IssuerSite({ options, urls, keys, delays: this.delays, servesJwks: !shared });
    return { realm: new LocalRealm(name, site), site };
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

  /** The issuer's own paths first, then a realm's (made here when on demand), else a 404 counted as the issuer's. */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = this.site.routeOf(pathname);
    if (route) return this.site.handle(route, req, res);
    const name = realmNameOf(pathname);
    const realm = name === undefined ? undefined : await this.realmRegistry.forRequest(name);
    if (realm) return realm.site.handle(realm.site.routeOf(pathname) ?? 'other', req, res);
    return this.site.handle('other', req, res);
  }
}

/** A realm whose issuer would be the issuer's own (`issuerPath: '/realms/acme'` and realm `acme`) is refused. */
function checkNoCollision(name: string, options: ResolvedOptions): void {
  if (realmPath(name) === options.issuerPath) {
    throw new TypeError(`LocalIssuer: realm "${name}" would have the issuer's own path ${options.issuerPath}`);
  }
}
