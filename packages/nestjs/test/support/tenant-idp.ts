import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** How the tenants' keys are published. */
export type TenantKeyMode = 'shared' | 'per-tenant';

interface TenantKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

/**
 * A multi-tenant identity provider on 127.0.0.1, as Keycloak (realms) or Entra ID (tenants) are:
 * issuer `<origin>/t/<tenant>`, discovery at `<issuer>/.well-known/openid-configuration`, keys at
 * `<issuer>/keys` (each tenant its own ES256 key) or all at `<origin>/common/keys` (one key for
 * every tenant, `shared` mode, as Entra ID's common keys). Any tenant name exists; requests are
 * counted, by path too, so a test can prove what a flood of tokens cost it.
 */
export class TenantIdp {
  /** Requests received, every path. */
  requests = 0;
  /** Requests by path. */
  readonly byPath = new Map<string, number>();
  /** Answer every request with 503 while set. */
  failing = false;
  private readonly tenantKeys = new Map<string, Promise<TenantKey>>();

  private constructor(
    private readonly server: Server,
    private readonly shared: TenantKey,
    /** Where discovery says the keys are. */
    public mode: TenantKeyMode,
  ) {}

  static async start(mode: TenantKeyMode = 'shared'): Promise<TenantIdp> {
    const server = createServer((request, response) => void idp.handle(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const idp = new TenantIdp(server, await makeKey('common-1'), mode);
    return idp;
  }

  /** `http://127.0.0.1:PORT`. */
  get origin(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The issuer template: `<origin>/t/{tenant}`. */
  get issuerTemplate(): string {
    return `${this.origin}/t/{tenant}`;
  }

  /** The shared key set's URL. */
  get commonJwksUri(): string {
    return `${this.origin}/common/keys`;
  }

  issuerOf(tenant: string): string {
    return `${this.origin}/t/${tenant}`;
  }

  /** Requests to one path. */
  requestsTo(path: string): number {
    return this.byPath.get(path) ?? 0;
  }

  /**
   * A token of `tenant` (its `iss`, a `tid` claim equal to the tenant unless `claims` sets one),
   * signed with the common key in `shared` mode or with `signWith: 'shared'`, else with the tenant's own.
   */
  async mint(
    tenant: string,
    claims: Record<string, unknown> = {},
    options: { signWith?: 'shared' | 'tenant'; iss?: string } = {},
  ): Promise<string> {
    const useShared = (options.signWith ?? (this.mode === 'shared' ? 'shared' : 'tenant')) === 'shared';
    const key = useShared ? this.shared : await this.keyOf(tenant);
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ tid: tenant, sub: `user-of-${tenant}`, aud: 'api', ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer(options.iss ?? this.issuerOf(tenant))
      .setIssuedAt(now)
      .setExpirationTime(now + 3_600)
      .sign(key.privateKey);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private keyOf(tenant: string): Promise<TenantKey> {
    let key = this.tenantKeys.get(tenant);
    if (key === undefined) this.tenantKeys.set(tenant, (key = makeKey(`${tenant}-1`)));
    return key;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', this.origin).pathname;
    this.requests++;
    this.byPath.set(path, (this.byPath.get(path) ?? 0) + 1);
    const send = (status: number, body: unknown): void =>
      void response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (this.failing) return send(503, { error: 'unavailable' });
    if (path === '/common/keys') return send(200, { keys: [this.shared.jwk] });
    const tenantPath = /^\/t\/([^/]+)\/(\.well-known\/openid-configuration|keys)$/.exec(path);
    if (tenantPath === null) return send(404, { error: 'not_found' });
    const [, tenant, what] = tenantPath as unknown as [string, string, string];
    if (what === 'keys') {
      const keys = this.mode === 'shared' ? [this.shared.jwk] : [(await this.keyOf(tenant)).jwk];
      return send(200, { keys });
    }
    const jwksUri = this.mode === 'shared' ? this.commonJwksUri : `${this.issuerOf(tenant)}/keys`;
    return send(200, { issuer: this.issuerOf(tenant), jwks_uri: jwksUri });
  }
}

async function makeKey(kid: string): Promise<TenantKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}
